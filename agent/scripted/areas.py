"""Parts of the frame named in words ("top half", "bottom left corner", "the centre") and which of them
is brightest or darkest over the frames seen: "is the top or the bottom half darker overall?",
"where is the brightest area of the frame?", and what colour one part is ("is the bottom half mostly
green or blue?"). Word parsing is pure (doctested); the measures are each part's mean brightness and
median colour over the frames a tool returned.
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from vagent.agent.scripted.pixels import median_colour, nearest_colour

_AREAS = [
    (r"\b(?:top|upper)[- ]left\b|\bleft[- ](?:top|upper)\b", [0.0, 0.0, 0.5, 0.5]),
    (r"\b(?:top|upper)[- ]right\b|\bright[- ](?:top|upper)\b", [0.5, 0.0, 1.0, 0.5]),
    (r"\b(?:bottom|lower)[- ]left\b|\bleft[- ](?:bottom|lower)\b", [0.0, 0.5, 0.5, 1.0]),
    (r"\b(?:bottom|lower)[- ]right\b|\bright[- ](?:bottom|lower)\b", [0.5, 0.5, 1.0, 1.0]),
    (r"\b(?:top|upper)\b", [0.0, 0.0, 1.0, 0.5]), (r"\b(?:bottom|lower)\b", [0.0, 0.5, 1.0, 1.0]),
    (r"\bleft\b", [0.0, 0.0, 0.5, 1.0]), (r"\bright\b(?!\s+(?:now|after|before|at|when|away|then|as|from|there|here|in|on|back|up|down|into|to|off|where|the)\b)", [0.5, 0.0, 1.0, 1.0]),
    (r"\b(?:centre|center|middle)\b", [0.25, 0.25, 0.75, 0.75]),
]
_SAME = re.compile(r"\b(?:about|roughly|more or less|the) same\b|\bequal\w*\b|\bneither\b|\bno difference\b|\buniform\w*\b", re.I)
SAME_BRIGHTNESS = 0.05
"""Mean brightness difference (0-1) under which two parts count as about the same, when an option says so."""
APART = 0.02
"""Without such an option the question takes one part to be the brightest: the least difference that picks it."""


CORNER = 0.25
"""A corner is this share of the frame's width and height at that corner (a quadrant is a "quarter")."""


def frame_area(text: str) -> list[float] | None:
    """The part of the frame a phrase names, as a normalised box ``[x1, y1, x2, y2]``, else None.

    >>> frame_area("Bottom left corner."), frame_area("top left quarter"), frame_area("top half")
    ([0.0, 0.75, 0.25, 1.0], [0.0, 0.0, 0.5, 0.5], [0.0, 0.0, 1.0, 0.5])
    >>> frame_area("about the same") is None, frame_area("In the middle of the video.") is None, frame_area("the bottom half of the clip")
    (True, True, [0.0, 0.5, 1.0, 1.0])
    >>> frame_area("what happens right after it goes red?") is None, frame_area("on the right side")
    (True, [0.5, 0.0, 1.0, 1.0])
    """
    box = next((list(box) for pattern, box in _AREAS if re.search(pattern, text, re.I)), None)
    if box == _AREAS[-1][1] and re.search(r"\b(?:video|clip|film)\b", text, re.I) and not re.search(r"\b(?:frame|picture|screen|image)\b", text, re.I):
        return None  # "in the middle of the video" is a part of the time, not of the frame ("the top half of the clip" is one)
    if box is not None and re.search(r"\bcorners?\b", text, re.I) and box[2] - box[0] == 0.5 and box[3] - box[1] == 0.5:
        x, y = box[0] > 0, box[1] > 0  # the corner itself, not the whole quadrant
        box = [1.0 - CORNER if x else 0.0, 1.0 - CORNER if y else 0.0, 1.0 if x else CORNER, 1.0 if y else CORNER]
    return box


