"""Per-video index: scenes, CLIP embeddings of de-duplicated frames in FAISS, thumbnails.

Built in one decoding pass (scene detection on small frames and the ``embed_fps`` samples come
from the same decoded frames), cached on disk by content hash + settings, and shared in
process: ``load_or_build`` called by G environments over one video builds it once.

>>> index = load_or_build("clip.mp4", IndexSettings(), progress=print)   # doctest: +SKIP
>>> index.search("a red car", top_k=3)                                   # doctest: +SKIP
[SearchHit(start=12.0, end=15.0, score=0.31, best_time=13.0), ...]

Cache layout: ``<cache_dir>/<content hash>-<settings key>/`` holding ``thumbs.bin``,
``embeddings.npy`` and, written last, ``manifest.json`` (checksums of the other files, and a
checksum of itself). A directory is written under a temporary name, fsynced and renamed, under a
file lock. An entry that fails any check (schema, checksums, times within the video) is rebuilt
with a one-line warning; so is anything else found at its path (a stray file, a link). A cache
folder that cannot be written is warned about and the index is built in memory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from vagent.errors import ModelLoadError, VagentError
from vagent.tools.clip import ClipEmbedder, get_embedder, weights_available
from vagent.tools.video import Video, VideoInfo
from vagent.types import TimedImage

log = logging.getLogger(__name__)
CACHE_VERSION = 2
_HASH_CHUNK = 1 << 20


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
    """How a video is indexed. All fields but ``cache_dir`` are part of the cache key.

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

    def __post_init__(self) -> None:
        if not self.embed_fps > 0:
            raise ValueError(f"embed_fps must be > 0, got {self.embed_fps}")
        if not 0 <= self.dedup_threshold < 1:
            raise ValueError(f"dedup_threshold must be in [0, 1), got {self.dedup_threshold}")
        if self.scene_side < 16 or self.thumb_side < 16:
            raise ValueError(f"scene_side and thumb_side must be >= 16, got {self.scene_side}, {self.thumb_side}")

    def key(self) -> str:
        """Short hash of every field that changes the index."""
        fields = {k: v for k, v in dataclasses.asdict(self).items() if k != "cache_dir"}
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]

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


# ---------------------------------------------------------------------------- building
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


# ---------------------------------------------------------------------------- disk cache
def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _manifest_checksum(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest's canonical JSON, its own ``checksum`` field left out."""
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=False).encode()).hexdigest()


