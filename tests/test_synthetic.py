"""Synthetic tasks: deterministic, fast, and their answers agree with the decoded pixels."""

from __future__ import annotations

import hashlib
import time

import av
import numpy as np
import pytest

from vagent.env.synthetic import DEFAULT_KNOBS, FAMILIES, PALETTE, make_suite, make_task
from vagent.env.tasks import load_tasks


def _frames(path: str) -> dict[float, np.ndarray]:
    """Every frame, keyed by its PTS time rounded to ms."""
    with av.open(path) as container:
        return {round(float(f.time), 3): f.to_ndarray(format="rgb24") for f in container.decode(video=0)}


def _near(frame: np.ndarray, rgb: tuple[int, int, int], tol: float = 60.0) -> np.ndarray:
    return np.linalg.norm(frame.astype(np.float32) - np.array(rgb, np.float32), axis=-1) < tol


def _digest(path: str) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_same_bytes_and_answer(family, tmp_path):
    a = make_task(family, 7, tmp_path / "a", duration=8)
    b = make_task(family, 7, tmp_path / "b", duration=8)
    c = make_task(family, 8, tmp_path / "c", duration=8)
    assert _digest(a.video) == _digest(b.video)
    assert (a.question, a.answer, a.options, a.evidence) == (b.question, b.answer, b.options, b.evidence)
    assert _digest(a.video) != _digest(c.video)


def test_render_is_fast(tmp_path):
    started = time.perf_counter()
    make_task("appear_when", 0, tmp_path, duration=10, width=256, height=192)
    assert time.perf_counter() - started < 2.0  # ~0.1 s here; generous for loaded CI machines


def test_knobs_change_the_video(tmp_path):
    task = make_task("where_at", 1, tmp_path, duration=20, fps=5, width=320, height=240)
    frames = _frames(task.video)
    assert len(frames) == 100 and next(iter(frames.values())).shape == (240, 320, 3)
    assert task.metadata["duration"] == 20.0 and task.metadata["knobs"]["fps"] == 5
    with pytest.raises(ValueError, match="unknown knob"):
        make_task("where_at", 1, tmp_path, colour="red")
    with pytest.raises(ValueError, match="unknown family"):
        make_task("nope", 1, tmp_path)


@pytest.mark.parametrize("seed", range(4))
def test_appear_when_answer_matches_pixels(seed, tmp_path):
    task = make_task("appear_when", seed, tmp_path, event_duration=1.5, distractors=4)
    (start, end), = task.answer
    rgb = PALETTE[task.metadata["color"]]
    frames = _frames(task.video)
    for t, frame in frames.items():
        visible = _near(frame, rgb).sum() > 100
        assert visible == (start - 1e-6 <= t < end - 1e-6), (t, start, end)
    assert task.question == f"When does the {task.metadata['object']} appear in the video?"
    assert abs((end - start) - 1.5) < 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_corner_text_label_only_during_evidence(seed, tmp_path):
    task = make_task("corner_text", seed, tmp_path, text_size=8)
    (start, end), = task.evidence
    x1, y1, x2, y2 = task.metadata["box"]
    for t, frame in _frames(task.video).items():
        h, w, _ = frame.shape
        patch = frame[int(y1 * h) + 1:int(y2 * h) - 1, int(x1 * w) + 1:int(x2 * w) - 1].astype(int)
        has_label = (patch.max(-1) < 30).mean() > 0.4 and (patch.min(-1) > 180).sum() > 10
        assert has_label == (start - 1e-6 <= t < end - 1e-6), t
    assert len(task.answer) == 4 and task.answer.isalnum() and task.answer.isupper()


@pytest.mark.slow
def test_corner_text_is_readable_when_zoomed_but_small(tmp_path):
    from PIL import Image

    from vagent.tools.ocr import read_text

    task = make_task("corner_text", 3, tmp_path)
    (start, end), = task.evidence
    frames = _frames(task.video)
    frame = frames[min(frames, key=lambda t: abs(t - (start + end) / 2))]
    h, w, _ = frame.shape
    x1, y1, x2, y2 = task.metadata["box"]
    crop = Image.fromarray(frame).crop((max(0, int((x1 - 0.1) * w)), max(0, int((y1 - 0.1) * h)),
                                        min(w, int((x2 + 0.1) * w)), min(h, int((y2 + 0.1) * h))))
    assert task.answer in [text.replace(" ", "") for text, _, _ in read_text(crop)]
    assert (y2 - y1) * h < 20  # the label is under 20 px tall: small in any overview frame


@pytest.mark.parametrize("variant", ["number", "choice"])
def test_count_cuts_answer_matches_pixels(variant, tmp_path):
    task = make_task("count_cuts", 5, tmp_path, variant=variant)
    frames = _frames(task.video)
    times = sorted(frames)
    means = [frames[t].reshape(-1, 3).astype(float).mean(0) for t in times]
    jumps = [times[i + 1] for i in range(len(times) - 1) if np.abs(means[i + 1] - means[i]).sum() > 40]
    assert jumps == pytest.approx(task.metadata["cuts"])
    if variant == "number":
        assert task.answer == len(jumps)
    else:
        assert len(task.options) >= 3 and task.metadata["scene_colors"][0] not in task.options
        color = task.options["ABCD".index(task.answer)]
        first_seen = {c: task.metadata["scene_colors"].index(c) for c in task.options}
        assert min(first_seen, key=first_seen.get) == color
        (a, b), = task.evidence
        frame = frames[min(frames, key=lambda t: abs(t - (a + b) / 2))]
        hue = PALETTE[color]
        scaled = [np.array(hue) * f for f in (1.0, 0.55)]
        assert any(np.abs(np.median(frame.reshape(-1, 3), 0) - s).max() < 25 for s in scaled)


@pytest.mark.parametrize("seed", range(3))
def test_where_at_box_is_white_at_time(seed, tmp_path):
    task = make_task("where_at", seed, tmp_path, distractors=5)
    frames = _frames(task.video)
    frame = frames[round(task.metadata["time"], 3)]
    h, w, _ = frame.shape
    x1, y1, x2, y2 = task.answer
    inside = frame[int(round(y1 * h)) + 1:int(round(y2 * h)) - 1, int(round(x1 * w)) + 1:int(round(x2 * w)) - 1]
    assert (inside.min(-1) > 200).mean() > 0.95
    white = frame.min(-1) > 200
    assert white.sum() <= 1.1 * (x2 - x1) * w * (y2 - y1) * h  # no other white blob
    assert f"t={task.metadata['time']:.2f}s" in task.question


def test_make_suite_writes_loadable_tasks(tmp_path):
    seen = []
    tasks = make_suite(6, tmp_path, seed=10, progress=lambda done, total, task: seen.append((done, total, task.id)),
                       duration=8)
    assert [s[0] for s in seen] == list(range(1, 7)) and all(s[1] == 6 for s in seen)
    assert [t.metadata["family"] for t in tasks] == list(FAMILIES) + list(FAMILIES[:2])
    loaded = load_tasks(tmp_path / "tasks.jsonl", check_videos=True)
    assert [t.id for t in loaded] == [t.id for t in tasks]
    assert [t.answer for t in loaded] == [t.answer for t in tasks]
    assert set(DEFAULT_KNOBS) == set(loaded[0].metadata["knobs"])
