"""Words too common to decide a ranking (English) and particles that end Korean words."""

from __future__ import annotations

ENGLISH = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "can't", "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during", "each", "few", "for", "from", "further", "had", "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "her", "here", "here's", "hers", "herself", "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "let's", "me", "more", "most", "mustn't", "my", "myself", "no", "nor", "not", "of", "off", "on", "once", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "same", "shan't", "she", "she'd", "she'll", "she's", "should", "shouldn't", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll", "they're", "they've", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "were", "weren't", "what", "what's", "when", "when's", "where", "where's", "which", "while", "who", "who's", "whom", "why", "why's", "with", "won't", "would", "wouldn't", "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves", "did", "does", "say", "said", "says", "tell", "told", "talk", "talked", "talks", "like", "just", "yeah", "really", "kind", "sort", "thing", "things", "think", "know", "mean", "actually", "also", "get", "got", "go", "going"]
)

# Korean particles and copula endings, longest first, stripped from the end of a query word.
KOREAN_PARTICLES = tuple(
    sorted(
        ["이라고", "라고", "에서는", "에게서", "으로는", "으로도", "으로써", "로써", "에서", "에게", "한테", "께서", "까지", "부터", "처럼", "보다", "이나", "이랑", "랑", "하고", "와는", "과는", "에는", "에도", "으로", "로는", "로도", "이다", "입니다", "이에요", "예요", "은", "는", "이", "가", "을", "를", "의", "에", "와", "과", "로", "도", "만", "나"],
        key=len,
        reverse=True,
    )
)


def strip_particle(word: str) -> str:
    """`'플러그인을'` -> `'플러그인'`; never strips a word below two syllables."""
    for particle in KOREAN_PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word