def _remove(path: Path) -> None:
    """Delete a file, link or folder tree at ``path`` (whatever stands there)."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def save_index(index: VideoIndex, directory: Path) -> None:
    """Write ``index`` to ``directory`` atomically (temp dir, fsync, rename).

    Whatever stands at ``directory`` (an older index, a damaged one, a stray file) is replaced.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = directory.parent / f".tmp-{directory.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        _write_synced(tmp / "thumbs.bin", b"".join(index.thumbnails))
        files = ["thumbs.bin"]
        if index.embeddings is not None:
            buffer = io.BytesIO()
            np.save(buffer, index.embeddings.astype(np.float32))
            _write_synced(tmp / "embeddings.npy", buffer.getvalue())
            files.append("embeddings.npy")
        settings = {k: v for k, v in dataclasses.asdict(index.settings).items() if k != "cache_dir"}
        manifest = {
            "version": CACHE_VERSION, "complete": True, "content_hash": index.content_hash,
            "settings": settings, "info": dataclasses.asdict(index.info), "scenes": [list(s) for s in index.scenes],
            "times": index.times.tolist(), "thumb_sizes": [len(b) for b in index.thumbnails],
            "visual_search_error": index.visual_search_error, "warnings": index.warnings,
            "stats": index.stats, "files": {name: _sha(tmp / name) for name in files},
        }
        manifest["checksum"] = _manifest_checksum(manifest)
        _write_synced(tmp / "manifest.json", json.dumps(manifest).encode())
        _fsync_dir(tmp)
        _remove(directory)
        os.rename(tmp, directory)
        _fsync_dir(directory.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class _Untrusted(ValueError):
    """A cached index that must not be used; the message says why."""


def _expect(condition: bool, reason: str) -> None:
    if not condition:
        raise _Untrusted(reason)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


_INFO_TYPES = {field.name: field.type for field in dataclasses.fields(VideoInfo)}


def _check_manifest(manifest: Any, directory: Path, settings: IndexSettings) -> None:
    """Raise :class:`_Untrusted` unless ``manifest`` is a complete, unedited manifest for ``directory``."""
    _expect(isinstance(manifest, dict), f"manifest is a JSON {type(manifest).__name__}, not an object")
    _expect(manifest.get("version") == CACHE_VERSION, f"cache version {manifest.get('version')!r}, not {CACHE_VERSION}")
    _expect(manifest.get("checksum") == _manifest_checksum(manifest), "manifest checksum differs (edited or damaged)")
    _expect(manifest.get("complete") is True, "build not complete")
    wanted = {k: v for k, v in dataclasses.asdict(settings).items() if k != "cache_dir"}
    _expect(manifest.get("settings") == wanted, "settings differ")
    _expect(directory.name == f"{manifest.get('content_hash')}-{settings.key()}", "manifest belongs to another video")
    info = manifest.get("info")
    _expect(isinstance(info, dict) and set(info) == set(_INFO_TYPES), "video info fields differ")
    for name in ("duration", "start", "fps"):
        _expect(_is_number(info[name]) and info[name] >= 0, f"info.{name} is not a number >= 0")
    end = info["start"] + info["duration"]
    times = manifest.get("times")
    _expect(isinstance(times, list) and all(_is_number(t) for t in times), "times are not a list of numbers")
    _expect(all(a <= b for a, b in zip(times, times[1:])), "times are not in order")
    _expect(all(info["start"] - 1e-6 <= t <= end + 1e-6 for t in times), "a frame time lies outside the video")
    scenes = manifest.get("scenes")
    _expect(isinstance(scenes, list) and all(isinstance(s, list) and len(s) == 2 and all(map(_is_number, s)) for s in scenes),
            "scenes are not a list of [start, end] pairs")
    _expect(all(info["start"] - 1e-6 <= a <= b <= end + 1e-6 for a, b in scenes), "a scene lies outside the video")
    sizes = manifest.get("thumb_sizes")
    _expect(isinstance(sizes, list) and len(sizes) == len(times)
            and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes), "thumbnail sizes do not match the times")
    error = manifest.get("visual_search_error")
    _expect(error is None or isinstance(error, str), "visual_search_error is not text")
    files = manifest.get("files")
    expected_files = {"thumbs.bin"} | ({"embeddings.npy"} if error is None else set())
    _expect(isinstance(files, dict) and set(files) == expected_files, f"files are not {sorted(expected_files)}")
    warnings = manifest.get("warnings")
    _expect(isinstance(warnings, list) and all(isinstance(w, str) for w in warnings), "warnings are not a list of text")
    stats = manifest.get("stats")
    _expect(isinstance(stats, dict) and all(_is_number(v) for v in stats.values()), "stats are not numbers")


