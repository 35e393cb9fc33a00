"""Synthetic podcast corpora for the scale benchmarks, reproducible from a seed.

    python -m bench.synthetic OUT_DIR --episodes 1000 [--turns 150] [--seed 7]

Writes OUT_DIR/<episode-id>/ folders (episode.json + transcript), the same
bytes for the same arguments. Episodes rotate through the transcript formats
(Markdown turns, WebVTT, SRT, Podcasting 2.0 JSON); English text drawn from a
Zipf-weighted vocabulary (common words, technical terms, a long tail of rare
made-up words, product names), some turns quoting Korean, and one episode in
five carries a Korean translation file aligned turn by turn.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from pathlib import Path

COMMON = (  # noqa: SIM905 - word lists read better as text
    "the of and to a in that is it you for we was on are with as this be at have they not but what "
    "all so one can there about just like think really know people going yeah right mean get do some "
    "would time make way thing lot kind actually things want see work need something because more "
    "how well also first much good different into year even new where back use build team today most "
    "those question start part point problem idea world company product customer developer user data "
    "system"
).split()
TECHNICAL = (  # noqa: SIM905 - word lists read better as text
    "model models agent agents prompt prompts evals evaluation latency token tokens context window "
    "inference training fine-tuning reasoning benchmark dataset embedding embeddings retrieval "
    "vector database api sdk platform open-source weights gpu cluster compute scaling pipeline "
    "workflow tool tools function calling structured outputs multimodal vision audio speech realtime "
    "voice video image search index cache memory kernel compiler runtime python typescript rust "
    "browser mobile cloud deployment monitoring guardrails safety alignment policy pricing "
    "enterprise startup founder research paper architecture transformer attention distillation "
    "quantization sampling decoding robotics simulation hardware chip accelerator throughput "
    "reliability uptime incident dashboard"
).split()
PRODUCTS = (
    "Nimbus", "Quasar", "Helix", "Orbit", "Lumen", "Vertex", "Cascade", "Ember", "Aurora", "Pylon",
    "Zephyr", "Mosaic", "Tessera", "Beacon", "Harbor", "Summit", "Atlas", "Fathom", "Prism", "Relay",
)
KOREAN = (  # noqa: SIM905 - word lists read better as text
    "에이전트 모델 프롬프트 평가 추론 데이터 검색 개발자 사용자 제품 회사 출시 기능 성능 "
    "비용 음성 영상 이미지 도구 플랫폼 보안 안전 연구 논문 학습 미세조정 토큰 지연 시간 "
    "정말 그래서 그리고 하지만 우리는 생각합니다 중요합니다 있습니다 했습니다 같아요 좋아요 "
    "오늘 처음 다음 문제 질문 아이디어 팀 고객 세계 방법 이유 결과 시스템 인프라 클라우드"
).split()
FIRST = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Riley", "Casey", "Jamie", "Avery", "Quinn",
         "Dana", "Robin", "Kai", "Noa", "Min", "Jisoo", "Hyun", "Seo", "Priya", "Omar")
LAST = ("Kim", "Park", "Lee", "Chen", "Singh", "Garcia", "Smith", "Nguyen", "Rossi", "Tanaka",
        "Okafor", "Novak", "Silva", "Cohen", "Muller", "Haddad", "Ivanova", "Larsen", "Moreau", "Choi")
KOREAN_NAMES = {"Kim": "김", "Park": "박", "Lee": "이", "Choi": "최"}
SHOWS = ("Signal Path", "Latent Hours", "Build Log", "Model Talk", "The Eval", "Shipping Notes",
         "Inference Weekly", "Open Weights", "Agent Hour", "Compute Club")
FORMATS = ("md", "vtt", "srt", "json")
SYLLABLES = ("ka", "ro", "mi", "tu", "zen", "vak", "lor", "pi", "qua", "dex", "nor", "sil", "bra", "tem", "ux", "fen")


def _rare_words(rng: random.Random, count: int) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        rare = _rare_words(self.rng, 4000)
        self.products = [f"{p} {n}" for p, n in itertools.product(PRODUCTS, ("1", "2", "Pro", "Mini", "Studio"))]
        technical = list(TECHNICAL)
        self.rng.shuffle(technical)
        # Zipf ranks: function words first, then the technical terms, then the long tail
        vocabulary = list(COMMON) + technical + rare
        self.vocabulary = vocabulary
        weights = [1 / (rank + 1) ** 1.05 for rank in range(len(vocabulary))]
        self.cumulative = list(itertools.accumulate(weights))
        people = [f"{f} {last}" for f, last in itertools.product(FIRST, LAST)]
        self.rng.shuffle(people)
        self.hosts = {show: people[2 * i : 2 * i + 2] for i, show in enumerate(SHOWS)}
        self.guests = people[2 * len(SHOWS) :]

    def sentence(self) -> str:
        words = self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=self.rng.randint(6, 18))
        if self.rng.random() < 0.08:
            words.insert(self.rng.randrange(len(words)), self.rng.choice(self.products))
        if self.rng.random() < 0.04:
            words.append("— " + " ".join(self.rng.choices(KOREAN, k=self.rng.randint(1, 3))))
        text = " ".join(words)
        return text[0].upper() + text[1:] + self.rng.choice(".....?!")

    def korean_sentence(self) -> str:
        return " ".join(self.rng.choices(KOREAN, k=self.rng.randint(5, 14))) + "."

    def episode(self, number: int, turns: int) -> tuple[str, dict[str, object], list[tuple[str, int, str, str]]]:
        rng = self.rng
        show = SHOWS[number % len(SHOWS)]
        guests = rng.sample(self.guests, rng.randint(1, 2))
        cast = [*self.hosts[show], *guests]
        episode_id = f"syn-{number:05d}"
        rows: list[tuple[str, int, str, str]] = []
        clock = 0
        speaker = cast[0]
        for _ in range(max(1, round(rng.gauss(turns, turns / 10)))):
            speaker = rng.choice([c for c in cast if c != speaker])
            english = " ".join(self.sentence() for _ in range(rng.randint(1, 4)))
            korean = " ".join(self.korean_sentence() for _ in range(rng.randint(1, 3)))
            rows.append((speaker, clock, english, korean))
            clock += rng.randint(5, 90)
        launches = rng.sample(self.products, rng.randint(1, 3))
        spec: dict[str, object] = {
            "id": episode_id,
            "show": show,
            "title": f"{show} #{number}: {' and '.join(guests)} on {rng.choice(TECHNICAL)} and {rng.choice(TECHNICAL)}",
            "url": f"https://example.com/{show.lower().replace(' ', '-')}/{number}",
            "published": f"{2015 + number % 11}-{1 + number % 12:02d}-{1 + number % 28:02d}",
            "language": "en",
            "speakers": [
                {
                    "id": _slug(name),
                    "name": name,
                    "host": name in self.hosts[show],
                    "role": "Host" if name in self.hosts[show] else "Guest",
                    "aliases": [name, name.split()[0]],
                    **({"names": {"ko": _korean_name(name)}} if name.split()[1] in KOREAN_NAMES else {}),
                }
                for name in cast
            ],
            "launches": [
                {"id": _slug(name), "name": name, "kind": "product", "category": "platform", "aliases": [name]}
                for name in launches
            ],
        }
        return episode_id, spec, rows


def _slug(text: str) -> str:
    return "-".join(text.lower().split())


def _korean_name(name: str) -> str:
    first, last = name.split()
    return f"{KOREAN_NAMES[last]}{first}"


def _clock(seconds: int, sep: str = ".") -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}{sep}000"


def render(fmt: str, rows: list[tuple[str, int, str, str]], korean: bool = False) -> str:
    def text(row: tuple[str, int, str, str]) -> str:
        return row[3] if korean else row[2]

    if fmt == "md":
        return "\n\n".join(f"**{r[0]}** [{_clock(r[1])[:8]}]: {text(r)}" for r in rows) + "\n"
    if fmt == "vtt":
        cues = []
        for row in rows:
            # a turn split into two cues, as captioners do
            words = text(row).split()
            half = max(1, len(words) // 2)
            cues.append(f"{_clock(row[1])} --> {_clock(row[1] + 2)}\n<v {row[0]}>{' '.join(words[:half])}</v>")
            if words[half:]:
                cues.append(f"{_clock(row[1] + 2)} --> {_clock(row[1] + 4)}\n<v {row[0]}>{' '.join(words[half:])}</v>")
        return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"
    if fmt == "srt":
        return "\n\n".join(
            f"{n}\n{_clock(r[1], ',')} --> {_clock(r[1] + 4, ',')}\n{r[0]}: {text(r)}" for n, r in enumerate(rows, 1)
        ) + "\n"
    segments = [{"speaker": r[0], "startTime": r[1], "endTime": r[1] + 4, "body": text(r)} for r in rows]
    return json.dumps({"version": "1.0.0", "segments": segments}, ensure_ascii=False, indent=0) + "\n"


def generate(out: Path, episodes: int, turns: int = 150, seed: int = 7, start: int = 0) -> list[Path]:
    """Write `episodes` episode folders under `out`; returns them. Same arguments, same bytes."""
    generator = Generator(seed)
    folders: list[Path] = []
    for number in range(start, start + episodes):
        episode_id, spec, rows = generator.episode(number, turns)
        fmt = FORMATS[number % len(FORMATS)]
        folder = out / episode_id
        folder.mkdir(parents=True, exist_ok=True)
        name = f"transcript.{fmt}"
        sources: list[dict[str, str]] = [{"path": name, "role": "transcript", "language": "en"}]
        (folder / name).write_text(render(fmt, rows), encoding="utf-8")
        if number % 5 == 0:
            (folder / "transcript.ko.md").write_text(render("md", rows, korean=True), encoding="utf-8")
            sources.append({"path": "transcript.ko.md", "role": "translation", "language": "ko"})
        spec["sources"] = sources
        (folder / "episode.json").write_text(json.dumps(spec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        folders.append(folder)
    return folders


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.episodes, args.turns, args.seed)
    print(f"wrote {args.episodes} episodes to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
