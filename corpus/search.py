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

from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING, TypedDict, Unpack

from rapidfuzz import fuzz, process

from corpus.bm25 import Phrase
from corpus.cursor import decode_cursor, next_cursor, query_key
from corpus.dates import date_range
from corpus.english import is_english_word
from corpus.errors import InvalidQuery
from corpus.index.schema import SLOTS
from corpus.model import Turn, format_timestamp
from corpus.phonetic import english_key, hangul_key, respell, romanize
from corpus.query import ParsedQuery, Term, fts_group, fts_match, parse_query
from corpus.ranked import TurnFilter
from corpus.ranking import Matching, ranked_turns
from corpus.recent import Recent
from corpus.search_result import ChapterRef, Correction, Matched, Ran, SearchHit, SearchLanguage, SearchMode, SearchResult, chapter_ref
from corpus.semantic.embedder import Embedder, EmbedderUnavailable
from corpus.snippets import make_snippet, preview
from corpus.store import CorpusStore
from corpus.times import parse_time
from corpus.tokenize import hangul_bigrams, latin_terms, stem
from corpus.uris import episode_url, turn_uri

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from corpus.postings_ranking import Scored

MAX_LIMIT = 50
MODES = ("auto", "words", "meaning")
MIN_PART = 3  # a compound splits into words of at least this many letters
MAX_COMPOUNDS = 4
EMBEDDED_QUERY_CHARS = 200
QUERY_VECTORS = 256  # recent queries' vectors kept: the next page, or the same question again, costs no model call
RECENT_RESULTS = 256  # whole results of recent searches (a page of hits: a few KB each)


@dataclass
class Expansion:
    terms: list[Term] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    highlight: list[Term] = field(default_factory=list)
    """Terms shown in bold but not matched on (Korean counterparts of an English query)."""
    own: list[Term] = field(default_factory=list)
    """The query's own content terms (typos corrected), without what bridging and phrasing add."""


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
    published: str | None
    chapter: ChapterRef | None


TURN_FIELDS_CACHE = 2048  # turns whose hit fields are kept, like the store's parsed turns


class SearchArguments(TypedDict, total=False):
    """What `Searcher.search` takes besides the query; each may be left out (its default in brackets)."""

    language: SearchLanguage  # 'any', 'en' or 'ko' ['any']
    speaker: str | None  # id, name or alias in either language
    episode: str | None  # an episode id
    start: str | int | None  # 'HH:MM:SS' or seconds
    end: str | int | None
    limit: int  # hits per page, 1-50 [10]
    cursor: str | None  # next_cursor of the previous page
    mode: SearchMode  # 'auto' (words and meaning fused), 'words' or 'meaning' ['auto']
    after: str | None  # published on or after, YYYY-MM-DD (inclusive)
    before: str | None  # published on or before, YYYY-MM-DD (inclusive)


def _kept_key(query: str, arguments: SearchArguments) -> tuple[object, ...] | None:
    """The key a search call's result is kept under; None when an argument cannot be one (a caller
    may send anything: only strings, integers and None are hashable for sure). A call that spells
    out a default is another key: a miss, never a wrong answer."""
    values = tuple(sorted(arguments.items()))
    return (query, values) if isinstance(query, str) and all(isinstance(v, str | int | None) for _, v in values) else None


