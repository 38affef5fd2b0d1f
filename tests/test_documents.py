"""Corpus loading: every format, every way a file can be bad, metadata, ids, streaming."""

from __future__ import annotations

import gzip
import inspect
import json
import logging
import random
import tracemalloc
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from assistant.ingest.documents import SUPPORTED_SUFFIXES, iter_corpus
from assistant.errors import InputError
from assistant.search.language import detect_language
from assistant.types import Document, Skipped

NL = "De huurder krijgt de huurwaarborg terug van de verhuurder binnen de wettelijke termijn."
FR = "Le locataire récupère la garantie locative auprès du propriétaire dans le délai légal."
EN = "The tenant gets the rental deposit back from the landlord within the legal time limit."


def _pdf_bytes(text: str, title: str) -> bytes:
    """A minimal one-page PDF with a Helvetica text layer, an Info title and a correct xref."""
    stream = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title (%s) >>" % title.encode("ascii"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _write_docx(path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Huurcontract registreren"
    document.add_heading("Registratie", level=1)
    document.add_paragraph(NL)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Termijn"
    table.rows[0].cells[1].text = "2 maanden"
    document.save(str(path))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "000_f7569151e95805bd.txt").write_text(f"{EN}\r\nSecond line.\r\n", encoding="utf-8")
    (root / "000_f7569151e95805bd.txt.meta.json").write_text(
        json.dumps(
            {
                "title": "Deposit guide",
                "publisher": "Housing Office",
                "date": "2024-03-01",
                "region": "Brussels",
                "url": "https://example.org/deposit",
            }
        ),
        encoding="utf-8",
    )
    (root / "bom.md").write_bytes(b"\xef\xbb\xbf# Garantie locative\n\n" + FR.encode("utf-8"))
    (root / "page.html").write_text(
        "<html><head><title>Huurprijs  indexeren</title><style>p{color:red}</style>"
        "<script>var tracking = 1;</script></head><body>"
        "<nav><a href='/'>Menu home</a></nav>"
        "<h1>Indexering</h1><p>De verhuurder mag de huur\n   één keer per jaar "
        "<b>indexeren</b>.</p><div>Vraag het na.<script>alert('x')</script></div>"
        "</body></html>",
        encoding="utf-8",
    )
    _write_docx(root / "sub" / "guide.docx")
    (root / "sub" / "rules.pdf").write_bytes(_pdf_bytes(EN, "Rental rules"))
    (root / "scan.pdf").write_bytes(_pdf_bytes("", "Scanned, no text layer"))
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.4\n" + random.Random(0).randbytes(3000))
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.md").write_text("  \n\t\n", encoding="utf-8")
    (root / "latin1.txt").write_bytes("Loyer payé en février.".encode("latin-1"))
    (root / "data.jsonl").write_text(
        json.dumps({"id": "a1", "title": "Eerste", "text": NL, "lang": "nl", "publisher": "Stad"})
        + "\n{broken json\n"
        + json.dumps({"id": 7, "text": FR, "source_path": "docs/seven.html", "region": "Wallonie"})
        + "\n",
        encoding="utf-8",
    )
    with gzip.open(root / "sub" / "more.jsonl.gz", "wt", encoding="utf-8") as stream:
        stream.write(json.dumps({"id": "g1", "title": "Gzipped", "text": EN}) + "\n")
    (root / "notes.xyz").write_text("whatever", encoding="utf-8")
    # Never considered: hidden files and folders, the corpus README, orphan sidecars.
    (root / ".hidden.txt").write_text(EN, encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "config.txt").write_text(EN, encoding="utf-8")
    (root / "README.md").write_text("# About this corpus\n", encoding="utf-8")
    (root / "orphan.txt.meta.json").write_text("{}", encoding="utf-8")
    return root


def _load(root: Path) -> tuple[dict[str, Document], dict[str, list[str]]]:
    docs: dict[str, Document] = {}
    skipped: dict[str, list[str]] = {}
    for item in iter_corpus(root):
        if isinstance(item, Document):
            docs[item.doc_id] = item
        else:
            skipped.setdefault(item.path, []).append(item.reason)
    return docs, skipped


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == (
        ".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".jsonl", ".jsonl.gz",
    )


def test_loads_every_good_file_with_ids_from_relative_paths(corpus: Path) -> None:
    docs, _ = _load(corpus)
    assert sorted(docs) == [
        "000_f7569151e95805bd", "bom", "data/7", "data/a1", "latin1", "page", "sub/guide",
        "sub/more/g1", "sub/rules",
    ]
    assert docs["sub/guide"].source == "sub/guide.docx"
    assert docs["data/7"].source == "data.jsonl"


def test_skips_each_bad_file_with_its_reason(corpus: Path) -> None:
    _, skipped = _load(corpus)
    assert set(skipped) == {
        "corrupt.pdf", "scan.pdf", "empty.txt", "blank.md", "notes.xyz", "data.jsonl",
    }
    assert skipped["corrupt.pdf"][0].startswith("not a readable PDF: ")
    assert skipped["scan.pdf"] == ["no text could be extracted"]
    assert skipped["empty.txt"] == ["empty file"]
    assert skipped["blank.md"] == ["no text could be extracted"]
    assert skipped["notes.xyz"] == ["unsupported file type .xyz"]
    assert all("\n" not in reason for reasons in skipped.values() for reason in reasons)


