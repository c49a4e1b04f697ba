"""Synthetic video tasks: small generated videos whose questions NEED the tools.

Every task is deterministic from ``(family, seed, knobs)``: the same call writes the same
H.264 bytes and the same answer. Four families (see docs/synthetic.md):

``appear_when``  when is the "red triangle" on screen? -> ``span`` [[start, end]]
``corner_text``  what code is shown briefly, small, in a corner? -> ``text``
``count_cuts``   how many scene cuts / which colour appears first? -> ``number`` / ``choice``
``where_at``     where is the white square at t=...? -> ``box`` [x1, y1, x2, y2] (0..1)

The events are short and small so that 4 evenly spaced overview frames rarely show them.
Wherever the question is about a moment (appear_when, corner_text) the moment is also a visible
scene change (the background colour changes while the object or code is shown, and
``decoys`` other background changes happen without it), so ``detect_scenes`` finds candidate
segments without a pretrained CLIP model; ``scene_cue=False`` removes that help.

Frame ``i`` is shown from ``i / fps`` to ``(i + 1) / fps`` (vagent's time convention: PTS
seconds). A span answer ``[s, e]`` covers exactly the frames that show the object.

>>> import tempfile
>>> task = make_task("count_cuts", 3, tempfile.mkdtemp(), variant="number")
>>> task.answer_type, task.answer == float(task.metadata["num_scenes"] - 1)
('number', True)
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import ImageDraw, ImageFont

from vagent.agent.palette import CORNERS  # the corner names the scripted policy reads captions in
from vagent.env.synthetic_render import (
    PALETTE,
    SHAPES,
    WHITE,
    distractors,
    noise_background,
    place_segments,
    random_sprite,
    render,
    segment_backgrounds,
    solid,
)
from vagent.env.synthetic_speech import spoken_word
from vagent.env.tasks import Task, save_tasks

FAMILIES: tuple[str, ...] = ("appear_when", "corner_text", "count_cuts", "where_at")
SPOKEN_FAMILIES: tuple[str, ...] = ("spoken_word",)
"""Families whose answer is only said (env/synthetic_speech.py): made when asked for by name, not in the default cycle."""
"""The task families; drawing and encoding their videos is :mod:`vagent.env.synthetic_render`."""

CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY3479"  # no O/0/Q, I/1/L, Z/2, S/5, G/6, B/8 look-alikes

DEFAULT_KNOBS: dict[str, Any] = {
    "duration": 12.0,
    "fps": 10,
    "width": 256,
    "height": 192,
    "distractors": 3,
    "event_duration": 1.0,
    "decoys": 1,
    "scene_cue": True,
    "text_size": 9,
    "object_size": 24,
    "num_scenes": None,
    "variant": None,
    "crf": 18,
}
"""Knobs every family accepts (unused ones are ignored by a family):

- ``duration`` seconds of video (8-30 is the intended range); ``fps`` frames per second;
  ``width``/``height`` pixels.
- ``distractors``: moving shapes that are not the answer.
- ``event_duration``: seconds the appear_when object / corner_text code is visible.
- ``decoys``: background changes that do NOT carry the object or code (appear_when, corner_text).
- ``scene_cue``: the background changes colour while the object / code is shown.
- ``text_size``: font size in pixels of the corner code (smaller = harder to read).
- ``object_size``: side in pixels of the shapes.
- ``num_scenes``: scenes in count_cuts (``None``: 4-8 drawn from the seed).
- ``variant``: count_cuts question kind, ``"number"`` or ``"choice"`` (``None``: from the seed);
  corner_text ``"timed"`` names the moment in the question (``None``: it does not).