class Searcher:
    """Search over one CorpusStore; holds the lazily built helper tables."""

    def __init__(self, store: CorpusStore, embedder: Embedder | None = None, *, recent_results: int = RECENT_RESULTS) -> None:
        self.store = store
        self.embedder = embedder
        """The model of search by meaning; None: words only."""
        self._turn_fields: Recent[int, _TurnFields] = Recent(TURN_FIELDS_CACHE)
        self._query_vectors: Recent[str, npt.NDArray[np.float32]] = Recent(QUERY_VECTORS)
        self._results: Recent[tuple[object, ...], SearchResult] = Recent(recent_results)
        """Whole results of recent searches (`search`); 0 keeps none (benchmarks of the search itself)."""

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
        the lexicon, the English dictionary, the turn arrays, the vectors and the model (0.1-1 s
        each on a large corpus).
        Safe to run in a background thread while searches are served."""
        _ = self._vocab_stems, self._key_list, self._reverse_lexicon, self.store.speakers, self.store.episodes
        is_english_word("")
        _ = self.store.turn_arrays
        if self.embedder is not None and self.store.vectors_identity == self.embedder.identity:
            _ = self.store.vector_table  # about 1 s at 1,000 episodes
            with suppress(EmbedderUnavailable):  # the first search says so, and uses words
                self.embedder.load()

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

    def _occurs(self, terms: tuple[str, ...]) -> bool:
        from corpus.postings_ranking import phrase_docs

        return len(phrase_docs(self.store, self.store.turn_arrays, Phrase(terms, False)).docs) > 0

    def _compounds(self, parsed: ParsedQuery) -> list[tuple[Term, Correction]]:
        """The other spelling of a compound, when the corpus uses it: `AgentKit` is also searched as
        the phrase "agent kit" when both words are corpus words and some turn says them together,
        and two query words `chat kit` also as the word `chatkit` when the corpus uses it."""
        vocabulary = self.store.vocabulary
        found: list[tuple[Term, Correction]] = []
        seen: set[tuple[str, ...]] = set()

        def add(terms: tuple[str, ...], surface: str, original: str, script: str) -> None:
            if terms not in seen and self._occurs(terms):
                seen.add(terms)
                found.append((Term(terms, surface, script), Correction(original=original, corrected=surface, reason="compound")))

        words = [t for t in parsed.terms if t.script in ("latin", "phrase") and not t.prefix]
        for term in words:
            parts = term.surface.split()
            if term.script == "latin" and len(parts) == 1 and len(term.surface) >= 6 and term.surface.isalpha():
                word = term.surface
                for cut in range(MIN_PART, len(word) - MIN_PART + 1):
                    head, tail = word[:cut], word[cut:]
                    if head in vocabulary and tail in vocabulary:
                        add((stem(head), stem(tail)), f"{head} {tail}", word, "phrase")
                        break
            if term.script == "phrase" and len(parts) == 2 and "".join(parts).lower() in vocabulary:
                joined = "".join(parts).lower()
                add((stem(joined),), joined, term.surface, "latin")
        for first, second in pairwise(words):
            if first.script == second.script == "latin" and not first.stop and not second.stop:
                joined = first.surface + second.surface
                if joined in vocabulary:
                    add((stem(joined),), joined, f"{first.surface} {second.surface}", "latin")
        return found[:MAX_COMPOUNDS]

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
        expansion.own = list(expansion.terms)
        for term, correction in self._compounds(parsed):
            expansion.terms.append(term)
            expansion.corrections.append(correction)
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
    def search(self, query: str, **arguments: Unpack[SearchArguments]) -> SearchResult:
        """The page of turns for a query (see the module doc and `SearchArguments`). The results of
        the last RECENT_RESULTS searches are kept: the index under a searcher never changes, so the
        same call (the same question again, from this client or another) gets the same result
        without searching. The same object goes to every caller: read it, never change it. A result
        that fell back to words (`notes`) is not kept: the next call tries the meaning again."""
        key = _kept_key(query, arguments)
        found = self._results.get(key) if key is not None else None
        if found is None:
            found = self._search(query, **arguments)
            if key is not None and not found.notes:
                self._results.put(key, found)
        return found

    def recent(self, query: str, **arguments: Unpack[SearchArguments]) -> SearchResult | None:
        """The kept result of this very `search` call, or None: one dictionary look-up, no query
        work, so a caller may answer it where a search would be too slow to run (an event loop)."""
        key = _kept_key(query, arguments)
        return self._results.get(key) if key is not None else None

    def _search(
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
        mode: SearchMode = "auto",
        after: str | None = None,
        before: str | None = None,
    ) -> SearchResult:
        start, end = parse_time(start, "start"), parse_time(end, "end")
        after, before = date_range(after, before)
        if language not in ("any", "en", "ko"):
            raise InvalidQuery(f"language must be 'any', 'en' or 'ko', not {language!r}")
        if mode not in MODES:
            raise InvalidQuery(f"mode must be 'auto', 'words' or 'meaning', not {mode!r}")
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidQuery(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        if start is not None and end is not None and start > end:
            raise InvalidQuery(f"start ({format_timestamp(start)}) is after end ({format_timestamp(end)})")
        parsed = parse_query(query)
        speaker_id = self.store.resolve_speaker(speaker).id if speaker else None
        episode_pk = self.store.episode_pks[self.store.episode(episode).id] if episode else None
        notes: list[str] = []
        use_vectors = mode != "words" and self._vectors_ready(notes, required=mode == "meaning")
        if use_vectors and mode == "auto" and not self._has_meaning(parsed):
            use_vectors = False  # no word of any language: nothing for the model to understand
        ran: Ran = "words" if not use_vectors else ("meaning" if mode == "meaning" else "hybrid")
        vectors = len(self.store.vector_table) if use_vectors else 0  # vectors published meanwhile change the order
        dates = (after, before) if after or before else ()  # cursors of searches without dates stay as they were
        key = query_key("search", query, language, speaker_id, episode, start, end, ran, vectors, *dates, self.store.fingerprint)
        words_key = query_key("search", query, language, speaker_id, episode, start, end, "words", 0, *dates, self.store.fingerprint)
        try:
            offset = decode_cursor(cursor, key)
        except InvalidQuery:
            if ran != "hybrid":
                raise
            offset = decode_cursor(cursor, words_key)  # a page of this search that fell back to words: go on by words
            ran, key = "words", words_key

        expansion = self.expand(parsed)
        phrases = list({fts_group(t): Phrase(t.terms, t.prefix) for t in expansion.terms}.values())
        slot = None
        if language != "any":
            slot = self.store.language_slots.get(language, -1)
        wanted = TurnFilter(slot, speaker_id, start, end, self.store.episode_numbers(after, before))
        span = self.store.episode_docs(episode_pk) if episode_pk is not None else None
        matching = Matching(fts_match(expansion.terms), phrases, wanted, span)
        fused = None
        if ran != "words":
            try:
                fused = self._fused(query, expansion, matching, offset, limit, meaning_only=ran == "meaning")
            except EmbedderUnavailable as exc:  # the engine failed on this query: words, as when it cannot load
                if ran == "meaning":
                    raise InvalidQuery(f"mode='meaning' cannot run: {exc}; use mode='words' or 'auto'") from exc
                notes.append(f"{exc} (words only)")
                ran, key = "words", words_key
                offset = decode_cursor(cursor, key) if cursor else 0
        if fused is None:
            ranked, total = ranked_turns(self.store, matching, offset, limit)
            found: list[tuple[int, str | None, Matched]] = [(r.turn_pk, languages_of(self.store, r.slot), "words") for r in ranked]
        else:
            found, total = fused
        turns = self.store.turns([pk for pk, _, _ in found])
        shown = expansion.terms + expansion.highlight
        terms = frozenset(t for term in shown for t in term.terms if not term.prefix)
        prefixes = frozenset(term.terms[-1] for term in shown if term.prefix)
        hits = [
            self._hit(pk, turns[pk], matched_language or self._shown_language(turns[pk], parsed), language, terms, prefixes, how)
            for pk, matched_language, how in found
        ]
        return SearchResult(
            query=query,
            searched=list(dict.fromkeys(term.surface for term in expansion.terms)),
            corrections=expansion.corrections,
            hits=hits,
            total=total,
            next_cursor=next_cursor(offset, len(found), total, key),
            mode=ran,
            notes=notes,
        )

    # --- search by meaning ---------------------------------------------------
    def _vectors_ready(self, notes: list[str], *, required: bool) -> bool:
        """Whether this search can use vectors; if not, why goes to `notes` (or, when `required`, raises)."""
        reason = None
        if self.embedder is None:
            reason = "search by meaning is off in this server (words only)"
        elif self.store.vectors_identity != self.embedder.identity:
            reason = (
                "the index was built without vectors of this model (words only); "
                "'ingest' or a server with search by meaning on adds them"
            )
        elif len(self.store.vector_table) == 0:
            reason = "the index holds no vectors yet (words only); 'ingest' computes them, and a server does in the background"
        if reason is None:
            try:
                assert self.embedder is not None
                self.embedder.load()
            except EmbedderUnavailable as exc:
                reason = f"{exc} (words only)"
        if reason is None:
            return True
        if required:
            raise InvalidQuery(f"mode='meaning' cannot run: {reason}; use mode='words' or 'auto'")
        notes.append(reason)
        return False

    def _has_meaning(self, parsed: ParsedQuery) -> bool:
        """Whether the query holds a word of some language: Hangul, an English word, or a word the
        corpus uses (its typos corrected to one count too). A string like 'zyzzyvaqqq' has none, and
        the model would still name its nearest turns: by meaning, that query finds nothing."""
        if parsed.hangul_words:
            return True
        for word in parsed.latin_words:
            if word in self.store.vocabulary or (not word.isdigit() and is_english_word(word)):
                return True
            if word.isdigit():
                continue  # a number no turn says means nothing by itself
            if self._correct(Term((stem(word),), word, "latin")) is not None:
                return True
        return False

    def _query_vector(self, query: str) -> npt.NDArray[np.float32]:
        """The query's vector, of its first EMBEDDED_QUERY_CHARS characters (a question fits; the
        model's time grows with the text, about 1.3 ms a token on one core), kept for the next calls."""
        found = self._query_vectors.get(query)
        if found is None:
            assert self.embedder is not None
            text = query if len(query) <= EMBEDDED_QUERY_CHARS else query[:EMBEDDED_QUERY_CHARS].rsplit(None, 1)[0]
            found = self.embedder.queries([text])[0]
            found.setflags(write=False)
            self._query_vectors.put(query, found)
        return found

    def _allowed_rows(self, wanted: TurnFilter, span: tuple[int, int] | None) -> npt.NDArray[np.bool_] | None:
        """Which vector rows pass the search's filters (None: all of them)."""
        import numpy as np

        table = self.store.vector_table
        arrays = self.store.turn_arrays
        turns = table.turns
        allowed = None
        if wanted.slot is not None:
            allowed = self.store.turns_in_slot(wanted.slot)[turns] if wanted.slot >= 0 else np.zeros(len(turns), dtype=bool)
        checks = []
        if wanted.speaker is not None:
            code = arrays.speakers.get(wanted.speaker, -2)
            checks.append(arrays.speaker[turns] == code)
        if wanted.start is not None:
            checks.append(arrays.start[turns] >= wanted.start)
        if wanted.end is not None:
            checks.append(arrays.start[turns] <= wanted.end)
        if span is not None:
            checks.append((turns >= span[0] // SLOTS) & (turns <= span[1] // SLOTS))  # document pks -> turn pks
        if wanted.episodes is not None:
            from corpus.postings_ranking import episode_mask

            checks.append(episode_mask(arrays, wanted.episodes)[arrays.episode[turns]])
        for check in checks:
            allowed = check if allowed is None else allowed & check
        return allowed

    def _words_reference(self, expansion: Expansion, held: dict[Phrase, int]) -> float:
        """What a turn scores that says each of the query's own terms once, at an average length:
        the sum of their idf (a term no turn says counts as said by one). The words' relevance
        over this says how much of the query the words explain: a turn that matches one common
        word of a long question scores low however it ranks among the words' matches."""
        from corpus.bm25 import idf
        from corpus.postings_ranking import phrase_docs

        rows, _ = self.store.fts_totals
        arrays = self.store.turn_arrays
        counts = []
        for term in expansion.own:  # each of the query's own terms is one of its phrases: counted by scored_turns already
            phrase = Phrase(term.terms, term.prefix)
            counts.append(held[phrase] if phrase in held else len(phrase_docs(self.store, arrays, phrase).docs))
        return sum(idf(rows, max(1, count)) for count in counts) or 1.0

    def _fused(
        self, query: str, expansion: Expansion, matching: Matching, offset: int, limit: int, *, meaning_only: bool
    ) -> tuple[list[tuple[int, str | None, Matched]], int]:
        """The page of a search by meaning (alone, or fused with the words; corpus.semantic.fusion)."""
        import numpy as np

        from corpus.postings_ranking import page, scored_turns
        from corpus.semantic import fusion
        from corpus.semantic.fusion import fuse_head

        table = self.store.vector_table
        vector = self._query_vector(query)
        near_pks, _ = table.nearest(vector, self._allowed_rows(matching.wanted, matching.span), fusion.MEANING_DEPTH)
        if meaning_only:
            picked = near_pks[offset : offset + limit]
            return [(int(pk), None, "meaning") for pk in picked], len(near_pks)
        scored: Scored = scored_turns(self.store, matching.phrases, matching.wanted, matching.span)
        head = page(scored, fusion.WORDS_DEPTH)
        head_pks = np.array([r.turn_pk for r in head], dtype=np.int64)
        coverage = -head[0].score / self._words_reference(expansion, scored.held) if head else 0.0
        fused = fuse_head(head_pks, near_pks, coverage)
        sequence: list[int] = [int(pk) for pk in fused.pks]
        beyond = _members(scored.pks, fused.pks) & ~np.isin(fused.pks, head_pks)
        total = len(scored) + fused.meaning_only - int(beyond.sum())  # meaning's turns the words match further down count once
        if offset + limit > len(sequence) and len(scored) > len(head):
            taken = set(sequence)
            rest = page(scored, offset + limit + len(near_pks) - len(sequence) + len(head), 0)[len(head) :]
            sequence += [r.turn_pk for r in rest if r.turn_pk not in taken]
        chosen = np.array(sequence[offset : offset + limit], dtype=np.int64)
        said = _members(scored.pks, chosen)
        slots = scored.slots[np.minimum(np.searchsorted(scored.pks, chosen), max(len(scored) - 1, 0))] if len(scored) else chosen
        near = set(near_pks.tolist())
        found: list[tuple[int, str | None, Matched]] = []
        for pk, words, slot in zip(chosen.tolist(), said.tolist(), slots.tolist(), strict=True):
            how: Matched = ("both" if pk in near else "words") if words else "meaning"
            found.append((pk, languages_of(self.store, slot) if words else None, how))
        return found, total

    def _shown_language(self, turn: Turn, parsed: ParsedQuery) -> str:
        """The language a hit found by meaning alone is shown in: Korean for a Korean query when the
        turn has it, else the turn's first language (its original)."""
        if parsed.hangul_words and "ko" in turn.text:
            return "ko"
        return next(iter(turn.text))

    def _fields(self, pk: int, turn: Turn) -> _TurnFields:
        found = self._turn_fields.get(pk)
        if found is None:
            speaker = self.store.speakers.get(turn.speaker)
            episode = self.store.episodes[turn.episode_id]
            found = _TurnFields(
                turn_id=turn.id,
                episode_id=turn.episode_id,
                ordinal=turn.ordinal,
                speaker=turn.speaker,
                speaker_name=speaker.name if speaker else turn.speaker,
                start_seconds=turn.start_seconds,
                timestamp=turn.timestamp,
                uri=turn_uri(turn.episode_id, turn.ordinal),
                url=episode_url(episode, turn.start_seconds),
                published=episode.published,
                chapter=chapter_ref(episode, turn.start_seconds),
            )
            self._turn_fields.put(pk, found)
        return found

    def _hit(
        self, pk: int, turn: Turn, matched: str, wanted: str, terms: frozenset[str], prefixes: frozenset[str], how: Matched = "words"
    ) -> SearchHit:
        language = wanted if wanted != "any" else matched
        other = next((lang for lang in turn.text if lang != language), None)
        return SearchHit(
            **self._fields(pk, turn),
            language=language,
            snippet=make_snippet(turn.text[language], terms, prefixes),
            translation=preview(turn.text[other]) if other else None,
            match=how,
        )


def languages_of(store: CorpusStore, slot: int) -> str:
    return store.slot_languages[slot]


def _members(haystack: npt.NDArray[np.int64], needles: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Whether each needle is in the ascending haystack."""
    import numpy as np

    if len(haystack) == 0:
        return np.zeros(len(needles), dtype=bool)
    at = np.minimum(np.searchsorted(haystack, needles), len(haystack) - 1)
    found: npt.NDArray[np.bool_] = haystack[at] == needles
    return found