def test_plain_text_keeps_text_and_takes_sidecar_metadata(corpus: Path) -> None:
    doc = _load(corpus)[0]["000_f7569151e95805bd"]
    assert doc.text == f"{EN}\nSecond line.\n"  # \r\n normalized, nothing else touched
    assert doc.meta.as_flat_dict() == {
        "title": "Deposit guide",
        "publisher": "Housing Office",
        "date": "2024-03-01",
        "language": "en",  # not in the sidecar: detected
        "region": "brussels",  # a region's name is read as its code
        "url": "https://example.org/deposit",
    }


def test_markdown_bom_is_dropped_and_first_line_is_the_title(corpus: Path) -> None:
    doc = _load(corpus)[0]["bom"]
    assert doc.text == f"# Garantie locative\n\n{FR}"
    assert doc.meta.title == "Garantie locative"
    assert doc.meta.language == "fr"


def test_html_drops_script_style_nav_and_keeps_blocks_apart(corpus: Path) -> None:
    doc = _load(corpus)[0]["page"]
    assert doc.text == (
        "Indexering\nDe verhuurder mag de huur één keer per jaar indexeren.\nVraag het na."
    )
    assert doc.meta.title == "Huurprijs indexeren"
    assert doc.meta.language == "nl"


def test_docx_paragraphs_tables_and_core_title(corpus: Path) -> None:
    doc = _load(corpus)[0]["sub/guide"]
    assert doc.text == f"Registratie\n{NL}\nTermijn | 2 maanden"
    assert doc.meta.title == "Huurcontract registreren"
    assert doc.meta.language == "nl"


def test_pdf_text_layer_and_info_title(corpus: Path) -> None:
    assert PdfReader(corpus / "sub" / "rules.pdf").pages[0].extract_text() == EN
    doc = _load(corpus)[0]["sub/rules"]
    assert doc.text == EN
    assert doc.meta.title == "Rental rules"
    assert doc.meta.language == "en"


def test_jsonl_good_lines_load_despite_a_broken_one(corpus: Path) -> None:
    docs, skipped = _load(corpus)
    first, seventh = docs["data/a1"], docs["data/7"]
    assert (first.text, first.meta.title, first.meta.language) == (NL, "Eerste", "nl")
    assert first.meta.publisher == "Stad"
    assert seventh.meta.url == "docs/seven.html"
    assert seventh.meta.region == "Wallonie"
    assert seventh.meta.language == "fr"
    assert seventh.meta.title == FR[:120]
    [reason] = skipped["data.jsonl"]
    assert reason.startswith("data.jsonl line 2: not valid JSON")
    assert docs["sub/more/g1"].meta.title == "Gzipped"


def test_ids_and_hashes_are_stable_across_runs(corpus: Path) -> None:
    def snapshot() -> list[tuple[str, str]]:
        return [(d.doc_id, d.content_hash) for d in iter_corpus(corpus) if isinstance(d, Document)]

    assert snapshot() == snapshot()


def test_malformed_sidecar_is_logged_and_the_document_still_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "a.txt.meta.json").write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="assistant.ingest.metadata"):
        items = list(iter_corpus(tmp_path))
    assert [type(item) for item in items] == [Document]
    assert items[0].meta.title == EN[:120] and items[0].meta.publisher == ""
    assert "a.txt.meta.json" in caplog.text


@pytest.mark.parametrize("language, region, expected", [
    ("../../etc/passwd", "<script>alert(1)</script>", ("en", "")),  # shown to citizens: never
    ("FR", "Wallonie", ("fr", "Wallonie")),  # a code in capitals; a region not listed, in words
    ("en", "Vlaanderen", ("en", "flanders")),
])
def test_sidecar_language_and_region_are_values_the_product_can_show(
        tmp_path: Path, language: str, region: str, expected: tuple[str, str]) -> None:
    (tmp_path / "a.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "a.txt.meta.json").write_text(
        json.dumps({"language": language, "region": region}), encoding="utf-8")
    [item] = list(iter_corpus(tmp_path))
    assert (item.meta.language, item.meta.region) == expected


def test_duplicate_doc_id_is_skipped_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "same.md").write_text(FR, encoding="utf-8")
    (tmp_path / "same.txt").write_text(EN, encoding="utf-8")
    items = list(iter_corpus(tmp_path))
    assert items[0] == Document("same", FR, items[0].meta, "same.md")
    assert items[1] == Skipped("same.txt", "duplicate doc_id same")


def test_missing_corpus_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        list(iter_corpus(tmp_path / "nope"))


@pytest.mark.parametrize(("text", "language"), [(NL, "nl"), (FR, "fr"), (EN, "en")])
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_jsonl_gz_is_streamed_line_by_line(tmp_path: Path) -> None:
    record = {"lang": "en", "text": EN * 5}  # a given language skips detection: keeps this fast
    lines = (json.dumps({"id": str(i), **record}) + "\n" for i in range(50_000))
    path = tmp_path / "big.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as stream:
        stream.writelines(lines)  # about 20 MB of text
    # Cut the tail off: a reader that decompressed everything first would fail before line 1.
    path.write_bytes(path.read_bytes()[:-1000])

    items = iter_corpus(tmp_path)
    assert inspect.isgenerator(items)
    tracemalloc.start()
    try:
        first = next(items)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first.doc_id == "big/0" and first.text == EN * 5
    assert peak < 2_000_000
    *_, last = items
    assert isinstance(last, Skipped) and "unreadable from here on" in last.reason
