"""The command line explains itself: every option has a help text, every command an example."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from assistant.cli import build_parser, main

COMMANDS = ("prepare", "ingest", "search", "ask", "eval", "serve", "report")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_has_an_example_and_every_option_a_help_text() -> None:
    commands = _subcommands()
    assert set(commands) == set(COMMANDS)
    for name, parser in commands.items():
        assert parser.epilog.startswith(f"example: assistant {name}"), name
        for action in parser._actions:
            assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_prints_the_example(command: str) -> None:
    out = subprocess.run([sys.executable, "-m", "assistant", command, "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert f"example: assistant {command}" in out and "%%" not in out


def test_an_empty_corpus_says_so_and_indexes_nothing(tmp_path, capsys) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "empty-folder").mkdir()
    assert main(["ingest", "--corpus", str(corpus), "--index", str(index)]) == 1
    assert "holds no documents" in capsys.readouterr().err
    assert not index.exists()
