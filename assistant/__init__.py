"""Multilingual housing knowledge-base assistant: load, chunk, embed, store, retrieve, answer, cite, serve."""
