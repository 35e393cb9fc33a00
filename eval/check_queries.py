"""Validate judged query files: relevant turns match the transcript, and each class keeps its rules.

Usage: .venv/bin/python eval/check_queries.py eval/meaning_dev.json eval/meaning_holdout.json
Prints one line per problem; exits 1 if there is any, 0 otherwise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus.stopwords import ENGLISH, strip_particle  # noqa: E402
from corpus.tokenize import stem, surface_words  # noqa: E402

TEXTS = ROOT / "corpus/texts/latent-space-devday-2025"
EN_TURN = re.compile(r"^\*\*(?P<speaker>[^*]+)\*\* \[(?P<ts>\d\d:\d\d:\d\d)\]: ")
KO_TURN = re.compile(r"\S+\((?P<speaker>[A-Za-z]+)\) \[(?P<ts>\d\d:\d\d:\d\d)\]:")
HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]+")
LAST_KO = "00:20:05"
MINIMUM = {"paraphrase": 12, "ko_to_en": 10, "en_in_ko": 8, "ko_paraphrase": 6, "question": 6}
ARGS: dict[str, dict[str, str]] = {"en_in_ko": {"language": "ko"}, "ko_paraphrase": {"language": "ko"}}
# Irregular past forms the stemmer leaves apart from their base word ("built" / "build").
IRREGULAR = dict(
    re.findall(
        r"(\w+):(\w+)",
        "built:build wrote:write written:write ran:run spent:spend made:make paid:pay brought:bring taught:teach led:lead went:go saw:see"
        " seen:see took:take taken:take grew:grow grown:grow kept:keep heard:hear held:hold spoke:speak broke:break broken:break"
        " began:begin chose:choose felt:feel sold:sell bought:buy came:come gave:give given:give found:find sent:send lost:lose met:meet"
        " left:leave",
    )
)
# Leading syllable pairs of Korean function words (question words, "about", "have"), not content words.
KO_FUNCTION = set(re.findall(r"\S+", "어떻 무엇 어떤 있나 있는 했나 하나 대해 대한 관한 위해 얼마 정말 이야 했던 하는"))


def english_turns() -> list[tuple[str, str, str]]:
    lines = (TEXTS / "001_257a047180ee155a.txt").read_text(encoding="utf-8").splitlines()
    turns = []
    for line in lines:
        if match := EN_TURN.match(line):
            turns.append((match["speaker"].lower(), match["ts"], line))
    return turns


def korean_turns() -> dict[tuple[str, str], str]:
    text = (TEXTS / "000_81a351cb2dffca4d.txt").read_text(encoding="utf-8").split("**Korean Translation**:", 1)[1]
    marks = list(KO_TURN.finditer(text))
    ends = [m.start() for m in marks[1:]] + [len(text)]
    return {(m["speaker"].lower(), m["ts"]): text[m.end() : end] for m, end in zip(marks, ends, strict=True)}


def content_stems(text: str) -> set[str]:
    return {stem(IRREGULAR.get(word, word)) for word in surface_words(text) if word not in ENGLISH}


def shared_english(query: str, turn: str) -> set[str]:
    turn_stems = content_stems(turn)
    return {
        q for q in content_stems(query) for t in turn_stems if q == t or (min(len(q), len(t)) >= 4 and (q.startswith(t) or t.startswith(q)))
    }


def korean_roots(text: str) -> set[str]:
    return {strip_particle(word)[:2] for word in HANGUL_WORD.findall(text) if len(strip_particle(word)) >= 2} - KO_FUNCTION


def shared_korean(query: str, turn: str) -> set[str]:
    words = {strip_particle(w) for w in HANGUL_WORD.findall(query) if len(strip_particle(w)) >= 2}
    return (korean_roots(query) & korean_roots(turn)) | {w for w in words if w in turn and w[:2] not in KO_FUNCTION}


def check_query(where: str, item: dict[str, Any], en: list[tuple[str, str, str]], ko: dict[tuple[str, str], str]) -> list[str]:
    problems: list[str] = []
    category, query = item.get("category", ""), item.get("query", "")
    if category not in MINIMUM:
        return [f"{where}: unknown category {category!r}"]
    if item.get("args") != ARGS.get(category, {}):
        problems.append(f"{where}: args should be {ARGS.get(category, {})}")
    has_hangul = bool(HANGUL_WORD.search(query))
    if has_hangul != category.startswith("ko_"):
        problems.append(f"{where}: query language does not fit {category}")
    if category == "question" and not query.endswith("?"):
        problems.append(f"{where}: a question should end with '?'")
    ordinals = [r.get("ordinal") for r in item.get("relevant", [])]
    if not ordinals or len(set(ordinals)) != len(ordinals):
        problems.append(f"{where}: relevant list empty or repeated")
    for rel in item.get("relevant", []):
        ordinal = rel.get("ordinal")
        if not isinstance(ordinal, int) or not 0 <= ordinal < len(en):
            problems.append(f"{where}: ordinal {ordinal} out of range")
            continue
        speaker, ts, line = en[ordinal]
        if (rel.get("speaker"), rel.get("timestamp")) != (speaker, ts):
            problems.append(f"{where}: ordinal {ordinal} is {speaker} {ts}, not {rel.get('speaker')} {rel.get('timestamp')}")
        if category == "ko_to_en" and ts <= LAST_KO:
            problems.append(f"{where}: ordinal {ordinal} at {ts} has a Korean translation")
        if category in ("en_in_ko", "ko_paraphrase") and (speaker, ts) not in ko:
            problems.append(f"{where}: ordinal {ordinal} at {ts} is not in the Korean text")
        if category == "paraphrase" and (shared := shared_english(query, line)):
            problems.append(f"{where}: shares {sorted(shared)} with ordinal {ordinal}")
        if category == "ko_paraphrase" and (shared := shared_korean(query, ko.get((speaker, ts), ""))):
            problems.append(f"{where}: shares {sorted(shared)} with the Korean of ordinal {ordinal}")
    return problems


def main(paths: list[str]) -> int:
    en, ko = english_turns(), korean_turns()
    shared = ROOT.parent / "shared" / "eval" / "dev_queries.json"  # the shared judged set, when it is beside the clone
    known = {q["query"].lower() for q in json.loads(shared.read_text(encoding="utf-8"))} if shared.exists() else set()
    problems: list[str] = []
    seen: dict[str, set[int]] = {}
    for path in paths:
        items: list[dict[str, Any]] = json.loads(Path(path).read_text(encoding="utf-8"))
        counts = {c: 0 for c in MINIMUM}
        for i, item in enumerate(items):
            where = f"{path}[{i}] {item.get('query')!r}"
            problems += check_query(where, item, en, ko)
            counts[item.get("category", "")] = counts.get(item.get("category", ""), 0) + 1
            if item.get("query", "").lower() in known:
                problems.append(f"{where}: reused from dev_queries.json")
        latin_free = sum(1 for q in items if q["category"] == "ko_to_en" and not re.search("[A-Za-z]", q["query"]))
        if latin_free * 2 < counts["ko_to_en"]:
            problems.append(f"{path}: only {latin_free} of {counts['ko_to_en']} ko_to_en queries are free of Latin letters")
        problems += [f"{path}: {counts[c]} {c} queries, need {n}" for c, n in MINIMUM.items() if counts[c] < n]
        for item in items:
            key = item["category"]
            ords = {r["ordinal"] for r in item["relevant"]}
            if path != paths[0] and (both := seen.get(key, set()) & ords):
                problems.append(f"{path} {item['query']!r}: {key} shares ordinals {sorted(both)} with {paths[0]}")
            if path == paths[0]:
                seen.setdefault(key, set()).update(ords)
        print(f"{path}: " + ", ".join(f"{c} {counts[c]}" for c in MINIMUM))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
