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

This module is the entry point (:func:`load_or_build`, the in-process memo); the index and its
search are :mod:`vagent.tools.video_index`, the build :mod:`vagent.tools.index_build`, the disk
cache :mod:`vagent.tools.index_cache`.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vagent.tools.clip import weights_available
from vagent.tools.index_build import build_count, build_index, content_hash
from vagent.tools.index_cache import load_index, save_index
from vagent.tools.video import Video
from vagent.tools.video_index import CACHE_VERSION, IndexSettings, ProgressCallback, SearchHit, VideoIndex, default_cache_dir

__all__ = [
    "CACHE_VERSION", "IndexSettings", "ProgressCallback", "SearchHit", "VideoIndex", "build_count", "build_index",
    "clear_memo", "content_hash", "default_cache_dir", "load_index", "load_or_build", "save_index",
]

log = logging.getLogger(__name__)


_MEMO: OrderedDict[tuple[str, str, str], VideoIndex] = OrderedDict()
MAX_MEMO = 64
"""Indices kept in memory per process, most recently used first; older ones are dropped (they
stay in the disk cache), so evaluating a benchmark of thousands of videos does not grow without bound."""
_HASHES: dict[tuple[str, int, int], str] = {}
_KEY_LOCKS: dict[tuple[str, str, str], threading.Lock] = {}
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
    key = (digest, settings.key(), str(settings.resolved_cache_dir()))  # a --cache-dir given is where the index (and its transcript) go
    with _memo_lock:
        key_lock = _KEY_LOCKS.setdefault(key, threading.Lock())
    with key_lock:
        with _memo_lock:
            if key in _MEMO:
                _MEMO.move_to_end(key)
                return _MEMO[key]
        index = _load_or_build_on_disk(path, settings, progress, digest) if use_cache \
            else build_index(path, settings, progress)
        with _memo_lock:
            _MEMO[key] = index
            while len(_MEMO) > MAX_MEMO:
                _MEMO.popitem(last=False)
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
