"""Build the Claude Desktop bundle: dist/podcast-corpus-mcp-VERSION.mcpb.

    python scripts/build_mcpb.py [--out DIR]

The bundle is an MCPB (`server.type` "uv"): mcpb/manifest.json, the project's pyproject.toml and
README.md, and the `corpus` and `mcp_server` packages with the bundled corpus and the Apps view.
Claude Desktop runs `uv run --directory <bundle> podcast-corpus-mcp serve`: uv installs Python and
the dependencies from pyproject.toml on first start. The staged folder is checked with the official
CLI (`mcpb validate`) and packed with it (`mcpb pack`); the CLI and Node 24 come from
scripts/install_external.sh (.cache/node/env.sh).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / ".cache" / "node" / "env.sh"
PACKAGES = ("corpus", "mcp_server")
FILES = ("pyproject.toml", "README.md")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.sqlite*", ".DS_Store")


def mcpb_command() -> list[str]:
    if not ENV_FILE.is_file():
        sys.exit(f"{ENV_FILE} is missing: run scripts/install_external.sh first (it installs Node 24 and @anthropic-ai/mcpb)")
    values = dict(line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line)
    if "MCPB" not in values or not Path(values["MCPB"]).is_file():
        sys.exit("the mcpb CLI is not installed: run scripts/install_external.sh")
    return [values["NODE"], values["MCPB"]]


def stage(folder: Path) -> dict[str, object]:
    """Lay out the bundle's files in `folder` (emptied first); returns the manifest."""
    manifest = json.loads((ROOT / "mcpb" / "manifest.json").read_text(encoding="utf-8"))
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    if manifest["version"] != version:
        sys.exit(f"mcpb/manifest.json says version {manifest['version']}, pyproject.toml {version}: make them agree")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copy2(ROOT / "mcpb" / "manifest.json", folder / "manifest.json")
    for name in FILES:
        shutil.copy2(ROOT / name, folder / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, folder / package, ignore=SKIP)
    return manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the .mcpb goes (default: dist/)")
    args = parser.parse_args()
    mcpb = mcpb_command()
    out: Path = args.out.resolve()
    folder = out / "mcpb-staging"
    manifest = stage(folder)
    subprocess.run([*mcpb, "validate", str(folder / "manifest.json")], check=True)
    bundle = out / f"{manifest['name']}-{manifest['version']}.mcpb"
    subprocess.run([*mcpb, "pack", str(folder), str(bundle)], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(folder)
    print(bundle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
