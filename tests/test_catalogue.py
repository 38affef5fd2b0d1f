"""One NL/FR/EN catalogue (assistant/answer/catalogue.py): complete, used, and the only source."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from assistant.answer import catalogue, messages
from assistant.serve import api_messages
from assistant.serve import chat_view as view

PACKAGE = Path(catalogue.__file__).resolve().parents[1]
WIDGET_SOURCE = (PACKAGE / "static" / "widget.js").read_text(encoding="utf-8")
ENTRIES = [(name, key, entry) for name, section in catalogue.SECTIONS.items()
           for key, entry in section.items()]


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize(("section", "key", "entry"), ENTRIES,
                         ids=[f"{name}.{key}" for name, key, _ in ENTRIES])
def test_every_key_exists_in_every_language_with_the_same_fields(section, key, entry) -> None:
    assert set(entry) == set(catalogue.LANGUAGES), (section, key)
    for code, text in entry.items():
        assert isinstance(text, str) and text.strip() == text and text, (section, key, code)
    assert fields(entry["nl"]) == fields(entry["fr"]) == fields(entry["en"]), (section, key)
    # A translation left in English would pass the checks above.
    if len(entry["en"]) > 12:
        assert entry["nl"] != entry["en"] and entry["fr"] != entry["en"], (section, key)


def test_errors_refusals_and_the_rate_limit_come_from_the_catalogue() -> None:
    for key in ("refusal", "empty", "too_long", "no_words"):
        values = {name: "X" for name in fields(catalogue.ANSWER[key]["en"])}
        for code in catalogue.LANGUAGES:
            assert messages.say(key, code, **values) == catalogue.ANSWER[key][code].format(**values)
    for key in catalogue.API:
        values = {name: "7" for name in fields(catalogue.API[key]["en"])}
        for code in catalogue.LANGUAGES:
            assert api_messages.say(key, code, **values) == catalogue.API[key][code].format(**values)
    assert "7" in api_messages.say("rate_limited", "nl", seconds=7)
    assert api_messages.say("internal", "de") == catalogue.API["internal"]["en"]


def test_every_key_the_code_asks_for_exists() -> None:
    said = set()
    for path in PACKAGE.rglob("*.py"):
        said |= set(re.findall(r"""\bsay\(\s*["'](\w+)["']""", path.read_text(encoding="utf-8")))
    assert said, "no say(...) call found"
    assert said <= set(catalogue.ANSWER) | set(catalogue.API), said - set(catalogue.ANSWER) - set(catalogue.API)

    ui_source = (PACKAGE.parent / "ui.py").read_text(encoding="utf-8")
    chat_source = (PACKAGE / "serve" / "chat_view.py").read_text(encoding="utf-8")
    asked = set(re.findall(r"""words\[["'](\w+)["']\]""", ui_source + chat_source))
    assert asked and asked <= set(catalogue.CHAT), asked - set(catalogue.CHAT)

    used = set(re.findall(r"\bT\.(\w+)", WIDGET_SOURCE)) - {"languages"}
    assert used and used <= set(catalogue.WIDGET), used - set(catalogue.WIDGET)


def test_the_chat_labels_are_the_catalogue() -> None:
    for code in catalogue.LANGUAGES:
        assert view.labels(code) == catalogue.words(catalogue.CHAT, code)
    assert view.labels("de") == view.labels("en")


def test_the_widget_gets_its_texts_from_the_catalogue() -> None:
    # The file itself holds no texts, only the marker the server fills in.
    assert WIDGET_SOURCE.count(catalogue.WIDGET_MARKER) == 1
    assert catalogue.WIDGET["send"]["nl"] not in WIDGET_SOURCE
    served = catalogue.widget_script().decode("utf-8")
    assert catalogue.WIDGET_MARKER not in served
    start = served.index("var TEXT = ") + len("var TEXT = ")
    texts, _ = json.JSONDecoder().raw_decode(served[start:])
    assert set(texts) == set(catalogue.LANGUAGES)
    for code in catalogue.LANGUAGES:
        assert texts[code] == {**catalogue.words(catalogue.WIDGET, code),
                               "languages": catalogue.ENDONYMS}


def test_each_widget_aria_label_holds_its_visible_text() -> None:
    """WCAG 2.5.3: a speech user says what they see (`clear` shown, `clearLabel` its name)."""
    pairs = [(key[:-len("Label")], key) for key in catalogue.WIDGET if key.endswith("Label")]
    assert pairs
    for shown, name in pairs:
        for code in catalogue.LANGUAGES:
            visible, label = catalogue.WIDGET[shown][code], catalogue.WIDGET[name][code]
            assert visible.lower() in label.lower(), (code, visible, label)
