"""The knowledge base inside llama-index code: a retriever, a query engine and a tool.

    from assistant import KnowledgeBase
    from assistant.integrations.llama_index import (KnowledgeBaseQueryEngine,
                                                    KnowledgeBaseRetriever, knowledge_base_tool)

    kb = KnowledgeBase.open()
    nodes = KnowledgeBaseRetriever(kb, k=5).retrieve("Wat is een proeftuin?")
    response = KnowledgeBaseQueryEngine(kb).query("Qu'est-ce qu'une coopérative de logement ?")
    tool = knowledge_base_tool(kb)      # for an agent: QueryEngineTool

The retriever returns the product's own ranking (dense + BM25 fusion, best-sentence
rerank), not llama-index's vector search: a node is a passage, its id the passage id, its
character span the passage's place in the document, and its metadata what a citation
shows. The query engine's `Response` is the product's answer (extractive, or the optional
LLM's when configured, with its citation check), `source_nodes` in citation order: node i
is source [i + 1].
"""

from __future__ import annotations

import asyncio

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.schema import (NodeRelationship, NodeWithScore, QueryBundle,
                                     RelatedNodeInfo, TextNode)
from llama_index.core.tools import QueryEngineTool

from assistant.answer.citations import citation_json
from assistant.knowledge_base import KnowledgeBase, check_k, check_lang, check_region
from assistant.types import Citation, Passage

# Ids and offsets are for programs, not for an LLM reading the node's text.
_NOT_FOR_LLM = ["doc_id", "passage_start", "passage_end", "quote_start", "quote_end", "n"]

TOOL_DESCRIPTION = (
    "Answers questions on cooperative, collaborative and social housing (Flanders, Brussels, "
    "the Netherlands, European networks) from a curated knowledge base, in Dutch, French or "
    "English, quoting the documents with numbered sources. Says so when it has no answer.")


def passage_node(passage: Passage) -> TextNode:
    """A passage as a llama-index node: text, span in its document, citation metadata."""
    return TextNode(
        id_=passage.passage_id, text=passage.text,
        start_char_idx=passage.start, end_char_idx=passage.end,
        # its document, as llama-index reads it (`node.ref_doc_id`)
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=passage.doc_id)},
        metadata={**passage.meta.as_flat_dict(), "doc_id": passage.doc_id,
                  "passage_start": passage.start, "passage_end": passage.end},
        excluded_llm_metadata_keys=list(_NOT_FOR_LLM),
        excluded_embed_metadata_keys=list(_NOT_FOR_LLM),
    )


def citation_node(citation: Citation) -> NodeWithScore:
    """Source [n] of an answer: its passage, with the verbatim quote and where it sits."""
    node = passage_node(citation.passage)
    node.metadata.update({"n": citation.n, "quote": citation.quote,
                          "quote_start": citation.quote_start, "quote_end": citation.quote_end})
    return NodeWithScore(node=node, score=None)  # cited, not ranked: the order is [1], [2], ...


class KnowledgeBaseRetriever(BaseRetriever):
    """`retrieve(question)` -> the knowledge base's best `k` passages as scored nodes (`k`
    from 1 to 50, as everywhere; the `top_k` setting when None)."""

    def __init__(self, knowledge_base: KnowledgeBase, k: int | None = None, *,
                 region: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.knowledge_base = knowledge_base
        self.k = check_k(k)
        self.region = check_region(region)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self.knowledge_base.search(query_bundle.query_str, self.k, region=self.region)
        return [NodeWithScore(node=passage_node(hit.passage), score=hit.score) for hit in hits]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)  # CPU-bound: off the loop


class KnowledgeBaseQueryEngine(BaseQueryEngine):
    """`query(question)` -> the product's cited answer as a llama-index `Response`.

    `response.metadata` holds `refused`, `language` and `citations` (the API's JSON shape);
    a refusal's text says where to ask instead, and it has no source nodes.
    """

    def __init__(self, knowledge_base: KnowledgeBase, callback_manager=None, *,
                 lang: str | None = None, region: str | None = None) -> None:
        super().__init__(callback_manager)
        self.knowledge_base = knowledge_base
        self.lang, self.region = check_lang(lang), check_region(region)

    def _get_prompt_modules(self) -> dict:
        return {}  # no prompts to tune: the answer is extractive (or the LLM's, configured)

    def _query(self, query_bundle: QueryBundle) -> Response:
        answer = self.knowledge_base.ask(query_bundle.query_str, lang=self.lang, region=self.region)
        return Response(
            response=answer.text,
            source_nodes=[citation_node(c) for c in answer.citations],
            metadata={"refused": answer.refused, "language": answer.language,
                      "citations": [citation_json(c) for c in answer.citations]},
        )

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return await asyncio.to_thread(self._query, query_bundle)


def knowledge_base_tool(knowledge_base: KnowledgeBase, name: str = "housing_knowledge_base",
                        description: str = TOOL_DESCRIPTION) -> QueryEngineTool:
    """The query engine as a tool an agent can call."""
    return QueryEngineTool.from_defaults(query_engine=KnowledgeBaseQueryEngine(knowledge_base),
                                         name=name, description=description)
