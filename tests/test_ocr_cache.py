"""tools/ocr_cache.py: a frame (or box) read once is read from the cache beside the index by the next
``VideoTools`` on that video, with the same lines; a box is its own entry; a torn line is read again; the
cache can be turned off and a cache that cannot be written only warns.

The OCR engine is the real one; ``vagent.tools.ocr.read_text`` is wrapped by a counter (it still runs) to see
whether a read reached the engine."""

from __future__ import annotations

import logging

import pytest

import vagent.tools.ocr as ocr
from vagent.tools.index import IndexSettings
from vagent.tools.ocr_cache import cache_file
from vagent.tools.registry import VideoTools

pytestmark = pytest.mark.slow  # the OCR engine loads (about 3 s)


@pytest.fixture
def engine_reads(monkeypatch) -> list[int]:
    """How many images reached the OCR engine (each read still runs it)."""
    calls, real = [], ocr.read_text
    monkeypatch.setattr(ocr, "read_text", lambda image, *a, **k: calls.append(1) or real(image, *a, **k))
    return calls


def _read(video, cache, **arguments) -> dict:
    with VideoTools.open(video, IndexSettings(clip_pretrained=None, cache_dir=cache)) as tools:
        observation = tools.call("read_text", arguments)
    assert not observation.error, observation.text
    return observation.data


def test_a_frame_read_once_is_read_from_the_cache_next_time(text_video, tmp_path, engine_reads):
    first = _read(text_video.path, tmp_path, time=1.0)
    assert "HELLO" in str(first["lines"]) and len(engine_reads) == 1
    assert _read(text_video.path, tmp_path, time=1.0) == first and len(engine_reads) == 1  # a new VideoTools: the cache
    boxed = _read(text_video.path, tmp_path, time=1.0, box=[0.0, 0.0, 0.5, 1.0])
    assert len(engine_reads) == 2 and boxed["boxes"] != first["boxes"]  # a box is its own read
    _read(text_video.path, tmp_path, time=2.0)
    assert len(engine_reads) == 3  # another frame too


def test_a_torn_line_is_read_again(text_video, tmp_path, engine_reads):
    first = _read(text_video.path, tmp_path, time=1.0)
    (cached,) = tmp_path.glob("*-ocr-*.jsonl")
    cached.write_text(cached.read_text()[:-20] + "\n")  # a write cut short (a full disk, a killed process)
    assert _read(text_video.path, tmp_path, time=1.0) == first and len(engine_reads) == 2


def test_the_cache_can_be_turned_off_and_an_unwritable_one_only_warns(text_video, tmp_path, engine_reads, monkeypatch, caplog):
    monkeypatch.setenv("VAGENT_OCR_CACHE", "0")
    _read(text_video.path, tmp_path, time=1.0)
    _read(text_video.path, tmp_path, time=1.0)
    assert len(engine_reads) == 2 and not list(tmp_path.glob("*-ocr-*.jsonl"))
    monkeypatch.delenv("VAGENT_OCR_CACHE")
    with VideoTools.open(text_video.path, IndexSettings(clip_pretrained=None, cache_dir=tmp_path)) as tools:
        cache_file(tmp_path, tools.index.content_hash).mkdir()  # a folder where the file should go
        with caplog.at_level(logging.WARNING):
            observation = tools.call("read_text", {"time": 1.0})
    assert "HELLO" in observation.text and "could not cache text reads" in caplog.text