- ``crf``: x264 quality (lower = better; small text needs <= 20).
"""


def _rng(family: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(family.encode()), int(seed)])


def _event_layout(rng: np.random.Generator, k: dict[str, Any], frames: int) -> tuple[tuple[int, int], list[tuple[int, int]]]:
    fps = k["fps"]
    length = max(2, int(round(k["event_duration"] * fps)))
    decoy_lengths = [int(rng.integers(max(2, fps), 2 * fps + 1)) for _ in range(int(k["decoys"]))]
    for gap in (fps, fps // 2, 1):
        placed = place_segments(rng, frames, [length, *decoy_lengths], gap)
        if placed:
            return placed[0], placed[1:]
    raise ValueError(
        f"event_duration={k['event_duration']} with decoys={k['decoys']} does not fit in duration={k['duration']}: "
        "shorten the event, use fewer decoys or a longer video"
    )


def _appear_when(rng: np.random.Generator, path: Path, k: dict[str, Any]) -> dict[str, Any]:
    width, height, fps = k["width"], k["height"], k["fps"]
    frames = int(round(k["duration"] * fps))
    color = str(rng.choice(list(PALETTE)))
    shape = str(rng.choice(SHAPES))
    event, decoys = _event_layout(rng, k, frames)
    others = [name for name in PALETTE if name != color]
    sprites = distractors(rng, int(k["distractors"]), others, k["object_size"], width, height)
    target = random_sprite(rng, shape, PALETTE[color], k["object_size"], width, height)
    target.start, target.stop = event
    background, _ = segment_backgrounds(rng, k, event, decoys)
    render(path, k, background, [*sprites, target])
    span = [round(event[0] / fps, 3), round(event[1] / fps, 3)]
    return {
        "question": f"When does the {color} {shape} appear in the video?",
        "answer_type": "span",
        "answer": [span],
        "evidence": [span],
        "metadata": {"object": f"{color} {shape}", "color": color, "shape": shape,
                     "decoys": [[round(a / fps, 3), round(b / fps, 3)] for a, b in decoys]},
    }


def _corner_text(rng: np.random.Generator, path: Path, k: dict[str, Any]) -> dict[str, Any]:
    width, height, fps = k["width"], k["height"], k["fps"]
    frames = int(round(k["duration"] * fps))
    code = "".join(rng.choice(list(CODE_ALPHABET), size=4))
    corner = str(rng.choice(CORNERS))
    event, decoys = _event_layout(rng, k, frames)
    sprites = distractors(rng, int(k["distractors"]), list(PALETTE), k["object_size"], width, height)
    background, _ = segment_backgrounds(rng, k, event, decoys)
    font = ImageFont.load_default(size=int(k["text_size"]))
    left, top, right, bottom = font.getbbox(code)
    pad, margin = 2, 3
    box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
    x = margin if "left" in corner else width - margin - box_w
    y = margin if "top" in corner else height - margin - box_h
    label = (x, y, x + box_w - 1, y + box_h - 1)

    def overlay(index: int, draw: ImageDraw.ImageDraw) -> None:
        if event[0] <= index < event[1]:
            draw.rectangle(label, fill=(0, 0, 0))
            draw.text((x + pad - left, y + pad - top), code, font=font, fill=WHITE)

    render(path, k, background, sprites, overlay)
    span = [round(event[0] / fps, 3), round(event[1] / fps, 3)]
    box = [round(label[0] / width, 4), round(label[1] / height, 4), round((label[2] + 1) / width, 4), round((label[3] + 1) / height, 4)]
    question = "A short code is shown briefly in one corner of the video. What is the code?"
    if k["variant"] == "timed":  # the question says when: the right move is reading the frame at that time
        question = f"A short code is shown in one corner of the video at t={(span[0] + span[1]) / 2:.2f}s. What is the code?"
    return {
        "question": question,
        "answer_type": "text",
        "answer": code,
        "evidence": [span],
        "metadata": {"corner": corner, "box": box, "text_size": int(k["text_size"])},
    }


def _count_cuts(rng: np.random.Generator, path: Path, k: dict[str, Any]) -> dict[str, Any]:
    width, height, fps = k["width"], k["height"], k["fps"]
    frames = int(round(k["duration"] * fps))
    variant = k["variant"] or str(rng.choice(["number", "choice"]))
    if variant not in ("number", "choice"):
        raise ValueError(f"variant must be 'number', 'choice' or None, got {variant!r}")
    low = 4 if variant == "choice" else 2
    scenes = int(k["num_scenes"]) if k["num_scenes"] else int(rng.integers(4, len(PALETTE) + 1))
    min_len = max(fps * 8 // 10, 1)  # 0.8 s: longer than detectors' minimum scene length
    if not low <= scenes <= len(PALETTE) or scenes * min_len > frames:
        raise ValueError(f"num_scenes={scenes} must be in [{low}, {len(PALETTE)}] and fit {k['duration']}s at >= 0.8s each")
    # Random cut points, each scene at least min_len frames.
    spare = frames - scenes * min_len
    weights = rng.dirichlet(np.full(scenes, 0.7))
    lengths = [min_len + int(w) for w in np.floor(weights * spare)]
    lengths[-1] += frames - sum(lengths)
    bounds = np.cumsum([0, *lengths]).tolist()
    colors = [str(c) for c in rng.permutation(list(PALETTE))[:scenes]]
    # Alternate full and 55% brightness (HSV value >= 0.44): every cut changes brightness a lot, not only hue
    # (two neighbouring hues alone are below a content detector's threshold).
    phase = int(rng.integers(2))
    planes = [
        solid(width, height, tuple(int(v * (1.0 if (i + phase) % 2 == 0 else 0.55)) for v in PALETTE[c]))
        for i, c in enumerate(colors)
    ]
    sprites = [
        random_sprite(rng, str(rng.choice(SHAPES)), WHITE if i % 2 == 0 else (15, 15, 15), k["object_size"], width, height)
        for i in range(int(k["distractors"]))
    ]

    def background(index: int) -> np.ndarray:
        return planes[int(np.searchsorted(bounds, index, side="right")) - 1]

    render(path, k, background, sprites)
    times = [round(b / fps, 3) for b in bounds]
    cuts = times[1:-1]
    metadata = {"variant": variant, "num_scenes": scenes, "cuts": cuts, "scene_colors": colors}
    if variant == "number":
        return {
            "question": "How many scene cuts (instant changes of the whole picture) are there in the video?",
            "answer_type": "number",
            "answer": float(len(cuts)),
            "evidence": [[max(0.0, round(c - 0.5, 3)), round(c + 0.5, 3)] for c in cuts],
            "metadata": metadata,
        }
    # choice: which of these background colours appears first? (the first scene's colour is never
    # an option, so the first overview frame does not give it away)
    picks = sorted(rng.choice(np.arange(1, scenes), size=min(4, scenes - 1), replace=False).tolist())
    first = picks[0]
    options = [colors[i] for i in picks]
    order = rng.permutation(len(options))
    options = [options[i] for i in order]
    answer = "ABCD"[options.index(colors[first])]
    return {
        "question": "Which of these background colours appears first in the video?",
        "answer_type": "choice",
        "answer": answer,
        "options": options,
        "evidence": [[times[first], times[first + 1]]],
        "metadata": metadata,
    }


def _where_at(rng: np.random.Generator, path: Path, k: dict[str, Any]) -> dict[str, Any]:
    width, height, fps = k["width"], k["height"], k["fps"]
    frames = int(round(k["duration"] * fps))
    noise = noise_background(rng, width, height)
    sprites = distractors(rng, int(k["distractors"]), list(PALETTE), k["object_size"], width, height)
    size = int(k["object_size"])
    target = random_sprite(rng, "square", WHITE, size, width, height)
    render(path, k, lambda index: noise, [*sprites, target])
    index = int(rng.integers(fps, frames - fps))
    t = round(index / fps, 3)
    x, y = target.position(index / fps, width, height)
    box = [round(x / width, 4), round(y / height, 4), round((x + size) / width, 4), round((y + size) / height, 4)]
    return {
        "question": f"Where is the white square at t={t:.2f}s?",
        "answer_type": "box",
        "answer": box,
        "evidence": [[t, round((index + 1) / fps, 3)]],
        "metadata": {"time": t},
    }


_FAMILY_FUNCS = {"appear_when": _appear_when, "corner_text": _corner_text, "count_cuts": _count_cuts, "where_at": _where_at,
                 "spoken_word": spoken_word}


def make_task(family: str, seed: int, out_dir: str | Path, **knobs: Any) -> Task:
    """Render one synthetic video into ``out_dir`` and return its :class:`Task`.

    ``knobs`` override :data:`DEFAULT_KNOBS`; the same ``(family, seed, knobs)`` gives the same
    video bytes and answer. The video is ``out_dir/<family>-<seed>.mp4`` (absolute path in the task).
    """
    if family not in _FAMILY_FUNCS:
        raise ValueError(f"unknown family {family!r}; choose from {', '.join(FAMILIES + SPOKEN_FAMILIES)}")
    unknown = set(knobs) - set(DEFAULT_KNOBS)
    if unknown:
        raise ValueError(f"unknown knob(s) {sorted(unknown)}; allowed: {', '.join(DEFAULT_KNOBS)}")
    k = {**DEFAULT_KNOBS, **knobs}
    k["fps"] = int(k["fps"])
    if k["width"] % 2 or k["height"] % 2:
        raise ValueError(f"width and height must be even for H.264 4:2:0, got {k['width']}x{k['height']}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    task_id = f"{family}-{seed}"
    path = (out / f"{task_id}.mp4").resolve()
    spec = _FAMILY_FUNCS[family](_rng(family, seed), path, k)
    metadata = {"family": family, "seed": int(seed), "knobs": {key: k[key] for key in DEFAULT_KNOBS}, **spec.pop("metadata")}
    metadata["duration"] = round(int(round(k["duration"] * k["fps"])) / k["fps"], 3)
    return Task(id=task_id, video=str(path), metadata=metadata, **spec)


def make_suite(
    n: int,
    out_dir: str | Path,
    seed: int = 0,
    families: Iterable[str] | None = None,
    progress: Callable[[int, int, Task], None] | None = None,
    **knobs: Any,
) -> list[Task]:
    """``n`` tasks cycling through ``families`` (all by default), seeds ``seed, seed+1, ...``.

    Writes the videos and ``out_dir/tasks.jsonl`` (one :class:`Task` per line); ``progress(done,
    total, task)`` is called after each video.
    """
    chosen = list(families or FAMILIES)
    out = Path(out_dir)
    tasks: list[Task] = []
    for i in range(n):
        task = make_task(chosen[i % len(chosen)], seed + i, out, **knobs)
        tasks.append(task)
        if progress is not None:
            progress(i + 1, n, task)
    save_tasks(tasks, out / "tasks.jsonl")
    return tasks


__all__ = ["CORNERS", "DEFAULT_KNOBS", "FAMILIES", "PALETTE", "SPOKEN_FAMILIES", "make_suite", "make_task"]
