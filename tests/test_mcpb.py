"""The Claude Desktop bundle (.mcpb): mcpb/manifest.json in step with the server, validated and packed
by the official `@anthropic-ai/mcpb` CLI (installed by scripts/install_external.sh), and the packed
bundle run the way Claude Desktop runs a `uv` bundle: `uv run --directory <bundle> ...`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from live_server import REPO
from mcp import Client, StdioServerParameters
from packaged import EXPECTED_TOOLS, drive

from corpus.locations import BUNDLED_CORPUS
from mcp_server.cli import SERVE_DIR_ENV, _serve_corpus
from mcp_server.corpus_handle import CorpusHandle
from mcp_server.server import create_server

MANIFEST = json.loads((REPO / "mcpb" / "manifest.json").read_text(encoding="utf-8"))
ENV_FILE = REPO / ".cache" / "node" / "env.sh"


@pytest.mark.anyio
async def test_manifest_lists_the_servers_tools(handle: CorpusHandle) -> None:
    async with Client(create_server(handle=handle)) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
    assert [t["name"] for t in MANIFEST["tools"]] == tools == EXPECTED_TOOLS


def test_manifest_runs_our_console_script_with_uv() -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert MANIFEST["version"] == version
    server = MANIFEST["server"]
    assert server["type"] == "uv" and (REPO / server["entry_point"]).is_file()
    config = server["mcp_config"]
    assert config["command"] == "uv" and config["args"][:3] == ["run", "--directory", "${__dirname}"]
    assert "podcast-corpus-mcp" in config["args"] and config["args"][-1] == "serve"
    assert config["env"] == {SERVE_DIR_ENV: "${user_config.corpus_folder}"}
    assert MANIFEST["user_config"]["corpus_folder"]["type"] == "directory"


def test_the_corpus_folder_setting_picks_what_serve_serves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(SERVE_DIR_ENV, raising=False)
    assert _serve_corpus(None) == BUNDLED_CORPUS
    for unset in ("", "  ", "${user_config.corpus_folder}"):
        monkeypatch.setenv(SERVE_DIR_ENV, unset)
        assert _serve_corpus(None) == BUNDLED_CORPUS
    monkeypatch.setenv(SERVE_DIR_ENV, str(tmp_path))
    assert _serve_corpus(None) == tmp_path
    assert _serve_corpus(Path("/given")) == Path("/given")  # --corpus wins


@pytest.fixture(scope="module")
def mcpb() -> list[str]:
    values = dict(line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line) if ENV_FILE.is_file() else {}
    if "MCPB" not in values or not Path(values["MCPB"]).is_file():
        pytest.skip("the mcpb CLI is not installed: run scripts/install_external.sh (CI runs it before the tests)")
    return [values["NODE"], values["MCPB"]]


@pytest.mark.external
def test_mcpb_validate_passes_and_would_fail_a_broken_manifest(mcpb: list[str], tmp_path: Path) -> None:
    good = subprocess.run([*mcpb, "validate", str(REPO / "mcpb" / "manifest.json")], capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "validation passes" in good.stdout
    broken = {**MANIFEST, "server": {**MANIFEST["server"], "type": "ruby"}}
    (tmp_path / "manifest.json").write_text(json.dumps(broken))
    bad = subprocess.run([*mcpb, "validate", str(tmp_path / "manifest.json")], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0


@pytest.fixture(scope="module")
def bundle(mcpb: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mcpb")
    built = subprocess.run([sys.executable, str(REPO / "scripts" / "build_mcpb.py"), "--out", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    path = Path(built.stdout.strip().splitlines()[-1])
    assert path == out / f"podcast-corpus-mcp-{MANIFEST['version']}.mcpb" and path.is_file()
    return path


@pytest.fixture(scope="module")
def unpacked(mcpb: list[str], bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    subprocess.run([*mcpb, "unpack", str(bundle), str(folder)], check=True, capture_output=True, timeout=120)
    return folder


@pytest.mark.external
def test_the_bundle_holds_the_server_the_corpus_and_the_view_only(unpacked: Path) -> None:
    files = {p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if p.is_file()}
    for needed in ("manifest.json", "pyproject.toml", "README.md", "mcp_server/__main__.py", "mcp_server/apps/transcript_view.html",
                   "corpus/texts/latent-space-devday-2025/episode.json", "corpus/semantic/seed.vectors"):
        assert needed in files
    assert not [f for f in files if f.startswith(("tests/", "bench/", ".venv/", ".cache/")) or "__pycache__" in f]
    assert json.loads((unpacked / "manifest.json").read_text()) == MANIFEST


@pytest.mark.slow
@pytest.mark.external
@pytest.mark.anyio
async def test_the_bundle_runs_as_claude_desktop_runs_it(unpacked: Path, tmp_path: Path) -> None:
    config = MANIFEST["server"]["mcp_config"]
    args = [a.replace("${__dirname}", str(unpacked)) for a in config["args"]]
    uv = Path(sys.executable).parent / "uv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # the corpus folder left empty, as a user who keeps the bundled episode does
    env.update({SERVE_DIR_ENV: "", "PODCAST_CORPUS_INDEX": str(tmp_path / "index.sqlite"), "UV_PYTHON_DOWNLOADS": "never",
                "UV_PYTHON": sys.executable})
    # resolve and install first (Claude Desktop does this on install), so the handshake does not wait for it
    ready = subprocess.run([str(uv), *args[:-3], "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert ready.returncode == 0, f"{shlex.join([str(uv), *args])}\n{ready.stderr[-2000:]}"
    await drive(StdioServerParameters(command=str(uv), args=args, env=env, cwd=tmp_path))
