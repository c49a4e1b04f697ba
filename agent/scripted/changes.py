"""How the video passes from one picture to the next: a hard cut, a fade through black (or white), or a
dissolve (one picture blending into the other), and how it is edited as a whole ("one continuous shot",
"two shots joined by a hard cut", "a fade in from black followed by one shot"). Words are read by pure
functions (doctested); the measures are on the frames a tool returned: a frame inside a dissolve is a
mix of the frames on either side (a least-squares blend with a weight well inside 0-1 and a small
remainder), a frame next to a cut is one side or the other.
"""

from __future__ import annotations

import math
import re

import numpy as np
from PIL import Image

from vagent.agent.scripted.timeexpr import words_to_numbers

_KINDS = (("none", r"\bstay\w*|\bremain\w*|\bno (?:change|transition)\b|\bunchanged\b|\bthe same\b"),
          ("dissolve", r"\bdissolv\w*|\bcross[- ]?fad\w*|\bblend\w*|\bmorph\w*|\bmerg\w*|\boverlap\w*|\bmix\w* into\b"),
          ("fade", r"\bfad\w*|\bthrough (?:black|white)\b|\bdip\w* to\b"),
          ("cut", r"\bcuts?\b|\bcutting\b|\babrupt\w*|\bsudden\w*|\binstant\w*|\bstraight\b|\bjump\w*|\bno transition effect\b"))
_ONE = re.compile(r"\b(?:one|single|1)\s+(?:\w+\s+)?(?:shot|take)\b|\bcontinuous\b|\bno cuts?\b|\buninterrupted\b", re.I)
_SHOTS = re.compile(r"\b(\d+)\s+(?:\w+\s+)?(?:shots|clips|scenes|parts|segments|takes)\b", re.I)
_CUTS = re.compile(r"\bcuts?\s+(once|twice|thrice)\b|\b(a single|one|\d+)\s+(?:hard\s+)?cuts?\b", re.I)
_FEW = re.compile(r"\b(?:a few|several|multiple|many|lots of|a bunch of)\s+(?:\w+\s+)?(?:shots|cuts|scenes|angles|clips)\b", re.I)
"""An option saying the video has several shots: at least three."""


def change_kind(option: str) -> str | None:
    """The kind of change an option names: ``cut``, ``fade``, ``dissolve`` or ``none`` (no change), else None.

    >>> change_kind("a gradual dissolve from one picture into the other"), change_kind("a fade out to black, then a fade in")
    ('dissolve', 'fade')
    >>> change_kind("A picture appears abruptly, cutting straight in from black"), change_kind("staying the same")
    ('cut', 'none')
    >>> change_kind("The man waves") is None
    True
    """
    return next((kind for kind, pattern in _KINDS if re.search(pattern, option, re.I)), None)


def change_options(options: list[str]) -> list[str | None] | None:
    """Each option's kind of change (None for an option naming none: "it zooms in"), when at least two
    options name different kinds, else None.

    >>> change_options(["a hard cut", "a fade out to black, then a fade in", "staying the same", "a gradual dissolve"])
    ['cut', 'fade', 'none', 'dissolve']
    >>> change_options(["cuts to a white screen", "zooms in on the text", "fades to black and then fades back in"])
    ['cut', None, 'fade']
    >>> change_options(["Red.", "Blue."]) is None
    True
    """
    kinds = [change_kind(o) for o in options]
    named = [k for k in kinds if k is not None]
    return kinds if len(set(named)) >= 2 else None


def shots_claimed(option: str) -> tuple[int, float] | None:
    """How many shots an option says the video has, as the fewest and the most it allows ("two shots joined by a
    hard cut": (2, 2); "one continuous shot": (1, 1); "a few different shots": (3, inf)), else None.

    >>> shots_claimed("three shots joined by dissolves"), shots_claimed("one continuous shot with no cuts")
    ((3, 3), (1, 1))
    >>> shots_claimed("a fade in from black followed by one shot"), shots_claimed("a hard cut") is None
    ((1, 1), True)
    >>> shots_claimed("it cuts once, halfway through"), shots_claimed("there are 2 cuts"), shots_claimed("it cuts to a few different shots")
    ((2, 2), (3, 3), (3, inf))
    """
    text = words_to_numbers(option)
    if m := _SHOTS.search(text):
        n = int(m.group(1))
    elif m := _CUTS.search(text):
        times = {"once": 1, "twice": 2, "thrice": 3}
        n = 1 + (times[m.group(1).lower()] if m.group(1) else 1 if not m.group(2)[0].isdigit() else int(m.group(2)))
    elif _FEW.search(text):
        return 3, math.inf
    elif _ONE.search(text):
        n = 1
    else:
        return None
    return n, n


