"""Adapters that put the knowledge base inside other frameworks (llama_index.py)."""
