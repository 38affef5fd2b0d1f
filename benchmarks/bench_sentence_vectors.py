"""Sentence vectors from ONE encoder pass per passage (late chunking) against today's two passes.

    .venv/bin/python benchmarks/bench_sentence_vectors.py --gemma PATH --e5 PATH [--threads 1]

Today every quotable sentence is encoded a second time as its own text (title, heading path,
sentence: `chunking.embedding_texts`) after its passage. Late chunking ("late" rows) runs the
encoder once on the passage and pools the final token states of each sentence's character span,
then applies the model's head (EmbeddingGemma: Dense 768->3072, Dense 3072->768, L2 normalize).
"late" rows use the passage as indexed today ("title: none | text: " + title line + passage);
"late, real title" rows put the title in the prompt ("title: {title} | text: " + passage). The
last rows keep Gemma's passage vectors and late-chunk one multilingual-e5-small pass instead.
On the seed corpus and the answerable questions of dev.jsonl + dev2.jsonl it prints:

* sent@1 / MRR: the query against every quotable sentence of the corpus;
* inP@1: in each passage that holds the evidence, is the evidence its top-scored sentence? This
  is the product's step (find the passage with passage vectors, then pick the sentence to quote).
  Passages with a single quotable sentence are left out: every method gets them right. A question
  with evidence in several passages scores the mean over those passages.
* enc s: encoder seconds to index the seeds (forward passes plus pooling; warm-up excluded;
  batches of 8, longest first);
* before the table: passage hit@1 / MRR of each Gemma pass's passage vectors (the step before
  the sentence pick), and a check that pooling all tokens reproduces model.encode.

A sentence is the evidence when it contains an evidence string, case and whitespace insensitive
(`evaluation.supports`, the rule the passage metrics use). Only quotable sentences (not headings)
get vectors, as in the index; a question whose evidence lies only in a heading-like line is
skipped. Mixes are v = normalize(alpha * sentence + (1 - alpha) * passage vector of the same
pass). The Gemma head is linear (no bias, identity activation), so pooling token states before
it or pooling the Dense-projected tokens gives the same vector; normalizing each projected token
before pooling does not. Figures depend on machine load (load average printed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from assistant.ingest.chunking import (ChunkingParams, chunk_document, embedding_texts,  # noqa: E402
                                with_context)
from assistant.ingest.documents import iter_corpus  # noqa: E402
from assistant.evaluation import read_questions, supports  # noqa: E402
from assistant.types import Document, Passage  # noqa: E402

EVAL_FILES = (Path("/work/shared/eval/dev.jsonl"), Path("/work/shared/eval/dev2.jsonl"))
GEMMA_QUERY = "task: search result | query: "
GEMMA_DOCUMENT = "title: none | text: "
E5_QUERY, E5_PASSAGE = "query: ", "passage: "
LANGS = ("nl", "fr", "en")
BATCH = 8
ALPHAS = (0.25, 0.5, 0.75, 1.5)  # 1.5: extrapolates away from the passage vector


@dataclass(frozen=True)
class Sentence:
    passage: int  # index into the passage list
    start: int  # span in passage.text
    end: int
    context: str  # heading path, "" if none


@dataclass(frozen=True)
class Question:
    lang: str
    text: str
    gold: frozenset[int]  # indices into the sentence list


@dataclass
class TokenPass:
    """One encoder pass: per input, its final token states and character offsets into it."""

    states: list[torch.Tensor]  # (tokens, dim), padding dropped
    offsets: list[np.ndarray]  # (tokens, 2); (0, 0) for special tokens
    body: list[int]  # where passage.text starts in each input string
    seconds: float


@dataclass
class Method:
    name: str
    sentences: np.ndarray  # one row per Sentence, L2-normalized
    queries: np.ndarray  # one row per Question, same space
    seconds: float


def load_corpus(corpus: Path) -> tuple[list[Passage], list[Sentence]]:
    documents = [d for d in iter_corpus(corpus) if isinstance(d, Document)]
    passages = [p for d in documents for p in chunk_document(d, ChunkingParams(600, 0))]
    sentences = []
    for index, passage in enumerate(passages):
        _, texts = embedding_texts(passage)
        for (start, end), context, text in zip(passage.sentences, passage.contexts, texts):
            if text:  # "" marks a heading: never quoted, never embedded
                sentences.append(Sentence(index, start, end, context))
    return passages, sentences


def load_questions(passages: Sequence[Passage], sentences: Sequence[Sentence]) -> list[Question]:
    questions, skipped = [], []
    for path in EVAL_FILES:
        for row in read_questions(path):
            if row.unanswerable:
                continue
            gold = frozenset(i for i, s in enumerate(sentences)
                             if supports(passages[s.passage].text[s.start:s.end], row.evidence))
            if gold:
                questions.append(Question(row.lang, row.q, gold))
            else:
                skipped.append(row.id)
    if skipped:
        print(f"skipped (evidence only in a heading-like line): {', '.join(skipped)}")
    return questions


def encode_tokens(model, prefixes: Sequence[str], passages: Sequence[Passage]) -> TokenPass:
    """Runs the Transformer module on prefix + passage.text, longest-first batches."""
    texts = [prefix + p.text for prefix, p in zip(prefixes, passages)]
    states: list[torch.Tensor | None] = [None] * len(texts)
    offsets: list[np.ndarray | None] = [None] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    started = time.perf_counter()
    with torch.inference_mode():
        for first in range(0, len(order), BATCH):
            rows = order[first:first + BATCH]
            encoded = model.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                      max_length=model.max_seq_length, return_tensors="pt",
                                      return_offsets_mapping=True)
            spans = encoded.pop("offset_mapping").numpy()
            mask = encoded["attention_mask"]
            features = model[0]({"input_ids": encoded["input_ids"], "attention_mask": mask})
            for row, i in enumerate(rows):
                keep = mask[row].bool()
                states[i] = features["token_embeddings"][row][keep]
                offsets[i] = spans[row][keep.numpy()]
    return TokenPass(states, offsets, [len(prefix) for prefix in prefixes],
                     time.perf_counter() - started)


def head(model, pooled: torch.Tensor) -> torch.Tensor:
    """The modules after Pooling (Dense layers, Normalize) on rows of pooled token states."""
    features = {"sentence_embedding": pooled}
    for module in list(model)[2:]:
        features = module(features)
    return features["sentence_embedding"]


def passage_vectors(model, run: TokenPass) -> np.ndarray:
    """Mean over all tokens (prompt and specials included, as the model's Pooling does)."""
    with torch.inference_mode():
        return torch.stack([head(model, s.mean(0)) for s in run.states]).numpy()


def check_reproduces(model, run: TokenPass, reference: np.ndarray, label: str) -> None:
    cosines = np.sum(passage_vectors(model, run) * reference, axis=1)
    print(f"check {label}: min cosine, our full-span pooling vs model.encode: {cosines.min():.5f}")
    if cosines.min() < 0.999:
        raise SystemExit("token pooling does not reproduce model.encode: results not trusted")


def overlapping(offsets: np.ndarray, start: int, end: int) -> np.ndarray:
    """Indices of the non-special tokens that overlap characters [start, end)."""
    real = offsets[:, 1] > offsets[:, 0]
    return np.nonzero(real & (offsets[:, 0] < end) & (offsets[:, 1] > start))[0]


Selector = Callable[[TokenPass, Passage, int, Sentence], np.ndarray]


def span(widen: int = 0) -> Selector:
    """The sentence's tokens, widened by `widen` tokens each side within the passage body."""
    def select(run, passage, p, s):
        body = overlapping(run.offsets[p], run.body[p], run.body[p] + len(passage.text))
        idx = overlapping(run.offsets[p], run.body[p] + s.start, run.body[p] + s.end)
        lo = max(body[0], idx[0] - widen)
        hi = min(body[-1], idx[-1] + widen)
        return np.arange(lo, hi + 1)
    return select


def span_with_context(headings: bool) -> Selector:
    """The sentence's tokens plus what its own text would carry: specials, prompt and title
    (all tokens outside the passage body), and, if `headings`, its heading lines in the passage."""
    def select(run, passage, p, s):
        offsets, body = run.offsets[p], run.body[p]
        outside = np.setdiff1d(np.arange(len(offsets)),
                               overlapping(offsets, body, body + len(passage.text)))
        parts = [outside, overlapping(offsets, body + s.start, body + s.end)]
        if headings and s.context:
            for line in s.context.split("\n"):
                at = passage.text.rfind(line, 0, s.start)
                if at >= 0:
                    parts.append(overlapping(offsets, body + at, body + at + len(line)))
        return np.unique(np.concatenate(parts))
    return select


def projections(model, tokens: torch.Tensor) -> torch.Tensor:
    """The head without its final Normalize (Gemma: the two Dense layers) on each token."""
    features = {"sentence_embedding": tokens}
    for module in list(model)[2:-1]:
        features = module(features)
    return features["sentence_embedding"]


def late_vectors(model, run: TokenPass, passages, sentences, select: Selector,
                 pooling: str = "mean") -> np.ndarray:
    """One vector per sentence from its selected tokens, L2-normalized. `pooling`:
    "mean": mean of the token states, then the head (what the model's Pooling does);
    "projected": the head per token, then the mean;
    "projected-normalized": the head per token, each L2-normalized, then the mean."""
    rows = []
    with torch.inference_mode():
        for s in sentences:
            tokens = run.states[s.passage][select(run, passages[s.passage], s.passage, s)]
            if pooling == "mean":
                rows.append(head(model, tokens.mean(0)))
                continue
            projected = projections(model, tokens)
            if pooling == "projected-normalized":
                projected = torch.nn.functional.normalize(projected, dim=1)
            rows.append(torch.nn.functional.normalize(projected.mean(0), dim=0))
    return torch.stack(rows).numpy()


def mix(late: np.ndarray, passage_vecs: np.ndarray, sentences, alpha: float) -> np.ndarray:
    rows = alpha * late + (1 - alpha) * passage_vecs[[s.passage for s in sentences]]
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def timed(function: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def scores(method: Method, questions: Sequence[Question], sentences: Sequence[Sentence]):
    """Per question: hit@1 and reciprocal rank over all sentences, and in-passage hit@1
    (None when every gold passage has a single quotable sentence)."""
    by_passage: dict[int, list[int]] = {}
    for i, s in enumerate(sentences):
        by_passage.setdefault(s.passage, []).append(i)
    out = []
    for q, row in zip(questions, method.queries @ method.sentences.T):
        ranked = np.argsort(-row, kind="stable")
        rank = next(r for r, i in enumerate(ranked, 1) if i in q.gold)
        within = []
        for p in sorted({sentences[i].passage for i in q.gold}):
            members = by_passage[p]
            if len(members) > 1:
                within.append(float(members[int(np.argmax(row[members]))] in q.gold))
        out.append((float(rank == 1), 1.0 / rank, float(np.mean(within)) if within else None))
    return out


def print_table(methods: Sequence[Method], questions: Sequence[Question], sentences) -> None:
    groups = [*LANGS, "all"]
    width = max(len(m.name) for m in methods)
    block = " ".join(f"{g:>4}" for g in groups)
    print(f"{'':{width}} | {'sent@1':^19} | {'MRR':^19} | {'inP@1':^19} |")
    print(f"{'method':{width}} | {block} | {block} | {block} | enc s")
    print("-" * (width + 75))
    for method in methods:
        per_question = scores(method, questions, sentences)
        cells = []
        for metric in range(3):
            for g in groups:
                values = [row[metric] for row, q in zip(per_question, questions)
                          if (g == "all" or q.lang == g) and row[metric] is not None]
                cells.append(f"{np.mean(values):4.2f}")
        text = " | ".join(" ".join(cells[k:k + 4]) for k in (0, 4, 8))
        print(f"{method.name:{width}} | {text} | {method.seconds:5.1f}")
    counted = [row[2] is not None for row in per_question]  # the same for every method
    for label, keep in (("sent@1/MRR", [True] * len(questions)), ("inP@1", counted)):
        sizes = {g: sum(k for k, q in zip(keep, questions) if g == "all" or q.lang == g)
                 for g in groups}
        print(f"questions in {label}: " + ", ".join(f"{g} {n}" for g, n in sizes.items()))


def passage_retrieval(label: str, vectors: np.ndarray, queries: np.ndarray, questions,
                      sentences) -> None:
    """The step before the sentence pick: does the passage vector find a gold passage?"""
    ranks = []
    for q, row in zip(questions, queries @ vectors.T):
        gold = {sentences[i].passage for i in q.gold}
        ranks.append(next(r for r, p in enumerate(np.argsort(-row, kind="stable"), 1) if p in gold))
    print(f"passage vectors of the {label}: passage hit@1 {np.mean([r == 1 for r in ranks]):.2f}, "
          f"MRR {np.mean([1 / r for r in ranks]):.2f}")


def gemma_methods(path: Path, passages, sentences, questions) -> tuple[list[Method], float]:
    """Today's two passes, then late-chunking variants of one Gemma pass per passage.
    Also returns the seconds of the single passage pass in today's passage format."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    model.encode_document(["warm-up"])
    queries = model.encode([q.text for q in questions], prompt=GEMMA_QUERY, batch_size=BATCH)
    methods: list[Method] = []

    def document_vectors(texts: list[str]) -> np.ndarray:
        return model.encode(texts, prompt=GEMMA_DOCUMENT, batch_size=BATCH)

    texts = [embedding_texts(p) for p in passages]
    whole = [t[0] for t in texts]

    def two_pass(name: str, sentence_texts: list[str]) -> None:
        """Passages and sentences in one model.encode call, as ingest does."""
        vectors, seconds = timed(lambda: document_vectors(whole + sentence_texts))
        methods.append(Method(name, vectors[len(whole):], queries, seconds))

    reference, one_pass = timed(lambda: document_vectors(whole))
    two_pass("two-pass: today's sentence texts (baseline)",
             [text for _, parts in texts for text in parts if text])
    two_pass("two-pass: sentence text alone",
             [passages[s.passage].text[s.start:s.end] for s in sentences])
    print(f"Gemma model.encode of the {len(whole)} passages alone: {one_pass:.1f} s")

    def late_family(label: str, run: TokenPass, variants, alphas) -> None:
        """Late vectors for each (name, selector, pooling); mixes for the (name, alpha) pairs."""
        pvecs = passage_vectors(model, run)
        late = {}
        for name, select, pooling in variants:
            vectors, pooling_seconds = timed(lambda: late_vectors(model, run, passages, sentences,
                                                                  select, pooling))
            late[name] = (vectors, run.seconds + pooling_seconds)
            methods.append(Method(f"{label}: {name}", vectors, queries, late[name][1]))
        for name, alpha in alphas:
            vectors, seconds = late[name]
            methods.append(Method(f"{label}: {name}, mix alpha={alpha}",
                                  mix(vectors, pvecs, sentences, alpha), queries, seconds))

    # The passage exactly as indexed today: document prompt, then "title\n" + passage.text.
    run = encode_tokens(model, [GEMMA_DOCUMENT + with_context(p, "") for p in passages], passages)
    check_reproduces(model, run, reference, "Gemma 'title: none' pass")
    passage_retrieval("'title: none' pass", reference, queries, questions, sentences)
    late_family("late", run, [
        ("span mean", span(), "mean"),
        ("span +-2 tokens", span(2), "mean"),
        ("span +-4 tokens", span(4), "mean"),
        ("span +-8 tokens", span(8), "mean"),
        ("span + prompt/title/specials", span_with_context(headings=False), "mean"),
        ("span + prompt/title/specials/headings", span_with_context(headings=True), "mean"),
        ("span, Dense per token", span(), "projected"),
        ("span, Dense+norm per token", span(), "projected-normalized"),
    ], [("span mean", alpha) for alpha in ALPHAS] + [("span, Dense+norm per token", 0.5)])

    prompts = [f"title: {p.meta.title or 'none'} | text: " for p in passages]
    titled = encode_tokens(model, prompts, passages)
    titled_reference = np.stack([model.encode([p.text], prompt=prompt)[0]
                                 for p, prompt in zip(passages, prompts)])
    check_reproduces(model, titled, titled_reference, "Gemma real-title pass")
    passage_retrieval("real-title pass", titled_reference, queries, questions, sentences)
    late_family("late, real title", titled, [
        ("span mean", span(), "mean"),
        ("span + prompt/title/specials", span_with_context(headings=False), "mean"),
        ("span, Dense+norm per token", span(), "projected-normalized"),
    ], [("span mean", 0.5), ("span, Dense+norm per token", 0.5),
        ("span, Dense+norm per token", 0.75)])
    return methods, run.seconds


def e5_methods(path: Path, passages, sentences, questions, gemma_pass: float) -> list[Method]:
    """Gemma keeps the passage vectors; one e5-small pass per passage gives the sentence vectors."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    model.encode(["warm-up"], prompt=E5_PASSAGE)
    queries = model.encode([q.text for q in questions], prompt=E5_QUERY, batch_size=BATCH,
                           normalize_embeddings=True)
    run = encode_tokens(model, [E5_PASSAGE + with_context(p, "") for p in passages], passages)
    reference = model.encode([with_context(p, p.text) for p in passages], prompt=E5_PASSAGE,
                             batch_size=BATCH, normalize_embeddings=True)
    check_reproduces(model, run, reference, "e5-small pass")
    late, pooling = timed(lambda: late_vectors(model, run, passages, sentences, span()))
    seconds = gemma_pass + run.seconds + pooling
    return [Method("Gemma passages + e5 late: span mean", late, queries, seconds),
            Method("Gemma passages + e5 late: span mean, mix alpha=0.5 (e5 passage)",
                   mix(late, passage_vectors(model, run), sentences, 0.5), queries, seconds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gemma", type=Path, required=True, help="EmbeddingGemma-300M ST folder")
    parser.add_argument("--e5", type=Path, required=True, help="multilingual-e5-small ST folder")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"load average at start: {os.getloadavg()[0]:.2f}; torch threads: {args.threads}")

    passages, sentences = load_corpus(args.corpus)
    questions = load_questions(passages, sentences)
    print(f"{len(passages)} passages, {len(sentences)} quotable sentences, "
          f"{len(questions)} answerable questions")
    methods, gemma_pass = gemma_methods(args.gemma, passages, sentences, questions)
    methods += e5_methods(args.e5, passages, sentences, questions, gemma_pass)
    print()
    print_table(methods, questions, sentences)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
