"""The video as a timeline, from what the tools returned: the times the picture is a colour (runs of
frames), its brightness across a window, the cuts, and when a text is on screen. The survey
(:mod:`~vagent.agent.scripted.survey`) answers from it; every time here is a frame's or a read's
time, so an answer names only what a tool showed.
"""

from __future__ import annotations

import re

from PIL import Image
from rapidfuzz import fuzz

from vagent.agent.scripted.colour_words import asked_colour
from vagent.agent.scripted.events import ordinal
from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.evidence import Evidence, clean_code
from vagent.agent.scripted.picture import FULLY_WORDS
from vagent.agent.scripted.pixels import brightness, colour_name, looks

TREND = 0.08
"""Smallest change of mean brightness (0-1) across a window that counts as darker or brighter."""
BLACK = 0.06
"""Mean brightness (0-1) under which a frame is a black screen."""


def names(line: str, item: str) -> bool:
    """Whether a line read on screen writes ``item`` (small misreads allowed; a short line inside a
    longer item names nothing).

    >>> names("> INITIATE SEARCH PROGRAM", "Initiate Search Program"), names("ER", "Enter Password")
    (True, False)
    """
    seen, wanted = clean_code(line), clean_code(item)
    if len(seen) < 3 or not wanted:
        return False
    return wanted in seen or fuzz.ratio(seen, wanted) >= 85 or len(seen) >= len(wanted) and fuzz.partial_ratio(wanted, seen) >= 88


FULLY = re.compile(rf"\b(?:{FULLY_WORDS}|full|all)\s+(white|black)\b", re.I)
"""A white or black screen asked at its fullest ("fully white"), not on its way there."""


def shows(image: Image.Image, colour: str) -> bool:
    """Whether the picture is ``colour``; black is a black screen (mean brightness under :data:`BLACK`),
    not a dark picture, whose median pixel may be nearest black; ``fully white`` (``fully black``) is
    within 0.015 of full brightness (of none)."""
    if colour in ("fully white", "fully black"):
        return at_full(brightness(image), colour.split()[1])
    return brightness(image) < BLACK if colour == "black" else looks(image, colour)


FULL = 0.015
"""How close to full brightness (to none) a picture is to count as fully white (fully black)."""


def at_full(level: float, colour: str) -> bool:
    """Whether a mean brightness (0-1) is fully ``colour`` (white or black)."""
    return level > 1 - FULL if colour == "white" else level < FULL


def first_fullest(frames: list[tuple[float, Image.Image]], colour: str, start: float, end: float) -> tuple[float, float] | None:
    """When the picture is first at its fullest ``colour`` (white or black) within ``[start, end]``, and its mean
    brightness there: the first frame that is fully that colour, else the first at the stretch's extreme, so a
    peak that falls between the frames seen still counts; None without frames there.

    >>> grey = lambda v: Image.new("L", (4, 4), v)
    >>> [(t, round(v, 2)) for t, v in [first_fullest([(0.0, grey(200)), (0.1, grey(253)), (0.2, grey(255))], "white", 0.0, 0.2)]]
    [(0.1, 0.99)]
    >>> [(t, round(v, 2)) for t, v in [first_fullest([(0.0, grey(200)), (0.1, grey(240)), (0.2, grey(230))], "white", 0.0, 0.2)]]
    [(0.1, 0.94)]
    """
    inside = [(t, brightness(image)) for t, image in frames if start - 1e-6 <= t <= end + 1e-6]
    if not inside:
        return None
    full = [(t, v) for t, v in inside if at_full(v, colour)]
    extreme = (max if colour == "white" else min)(v for _, v in inside)
    return full[0] if full else next((t, v) for t, v in inside if abs(v - extreme) < 0.005)


def event_colour(phrase: str) -> str | None:
    """The colour an event phrase names, ``fully white`` / ``fully black`` when it says so.

    >>> event_colour("fully white"), event_colour("black at the very start"), event_colour("the first cut")
    ('fully white', 'black', None)
    """
    if m := FULLY.search(phrase):
        return f"fully {m.group(1).lower()}"
    return asked_colour(phrase)


