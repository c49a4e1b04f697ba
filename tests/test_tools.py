"""tools/registry.py and tools/ocr.py: schemas, outputs, argument checks, never raising."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.videos import read_index
from vagent.tools.index import IndexSettings, build_index
from vagent.tools.registry import TOOL_NAMES, ToolLimits, VideoTools
from vagent.types import Observation, TimedImage

SEARCH_LINE = re.compile(r"^(\d+)\. (\d+\.\d\d)s-(\d+\.\d\d)s score=(-?\d\.\d{3}) \(best t=(\d+\.\d\d)s\)$")


@pytest.fixture(scope="module")
def tools(scene_video, tmp_path_factory):
    settings = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True,
                             cache_dir=tmp_path_factory.mktemp("cache"))
    vt = VideoTools(scene_video.path, build_index(scene_video.path, settings), ToolLimits(max_frames=8))
    yield vt
    vt.close()


@pytest.fixture(scope="module")
def offline_tools(scene_video, tmp_path_factory):
    settings = IndexSettings(clip_pretrained="openai", cache_dir=tmp_path_factory.mktemp("cache"))
    vt = VideoTools(scene_video.path, build_index(scene_video.path, settings))
    yield vt
    vt.close()


def _images_are_timed(obs: Observation) -> None:
    assert all(isinstance(im, TimedImage) and isinstance(im.time, float) for im in obs.images)


def test_schemas_come_from_the_methods():
    schemas = VideoTools.schemas()
    assert [s["function"]["name"] for s in schemas] == list(TOOL_NAMES)
    by_name = {s["function"]["name"]: s["function"] for s in schemas}
    assert by_name["zoom_frame"]["parameters"]["required"] == ["time", "box"]
    assert by_name["zoom_frame"]["parameters"]["properties"]["box"]["items"] == {"type": "number"}
    assert by_name["read_text"]["parameters"]["required"] == ["time"]
    assert by_name["read_text"]["parameters"]["properties"]["box"]["nullable"] is True
    assert by_name["crop_clip"]["parameters"]["properties"]["num_frames"]["type"] == "integer"
    assert by_name["detect_scenes"]["parameters"]["properties"] == {}
    for fn in by_name.values():
        assert fn["description"] and all(p.get("description") for p in fn["parameters"]["properties"].values())


def test_search_clips(tools):
    obs = tools.call("search_clips", {"query": "a blue square", "top_k": 3})
    assert not obs.error
    lines = obs.text.splitlines()
    assert lines[0] == 'search "a blue square": %d match(es)' % len(obs.data["hits"])
    hits = [SEARCH_LINE.match(line) for line in lines[1:] if line[0].isdigit()]
    assert hits and all(hits) and [int(h.group(1)) for h in hits] == list(range(1, len(hits) + 1))
    assert "random CLIP weights" in lines[-1]
    assert len(obs.images) == len(hits)
    _images_are_timed(obs)
    assert [im.time for im in obs.images] == [float(h.group(5)) for h in hits]


def test_search_clips_without_weights_reports_how_to_fix(offline_tools):
    obs = offline_tools.search_clips("anything")
    assert obs.error and obs.text.startswith("visual search is off") and "\n" not in obs.text
    assert not offline_tools.detect_scenes().error  # scenes still work


def test_detect_scenes(tools):
    obs = tools.detect_scenes()
    assert obs.text.splitlines() == ["3 scene(s):", "scene 1: 0.00s-4.00s", "scene 2: 4.00s-8.00s",
                                     "scene 3: 8.00s-12.00s"]
    assert [im.note for im in obs.images] == ["scene 1", "scene 2", "scene 3"]
    _images_are_timed(obs)


def test_zoom_frame(tools):
    obs = tools.zoom_frame(6.0, [0.0, 0.6, 0.5, 1.0])
    assert not obs.error and obs.text == "zoom t=6.00s box=[0.00, 0.60, 0.50, 1.00] size=448x218"
    (image,) = obs.images
    assert image.time == 6.0 and max(image.image.size) == 448
    pixels = np.asarray(image.image)  # bottom-left quarter: the white marker square is there
    assert pixels[-20:, :20].mean() > 200


def test_crop_clip(tools):
    obs = tools.crop_clip(2.0, 6.0, num_frames=4)
    assert obs.text == "crop 2.00s-6.00s: 4 frames"
    assert [im.time for im in obs.images] == pytest.approx([2.5, 3.5, 4.5, 5.5])
    assert [read_index(np.asarray(im.image)) for im in obs.images] == [1, 1, 2, 2]  # pictures held 2 s
    _images_are_timed(obs)


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("play_video", {}, "unknown tool 'play_video'. Valid tools: crop_clip, detect_scenes"),
        (None, {}, "unknown tool None"),
        ("zoom_frame", {"time": 1.0}, "missing argument(s) box"),
        ("zoom_frame", {"time": 1.0, "box": [0, 0, 1, 1], "zoom": 2}, "unexpected argument(s) zoom"),
        ("zoom_frame", {"time": "1.0", "box": [0, 0, 1, 1]}, "time must be a number"),
        ("zoom_frame", {"time": True, "box": [0, 0, 1, 1]}, "time must be a number"),
        ("zoom_frame", {"time": float("nan"), "box": [0, 0, 1, 1]}, "finite"),
        ("zoom_frame", {"time": 99.0, "box": [0, 0, 1, 1]}, "time=99.00s is outside the video (0.00s-12.00s)"),
        ("zoom_frame", {"time": -1, "box": [0, 0, 1, 1]}, "outside the video"),
        ("zoom_frame", {"time": 1.0, "box": [0.5, 0.5, 0.2, 0.9]}, "empty or inverted"),
        ("zoom_frame", {"time": 1.0, "box": [0.5, 0.5, 0.5, 0.5]}, "empty or inverted"),
        ("zoom_frame", {"time": 1.0, "box": [0, 0, 1.5, 1]}, "within 0..1"),
        ("zoom_frame", {"time": 1.0, "box": [0, 0, 1]}, "4 numbers"),
        ("zoom_frame", {"time": 1.0, "box": "0,0,1,1"}, "box must be a list of numbers"),
        ("zoom_frame", {"time": 1.0, "box": [0, 0, "1", 1]}, "box[2] must be a number"),
        ("crop_clip", {"start": 5.0, "end": 2.0}, "end (2.00s) must be greater than start (5.00s)"),
        ("crop_clip", {"start": 3.0, "end": 3.0}, "empty window"),
        ("crop_clip", {"start": 0.0, "end": 5.0, "num_frames": 50}, "num_frames must be between 1 and 8"),
        ("crop_clip", {"start": 0.0, "end": 5.0, "num_frames": 2.5}, "num_frames must be an integer"),
        ("crop_clip", {"start": 0.0, "end": 50.0}, "end=50.00s is outside the video"),
        ("search_clips", {"query": "   "}, "query is empty"),
        ("search_clips", {"query": "x", "top_k": 0}, "top_k must be between 1 and 20"),
        ("search_clips", {"query": 42}, "query must be a string"),
        ("read_text", {"time": 1.0, "box": [1, 1, 0, 0]}, "empty or inverted"),
        ("detect_scenes", {"x": 1}, "unexpected argument(s) x"),
        ("detect_scenes", [1, 2], "arguments must be an object"),
        ("detect_scenes", "{not json", "arguments are not valid JSON"),
    ],
)
def test_bad_arguments_become_error_observations(tools, name, arguments, message):
    obs = tools.call(name, arguments)
    assert obs.error and message in obs.text, obs.text
    assert obs.images == []


def test_arguments_as_json_text_and_integral_floats(tools):
    obs = tools.call("crop_clip", '{"start": 0, "end": 4, "num_frames": 2.0}')
    assert not obs.error and len(obs.images) == 2


def test_unexpected_failure_is_an_observation(tools, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(tools.video, "frame_at", boom)
    obs = tools.zoom_frame(1.0, [0, 0, 1, 1])
    assert obs.error and obs.text == "zoom_frame failed: RuntimeError: decoder exploded"


def test_no_index(scene_video):
    with_out = VideoTools(scene_video.path)
    try:
        assert with_out.detect_scenes().error and "no index" in with_out.detect_scenes().text
        assert with_out.search_clips("x").error
    finally:
        with_out.close()


_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
_keys = st.sampled_from(["query", "top_k", "time", "box", "start", "end", "num_frames"]) | st.text(max_size=8)
_boxes = st.lists(st.floats(-0.5, 1.5), min_size=0, max_size=5)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(
    name=st.sampled_from(TOOL_NAMES) | st.text(max_size=12) | st.none() | st.integers(),
    arguments=st.dictionaries(_keys, _values | _boxes | st.floats(-5, 20), max_size=4)
    | st.none() | st.text(max_size=10) | st.lists(st.integers(), max_size=2),
)
def test_call_never_raises(tools, name, arguments):
    obs = tools.call(name, arguments)
    assert isinstance(obs, Observation) and isinstance(obs.text, str) and obs.text
    assert all(isinstance(im, TimedImage) for im in obs.images)
    assert len(obs.images) <= tools.limits.max_frames


@pytest.mark.slow
def test_read_text_hello_video(text_video, tmp_path):
    vt = VideoTools(text_video.path)
    try:
        obs = vt.read_text(1.0)
        assert not obs.error
        assert obs.text.splitlines()[0] == "read_text t=1.00s: 1 line(s)"
        assert re.fullmatch(r'"HELLO VIDEO 2024" \(score (0\.\d\d|1\.00)\)', obs.text.splitlines()[1])
        assert vt.read_text(1.0, [0.0, 0.7, 1.0, 1.0]).text == "read_text t=1.00s box=[0.00, 0.70, 1.00, 1.00]: no text found"
    finally:
        vt.close()


def test_tools_on_a_real_clip(bikes, tmp_path):
    settings = IndexSettings(clip_pretrained="openai", cache_dir=tmp_path)  # offline: scenes only
    vt = VideoTools(bikes, build_index(bikes, settings))
    try:
        scenes = vt.detect_scenes()
        assert re.fullmatch(r"\d+ scene\(s\):(\nscene \d+: \d+\.\d\ds-\d+\.\d\ds)+", scenes.text)
        clip = vt.crop_clip(2.0, 4.0, 5)
        assert [im.time for im in clip.images] == pytest.approx([2.2, 2.6, 3.0, 3.4, 3.8])
        assert all(max(im.image.size) == 384 for im in clip.images)
        zoom = vt.zoom_frame(9.99, [0.25, 0.25, 0.75, 0.75])
        assert zoom.images[0].time == pytest.approx(9.96) and zoom.images[0].image.size == (448, 190)
    finally:
        vt.close()
