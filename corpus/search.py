"""search_transcript: ranked turns for a query, in English or Korean.

A query becomes FTS5 groups (see `corpus.query`), widened three ways:
- typos: a Latin word the corpus never uses, and that is not an English word
  (`corpus.english`), is replaced by its nearest vocabulary word (rapidfuzz),
  and the correction is reported;
- Korean to English: a Hangul word is bridged to English through the corpus's
  own glosses and aliases (`corpus.lexicon`), or by sound (`corpus.phonetic`);
- English to Korean: the reverse of the glosses and aliases.
Every turn's texts (one document per language) are matched; a turn's score is
its best document's BM25 times the turn's length prior, re-ranked by exchanges
(`corpus.ranking`), so one hit per turn, and filters apply before the page is cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TypedDict

from rapidfuzz import fuzz, process

from corpus.bm25 import Phrase
from corpus.cursor import decode_cursor, next_cursor, query_key
from corpus.english import is_english_word
from corpus.errors import InvalidQuery
from corpus.model import Turn, format_timestamp
from corpus.phonetic import english_key, hangul_key, respell, romanize
from corpus.query import ParsedQuery, Term, fts_group, fts_match, parse_query
from corpus.ranked import TurnFilter
from corpus.ranking import Matching, ranked_turns
from corpus.recent import Recent
from corpus.search_result import Correction, SearchHit, SearchLanguage, SearchResult
from corpus.snippets import make_snippet, preview
from corpus.store import CorpusStore
from corpus.times import parse_time
from corpus.tokenize import hangul_bigrams, latin_terms, stem
from corpus.uris import episode_url, turn_uri

MAX_LIMIT = 50


@dataclass
class Expansion:
    terms: list[Term] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    highlight: list[Term] = field(default_factory=list)
    """Terms shown in bold but not matched on (Korean counterparts of an English query)."""


class _TurnFields(TypedDict):
    """The fields of a hit that depend on its turn alone."""

    turn_id: str
    episode_id: str
    ordinal: int
    speaker: str
    speaker_name: str
    start_seconds: int
    timestamp: str
    uri: str
    url: str


TURN_FIELDS_CACHE = 2048  # turns whose hit fields are kept, like the store's parsed turns


class Searcher:
    """Search over one CorpusStore; holds the lazily built helper tables."""

    def __init__(self, store: CorpusStore) -> None:
        self.store = store
        self._turn_fields: Recent[int, _TurnFields] = Recent(TURN_FIELDS_CACHE)

    @cached_property
    def _vocab_words(self) -> list[str]:
        return sorted(self.store.vocabulary, key=lambda w: -self.store.vocabulary[w])

    @cached_property
    def _vocab_stems(self) -> set[str]:
        return {stem(w) for w in self.store.vocabulary}

    @cached_property
    def _keys(self) -> dict[str, list[str]]:
        by_key: dict[str, list[str]] = {}
        for word in self._vocab_words:
            if word.isascii() and word.isalpha() and len(word) >= 3:
                by_key.setdefault(english_key(word), []).append(word)
        return by_key

    @cached_property
    def _key_list(self) -> list[str]:
        return list(self._keys)

    @cached_property
    def _reverse_lexicon(self) -> dict[str, list[str]]:
        reverse: dict[str, list[str]] = {}
        for ko, english in self.store.lexicon.items():
            for en in english:
                reverse.setdefault(" ".join(latin_terms(en)), []).append(ko)
        return reverse

    @cached_property
    def _near_lengths(self) -> dict[int, list[str]]:
        """Filled on demand by _candidates."""
        return {}

    def _candidates(self, length: int) -> list[str]:
        """Words a typo of `length` letters may stand for (two letters more or fewer), most frequent first."""
        cached = self._near_lengths.get(length)
        if cached is None:
            cached = [w for w in self._vocab_words if abs(len(w) - length) <= 2 and w.isalpha()]
            self._near_lengths[length] = cached
        return cached

    def warm(self) -> None:
        """Load what the first queries would otherwise wait for: the vocabulary and its sound keys,
        the lexicon, the English dictionary, and the turn arrays (0.1-0.5 s each on a large corpus).
        Safe to run in a background thread while searches are served."""
        _ = self._vocab_stems, self._key_list, self._reverse_lexicon, self.store.speakers, self.store.episodes
        is_english_word("")
        _ = self.store.turn_arrays

    # --- expansion ------------------------------------------------------
    def _correct(self, term: Term) -> Correction | None:
        word = term.surface
        if term.prefix or term.stop or term.script != "latin" or len(word) < 4 or not word.isalpha():
            return None
        if word in self.store.vocabulary or term.terms[0] in self._vocab_stems or is_english_word(word):
            return None  # the corpus's own word, or a word of the language (not a typo, though no turn says it)
        match = process.extractOne(word, self._candidates(len(word)), scorer=fuzz.ratio, score_cutoff=76)
        if match is None:
            return None
        return Correction(original=word, corrected=match[0], reason="typo")

    def _by_sound(self, word: str) -> str | None:
        """The English vocabulary word that sounds like a Hangul loanword, if one clearly does."""
        key = hangul_key(word)
        if len(key.replace(".", "")) < 2:
            return None
        roman = romanize(word)
        best: tuple[float, float, str] | None = None
        keys = self._key_list
        near = process.extract(key, keys, scorer=fuzz.ratio, score_cutoff=85, limit=None)
        for _, key_score, at in sorted(near, key=lambda found: found[2]):  # in vocabulary order, as ties are settled
            for english in self._keys[keys[at]]:
                spelling = fuzz.ratio(roman, respell(english))
                if spelling >= 55 and (best is None or (key_score, spelling) > best[:2]):
                    best = (key_score, spelling, english)
        return best[2] if best else None

    def _bridge_korean(self, words: list[str]) -> list[tuple[str, str, str]]:
        """(korean, english, reason) for the query's Hangul words: longest lexicon phrase first."""
        bridged: list[tuple[str, str, str]] = []
        index = 0
        while index < len(words):
            for size in range(min(4, len(words) - index), 0, -1):
                phrase = " ".join(words[index : index + size])
                english = self.store.lexicon.get(phrase)
                if english:
                    bridged += [(phrase, en, "translation") for en in english[:3]]
                    index += size
                    break
            else:
                sound = self._by_sound(words[index])
                if sound is not None:
                    bridged.append((words[index], sound, "transliteration"))
                index += 1
        return bridged

    def _bridge_english(self, parsed: ParsedQuery) -> list[Term]:
        stems = [t.terms[0] for t in parsed.content_terms if t.script == "latin"]
        found: list[Term] = []
        for size in (3, 2, 1):
            for i in range(len(stems) - size + 1):
                for ko in self._reverse_lexicon.get(" ".join(stems[i : i + size]), [])[:2]:
                    bigrams = tuple(b for word in ko.split() for b in hangul_bigrams(word))
                    found.append(Term(bigrams, ko, "hangul", prefix=len(ko) == 1))
        return found

    def expand(self, parsed: ParsedQuery) -> Expansion:
        expansion = Expansion()
        for term in parsed.content_terms:
            correction = self._correct(term)
            if correction is None:
                expansion.terms.append(term)
                continue
            expansion.corrections.append(correction)
            expansion.terms.append(Term((stem(correction.corrected),), correction.corrected, "latin"))
        for korean, english, reason in self._bridge_korean(parsed.hangul_words):
            expansion.corrections.append(Correction(original=korean, corrected=english, reason=reason))  # type: ignore[arg-type]
            stems = tuple(latin_terms(english))
            if stems:
                expansion.terms.append(Term(stems, english, "latin"))
        expansion.highlight = self._bridge_english(parsed)
        if not parsed.hangul_words:
            phrase = self._phrase(expansion.terms)
            if phrase is not None:
                expansion.terms.append(phrase)
        return expansion

    @staticmethod
    def _phrase(terms: list[Term]) -> Term | None:
        """An English query's words as one phrase: turns that say them together score again."""
        if len(terms) < 2 or any(t.script != "latin" or t.prefix for t in terms):
            return None
        return Term(tuple(t.terms[0] for t in terms), " ".join(t.surface for t in terms), "phrase")

    # --- the query --------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        language: SearchLanguage = "any",
        speaker: str | None = None,
        episode: str | None = None,
        start: str | int | None = None,
        end: str | int | None = None,
        limit: int = 10,
        cursor: str | None = None,
    ) -> SearchResult:
        start, end = parse_time(start, "start"), parse_time(end, "end")
        if language not in ("any", "en", "ko"):
            raise InvalidQuery(f"language must be 'any', 'en' or 'ko', not {language!r}")
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidQuery(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        if start is not None and end is not None and start > end:
            raise InvalidQuery(f"start ({format_timestamp(start)}) is after end ({format_timestamp(end)})")
        parsed = parse_query(query)
        speaker_id = self.store.resolve_speaker(speaker).id if speaker else None
        episode_pk = self.store.episode_pks[self.store.episode(episode).id] if episode else None
        key = query_key("search", query, language, speaker_id, episode, start, end, self.store.fingerprint)
        offset = decode_cursor(cursor, key)

        expansion = self.expand(parsed)
        phrases = list({fts_group(t): Phrase(t.terms, t.prefix) for t in expansion.terms}.values())
        slot = None
        if language != "any":
            slot = self.store.language_slots.get(language, -1)
        wanted = TurnFilter(slot, speaker_id, start, end)
        span = self.store.episode_docs(episode_pk) if episode_pk is not None else None
        matching = Matching(fts_match(expansion.terms), phrases, wanted, span)
        ranked, total = ranked_turns(self.store, matching, offset, limit)
        turns = self.store.turns([r.turn_pk for r in ranked])
        languages = self.store.slot_languages
        shown = expansion.terms + expansion.highlight
        terms = frozenset(t for term in shown for t in term.terms if not term.prefix)
        prefixes = frozenset(term.terms[-1] for term in shown if term.prefix)
        hits = [self._hit(r.turn_pk, turns[r.turn_pk], languages[r.slot], language, terms, prefixes) for r in ranked]
        return SearchResult(
            query=query,
            searched=list(dict.fromkeys(term.surface for term in expansion.terms)),
            corrections=expansion.corrections,
            hits=hits,
            total=total,
            next_cursor=next_cursor(offset, len(ranked), total, key),
        )

    def _fields(self, pk: int, turn: Turn) -> _TurnFields:
        found = self._turn_fields.get(pk)
        if found is None:
            speaker = self.store.speakers.get(turn.speaker)
            found = _TurnFields(
                turn_id=turn.id,
                episode_id=turn.episode_id,
                ordinal=turn.ordinal,
                speaker=turn.speaker,
                speaker_name=speaker.name if speaker else turn.speaker,
                start_seconds=turn.start_seconds,
                timestamp=turn.timestamp,
                uri=turn_uri(turn.episode_id, turn.ordinal),
                url=episode_url(self.store.episodes[turn.episode_id], turn.start_seconds),
            )
            self._turn_fields.put(pk, found)
        return found

    def _hit(
        self, pk: int, turn: Turn, matched: str, wanted: str, terms: frozenset[str], prefixes: frozenset[str]
    ) -> SearchHit:
        language = wanted if wanted != "any" else matched
        other = next((lang for lang in turn.text if lang != language), None)
        return SearchHit(
            **self._fields(pk, turn),
            language=language,
            snippet=make_snippet(turn.text[language], terms, prefixes),
            translation=preview(turn.text[other]) if other else None,
        )
