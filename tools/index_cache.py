"""The on-disk index cache: a folder per (content hash, settings), written atomically, trusted only
after every check (schema, checksums, times within the video); see :mod:`vagent.tools.index`."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from vagent.tools.video import VideoInfo
from vagent.tools.video_index import CACHE_VERSION, IndexSettings, VideoIndex

log = logging.getLogger("vagent.tools.index")

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
        settings = index.settings.keyed_fields()
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
    _expect(manifest.get("settings") == settings.keyed_fields(), "settings differ")
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
