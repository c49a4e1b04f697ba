"""The index of one video and search over it: settings, scenes, frame embeddings, thumbnails.

:class:`VideoIndex` is what a build produces (:mod:`vagent.tools.index_build`) and the disk cache
stores (:mod:`vagent.tools.index_cache`); :func:`vagent.tools.index.load_or_build` is how callers
get one. Search embeds the query with the index's CLIP model and asks FAISS for the nearest frames.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from vagent.errors import VagentError
from vagent.tools.clip import get_embedder
from vagent.tools.timed_text import SpeechSettings
from vagent.tools.video import VideoInfo
from vagent.types import TimedImage

CACHE_VERSION = 2


class ProgressCallback(Protocol):
    """Called during a build with seconds of video indexed so far and the total."""

    def __call__(self, done_seconds: float, total_seconds: float) -> None: ...


def default_cache_dir() -> Path:
    """``$VAGENT_CACHE_DIR``, else the platform's user cache dir + ``/vagent``."""
    env = os.environ.get("VAGENT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("vagent"))


@dataclass
class IndexSettings:
    """How a video is indexed. All fields but ``cache_dir`` and ``speech`` are part of the cache key.

    Attributes:
        embed_fps: candidate frames per second for CLIP embedding (default 1.0).
        clip_model: open_clip config name (default ``"ViT-B-32"``).
        clip_pretrained: open_clip tag (default ``"openai"``), local checkpoint path, or None
            for random weights. Weights missing offline turn visual search off (the index still
            has scenes and thumbnails) and ``VideoIndex.visual_search_error`` says how to fix it.
        allow_random_clip: must be True to embed with random weights (tests, benchmarks).
        dedup_threshold: a candidate frame whose 32x32 grey thumbnail differs from the last
            embedded one by less than this mean absolute difference (0..1) is skipped as a
            near-duplicate (0 keeps every candidate).
        scene_threshold: PySceneDetect ``ContentDetector`` threshold (default 27).
        min_scene_len: shortest scene in seconds (default 0.5).
        scene_side: long side in pixels of the frames given to scene detection.
        thumb_side: long side in pixels of the stored JPEG thumbnails.
        cache_dir: where indices are cached; None means ``default_cache_dir()``.
        speech: how the video's timed text is made (:class:`~vagent.tools.timed_text.SpeechSettings`,
            or its fields as a mapping); None means ``SpeechSettings.from_env()`` (``$VAGENT_SPEECH``,
            ``$VAGENT_SPEECH_MODEL``). Not in the index's key: the timed text is cached under its own.
    """

    embed_fps: float = 1.0
    clip_model: str = "ViT-B-32"
    clip_pretrained: str | None = "openai"
    allow_random_clip: bool = False
    dedup_threshold: float = 0.02
    scene_threshold: float = 27.0
    min_scene_len: float = 0.5
    scene_side: int = 192
    thumb_side: int = 192
    cache_dir: str | Path | None = None
    speech: SpeechSettings | None = None

    def __post_init__(self) -> None:
        if isinstance(self.speech, dict):  # from YAML / JSON (env.index.speech)
            self.speech = SpeechSettings(**self.speech)
        if not self.embed_fps > 0:
            raise ValueError(f"embed_fps must be > 0, got {self.embed_fps}")
        if not 0 <= self.dedup_threshold < 1:
            raise ValueError(f"dedup_threshold must be in [0, 1), got {self.dedup_threshold}")
        if self.scene_side < 16 or self.thumb_side < 16:
            raise ValueError(f"scene_side and thumb_side must be >= 16, got {self.scene_side}, {self.thumb_side}")

    def keyed_fields(self) -> dict[str, Any]:
        """Every field that changes the index (what the cache key hashes and a cache manifest records)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in ("cache_dir", "speech")}

    def key(self) -> str:
        """Short hash of every field that changes the index."""
        return hashlib.sha256(json.dumps(self.keyed_fields(), sort_keys=True).encode()).hexdigest()[:16]

    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir).expanduser() if self.cache_dir else default_cache_dir()


@dataclass
class SearchHit:
    """A span of the video matching a query; ``best_time`` is its best-scoring frame."""

    start: float
    end: float
    score: float
    best_time: float


@dataclass
class VideoIndex:
    """Everything the tools need about one video, built once and cached.

    ``times[i]`` is the time of embedded frame i (row i of ``embeddings``, FAISS id i,
    ``thumbnails[i]``); it stands for the video until ``times[i + 1]`` (the frames between
    were near-duplicates). ``embeddings`` is None when ``visual_search_error`` is set.
    """

    info: VideoInfo
    settings: IndexSettings
    content_hash: str
    scenes: list[tuple[float, float]]
    times: np.ndarray
    thumbnails: list[bytes]
    embeddings: np.ndarray | None
    visual_search_error: str | None = None
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    from_cache: bool = False
    _faiss: Any = field(default=None, repr=False, compare=False)

    @property
    def cache_path(self) -> Path:
        """Where this index is (or would be) cached on disk."""
        return self.settings.resolved_cache_dir() / f"{self.content_hash}-{self.settings.key()}"

    @property
    def random_clip(self) -> bool:
        return self.embeddings is not None and self.settings.clip_pretrained is None

    def thumbnail(self, i: int) -> TimedImage:
        return TimedImage(time=float(self.times[i]), image=Image.open(io.BytesIO(self.thumbnails[i])).convert("RGB"))

    def thumbnail_near(self, t: float) -> TimedImage:
        """The stored thumbnail nearest to time ``t`` (its own time is on the result)."""
        return self.thumbnail(int(np.argmin(np.abs(self.times - t))))

    @property
    def faiss_index(self) -> Any:
        """``IndexIDMap2(IndexFlatIP)``: exact cosine search, ids are rows of ``times``."""
        if self._faiss is None and self.embeddings is not None:
            import faiss

            index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.embeddings.shape[1]))
            index.add_with_ids(self.embeddings, np.arange(len(self.times), dtype=np.int64))
            self._faiss = index
        return self._faiss

    def search(self, query: str, top_k: int = 5) -> list[SearchHit]:
        """Spans around the ``top_k`` best-matching frames, adjacent frames merged, best first.

        A frame's span runs to the next indexed frame (the ones between were near-duplicates).
        """
        if self.visual_search_error or self.embeddings is None:
            raise VagentError(self.visual_search_error or "visual search is off: the index has no embeddings")
        s = self.settings
        vector = get_embedder(s.clip_model, s.clip_pretrained, s.allow_random_clip).embed_text(query)
        return self.search_vector(vector, top_k)

    def search_vector(self, vector: np.ndarray, top_k: int = 5) -> list[SearchHit]:
        """Like ``search`` for an embedding (``[D]`` or ``[1, D]``)."""
        n = len(self.times)
        if n == 0 or top_k < 1 or self.faiss_index is None:
            return []
        k = min(n, top_k)  # the top_k best frames; adjacent ones merge into one span
        scores, ids = self.faiss_index.search(np.asarray(vector, np.float32).reshape(1, -1), k)
        hits = sorted((int(i), float(sc)) for i, sc in zip(ids[0], scores[0]) if i >= 0)
        spans: list[list[tuple[int, float]]] = []
        for row, score in hits:
            if spans and spans[-1][-1][0] == row - 1:
                spans[-1].append((row, score))
            else:
                spans.append([(row, score)])
        out = []
        for span in spans:
            best_row, best = max(span, key=lambda rs: rs[1])
            last = span[-1][0]
            end = float(self.times[last + 1]) if last + 1 < n else self.info.end
            out.append(SearchHit(float(self.times[span[0][0]]), end, best, float(self.times[best_row])))
        return sorted(out, key=lambda h: -h.score)[:top_k]
