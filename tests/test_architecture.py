"""Layering rules that keep the corpus library usable on its own."""

from __future__ import annotations

import ast
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def test_corpus_never_imports_mcp() -> None:
    offenders = []
    for path in CORPUS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in {"mcp", "mcp_server", "mcp_types"}]
    assert offenders == []


def test_no_print_to_stdout_in_the_server_package() -> None:
    server = CORPUS.parent / "mcp_server"
    for path in server.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                assert any(k.arg == "file" for k in node.keywords), f"print() to stdout in {path.name}"


def test_start_up_leaves_the_query_code_and_the_indexer_unloaded() -> None:
    """Creating the server imports the result models, not the search code, the parsers, the
    indexer, rapidfuzz, numpy or the dictionary: those load on the first call that needs data
    (cold start, issue #7)."""
    import subprocess
    import sys

    script = (
        "import sys; from mcp_server.server import create_server; create_server(); "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('corpus', 'rapidfuzz', 'numpy', 'spellchecker'))))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=CORPUS.parent)
    loaded = set(done.stdout.split())
    assert "corpus.search_result" in loaded  # the output schema's models
    heavy = {"corpus.search", "corpus.index.build", "corpus.load", "corpus.parse", "corpus.store", "rapidfuzz", "numpy", "spellchecker"}
    assert loaded.isdisjoint(heavy), sorted(loaded & heavy)


def test_the_package_exports_every_name_it_lists() -> None:
    import corpus

    for name in corpus.__all__:
        assert getattr(corpus, name) is not None
        assert name in dir(corpus)