def area_options(options: list[str]) -> list[list[float] | None] | None:
    """Each option's part of the frame, when at least two options name different parts and every other
    option says they are about the same (then None for it), else None.

    >>> area_options(["top half", "bottom half", "about the same"])
    [[0.0, 0.0, 1.0, 0.5], [0.0, 0.5, 1.0, 1.0], None]
    >>> area_options(["At the start.", "At the end."]) is None
    True
    """
    areas = [frame_area(o) for o in options]
    named = [a for a in areas if a is not None]
    if len(named) < 2 or len({tuple(a) for a in named}) < len(named):
        return None
    if any(a is None and not _SAME.search(o) for a, o in zip(areas, options)):
        return None
    return areas


def asks_brightest(question: str) -> bool | None:
    """True when the question asks for the brightest part, False for the darkest, else None.

    >>> asks_brightest("Where is the brightest area of the frame?"), asks_brightest("is the top or the bottom half darker overall?")
    (True, False)
    """
    m = re.search(r"\b(bright\w*|light(?:er|est)|white\w*|dark\w*|dimm?\w*|black\w*|shad\w*)\b", question, re.I)
    return None if m is None else not re.match(r"dark|dim|black|shad", m.group(1), re.I)


def area_brightness(images: list[Image.Image], box: list[float]) -> float:
    """Mean brightness (0-1) of one part of the frame over ``images``."""
    levels = []
    for image in images:
        gray = np.asarray(image.convert("L"), dtype=np.float32)
        h, w = gray.shape
        part = gray[int(box[1] * h):max(int(box[3] * h), int(box[1] * h) + 1), int(box[0] * w):max(int(box[2] * w), int(box[0] * w) + 1)]
        levels.append(float(part.mean()) / 255.0)
    return float(np.mean(levels)) if levels else 0.0


def pick_area(question: str, options: list[str], images: list[Image.Image]) -> tuple[str, int | None]:
    """What the parts named in the options measure, and the option the question asks for: the brightest
    (or darkest) part, or the "about the same" option when the two extremes differ by less than
    :data:`SAME_BRIGHTNESS` (None when that does not single out one option, or, without such an option,
    when they differ by less than :data:`APART`)."""
    areas, brightest = area_options(options) or [], asks_brightest(question)
    levels = {i: area_brightness(images, a) for i, a in enumerate(areas) if a is not None}
    if not images or len(levels) < 2 or brightest is None:
        return "I have no frames to measure the parts of the picture on.", None
    order = sorted(levels, key=levels.__getitem__, reverse=brightest)
    said = f"Mean brightness over the {len(images)} frames I saw: " + ", ".join(f"{options[i]!r} {levels[i]:.2f}" for i in levels) + "."
    same = [i for i, a in enumerate(areas) if a is None]
    if abs(levels[order[0]] - levels[order[1]]) < (SAME_BRIGHTNESS if same else APART):
        return said, same[0] if same else None
    return said, order[0]


def area_colour_option(question: str, colours: list[str], images: list[Image.Image]) -> tuple[str, int | None]:
    """What colour the part of the frame the question names has over ``images`` (its median pixel in each),
    and the option colour nearest it (None when the question names no part, or no colour is clearly
    nearest): "is the bottom half mostly green, blue, gray or purple?"."""
    box = frame_area(question)
    if box is None or not images:
        return "", None
    parts = [im.crop((int(box[0] * im.width), int(box[1] * im.height), max(int(box[2] * im.width), int(box[0] * im.width) + 1),
                      max(int(box[3] * im.height), int(box[1] * im.height) + 1))) for im in images]
    measured = [median_colour(part) for part in parts]
    hue, sat, val = (float(np.median([m[i] for m in measured])) for i in range(3))
    pick = nearest_colour(measured, colours)
    return f"Over the {len(images)} frames I saw, that part's median colour has hue {hue:.0f}°, saturation {sat:.2f}, value {val:.2f}.", pick
