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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vagent.agent.palette import CORNERS  # the corner names the scripted policy reads captions in
from vagent.env.tasks import Task, save_tasks

FAMILIES: tuple[str, ...] = ("appear_when", "corner_text", "count_cuts", "where_at")

# Saturated, bright colours (HSV saturation > 0.7, value >= 0.8) at well separated hues, so a
# colour name can be read back from pixels by hue alone. Backgrounds of the appear_when /
# corner_text / where_at families are dark (value < 0.4) and never mistaken for these.
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (235, 35, 35),
    "orange": (250, 140, 20),
    "yellow": (245, 225, 30),
    "green": (40, 205, 60),
    "cyan": (30, 215, 230),
    "blue": (45, 90, 245),
    "purple": (150, 60, 240),
    "magenta": (235, 45, 200),
}
WHITE = (250, 250, 250)
DARK_BACKGROUNDS: tuple[tuple[int, int, int], ...] = (  # HSV value <= 0.31
    (38, 38, 42),  # charcoal
    (30, 40, 70),  # navy
    (70, 55, 40),  # brown
    (35, 70, 50),  # dark green
    (65, 45, 75),  # dark purple
    (40, 65, 75),  # dark teal
)
# Pale, unsaturated (HSV saturation < 0.25) backgrounds of the cue and decoy segments: a jump
# from a dark base to one of these is a large brightness change, which every content-based
# scene detector reports, and they never look like a saturated PALETTE colour.
PALE_BACKGROUNDS: tuple[tuple[int, int, int], ...] = (
    (190, 190, 190),  # light grey
    (215, 205, 180),  # beige
    (180, 195, 215),  # pale blue
    (185, 210, 185),  # pale green
    (215, 185, 195),  # pale pink
)
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "diamond")
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
- ``variant``: count_cuts question kind, ``"number"`` or ``"choice"`` (``None``: from the seed).
- ``crf``: x264 quality (lower = better; small text needs <= 20).
"""


@dataclass
class _Sprite:
    shape: str
    color: tuple[int, int, int]
    size: int
    x0: float
    y0: float
    vx: float
    vy: float
    start: int = 0  # first frame index shown
    stop: int = 1 << 30  # first frame index no longer shown

    def position(self, t: float, width: int, height: int) -> tuple[int, int]:
        return (_bounce(self.x0 + self.vx * t, width - self.size), _bounce(self.y0 + self.vy * t, height - self.size))


def _bounce(value: float, limit: int) -> int:
    """Reflect ``value`` into ``[0, limit]`` (a shape bouncing off the frame edges)."""
    period = 2 * limit
    value = value % period
    return int(round(value if value <= limit else period - value))


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, x: int, y: int, size: int, color: tuple[int, int, int]) -> None:
    box = (x, y, x + size - 1, y + size - 1)
    if shape == "circle":
        draw.ellipse(box, fill=color)
    elif shape == "square":
        draw.rectangle(box, fill=color)
    elif shape == "triangle":
        draw.polygon([(x + size / 2, y), (x + size - 1, y + size - 1), (x, y + size - 1)], fill=color)
    elif shape == "diamond":
        half = size / 2
        draw.polygon([(x + half, y), (x + size - 1, y + half), (x + half, y + size - 1), (x, y + half)], fill=color)
    else:  # pragma: no cover - guarded by SHAPES
        raise ValueError(f"unknown shape {shape!r}")


def _rng(family: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(family.encode()), int(seed)])


def _sprite(rng: np.random.Generator, shape: str, color: tuple[int, int, int], size: int, width: int, height: int) -> _Sprite:
    speed = rng.uniform(15, 45)
    angle = rng.uniform(0, 2 * np.pi)
    return _Sprite(
        shape=shape,
        color=color,
        size=size,
        x0=float(rng.uniform(0, width - size)),
        y0=float(rng.uniform(0, height - size)),
        vx=float(speed * np.cos(angle)),
        vy=float(speed * np.sin(angle)),
    )


def _distractors(rng: np.random.Generator, count: int, colors: list[str], size: int, width: int, height: int) -> list[_Sprite]:
    return [
        _sprite(rng, str(rng.choice(SHAPES)), PALETTE[str(rng.choice(colors))], size, width, height)
        for _ in range(count)
    ]


def _place_segments(rng: np.random.Generator, total: int, lengths: list[int], gap: int) -> list[tuple[int, int]] | None:
    """Non-overlapping ``[start, stop)`` frame ranges with ``gap`` frames around each; None if they don't fit."""
    for _ in range(200):
        placed: list[tuple[int, int]] = []
        for length in lengths:
            low, high = gap, total - gap - length
            if high < low:
                return None
            start = int(rng.integers(low, high + 1))
            if all(start + length + gap <= a or start >= b + gap for a, b in placed):
                placed.append((start, start + length))
            else:
                break
        else:
            return placed
    return None


