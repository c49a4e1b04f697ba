"""Lines read by OCR, cached on disk beside a video's index, so that a frame read once is not read again.

Reading text is the slowest tool call (about 0.2-0.5 s a frame on one CPU core) and the same frames are read
again and again: every question asked about a video in an eval, every rollout of a GRPO group, every
trajectory of a test-time sweep. The lines of one frame (or one box of it) depend only on the decoded pixels
and on the OCR settings, so they are cached by the video's content hash (the index's), the frame's time and
the box in pixels, under a key of the OCR settings and the ``rapidocr`` version.

The file ``<cache_dir>/<content hash>-ocr-<settings key>.jsonl`` holds one JSON line per read, appended as it
is made; several processes may append to it at once (one short ``write`` each), and a line that cannot be
parsed (a torn write, a disk that filled up) is skipped, so that read is simply made again. A cache that
cannot be written is warned about once and the reads go on uncached. ``VAGENT_OCR_CACHE=0`` turns the cache
off (``bench/rollout.py`` does, to time the OCR itself); a video opened without an index is read uncached.
"""

from __future__ import annotations

import hashlib
import json
import logging
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from vagent.tools.ocr import DETECT_SIDE, ENGINE_PARAMS, MIN_SCORE, TextLine

log = logging.getLogger(__name__)

OCR_CACHE_VERSION = 1


def settings_key() -> str:
    """What the lines read depend on besides the pixels: the engine's settings and version."""
    try:
        engine = version("rapidocr")
    except PackageNotFoundError:
        engine = "unknown"
    body = {"version": OCR_CACHE_VERSION, "rapidocr": engine, "params": ENGINE_PARAMS, "detect_side": DETECT_SIDE,
            "min_score": MIN_SCORE}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


class OcrCache:
    """The cached reads of one video (``path`` from :func:`cache_file`), loaded on first use."""

    def __init__(self, path: Path):
        self.path = path
        self._reads: dict[str, list[TextLine]] | None = None
        self._writable = True

    @staticmethod
    def key(time: float, pixels: tuple[int, int, int, int] | None) -> str:
        return json.dumps([round(float(time), 6), list(pixels) if pixels else None])

    def get(self, key: str) -> list[TextLine] | None:
        if self._reads is None:
            self._reads = self._load()
        return self._reads.get(key)

    def put(self, key: str, lines: list[TextLine]) -> None:
        if self._reads is None:
            self._reads = self._load()
        self._reads[key] = lines
        if not self._writable:
            return
        record = json.dumps({"key": key, "lines": [[text, score, box] for text, score, box in lines]}, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(record + "\n")  # one write: appends from several processes do not interleave
        except OSError as err:
            self._writable = False
            log.warning("could not cache text reads in %s (%s); reading without a cache", self.path, err)

    def _load(self) -> dict[str, list[TextLine]]:
        reads: dict[str, list[TextLine]] = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return reads
        except (OSError, UnicodeDecodeError) as err:
            log.warning("could not read the text-read cache %s (%s); reading again", self.path, err)
            return reads
        for line in text.splitlines():
            try:
                record = json.loads(line)
                reads[str(record["key"])] = [(str(t), float(s), [[float(x), float(y)] for x, y in box])
                                             for t, s, box in record["lines"]]
            except (ValueError, KeyError, TypeError):
                continue  # a torn line: that read is made again
        return reads


def cache_file(cache_dir: Path, content_hash: str) -> Path:
    """Where the reads of the video with ``content_hash`` are cached."""
    return Path(cache_dir) / f"{content_hash}-ocr-{settings_key()}.jsonl"
