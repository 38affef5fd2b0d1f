"""Search: the Chroma store, BM25, language, regions and the fused, reranked retrieval."""
