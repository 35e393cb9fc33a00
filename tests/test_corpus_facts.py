"""The bundled episode, as the issue pins it: counts, alignment, speakers, launches."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from corpus.load import BUNDLED_CORPUS, LoadedEpisode, load_episode
from corpus.model import Episode

FOLDER = BUNDLED_CORPUS / "latent-space-devday-2025"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture(scope="module")
def loaded() -> LoadedEpisode:
    return load_episode(FOLDER, BUNDLED_CORPUS)


@pytest.fixture(scope="module")
def episode(loaded: LoadedEpisode) -> Episode:
    return loaded.episode


def test_vendored_texts_are_byte_for_byte() -> None:
    expected = {
        "000_81a351cb2dffca4d.txt": "d1687219781124630c2a6db346c8adc45feb9d37966fbd863b2b95a6675cb2c0",
        "001_257a047180ee155a.txt": "6729b481acee8fbc1823f34978415455f57620cb103bf41b76bb89d198ada468",
    }
    for name, digest in expected.items():
        assert hashlib.sha256((FOLDER / name).read_bytes()).hexdigest() == digest
        if (SHARED / name).exists():
            assert (SHARED / name).read_bytes() == (FOLDER / name).read_bytes()


def test_metadata(episode: Episode) -> None:
    assert episode.id == "latent-space-devday-2025"
    assert episode.author == "Latent Space"
    assert episode.url == "https://www.latent.space/p/devday-2025"
    assert episode.titles["ko"].startswith("개발자: 범용 인공지능(AGI)의 배포 계층")


def test_turn_counts_and_identity(episode: Episode) -> None:
    assert len(episode.turns) == 145
    assert [t.ordinal for t in episode.turns] == list(range(145))
    assert episode.turns[-1].timestamp == "00:44:50"
    at_1743 = [t for t in episode.turns if t.timestamp == "00:17:43"]
    at_4445 = [t for t in episode.turns if t.timestamp == "00:44:45"]
    assert len(at_1743) == 2 and len(at_4445) == 2
    assert len({t.id for t in episode.turns}) == 145


def test_korean_alignment_and_cut_off(episode: Episode) -> None:
    korean = [t for t in episode.turns if "ko" in t.text]
    assert len(korean) == 62
    assert [t.ordinal for t in korean] == list(range(62))
    last = korean[-1]
    assert last.timestamp == "00:20:05" and last.speaker == "sherwin"
    assert last.cut_off == ("ko",)
    assert all(not t.cut_off for t in episode.turns if t.ordinal != last.ordinal)
    assert episode.turns[4].text["ko"].startswith("저희는 사람들이")
    assert all("ko" not in t.text for t in episode.turns[62:])


def test_english_copies_reconciled(loaded: LoadedEpisode) -> None:
    """Curly vs straight quotes are not differences; real word differences are reported."""
    differences = {d.ordinal: d.detail for d in loaded.report.differences}
    assert set(differences) == {61, 141, 142, 143, 144}
    assert "yeah" in differences[141]
    assert all(differences[o] == "only in the primary copy" for o in (142, 143, 144))
    assert loaded.report.problems == []


def test_speakers(episode: Episode) -> None:
    speakers = {s.id: s for s in episode.speakers}
    assert set(speakers) == {"alessio", "swyx", "sherwin", "christina"}
    assert speakers["sherwin"].name == "Sherwin Wu"
    assert speakers["sherwin"].role == "Head of Engineering, OpenAI Platform"
    assert "https://www.linkedin.com/in/sherwinwu1/" in speakers["sherwin"].links
    assert speakers["christina"].role == "Platform Experience, OpenAI"
    assert "https://x.com/christinaahuang" in speakers["christina"].links
    assert speakers["alessio"].host and speakers["swyx"].host
    assert {"셔윈", "Sherwin Wu"} <= set(speakers["sherwin"].aliases)
    assert "스윅스" in speakers["swyx"].aliases and "Swyx" in speakers["swyx"].aliases
    assert "크리스티나" in speakers["christina"].aliases and "알레시오" in speakers["alessio"].aliases
    assert {t.speaker for t in episode.turns} == set(speakers)


def test_article_sections(episode: Episode) -> None:
    for language in ("en", "ko"):
        headings = [s.heading for s in episode.article[language]]
        assert headings[0] is None and len(headings) == 5
    assert [s.heading for s in episode.article["en"]][1:] == [
        "Models, models, and other launches", "Apps in ChatGPT (Apps SDK)", "AgentKit", "Guests",
    ]
    intro = episode.article["en"][0].text
    assert intro.startswith("Apart from the Jony Ive") and "Alessio [00:00:04]" not in intro


LINKED = {
    "gpt-5 pro": ("model", "https://platform.openai.com/docs/models/gpt-5-pro", None),
    "sora-2": ("model", "https://platform.openai.com/docs/models/sora-2", None),
    "sora-2-pro": ("model", "https://platform.openai.com/docs/models/sora-2-pro", None),
    "Video generation with Sora": ("docs", "https://platform.openai.com/docs/guides/video-generation", None),
    "Sora 2: Prompting Guide": (
        "cookbook",
        "https://github.com/openai/openai-cookbook/blob/16686d05abf16db88aef8815ebde5c46c9a1282a/examples/sora/sora2_prompting_guide.ipynb#L7",
        None,
    ),
    "gpt-realtime-mini-2025-10-06": ("model", "https://platform.openai.com/docs/models/gpt-realtime-mini", "70% cheaper"),
    "gpt-audio-mini-2025-10-06": ("model", "https://platform.openai.com/docs/models/gpt-audio-mini", None),
    "gpt-image-1-mini": ("model", "https://platform.openai.com/docs/models/gpt-image-1-mini", "80% cheaper"),
}


def test_linked_launches(episode: Episode) -> None:
    linked = {x.name: (x.kind, x.url, x.note) for x in episode.launches if x.url}
    assert linked == LINKED
    assert all(x.source == "article" for x in episode.launches if x.url)


def test_unlinked_launches_and_mentions(episode: Episode) -> None:
    launches = {x.id: x for x in episode.launches}
    for launch_id in ("apps-sdk", "agentkit", "chatkit", "service-health-dashboard", "agent-builder", "widget-studio"):
        assert launches[launch_id].mentions, launch_id
    dashboard = launches["service-health-dashboard"].mentions
    assert [(m.timestamp, m.speaker, m.language) for m in dashboard] == [("00:42:16", "swyx", "en"), ("00:42:27", "sherwin", "en")]
    chatkit_ko = [m for m in launches["chatkit"].mentions if m.language == "ko"]
    assert chatkit_ko, "챗킷 in the Korean translation counts as a mention"
    assert any(m.timestamp == "00:38:04" for m in launches["chatkit"].mentions)
    assert "에이전트킷" in launches["agentkit"].aliases
