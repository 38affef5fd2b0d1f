"""Multilingual housing knowledge-base assistant: load, chunk, embed, store, retrieve, answer, cite, serve.

The public Python API is `KnowledgeBase` (assistant/knowledge_base.py), imported on first use
so that `import assistant` (the CLI) stays fast.
"""

__all__ = ["KnowledgeBase"]


def __getattr__(name: str):
    if name == "KnowledgeBase":
        from assistant.knowledge_base import KnowledgeBase

        return KnowledgeBase
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
