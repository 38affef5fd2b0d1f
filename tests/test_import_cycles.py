"""The package's modules import each other without cycles and in the documented stage order
(docs/architecture.md, "Who owns what"): top-level imports, relative or `from assistant...`;
a lazy import inside a function is how a module reaches a later stage without a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        name = _module_name(path, root)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").split(".")[0] == "assistant":
                module = node.module
            else:
                continue
            targets |= {module} | {f"{module}.{alias.name}" for alias in node.names}
        graph[name] = targets
    return {name: {t for t in targets if t in graph and t != name} for name, targets in graph.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


# Top to bottom: a module imports only from its own layer and the layers below it.
LAYERS = (
    ("entry points", ("assistant", "assistant.__main__", "assistant.cli", "assistant.knowledge_base",
                      "assistant.evaluation", "assistant.integrations", "assistant.fitted.fit",
                      "assistant.fitted.fit_quotes", "assistant.fitted.train_reader",
                      "assistant.fitted.reader_data")),
    ("serve", ("assistant.serve",)),
    ("wiring", ("assistant.wiring", "assistant.service", "assistant.pipeline")),
    ("answer", ("assistant.answer",)),
    ("read", ("assistant.read",)),
    # ingest writes through search's store and BM25 index; search needs nothing of ingest.
    ("ingest", ("assistant.ingest",)),
    ("search", ("assistant.search",)),
    ("shared", ("assistant.config", "assistant.referrals", "assistant.errors", "assistant.types",
                "assistant.fitted", "assistant.models", "assistant.languages")),
)
# Imports against the order that other work removes (issue 23); each must still exist, so a
# fix that removes one also removes it here.
KNOWN_AGAINST_ORDER: set[tuple[str, str]] = set()


def layer_of(module: str) -> int:
    """The index in LAYERS of the longest prefix naming `module` (a package covers its modules)."""
    matches = [(len(prefix), index) for index, (_, prefixes) in enumerate(LAYERS)
               for prefix in prefixes if module == prefix or module.startswith(prefix + ".")]
    assert matches, f"{module} is in no layer of LAYERS: place it there"
    return max(matches)[1]


def against_order(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """(importer, imported) pairs where the imported module sits in a higher layer."""
    return {(name, target) for name, targets in graph.items() for target in targets
            if layer_of(target) < layer_of(name)}


def test_the_walk_sees_the_package_and_would_find_a_cycle() -> None:
    graph = import_graph()
    assert "assistant.service" in graph["assistant.serve.api"] and len(graph) > 40
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_module_level_import_cycle() -> None:
    assert find_cycle(import_graph()) is None


def test_every_import_follows_the_stage_order() -> None:
    found = against_order(import_graph())
    assert found - KNOWN_AGAINST_ORDER == set()
    assert KNOWN_AGAINST_ORDER - found == set(), "fixed: remove it from KNOWN_AGAINST_ORDER"


def test_the_order_check_sees_an_import_against_it() -> None:
    # search importing ingest: what retrieval and query_batching did before models/ held the
    # encoder protocol (they imported ingest.embedding)
    graph = {"assistant.search.retrieval": {"assistant.ingest.indexer"},
             "assistant.ingest.indexer": {"assistant.search.store", "assistant.models.encoder"}}
    assert against_order(graph) == {("assistant.search.retrieval", "assistant.ingest.indexer")}
