"""Options decided by evidence: a time or span compared with the options' times, a number with the
options' numbers, a text read on screen matched to the options (``rapidfuzz``), and, when nothing decides,
a guess that is drawn (never "the first option") and said to be one; the options' colour words are read
in :mod:`~vagent.agent.scripted.colour_words`. Pure functions (doctested).
"""

from __future__ import annotations

import re
import zlib

from rapidfuzz import fuzz

from vagent.agent.scripted.timeexpr import TIMED, times_in, words_to_numbers
from vagent.answers import LETTERS, parse_number

def is_time(option: str) -> bool:
    """Whether an option writes a time: a number with a time unit, a clock time, or a bare number.

    >>> is_time("at 1.5 s"), is_time("0:04"), is_time("2"), is_time("LAP 1"), is_time("two seconds")
    (True, True, True, False, True)
    """
    text = words_to_numbers(option)
    return bool(TIMED.search(text) or re.fullmatch(r"\s*\d+(?:\.\d+)?\s*\.?\s*", text))


def yes_no_options(options: list[str]) -> tuple[int, int] | None:
    """The indices of the "yes" and the "no" option, when the options are those two.

    >>> yes_no_options(["No.", "Yes."]), yes_no_options(["Yes, twice", "No"]), yes_no_options(["North", "South"])
    ((1, 0), (0, 1), None)
    >>> yes_no_options(["not sure", "yes", "no"])
    (1, 2)
    """
    first = [(re.match(r"\s*(yes|no)\b", o, re.I) or [None, None])[1] for o in options]
    words = [w.lower() if w else None for w in first]
    unsure = [i for i, o in enumerate(options) if words[i] is None and _UNSURE.search(o)]
    if sorted(w for w in words if w) == ["no", "yes"] and len(options) == 2 + len(unsure) <= 3:
        return words.index("yes"), words.index("no")  # an "unsure" option is never what evidence picks
    return None


_UNSURE = re.compile(r"\bnot sure\b|\bdon'?t know\b|\bunknown\b|\bcannot be (?:determined|inferred)\b|\bunsure\b", re.I)
_PARTS = [(r"\bthroughout\b|\bentire\b|\bwhole\b|\ball the time\b|\ball along\b|\bfrom (?:the )?(?:start|beginning) to (?:the )?"
           r"(?:finish|end)\b", (0.0, 1.0)),
          (r"\bfirst half\b", (0.0, 0.5)), (r"\b(?:second|latter|last) half\b", (0.5, 1.0)),
          (r"\bbeginning\b|\bstart\b|\bopening\b|\bearly\b|\bearlier part\b", (0.0, 1 / 3)),
          (r"\bmiddle\b|\bhalfway\b|\bmidway\b|\bcent(?:re|er) of the\b", (1 / 3, 2 / 3)),
          (r"\bend\b|\bfinal\b|\blate\b|\blatter\b|\blater part\b|\bclosing\b|\blast part\b", (2 / 3, 1.0))]


def part_options(options: list[str]) -> list[tuple[float, float]] | None:
    """Each option's part of the video as fractions of its length, when every option names one
    (the beginning, the middle, the end, throughout), else None.

    >>> part_options(["At the beginning of the video.", "In the middle of the video.", "Throughout the entire video."])
    [(0.0, 0.3333333333333333), (0.3333333333333333, 0.6666666666666666), (0.0, 1.0)]
    >>> part_options(["In the first half.", "In the second half.", "From start to finish."])
    [(0.0, 0.5), (0.5, 1.0), (0.0, 1.0)]
    """
    parts = []
    for option in options:
        found = next((window for pattern, window in _PARTS if re.search(pattern, option, re.I)), None)
        if found is None:
            return None
        parts.append(found)
    return parts if len(set(parts)) == len(parts) else None


def part_option(options: list[str], start: float, end: float, duration: float) -> int | None:
    """The option whose part of the video holds ``[start, end]``: throughout when the span covers
    most of the video, else the part around its middle (None when the options are not parts).

    >>> part_option(["At the end.", "In the middle.", "At the beginning.", "Throughout."], 9.5, 9.9, 10)
    0
    """
    parts = part_options(options)
    if parts is None or duration <= 0:
        return None
    a, b = start / duration, end / duration
    if b - a >= 0.8 and (0.0, 1.0) in parts:
        return parts.index((0.0, 1.0))
    middle = (a + b) / 2
    inside = [i for i, (x, y) in enumerate(parts) if x <= middle <= y and (x, y) != (0.0, 1.0)]
    return inside[0] if len(inside) == 1 else None


def parts_option(options: list[str], spans: list[tuple[float, float]], duration: float) -> int | None:
    """The option whose part of the video holds every span: throughout when the spans cover most of
    the video, else the one part all of them fall in (None when they fall in different parts).

    >>> parts = ["At the beginning.", "In the middle.", "At the end.", "Throughout."]
    >>> parts_option(parts, [(1.0, 2.0)], 3), parts_option(parts, [(0.0, 1.0), (8.0, 9.0)], 9), parts_option(parts, [(0, 9)], 9)
    (1, None, 3)
    """
    parts = part_options(options)
    if parts is None or not spans or duration <= 0:
        return None
    if sum(b - a for a, b in spans) / duration >= 0.8 and (0.0, 1.0) in parts:
        return parts.index((0.0, 1.0))
    picks = {part_option(options, a, b, duration) for a, b in spans}
    return picks.pop() if len(picks) == 1 else None


