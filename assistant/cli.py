"""Command line: prepare | ingest | search | ask | eval | serve | report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.serve.api_models import answer_json, hit_json
from assistant.config import Settings, settings_error
from assistant.ingest.documents import holds_files
from assistant.errors import AssistantError, InputError
from assistant.answer.citations import citation_json
from assistant.evaluation import (first_relevant_rank, format_answers, format_table, read_questions,
                         retrieval_metrics, supports)
from assistant.knowledge_base import K_RANGE
from assistant.pipeline import Pipeline
from assistant.search.regions import REGIONS
from assistant.wiring import build_assistant
from assistant.answer.sources import group_sources


def cmd_prepare(args, settings: Settings) -> int:
    from assistant.models.registry import prepare_models
    from assistant.read.features import SCALARS

    for line in prepare_models(settings, force=args.force, reader_features=SCALARS):
        print(line)
    return 0


def cmd_report(args, settings: Settings) -> int:
    from assistant.serve.insight import format_report, report_json
    from assistant.serve.official_pages import insight_log

    log = insight_log(settings)
    log.purge()  # the retention holds even when the server has not restarted
    report = log.report(args.days)
    print(json.dumps(report_json(report), ensure_ascii=False) if args.json else format_report(report))
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from assistant.serve.server import run

    run(host=args.host, port=args.port, settings=settings)
    return 0


def cmd_ingest(args, settings: Settings) -> int:
    corpus = args.corpus or settings.corpus_dir
    if corpus.is_dir() and not holds_files(corpus):  # a missing folder: ingest's own error
        raise InputError(f"The corpus folder {corpus} holds no documents (txt, md, html, pdf, "
                         "docx, jsonl, jsonl.gz): nothing was indexed. Add documents and run "
                         "`assistant ingest` again.")
    report = Pipeline(settings, index_dir=args.index).ingest(args.corpus, rebuild=args.rebuild)
    state = "rebuilt" if report.rebuilt else ("updated" if report.embedded or report.removed_documents else "up to date")
    print(f"index {state}: {report.documents} documents, {report.passages} passages "
          f"({report.embedded} embedded, {report.removed_documents} documents removed), "
          f"{len(report.skipped)} skipped, {report.seconds:.1f} s, "
          f"{report.passages_per_second:.1f} passages/s")
    for skipped in report.skipped:
        print(f"  skipped {skipped.path}: {skipped.reason}")
    return 0


def cmd_search(args, settings: Settings) -> int:
    # The service's search, as /api/search: the same checks and the reader's order.
    result = build_assistant(settings, index_dir=args.index).search(args.question, args.k,
                                                                    args.region)
    if args.json:
        print(json.dumps({"question": result.question, "lang": result.language,
                          "hits": [hit_json(h) for h in result.hits]}, ensure_ascii=False))
        return 0
    for rank, hit in enumerate(result.hits, 1):
        p = hit.passage
        snippet = " ".join(p.text.split())[:200]
        print(f"{rank}. [{hit.score:.3f}] {p.meta.title} ({p.doc_id}:{p.start}-{p.end})\n   {snippet}")
    return 0


def cmd_ask(args, settings: Settings) -> int:
    service = build_assistant(settings, index_dir=args.index)
    answer = service.ask(args.question, region=args.region)
    if args.json:
        print(json.dumps(answer_json(answer), ensure_ascii=False))
        return 0
    print(answer.text)
    for source in group_sources(answer.citations):  # one document, all its quotes
        meta = source.meta
        numbers = "".join(f"[{c.n}]" for c in source.citations)
        details = ", ".join(part for part in (meta.publisher, meta.date, meta.url) if part)
        print(f"\n{numbers} {meta.title or source.doc_id}" + (f" — {details}" if details else ""))
        for citation in source.citations:
            print(f"   [{citation.n}] “{' '.join(citation.quote.split())}”")
    return 0


def cmd_eval(args, settings: Settings) -> int:
    from assistant.evaluation import CONVERSATIONS, respond_to

    questions = read_questions(args.file)
    service = build_assistant(settings.model_copy(update={"top_k": args.k}), index_dir=args.index)
    pipeline = service.pipeline
    out = sys.stderr if args.json else sys.stdout
    # Figures compare only between runs of the same encoder over the same index.
    print(f"encoder {pipeline.embedder.name}, index {pipeline.location.generation() or 'none'}",
          file=out, flush=True)
    ranks, outcomes = [], []
    for question in questions:
        answer, result = respond_to(service, question)
        grounded = any(supports(c.passage.text, question.evidence) for c in answer.citations)
        outcomes.append((question, answer.refused, grounded))
        if not question.unanswerable:
            ranks.append((question.groups, first_relevant_rank(result.hits, question.evidence)))
        if args.json:
            print(json.dumps({"id": question.id, "lang": question.lang,
                              "hits": [hit_json(h) for h in result.hits],
                              "answer": answer.text, "refused": answer.refused,
                              "citations": [citation_json(c) for c in answer.citations],
                              "history": list(question.history),
                              "standalone_question": answer.standalone_question},
                             ensure_ascii=False), flush=True)
    conversations = sum(1 for q in questions if q.history)
    rows = f", {conversations} of them a conversation's last turn (row {CONVERSATIONS!r})" \
        if conversations else ""
    print(f"{len(questions)} questions from {args.file}{rows}; 95% bootstrap intervals", file=out)
    if ranks:
        print(format_table(retrieval_metrics(ranks, args.k), args.k,
                           title=f"{len(ranks)} answerable questions"), file=out)
    print(format_answers(outcomes), file=out)
    return 0


REGION_HELP = "only documents of this region, and the European ones."


INDEX_HELP = "index folder (default: ASSISTANT_INDEX_DIR, else ./index)"
K_HELP = f"passages to return, {K_RANGE[0]} to {K_RANGE[-1]} (default: ASSISTANT_TOP_K, 5)"


def whole_number(low: int, high: int | None, what: str):
    """An argparse type: an int from `low` to `high` (no upper bound when None), else a
    usage error that says so (`--port 99999` is refused, not served on another port)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"{what} must be {bounds}, not {value}")
        return value

    return parse