class Timeline(Evidence):
    """Timeline reads over the evidence a plan has gathered (see :class:`Evidence`)."""

    def runs(self, colour: str) -> list[tuple[float, float]]:
        """When the picture is ``colour`` (or ``bright`` / ``dark``): from the first frame that looks it to
        the first frame after that does not (the video's end when none does), in order."""
        out: list[tuple[float, float]] = []
        start = None
        for t, image in self.frames():
            if shows(image, colour):
                start = t if start is None else start
            elif start is not None:
                out.append((start, t))
                start = None
        if start is not None:
            out.append((start, max(self.c.duration, start)))
        return out

    def boundaries(self, colour: str, which: int = 1) -> list[tuple[float, float]]:
        """Gaps between frames seen on either side of the ``which``-th run's start and end (where a
        closer look would place them better)."""
        runs = self.runs(colour)
        if not runs or len(runs) < abs(which):
            return []
        start, end = runs[which - 1 if which > 0 else which]
        times = [t for t, _ in self.frames()]
        before = [t for t in times if t < start - 1e-6]
        after = [t for t in times if t > start + 1e-6 and not (start <= t < end - 1e-6)]
        gaps = [(before[-1], start)] if before else [(0.0, start)]  # nothing seen before it: from the video's start
        last_in = max((t for t in times if start - 1e-6 <= t < end - 1e-6), default=start)
        if end < self.c.duration - 1e-6 and after:
            gaps.append((last_in, end))
        return [(a, b) for a, b in gaps if b - a > 0.06]

    def labels_after(self, colour: str) -> tuple[float, float | None, str | None]:
        """Where the first ``colour`` run starts and ends, and what colour the picture has next (None
        when the run lasts to the end or was not seen)."""
        runs = self.runs(colour)
        if not runs:
            return -1.0, None, None
        start, end = runs[0]
        if end >= self.c.duration - 1e-6:
            return start, None, None
        nxt = next((im for t, im in self.frames() if t >= end - 1e-6), None)
        return start, end, colour_name(nxt) if nxt is not None else None

    def moment(self, phrase: str) -> float | None:
        """When the event a phrase names happens: the n-th time the picture turns a colour (or stops being
        it), the n-th cut, a quoted text's first read, the video's start or end; None when not seen."""
        n = ordinal(phrase) or 1
        if re.search(r"\b(?:at|from) the (?:very )?(?:start|beginning)\b", phrase, re.I):
            return 0.0  # "black at the very start": the video's start
        if colour := event_colour(phrase):
            runs = self.runs(colour)
            if len(runs) < abs(n):
                return None
            start, end = runs[n - 1 if n > 0 else n]
            return end if re.search(r"\b(?:ends?|stops?|over|gone|leaves?)\b", phrase, re.I) else start
        if re.search(r"\b(?:cuts?|changes?|transitions?|scenes?|shots?|switch\w*)\b", phrase, re.I):
            cuts = self.cuts()
            return cuts[n - 1 if n > 0 else n] if self.ok("detect_scenes") and len(cuts) >= abs(n) else None
        if quoted := re.search(r"[\"“'‘]([^\"”'’]{2,60})[\"”'’]", phrase):
            seen = self.text_times(quoted.group(1))[0]
            return seen[0] if seen else None
        if re.search(r"\b(?:start\w*|beginning|begins?|opening)\b", phrase, re.I):
            return 0.0
        return self.c.duration if re.search(r"\bend\w*\b", phrase, re.I) else None

    def edges(self, colour: str) -> list[tuple[float, float, bool]]:
        """Where the picture enters or leaves a ``colour`` run, as the gap between the frames seen on either
        side: ``(last frame before, first frame after, leaving)``; not the video's own start or end."""
        times = [t for t, _ in self.frames()]
        out = []
        for start, end in self.runs(colour):
            before = [t for t in times if t < start - 1e-6]
            if before:
                out.append((before[-1], start, False))
            inside = [t for t in times if start - 1e-6 <= t < end - 1e-6]
            if end < self.c.duration - 1e-6 and inside:
                out.append((inside[-1], end, True))
        return out

    def gradual(self, lo: float, hi: float, colour: str, leaving: bool) -> bool:
        """Whether the picture passes gradually between ``colour`` and the picture at the gap ``lo``-``hi``
        (a fade): a frame from the gap into the second on the picture's side (after it when ``leaving``
        the colour, before it when entering) lies between the two levels, by a quarter of the change
        either side; after (before) a cut none does."""
        near = [brightness(im) for t, im in self.frames() if lo - 1.0 <= t <= hi + 1.0]
        side = [brightness(im) for t, im in self.frames() if (lo - 1e-6 <= t <= hi + 1.0 if leaving else lo - 1.0 <= t <= hi + 1e-6)]
        if not near:
            return False
        target = 0.0 if colour == "black" else 1.0
        picture = max(near, key=lambda v: abs(v - target))
        low, high = sorted((target, picture))
        margin = 0.25 * (high - low)
        return high - low > TREND and any(low + margin < v < high - margin for v in side)

    def edge_looks(self, colour: str, frames: int = 4) -> list[tuple[float, ToolCall]]:
        """Frames across each gap where the picture enters or leaves a ``colour`` run and the second on the
        picture's side (see :meth:`gradual`), with the gap's start."""
        return [(lo, self.crop(lo, hi + 1.0, frames) if leaving else self.crop(lo - 1.0, hi, frames)) for lo, hi, leaving in self.edges(colour)]

    def extremes(self, colour: str, most: int = 3) -> list[float]:
        """Times of the brightest (white) or darkest (black) frames seen, local extremes first: where a
        white or black screen between sampled frames would be."""
        seen = [(t, brightness(im)) for t, im in self.frames()]
        sign = 1.0 if colour == "white" else -1.0
        peaks = [t for i, (t, v) in enumerate(seen)
                 if all(sign * v >= sign * w for _, w in seen[max(0, i - 1):i + 2])]
        return sorted(peaks, key=lambda t: -sign * dict(seen)[t])[:most]

    def trend(self, start: float, end: float) -> float | None:
        """Mean brightness of the last quarter of the frames in ``[start, end]`` minus the first quarter's."""
        inside = [brightness(im) for t, im in self.frames() if start - 1e-6 <= t <= end + 1e-6]
        if len(inside) < 2:
            return None
        k = max(1, len(inside) // 4)
        return sum(inside[-k:]) / k - sum(inside[:k]) / k

    def reversals(self, start: float, end: float, step: float = 0.1) -> tuple[int, int]:
        """How often the mean brightness of the frames in ``[start, end]`` turns from rising to falling or back
        (a move counts once it passes ``step``, 0-1), and how many steps between frames there are."""
        inside = [brightness(im) for t, im in self.frames() if start - 1e-6 <= t <= end + 1e-6]
        turns, direction, anchor = 0, 0, inside[0] if inside else 0.0
        for level in inside[1:]:
            if abs(level - anchor) < step:
                continue
            now = 1 if level > anchor else -1
            turns += direction != 0 and now != direction
            direction, anchor = now, level
        return turns, max(0, len(inside) - 1)

    def brightness_range(self, start: float, end: float) -> tuple[float, float] | None:
        """The lowest and highest mean brightness of the frames in ``[start, end]`` (None under two frames)."""
        inside = [brightness(im) for t, im in self.frames() if start - 1e-6 <= t <= end + 1e-6]
        return (min(inside), max(inside)) if len(inside) >= 2 else None

    def cuts(self, start: float = 0.0, end: float | None = None) -> list[float]:
        """Scene starts (after the first) inside ``[start, end]``."""
        end = self.c.duration if end is None else end
        return [a for a, _ in self.scenes()[1:] if start - 1e-6 <= a <= end + 1e-6]

    def text_times(self, item: str, box: list[float] | None = None) -> tuple[list[float], list[float]]:
        """The read times at which ``item`` was on screen, and those at which it was not."""
        seen, unseen = [], []
        for t, lines in self.reads(box):
            (seen if any(names(line, item) for line in lines) else unseen).append(t)
        return seen, unseen

    def text_gap(self, item: str) -> tuple[float, float] | None:
        """The gap before the first read with ``item``, when it is wide: from the last read without it, or
        the one before that when it is near (OCR misses a line now and then, and text may blink)."""
        seen, unseen = self.text_times(item)
        if not seen:
            return None
        before = [t for t in unseen if t < seen[0]]
        if len(before) >= 2 and seen[0] - before[-2] <= 1.5:
            before.pop()
        return (before[-1], seen[0]) if before and seen[0] - before[-1] > 0.15 else None

    def read_times(self, most: int = 12) -> list[float]:
        """Times to read the screen at: early, middle and late in each scene (evenly across the video
        when it has one scene or more than ``most`` / 3)."""
        scenes = self.scenes()
        if 1 < len(scenes) <= most // 3:
            times = [a + f * (b - a) for a, b in scenes for f in (0.15, 0.5, 0.9)]
        else:
            times = [self.c.duration * (i + 0.5) / most for i in range(most)]
        return [round(t, 2) for t in times]