def starts_from(option: str) -> str | None:
    """The screen an option says the video starts from ("a fade in from black": black), else None.

    >>> starts_from("a fade in from black followed by one shot"), starts_from("two shots") is None
    ('black', True)
    >>> starts_from("starts white and fades down to black"), starts_from("it begins on a black screen")
    ('white', 'black')
    """
    m = re.search(r"\b(?:in|up|starts?|opens?|begins?)\s+(?:\w+\s+)?(?:from|with|on)\s+(?:a\s+|the\s+)?(black|white)\b", option, re.I) \
        or re.search(r"\b(?:starts?|opens?|begins?)\s+(?:as\s+|in\s+)?(?:a\s+|the\s+)?(?:fully\s+|completely\s+|pure\s+)?(black|white)\b", option, re.I)
    return m.group(1).lower() if m else None


def _small(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB").resize((16, 12)), dtype=np.float32) / 255.0


def flat(image: Image.Image) -> bool:
    """Whether a frame is one flat shade (a blank screen, not a picture): its pixels' spread under 0.03 of the range."""
    return float(_small(image).std()) < 0.03


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two frames (0-1) at 16x12 pixels."""
    return float(np.abs(_small(a) - _small(b)).mean())


def blend(before: Image.Image, after: Image.Image, middle: Image.Image) -> tuple[float, float]:
    """The weight ``w`` that makes ``w * before + (1 - w) * after`` nearest ``middle`` (least squares), and
    the remainder's mean absolute size as a share of how far ``before`` is from ``after``."""
    a, b, m = _small(before), _small(after), _small(middle)
    span = a - b
    w = float(np.clip((span * (m - b)).sum() / max(float((span * span).sum()), 1e-9), 0.0, 1.0))
    rest = float(np.abs(m - (w * a + (1.0 - w) * b)).mean())
    return w, rest / max(float(np.abs(span).mean()), 1e-9)


def mixed_between(frames: list[tuple[float, Image.Image]]) -> bool | None:
    """Whether the pictures at either end of ``frames`` (by time) blend into each other: True when a frame
    between is a mix of the two (weight 0.2-0.8, remainder under a third of their difference: a
    dissolve), False when every frame between is one side or the other (weight under 0.15 or over 0.85:
    a cut), None when the ends hardly differ, nothing lies between or the frames fit neither."""
    if len(frames) < 3 or difference(frames[0][1], frames[-1][1]) < 0.05:
        return None
    fits = [blend(frames[0][1], frames[-1][1], im) for _, im in frames[1:-1]]
    if any(0.2 <= w <= 0.8 and rest < 0.33 for w, rest in fits):
        return True
    return False if all(w < 0.15 or w > 0.85 for w, _ in fits) else None


def fades_between(frames: list[tuple[float, Image.Image]]) -> bool:
    """Whether ``frames`` (by time) pass from the first picture to the last by blends of those two alone, each
    nearer the last than the one before (a fade, however slow), not through a third picture (a cut or a
    dissolve to another picture on the way)."""
    if len(frames) < 3 or difference(frames[0][1], frames[-1][1]) < 0.05:
        return False
    fits = [blend(frames[0][1], frames[-1][1], im) for _, im in frames[1:-1]]
    weights = [1.0, *(w for w, _ in fits), 0.0]
    return all(rest < 0.33 for _, rest in fits) and all(b <= a + 0.05 for a, b in zip(weights, weights[1:]))


def in_a_fade(frames: list[tuple[float, Image.Image]], t: float, gaps: list[tuple[float, float, bool]], reach: float = 3.0) -> bool:
    """Whether a change found at ``t`` lies inside a slow fade into (out of) a black or white screen whose edge
    is in one of ``gaps`` (``(lo, hi, leaving)``, as :meth:`~vagent.agent.scripted.timeline.Timeline.edges`),
    up to ``reach`` seconds away: the frames from the picture to the screen fade (:func:`fades_between`)."""
    for lo, hi, leaving in gaps:
        if leaving and hi <= t <= hi + reach:
            run = [f for f in frames if lo - 1e-6 <= f[0] <= t + 1.2][::-1]
        elif not leaving and lo - reach <= t <= lo + 1e-6:
            run = [f for f in frames if t - 1.2 <= f[0] <= hi + 1e-6]
        else:
            continue
        if fades_between(run):
            return True
    return False