PASSAGES = whole_number(K_RANGE[0], K_RANGE[-1], "the number of passages")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("housing-assistant")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _command(sub, name: str, help: str, example: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help, description=(help[0].upper() + help[1:] + ".").replace("%%", "%"),
                          epilog=f"example: {example}",
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description=__doc__,
                                     epilog="`assistant COMMAND --help` shows each command's options and an example.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)

    prepare = _command(sub, "prepare", "build and verify the offline embedding model",
                       "assistant prepare")
    prepare.add_argument("--force", action="store_true", help="rebuild even if verified")
    prepare.set_defaults(run=cmd_prepare)

    ingest = _command(sub, "ingest", "index the corpus: only new or changed documents are "
                      "embedded, deleted ones removed", "assistant ingest --corpus corpus")
    ingest.add_argument("--corpus", type=Path, default=None,
                        help="corpus folder (default: ASSISTANT_CORPUS_DIR, else ./corpus)")
    ingest.add_argument("--index", type=Path, default=None, help=INDEX_HELP)
    ingest.add_argument("--rebuild", action="store_true", help="re-embed every document")
    ingest.set_defaults(run=cmd_ingest)

    search = _command(sub, "search", "show the best passages for a question",
                      'assistant search "Wat is een proeftuin?" --k 3')
    search.add_argument("question", help="the question, in Dutch, French or English")
    search.add_argument("--k", type=PASSAGES, default=None, help=K_HELP)
    search.add_argument("--json", action="store_true", help="one JSON object on stdout")
    search.add_argument("--index", type=Path, default=None, help=INDEX_HELP)
    search.add_argument("--region", choices=REGIONS, default=None, help=REGION_HELP)
    search.set_defaults(run=cmd_search)

    ask = _command(sub, "ask", "answer a question with cited sources",
                   'assistant ask "Quelles villes néerlandaises ont participé à NETCO ?"')
    ask.add_argument("question", help="the question, in Dutch, French or English")
    ask.add_argument("--json", action="store_true", help="the answer as the API's JSON on stdout")
    ask.add_argument("--index", type=Path, default=None, help=INDEX_HELP)
    ask.add_argument("--region", choices=REGIONS, default=None,
                     help=REGION_HELP + " A refusal then refers to that region's services.")
    ask.set_defaults(run=cmd_ask)

    evaluate = _command(sub, "eval", "hit@1, hit@k, MRR, grounded and refused shares, "
                        "with 95%% intervals, on a file of questions or conversations",
                        "assistant eval ../shared/eval/dev.jsonl --k 5")
    evaluate.add_argument("file", type=Path,
                          help="JSON Lines: {id, lang, q | turns, evidence, unanswerable?}")
    evaluate.add_argument("--k", type=PASSAGES, default=None, help=K_HELP)
    evaluate.add_argument("--json", action="store_true", help="JSON Lines per question on stdout")
    evaluate.add_argument("--index", type=Path, default=None, help=INDEX_HELP)
    evaluate.set_defaults(run=cmd_eval)

    serve = _command(sub, "serve", "serve the chat, the API and the widget",
                     "assistant serve --host 127.0.0.1 --port 7860")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=whole_number(1, 65535, "the port"), default=7860,
                       help="port, 1 to 65535 (default 7860)")
    serve.set_defaults(run=cmd_serve)

    report = _command(sub, "report", "what the knowledge base lacks: refused and thumbs-down "
                      "questions per day, language and region, and the words refused questions "
                      "share (no question text)", "assistant report --days 7")
    report.add_argument("--days", type=whole_number(1, None, "the number of days"), default=30,
                        help="days back from today, 1 or more (default 30)")
    report.add_argument("--json", action="store_true", help="one JSON object")
    report.set_defaults(run=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValueError as error:  # pydantic's ValidationError, pydantic-settings' SettingsError
        print(f"error: {settings_error(error)}", file=sys.stderr)
        return 2
    if getattr(args, "k", None) is None and hasattr(args, "k"):
        args.k = settings.top_k
    try:
        return args.run(args, settings)
    except AssistantError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
