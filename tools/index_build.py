"""Building a video's index in one decoding pass (scene detection and the ``embed_fps`` samples
share the decoded frames), with no cache: :func:`vagent.tools.index.load_or_build` adds that."""

from __future__ import annotations

import hashlib
import io
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from vagent.errors import ModelLoadError
from vagent.tools.clip import ClipEmbedder, get_embedder
from vagent.tools.video import Video
from vagent.tools.video_index import IndexSettings, ProgressCallback, VideoIndex

_HASH_CHUNK = 1 << 20
_BUILDS = 0
_count_lock = threading.Lock()


def build_count() -> int:
    """How many indices this process has built (not loaded): for tests and logs."""
    return _BUILDS


def content_hash(path: str | Path) -> str:
    """Hash of the file size and its first and last MiB (cheap on long videos)."""
    path = Path(path)
    size = path.stat().st_size
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    with path.open("rb") as handle:
        digest.update(handle.read(_HASH_CHUNK))
        if size > _HASH_CHUNK:
            handle.seek(max(_HASH_CHUNK, size - _HASH_CHUNK))
            digest.update(handle.read(_HASH_CHUNK))
    return digest.hexdigest()


def _embedder(settings: IndexSettings) -> tuple[ClipEmbedder | None, str | None]:
    try:
        return get_embedder(settings.clip_model, settings.clip_pretrained, settings.allow_random_clip), None
    except ModelLoadError as err:
        return None, "visual search is off: " + " ".join(str(err).split())


def build_index(path: str | Path, settings: IndexSettings | None = None,
                progress: ProgressCallback | None = None) -> VideoIndex:
    """Index a video in one decoding pass (no cache; see ``load_or_build``)."""
    import cv2
    from scenedetect import ContentDetector, FrameTimecode

    global _BUILDS
    settings = settings or IndexSettings()
    started = time.perf_counter()
    embedder, error = _embedder(settings)
    with Video(path) as video:
        info = video.info
        detector = ContentDetector(threshold=settings.scene_threshold, min_scene_len=float(settings.min_scene_len))
        step = 1.0 / settings.embed_fps
        n_targets = max(1, int(np.ceil((info.end - info.start) / step - 1e-9)))
        targets = [info.start + k * step for k in range(n_targets)]
        times: list[float] = []
        thumbs: list[bytes] = []
        pending: list[Image.Image] = []
        chunks: list[np.ndarray] = []
        cuts: list[float] = []
        stats = {"frames_decoded": 0, "samples": 0, "skipped_duplicates": 0}
        last_tiny: np.ndarray | None = None
        last_sample_time: float | None = None

        def take(sample: tuple[float, Any, np.ndarray]) -> None:
            nonlocal last_tiny, last_sample_time
            t, frame, small = sample
            if t == last_sample_time:
                return
            last_sample_time = t
            stats["samples"] += 1
            tiny = cv2.resize(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (32, 32), interpolation=cv2.INTER_AREA)
            tiny = tiny.astype(np.float32) / 255.0
            if last_tiny is not None and float(np.abs(tiny - last_tiny).mean()) < settings.dedup_threshold:
                stats["skipped_duplicates"] += 1
                return
            last_tiny = tiny
            if embedder is not None:
                image = Image.fromarray(video.to_array(frame, short_side=224))
                pending.append(image)
                if len(pending) >= embedder.batch_size:
                    chunks.append(embedder.embed_images(pending))
                    pending.clear()
            else:
                image = Image.fromarray(video.to_array(frame, max_side=settings.thumb_side))
            thumb = image.copy()
            thumb.thumbnail((settings.thumb_side, settings.thumb_side))
            buffer = io.BytesIO()
            thumb.save(buffer, format="JPEG", quality=80)
            thumbs.append(buffer.getvalue())
            times.append(round(t, 6))
            if progress is not None:
                progress(min(t - info.start, info.duration), info.duration)

        prev: tuple[float, Any, np.ndarray] | None = None
        next_target = 0
        last_tc = None
        for t, frame in video.iter_frames():
            stats["frames_decoded"] += 1
            small = video.to_array(frame, max_side=settings.scene_side, format="bgr24")
            last_tc = FrameTimecode(max(t, 0.0), fps=info.fps)
            cuts.extend(c.seconds for c in detector.process_frame(last_tc, small))
            current = (t, frame, small)
            while next_target < len(targets) and t >= targets[next_target]:
                target = targets[next_target]
                take(current if prev is None or t - target < target - prev[0] else prev)
                next_target += 1
            prev = current
        if prev is not None and next_target < len(targets):
            take(prev)
        if last_tc is not None:
            cuts.extend(c.seconds for c in detector.post_process(last_tc))
        if pending:
            chunks.append(embedder.embed_images(pending))
        warnings = list(video.warnings)
    bounds = [info.start] + sorted({round(c, 6) for c in cuts if info.start < c < info.end}) + [info.end]
    stats["kept"] = len(times)
    stats["embedded"] = len(times) if embedder is not None else 0
    stats["build_seconds"] = round(time.perf_counter() - started, 3)
    if progress is not None:
        progress(info.duration, info.duration)
    with _count_lock:
        _BUILDS += 1
    embeddings = None
    if embedder is not None:
        embeddings = np.concatenate(chunks) if chunks else np.zeros((0, embedder.dim), np.float32)
    return VideoIndex(info=info, settings=settings, content_hash=content_hash(path),
                      scenes=list(zip(bounds[:-1], bounds[1:])), times=np.asarray(times, np.float64),
                      thumbnails=thumbs, embeddings=embeddings, visual_search_error=error,
                      warnings=warnings, stats=stats)
