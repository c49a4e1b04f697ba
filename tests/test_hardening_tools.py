"""Tool errors for absurd arguments say what is allowed (no OverflowError, RecursionError or huge echoes)."""

from __future__ import annotations

import json

import pytest

from vagent.tools.registry import VideoTools


@pytest.fixture(scope="module")
def tools(scene_video):
    vt = VideoTools(scene_video.path)  # argument checks come before any tool needs the index
    yield vt
    vt.close()


def _deep(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("zoom_frame", {"time": 10**400, "box": [0, 0, 1, 1]}, "time is too large: numbers must lie within ±1e+12, got an integer with 401 digits"),
        ("zoom_frame", {"time": 10**5000, "box": [0, 0, 1, 1]}, "time is too large: numbers must lie within ±1e+12, got an integer with thousands of digits"),
        ("zoom_frame", {"time": 1e300, "box": [0, 0, 1, 1]}, "time is too large"),
        ("zoom_frame", {"time": 1.0, "box": [0, 0, 10**400, 1]}, "box[2] is too large"),
        ("crop_clip", {"start": 0, "end": 1, "num_frames": 10**400}, "num_frames is too large"),
        ("crop_clip", {"start": 0, "end": 1, "num_frames": 1e300}, "num_frames is too large"),
        ("search_clips", {"query": "x", "top_k": -(10**30)}, "top_k is too large"),
        ("zoom_frame", {"time": 1.0, "box": _deep(5000)}, "box[0] must be a number, got list [[["),
        ("zoom_frame", {"time": _deep(5000), "box": [0, 0, 1, 1]}, "time must be a number, got list [[["),
        ("search_clips", {"query": {"a": _deep(5000)}}, "query must be a string, got dict {'a': [[...]]}"),
        ("zoom_frame", '{"time": %s, "box": [0, 0, 1, 1]}' % ("9" * 5000), "thousands of digits"),
        ("zoom_frame", '{"time": 1, "box": %s}' % ("[" * 100_000 + "]" * 100_000), "nested too deeply"),
        ("x" * 100_000, {}, "unknown tool 'xxxxxxxx"),
        (10**5000, {}, "unknown tool an integer with thousands of digits"),
        ("zoom_frame", {"y" * 100_000: 1}, "unexpected argument(s) yyyy"),
    ],
    ids=lambda v: str(v)[:30] if not isinstance(v, (int, list, dict)) or isinstance(v, bool) else type(v).__name__,
)
def test_absurd_arguments_get_a_rule_not_an_exception(tools, name, arguments, message):
    observation = tools.call(name, arguments)
    assert observation.error and message in observation.text, observation.text
    assert "failed:" not in observation.text and "Error" not in observation.text
    assert len(observation.text) < 400
    json.dumps(observation.text)