def time_options(options: list[str]) -> list[float] | None:
    """Each option's time in seconds when every option writes exactly one time, else None.

    >>> time_options(["At 1 second", "2.5 s", "0:04"]), time_options(["red", "2 s"]), time_options(["LAP 1", "LAP 2"])
    ([1.0, 2.5, 4.0], None, None)
    """
    times = [times_in(o) for o in options]
    ok = options and all(len(t) == 1 and is_time(o) for t, o in zip(times, options))
    return [t[0] for t in times] if ok else None


def nearest_time_option(options: list[str], t: float) -> int | None:
    """The option whose time is nearest ``t`` (None when the options are not times or two tie).

    >>> nearest_time_option(["0.5 s", "1.5 s", "3 s"], 1.7), nearest_time_option(["1 s", "3 s"], 2.0)
    (1, None)
    """
    return _nearest(time_options(options), t)


_TIMES_VALUE = {"once": 1, "twice": 2, "thrice": 3}
_TIMES = re.compile(r"\b(?:once|twice|thrice)\b", re.I)


def number_options(options: list[str]) -> list[float] | None:
    """Each option's number when every option writes exactly one (digits or words), else None.

    >>> number_options(["Five.", "Four.", "3.", "One"]), number_options(["LAP 1", "LAP 2 of 3"])
    ([5.0, 4.0, 3.0, 1.0], None)
    >>> number_options(["no cuts, it's one continuous shot", "one cut", "two cuts"])
    [0.0, 1.0, 2.0]
    >>> number_options(["it cuts once", "it cuts twice", "it cuts three or more times", "one continuous shot, no cuts"])
    [1.0, 2.0, 3.0, 0.0]
    """
    values = []
    for option in options:
        if re.match(r"\s*(?:no|none|zero|not any|never)\b", option, re.I) or re.search(r"\bno (?:cuts?|changes?|transitions?)\b|\bcontinuous\b", option, re.I):  # "no cuts, it's one continuous shot"
            values.append(0.0)
            continue
        found = re.findall(r"-?\d+(?:\.\d+)?", words_to_numbers(_TIMES.sub(lambda m: f" {_TIMES_VALUE[m.group(0).lower()]} times", option)))
        value = float(found[0]) if len(found) == 1 else None if found else parse_number(option)  # "one" stays a word above
        if value is None:
            return None
        values.append(value)
    return values or None


def nearest_number_option(options: list[str], value: float) -> int | None:
    """The option whose number is nearest ``value`` (None when the options are not numbers or two tie).

    >>> nearest_number_option(["A. 2.", "B. 7.", "C. 3."], 3), nearest_number_option(["Five.", "Three."], 4)
    (2, None)
    """
    return _nearest(number_options(options), value)


def _nearest(values: list[float] | None, target: float) -> int | None:
    if values is None:
        return None
    gaps = sorted((abs(x - target), i) for i, x in enumerate(values))
    return gaps[0][1] if len(gaps) == 1 or gaps[1][0] - gaps[0][0] > 1e-6 else None


def text_option(options: list[str], text: str, floor: float = 80.0) -> int | None:
    """The option a text read on screen names (fuzzy; a clear best above ``floor``), else None.

    >>> text_option(["Brandon Castellano", "www.bcastell.com"], "Copyright 2013 Brandon Castelano")
    0
    >>> text_option(["LAP 1", "LAP 2"], "SPEED 32") is None
    True
    """
    norm = [re.sub(r"\s+", " ", o.strip().lower()) for o in options]
    seen = re.sub(r"\s+", " ", text.lower())
    scores = [fuzz.partial_ratio(o, seen) if o else 0.0 for o in norm]
    best = max(range(len(scores)), key=lambda i: (scores[i], len(norm[i]))) if scores else None
    if best is None or scores[best] < floor:
        return None
    rivals = [s for i, s in enumerate(scores) if i != best and s >= scores[best] - 1e-6 and len(norm[i]) >= len(norm[best])]
    return None if rivals else best


def guess_option(question: str, options: list[str]) -> int:
    """A guess drawn from the question and options (the same every time, the first no more often).

    >>> guess_option("Which colour?", ["red", "blue", "green"]) in (0, 1, 2)
    True
    """
    return zlib.crc32(("\n".join([question, *options])).encode()) % max(1, len(options))


def guess_move(why: str, question: str, options: list[str]) -> tuple[str, str]:
    """Think and letter for a choice the evidence does not decide: says so, and that it guesses."""
    pick = guess_option(question, options)
    return (f"{why}; the evidence does not decide between the options, so I guess option {LETTERS[pick]} "
            "(drawn at random, not chosen by evidence).", LETTERS[pick])
