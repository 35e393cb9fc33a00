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
