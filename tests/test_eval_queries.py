"""The project's judged queries (eval/) stay valid: every relevant turn exists, and each class keeps its rules."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parent.parent / "eval"


def test_judged_meaning_queries_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("check_queries", EVAL / "check_queries.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    status = module.main([str(EVAL / "meaning_dev.json"), str(EVAL / "meaning_holdout.json")])
    assert status == 0, capsys.readouterr().out
