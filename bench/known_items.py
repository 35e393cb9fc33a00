"""Does the bundled episode keep its search quality among many other episodes?

    python -m bench.known_items [--episodes 1000] [--work .bench] [--seed 11]

The judged dev set has 28 queries; this measures the same question on a few
hundred. Simulated known-item queries (the standard way to build them): for each
substantive turn of the bundled episode, in English and in Korean, a few of its
words drawn by how characteristic they are of the turn (tf x idf within the
episode), two queries a turn, from a fixed seed. The turn the words came from
is the one right answer. MRR@10 is printed for the bundled episode alone and
inside a corpus of the bundled episode plus `--episodes` synthetic ones
(bench/synthetic.py, seed 7; built once under --work and reused).
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import statistics
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.synthetic import generate
from corpus.index.build import ensure_index
from corpus.load import BUNDLED_CORPUS, episode_folders, load_episode
from corpus.search import Searcher
from corpus.stopwords import ENGLISH, strip_particle
from corpus.store import CorpusStore
from corpus.tokenize import hangul_words, stem, surface_words

EPISODE = "latent-space-devday-2025"
MIN_WORDS = 12  # a turn with fewer content words makes no query
Query = tuple[str, str, int]  # (language, query, the turn's ordinal)


def _content_words(text: str, language: str) -> tuple[list[str], Callable[[str], str]]:
    if language == "en":
        words = [w for w in surface_words(text) if w.lower() not in ENGLISH and len(w) >= 3 and w.isalpha()]
        return words, lambda w: stem(w.lower())
    return [w for w in map(strip_particle, hangul_words(text)) if len(w) >= 2], lambda w: w


def known_item_queries(seed: int, per_turn: int = 2) -> list[Query]:
    episode = load_episode(BUNDLED_CORPUS / EPISODE).episode
    rng = random.Random(seed)
    queries: list[Query] = []
    for language in ("en", "ko"):
        turns = []
        for turn in episode.turns:
            if text := turn.text.get(language):
                words, key = _content_words(text, language)
                turns.append((turn.ordinal, words, key))
        df: Counter[str] = Counter()
        for _, words, key in turns:
            df.update({key(w) for w in words})
        for ordinal, words, key in turns:
            if len(words) < MIN_WORDS:
                continue
            tf = Counter(key(w) for w in words)
            surface: dict[str, str] = {}
            for word in words:
                surface.setdefault(key(word), word)
            for _ in range(per_turn):
                pool = list(tf)
                weights = [tf[k] * math.log(len(turns) / df[k]) + 1e-9 for k in pool]
                chosen = []
                for _ in range(rng.randint(2, 4)):
                    at = rng.choices(range(len(pool)), weights=weights)[0]
                    chosen.append(surface[pool.pop(at)])
                    weights.pop(at)
                    if not pool:
                        break
                queries.append((language, " ".join(chosen), ordinal))
    return queries


def mrr(index: Path, queries: list[Query]) -> dict[str, float]:
    store = CorpusStore(index)
    searcher = Searcher(store)
    reciprocal: dict[str, list[float]] = {"en": [], "ko": []}
    for language, query, ordinal in queries:
        hits = searcher.search(query, limit=10).hits
        rank = next((i for i, h in enumerate(hits, 1) if h.episode_id == EPISODE and h.ordinal == ordinal), None)
        reciprocal[language].append(1 / rank if rank else 0.0)
    store.close()
    return {language: statistics.mean(values) for language, values in reciprocal.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=Path(".bench"))
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    queries = known_item_queries(args.seed)
    counts = Counter(language for language, _, _ in queries)
    mixed = args.work / f"known-items-{args.episodes}"
    if len(episode_folders(mixed)) != args.episodes + 1:
        shutil.rmtree(mixed, ignore_errors=True)
        generate(mixed, args.episodes)
    shutil.copytree(BUNDLED_CORPUS / EPISODE, mixed / EPISODE, dirs_exist_ok=True)  # as bundled now (the index updates)
    print(f"{len(queries)} known-item queries ({counts['en']} English, {counts['ko']} Korean), seed {args.seed}", file=sys.stderr)
    alone = args.work / "known-items-alone.sqlite"
    ensure_index(BUNDLED_CORPUS, alone)
    among = args.work / f"known-items-{args.episodes}.sqlite"
    ensure_index(mixed, among)
    print(f"| MRR@10 | English ({counts['en']}) | Korean ({counts['ko']}) |")
    print("|---|---|---|")
    for label, index in (("bundled episode alone", alone), (f"among {args.episodes:,} synthetic episodes", among)):
        found = mrr(index, queries)
        print(f"| {label} | {found['en']:.3f} | {found['ko']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
