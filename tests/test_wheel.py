"""The built wheel carries the corpus and the Apps view: installed outside the repo, it serves over stdio.

The wheel is built once per session, through an sdist as `python -m build` does (so the sdist is
complete too), and installed into a fresh venv in a temp folder; the servers run from another
temp folder with no source tree on their path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import REPO
from mcp import StdioServerParameters
from packaged import drive

pytestmark = pytest.mark.slow



@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], check=True, capture_output=True, timeout=600)
    (built,) = out.glob("podcast_corpus_mcp-*-py3-none-any.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel and its dependencies (installed with uv: its cache then serves uvx too)."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    uv = Path(sys.executable).parent / "uv"
    subprocess.run([str(uv), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)],
                   check=True, capture_output=True, timeout=900)
    return venv


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment for a server started outside the repo: its own index file, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PODCAST_CORPUS_TOKEN")}
    env["PODCAST_CORPUS_INDEX"] = str(tmp_path / "index.sqlite")
    yield env


def test_the_wheel_carries_the_corpus_and_the_view(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    assert "corpus/texts/latent-space-devday-2025/episode.json" in names
    assert "corpus/texts/latent-space-devday-2025/PROVENANCE.md" in names
    assert "corpus/semantic/seed.vectors" in names
    assert "mcp_server/apps/transcript_view.html" in names
    assert not any(name.startswith(("tests/", "bench/", "eval/")) for name in names)


def test_installed_code_is_the_wheels_not_the_repos(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import corpus.locations, mcp_server; print(mcp_server.__file__); print(corpus.locations.BUNDLED_CORPUS)"],
        cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split()
    assert all(Path(p).is_relative_to(installed) for p in where), where


@pytest.mark.anyio
async def test_console_script_serves_the_bundled_corpus(installed: Path, tmp_path: Path, elsewhere: dict[str, str]) -> None:
    await drive(StdioServerParameters(command=str(installed / "bin" / "podcast-corpus-mcp"), args=[], env=elsewhere, cwd=tmp_path))


@pytest.mark.anyio
async def test_python_m_mcp_server_serves_the_bundled_corpus(installed: Path, tmp_path: Path, elsewhere: dict[str, str]) -> None:
    await drive(StdioServerParameters(command=str(installed / "bin" / "python"), args=["-m", "mcp_server"], env=elsewhere, cwd=tmp_path))


@pytest.mark.anyio
async def test_uvx_from_the_wheel(wheel: Path, tmp_path: Path, elsewhere: dict[str, str]) -> None:
    uvx = Path(sys.executable).parent / "uvx"
    env = {**elsewhere, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    # install (resolve and cache) first, so that the MCP handshake does not wait for downloads
    subprocess.run([str(uvx), "--python", sys.executable, "--from", str(wheel), "podcast-corpus-mcp", "--help"],
                   cwd=tmp_path, env=env, check=True, capture_output=True, timeout=900)
    await drive(StdioServerParameters(command=str(uvx), args=["--python", sys.executable, "--from", str(wheel), "podcast-corpus-mcp"],
                                      env=env, cwd=tmp_path))