class _Renderer:
    """Writes frames to an H.264 mp4 with PTS = frame index / fps."""

    def __init__(self, path: Path, width: int, height: int, fps: int, crf: int):
        self.container = av.open(str(path), mode="w", format="mp4")
        stream = self.container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.thread_count = 1  # deterministic bytes
        stream.codec_context.options = {"crf": str(crf), "preset": "veryfast", "g": str(2 * fps), "bf": "0"}
        self.stream = stream
        self.index = 0

    def write(self, rgb: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = self.index  # encoder time base is 1/fps (from rate)
        self.index += 1
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()


def _render(
    path: Path,
    k: dict[str, Any],
    background: Callable[[int], np.ndarray],
    sprites: list[_Sprite],
    overlay: Callable[[int, ImageDraw.ImageDraw], None] | None = None,
) -> int:
    width, height, fps = k["width"], k["height"], k["fps"]
    frames = int(round(k["duration"] * fps))
    renderer = _Renderer(path, width, height, fps, k["crf"])
    try:
        for index in range(frames):
            image = Image.fromarray(background(index))
            draw = ImageDraw.Draw(image)
            t = index / fps
            for sprite in sprites:
                if sprite.start <= index < sprite.stop:
                    x, y = sprite.position(t, width, height)
                    _draw_shape(draw, sprite.shape, x, y, sprite.size, sprite.color)
            if overlay is not None:
                overlay(index, draw)
            renderer.write(np.asarray(image))
    finally:
        renderer.close()
    return frames


def _solid(width: int, height: int, color: tuple[int, int, int]) -> np.ndarray:
    return np.broadcast_to(np.array(color, dtype=np.uint8), (height, width, 3))


def _segment_backgrounds(
    rng: np.random.Generator, k: dict[str, Any], event: tuple[int, int], decoys: list[tuple[int, int]]
) -> tuple[Callable[[int], np.ndarray], list[tuple[int, int]]]:
    """Dark base background; the event and each decoy segment get their own pale colour."""
    base = DARK_BACKGROUNDS[int(rng.integers(len(DARK_BACKGROUNDS)))]
    segments = ([event] if k["scene_cue"] else []) + decoys
    order = rng.permutation(len(PALE_BACKGROUNDS))
    colors = [PALE_BACKGROUNDS[order[i % len(order)]] for i in range(len(segments))]
    planes = {color: _solid(k["width"], k["height"], color) for color in [base, *colors]}

    def background(index: int) -> np.ndarray:
        for (start, stop), color in zip(segments, colors):
            if start <= index < stop:
                return planes[color]
        return planes[base]

    return background, segments


def _event_layout(rng: np.random.Generator, k: dict[str, Any], frames: int) -> tuple[tuple[int, int], list[tuple[int, int]]]:
    fps = k["fps"]
    length = max(2, int(round(k["event_duration"] * fps)))
    decoy_lengths = [int(rng.integers(max(2, fps), 2 * fps + 1)) for _ in range(int(k["decoys"]))]
    for gap in (fps, fps // 2, 1):
        placed = _place_segments(rng, frames, [length, *decoy_lengths], gap)
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
    sprites = _distractors(rng, int(k["distractors"]), others, k["object_size"], width, height)
    target = _sprite(rng, shape, PALETTE[color], k["object_size"], width, height)
    target.start, target.stop = event
    background, _ = _segment_backgrounds(rng, k, event, decoys)
    _render(path, k, background, [*sprites, target])
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
    sprites = _distractors(rng, int(k["distractors"]), list(PALETTE), k["object_size"], width, height)
    background, _ = _segment_backgrounds(rng, k, event, decoys)
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

    _render(path, k, background, sprites, overlay)
    span = [round(event[0] / fps, 3), round(event[1] / fps, 3)]
    box = [round(label[0] / width, 4), round(label[1] / height, 4), round((label[2] + 1) / width, 4), round((label[3] + 1) / height, 4)]
    return {
        "question": "A short code is shown briefly in one corner of the video. What is the code?",
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
        _solid(width, height, tuple(int(v * (1.0 if (i + phase) % 2 == 0 else 0.55)) for v in PALETTE[c]))
        for i, c in enumerate(colors)
    ]
    sprites = [
        _sprite(rng, str(rng.choice(SHAPES)), WHITE if i % 2 == 0 else (15, 15, 15), k["object_size"], width, height)
        for i in range(int(k["distractors"]))
    ]

    def background(index: int) -> np.ndarray:
        return planes[int(np.searchsorted(bounds, index, side="right")) - 1]

    _render(path, k, background, sprites)
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


def _noise_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Blocky dark noise (8x8 px cells, values 20-140): busy but cheap to encode."""
    cells = rng.integers(20, 141, size=((height + 7) // 8, (width + 7) // 8, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.kron(cells, np.ones((8, 8, 1), dtype=np.uint8))[:height, :width])


def _where_at(rng: np.random.Generator, path: Path, k: dict[str, Any]) -> dict[str, Any]:
    width, height, fps = k["width"], k["height"], k["fps"]
    frames = int(round(k["duration"] * fps))
    noise = _noise_background(rng, width, height)
    sprites = _distractors(rng, int(k["distractors"]), list(PALETTE), k["object_size"], width, height)
    size = int(k["object_size"])
    target = _sprite(rng, "square", WHITE, size, width, height)
    _render(path, k, lambda index: noise, [*sprites, target])
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


_FAMILY_FUNCS = {"appear_when": _appear_when, "corner_text": _corner_text, "count_cuts": _count_cuts, "where_at": _where_at}


def make_task(family: str, seed: int, out_dir: str | Path, **knobs: Any) -> Task:
    """Render one synthetic video into ``out_dir`` and return its :class:`Task`.

    ``knobs`` override :data:`DEFAULT_KNOBS`; the same ``(family, seed, knobs)`` gives the same
    video bytes and answer. The video is ``out_dir/<family>-<seed>.mp4`` (absolute path in the task).
    """
    if family not in _FAMILY_FUNCS:
        raise ValueError(f"unknown family {family!r}; choose from {', '.join(FAMILIES)}")
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


__all__ = ["CORNERS", "DEFAULT_KNOBS", "FAMILIES", "PALETTE", "make_suite", "make_task"]
