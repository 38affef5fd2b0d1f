"""When the knowledge base does not hold the answer: the decision (the referral shown with a
refusal is chosen in regions.py).

The decision is a logistic model over features of the search result and of the best
sentence, fitted by `python -m assistant.fitted.fit` on the eval files (answerable,
near-miss and real citizens' off-topic questions over the seeds) and housing-qa (answerable
questions and near-misses over its 165 documents), per encoder, with cross-validation
grouped by document and question; each knowledge base's operating point keeps its false
refusals at about 2% in that cross-validation (docs/answering.md has the figures). The features, measured before:
- cosines alone overlap: any housing question is close to any housing text, and the level
  depends on the language pair;
- what the question asks for must appear in the passage: the share of the question's
  content words whose first five letters occur in the retrieved text ("anchor coverage",
  language-agnostic so names, numbers and cognates such as séminaire/seminar count); region
  names do not count ("in Brussel" says where, not what);
- a when / how-many question needs a digit in the sentence that would answer it, and a
  number the question names ("in 2026") must occur in the retrieved text;
- the share of the question's terms that the whole knowledge base never uses: a rent-law
  question asks about things the corpus has no word for;
- the reader's best logit and its margin over the runner-up, and, per kind of question
  (when, how many, who...), whether the best read sentences hold a fact of that kind: a
  near-miss is on topic, so it is the asked-for fact that is missing ("how many homes"
  over a text that counts shares). Learned with the housing-qa near-misses (fit.py);
- the knowledge base's size (log of its passages), alone and times every feature above: the
  same cosine means less among 540 passages than among 34 (fitted on the seeds and on the
  165-document housing-qa base, each with its own operating point, fit.py); a size beyond
  those reads as the nearest of them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from assistant.answer.extractive import Sentence
from assistant.answer.short_answer import short_answer
from assistant.fitted import LogisticModel, fitted_model
from assistant.languages import from_profiles
from assistant.search.folding import anchors, fold
from assistant.search.lexical import all_stopwords
from assistant.search.regions import REGION_WORDS
from assistant.search.question import KINDS, asks_for_number, has_number, question_kind
from assistant.search.retrieval import SearchResult



@dataclass(frozen=True)
class Evidence:
    """How strongly the retrieved text supports an answer, and the decision taken on it."""

    features: dict[str, float]
    refused: bool


@from_profiles
def _notanchors() -> frozenset[str]:
    """Stopwords of every language, and region names: "in Brussel" says where, not what is
    asked."""
    regions = {fold(word) for words in REGION_WORDS.values() for word in words}
    return all_stopwords() | frozenset(regions)


def anchor_coverage(question: str, passages_text: str) -> float:
    """Share of the question's content words that the passages also use (any language)."""
    asked = anchors(question, _notanchors())
    return len(asked & anchors(passages_text)) / len(asked) if asked else 0.0


ASKED_KINDS = tuple(kind for kind in KINDS if kind != "other")
READ = ("top_dense", "dense_margin", "best_sentence", "coverage", "sentence_coverage",
        "lexical", "number_missing", "number_absent", "unknown_words", "same_language",
        "question_words", "lang_nl", "lang_fr", "read_best", "read_margin",
        *(f"asks_{kind}" for kind in ASKED_KINDS), *(f"found_{kind}" for kind in ASKED_KINDS))
FEATURES = (*READ, "size", *(f"size*{name}" for name in READ))
# The read sentences searched for the asked-for fact: those an answer quotes from.
FACT_SENTENCES = 3
_NUMBER = re.compile(r"\d+")


def knowledge_base_size(result: SearchResult) -> float:
    return math.log(max(1, result.passages))


def evidence_features(result: SearchResult, scored: list[Sentence], language: str,
                      read: list[Sentence] | None = None, size: float | None = None,
                      coverage_passages: int = 3) -> dict[str, float]:
    """What the decision reads: retrieval's own top passages and best-scored sentence (`scored`),
    the sentences as the answer ranks them (`read`: by the reader's logit where one is
    fitted; `scored` when not given) and the knowledge base's `size` (its own when not
    given)."""
    features = _retrieval_features(result, scored, language, coverage_passages)
    features.update(_reading_features(result.question, language, scored if read is None else read))
    size = knowledge_base_size(result) if size is None else size
    return {**features, "size": size, **{f"size*{name}": size * features[name] for name in READ}}


def _retrieval_features(result: SearchResult, scored: list[Sentence], language: str,
                        coverage_passages: int) -> dict[str, float]:
    hits = result.hits
    top = hits[0] if hits else None
    best = scored[0] if scored else None
    context = " ".join(f"{h.passage.meta.title} {h.passage.text}" for h in hits[:coverage_passages])
    asked = anchors(result.question, _notanchors())
    return {
        "top_dense": top.dense if top else 0.0,
        "dense_margin": top.dense - hits[1].dense if len(hits) > 1 else 0.0,
        "best_sentence": best.cosine if best else 0.0,
        "coverage": anchor_coverage(result.question, context),
        "sentence_coverage": anchor_coverage(
            result.question, f"{best.passage.meta.title} {best.text}") if best else 0.0,
        "lexical": top.lexical if top else 0.0,
        "number_missing": float(asks_for_number(result.question)
                                and not (best and has_number(best.text))),
        # "... in 2026?" over text that never says 2026: the question is about something else.
        "number_absent": float(bool(set(_NUMBER.findall(result.question))
                                    - set(_NUMBER.findall(context)))),
        "unknown_words": result.unknown_words,
        "same_language": float(bool(top) and top.passage.meta.language == language),
        "question_words": math.log1p(len(asked)),
        "lang_nl": float(language == "nl"),
        "lang_fr": float(language == "fr"),
    }


def _reading_features(question: str, language: str, read: list[Sentence]) -> dict[str, float]:
    kind = question_kind(question)
    found = kind is not None and any(
        short_answer(question, language, s.text, s.passage.meta.language or language) is not None
        for s in read[:FACT_SENTENCES])
    return {
        "read_best": read[0].score if read else 0.0,
        "read_margin": read[0].score - read[1].score if len(read) > 1 else 0.0,
        **{f"asks_{k}": float(kind == k) for k in ASKED_KINDS},
        **{f"found_{k}": float(kind == k and found) for k in ASKED_KINDS},
    }


@dataclass(frozen=True)
class RefusalPolicy:
    """Answer when P(the knowledge base holds the answer) reaches the fitted operating point.

    `threshold` overrides the fitted one (tests force a decision with 0.0 or 1.1).
    """

    model: LogisticModel
    threshold: float | None = None

    @classmethod
    def for_encoder(cls, encoder: str) -> RefusalPolicy:
        return cls(fitted_model("refusal", encoder))

    def assess(self, result: SearchResult, scored: list[Sentence], language: str,
               read: list[Sentence] | None = None) -> Evidence:
        size, fitted_threshold = self.model.at_size(knowledge_base_size(result))
        features = evidence_features(result, scored, language, read, size)
        probability = self.model.probability(features)
        features["p_answerable"] = probability
        threshold = fitted_threshold if self.threshold is None else self.threshold
        return Evidence(features, refused=not scored or probability < threshold)
