"""Does an episode cost more to index as the index grows? Time a build from scratch block by block.

    python -m bench.build_blocks CORPUS_DIR [--block 1000]

Builds a fresh index of CORPUS_DIR (e.g. `.bench/corpus-10000`, made by `bench.scale`) in a
temporary folder and prints the wall and CPU seconds of each block of `--block` episodes, then
the last block together with the build's final steps (segment merge, FTS5 `optimize`, per-turn
arrays). A build whose cost grows linearly with the corpus shows blocks of even cost; one that
grows faster shows later blocks costing more. Unlike comparing a 1k build with a 10k build, the
blocks of one run share the machine's conditions of that run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from itertools import pairwise
from pathlib import Path

from corpus.index.build import build_index


def blocks(corpus: Path, block: int) -> dict[str, object]:
    marks: list[tuple[float, float]] = []

    def progress(done: int, total: int, item: str) -> None:
        if (done - 1) % block == 0:
            marks.append((time.perf_counter(), time.process_time()))

    with tempfile.TemporaryDirectory() as work:
        started = (time.perf_counter(), time.process_time())
        report = build_index(corpus, Path(work) / "index.sqlite", rebuild=True, progress=progress)
        ended = (time.perf_counter(), time.process_time())
    assert not report.errors, [str(e) for e in report.errors]
    return {
        "episodes": len(report.indexed),
        "block": block,
        "wall_s": [round(b[0] - a[0], 1) for a, b in pairwise(marks)],
        "cpu_s": [round(b[1] - a[1], 1) for a, b in pairwise(marks)],
        "last_block_and_final_steps_s": round(ended[0] - marks[-1][0], 1) if marks else None,
        "total_s": round(ended[0] - started[0], 1),
        "total_cpu_s": round(ended[1] - started[1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a corpus directory (episode folders)")
    parser.add_argument("--block", type=int, default=1000, help="episodes a block (default 1000)")
    args = parser.parse_args()
    if args.block < 1:
        parser.error("--block must be at least 1")
    if not args.corpus.is_dir():
        parser.error(f"{args.corpus} is not a folder")
    print(json.dumps(blocks(args.corpus, args.block), indent=1))


if __name__ == "__main__":
    main()
