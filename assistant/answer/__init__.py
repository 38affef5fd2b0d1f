"""Answers: extractive quotes, the refusal decision, follow-ups, short answers, citations, the optional LLM and every citizen-facing text."""