def load_index(directory: Path, settings: IndexSettings, *, warn: bool = True) -> VideoIndex | None:
    """The cached index in ``directory``, or None if absent or not to be trusted.

    Trusted means: the manifest has the expected schema, its checksum matches its content
    (an edited manifest is not loaded), the data files match their checksums and agree with
    the manifest. Anything else is logged in one line (unless ``warn`` is False) and the caller
    rebuilds.
    """
    if not directory.exists() and not directory.is_symlink():
        return None
    try:
        _expect(directory.is_dir() and not directory.is_symlink(), "not a folder")
        manifest_path = directory / "manifest.json"
        _expect(manifest_path.is_file(), "no manifest (an interrupted build)")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        _check_manifest(manifest, directory, settings)
        for name, digest in manifest["files"].items():
            _expect(_sha(directory / name) == digest, f"checksum of {name} differs")
        blob, thumbs, offset = (directory / "thumbs.bin").read_bytes(), [], 0
        for size in manifest["thumb_sizes"]:
            thumbs.append(blob[offset : offset + size])
            offset += size
        _expect(offset == len(blob), "thumbnails and times disagree")
        times = np.asarray(manifest["times"], np.float64)
        embeddings = None
        if "embeddings.npy" in manifest["files"]:
            embeddings = np.load(directory / "embeddings.npy", allow_pickle=False)
            _expect(embeddings.dtype == np.float32 and embeddings.ndim == 2 and embeddings.shape[0] == len(times),
                    "embeddings and times disagree")
            _expect(bool(np.isfinite(embeddings).all()), "embeddings are not finite")
        return VideoIndex(info=VideoInfo(**manifest["info"]), settings=settings, content_hash=manifest["content_hash"],
                          scenes=[tuple(s) for s in manifest["scenes"]], times=times, thumbnails=thumbs,
                          embeddings=embeddings, visual_search_error=manifest["visual_search_error"],
                          warnings=manifest["warnings"], stats=manifest["stats"], from_cache=True)
    except Exception as err:  # noqa: BLE001 - anything wrong with a cache entry means: rebuild it
        reason = err if isinstance(err, _Untrusted) else f"{type(err).__name__}: {err}"
        if warn:
            log.warning("index cache %s cannot be trusted (%s); rebuilding it", directory,
                        " ".join(str(reason).split())[:200])
        return None


_MEMO: dict[tuple[str, str], VideoIndex] = {}
_HASHES: dict[tuple[str, int, int], str] = {}
_KEY_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_memo_lock = threading.Lock()


def clear_memo() -> None:
    """Forget the in-process indices (the disk cache stays)."""
    with _memo_lock:
        _MEMO.clear()
        _HASHES.clear()


def _stale(index: VideoIndex) -> bool:
    """A cached index without visual search whose CLIP weights have since become available."""
    s = index.settings
    return index.embeddings is None and weights_available(s.clip_model, s.clip_pretrained, s.allow_random_clip)


def load_or_build(path: str | Path, settings: IndexSettings | None = None,
                  progress: ProgressCallback | Callable[[float, float], None] | None = None,
                  use_cache: bool = True) -> VideoIndex:
    """The index of ``path``: from this process's memo, else the disk cache, else built.

    Safe across threads and processes: one build per (content, settings); others wait for
    it (file lock) and load the result. ``use_cache=False`` skips the disk cache.
    """
    settings = settings or IndexSettings()
    path = Path(path)
    if not path.is_file():
        with Video(path):  # raises the right VideoError
            pass
    st = path.stat()
    ident = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _memo_lock:
        digest = _HASHES.get(ident)
    if digest is None:
        digest = content_hash(path)
        with _memo_lock:
            _HASHES[ident] = digest
    key = (digest, settings.key())
    with _memo_lock:
        key_lock = _KEY_LOCKS.setdefault(key, threading.Lock())
    with key_lock:
        with _memo_lock:
            if key in _MEMO:
                return _MEMO[key]
        index = _load_or_build_on_disk(path, settings, progress, digest) if use_cache \
            else build_index(path, settings, progress)
        with _memo_lock:
            _MEMO[key] = index
        return index


def _load_or_build_on_disk(path: Path, settings: IndexSettings, progress: Any, digest: str) -> VideoIndex:
    from filelock import FileLock

    root = settings.resolved_cache_dir()
    directory = root / f"{digest}-{settings.key()}"
    index = load_index(directory, settings)
    if index is not None and not _stale(index):
        if progress is not None:
            progress(index.info.duration, index.info.duration)
        return index
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(root / f"{directory.name}.lock"))
        lock.acquire()
    except OSError as err:
        log.warning("index cache folder %s is not usable (%s); indexing without a cache", root, err)
        return build_index(path, settings, progress)
    try:
        if index is not None or directory.exists():  # another process may have built it meanwhile
            index = load_index(directory, settings, warn=False)
            if index is not None and not _stale(index):
                return index
        index = build_index(path, settings, progress)
        try:
            save_index(index, directory)
        except OSError as err:
            log.warning("could not cache the index in %s (%s); it is rebuilt next time", directory, err)
        return index
    finally:
        lock.release()
