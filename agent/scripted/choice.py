"""Options decided by evidence: a time or span compared with the options' times, a text read on
screen matched to the options (``rapidfuzz``), a measured colour or brightness matched to the colour
words in the options, and, when nothing decides, a guess that is drawn (never "the first option")
and said to be one. Pure functions (doctested).
"""

from __future__ import annotations

import re
import zlib

from rapidfuzz import fuzz

from vagent.agent.palette import COLOR_HUES, NEUTRAL_COLORS
from vagent.agent.scripted.timeexpr import times_in
from vagent.answers import LETTERS

_SYNONYMS = {"grey": "gray", "light": "bright", "lighter": "bright", "brighter": "bright", "darker": "dark",
             "violet": "purple", "pink": "magenta", "teal": "cyan", "turquoise": "cyan", "lime": "green", "gold": "yellow"}
COLOUR_WORDS = (*COLOR_HUES, *NEUTRAL_COLORS, "bright", "dark", *_SYNONYMS)


def option_colour(option: str) -> str | None:
    """The one colour (or ``bright`` / ``dark``) an option names, else None.

    >>> option_colour("Grey"), option_colour("The background is mostly red"), option_colour("light"), option_colour("red and blue")
    ('gray', 'red', 'bright', None)
    """
    found = {(_SYNONYMS.get(w, w)) for w in re.findall(r"[a-z]+", option.lower()) if w in COLOUR_WORDS}
    return found.pop() if len(found) == 1 else None


def time_options(options: list[str]) -> list[float] | None:
    """Each option's time in seconds when every option writes exactly one, else None.

    >>> time_options(["At 1 second", "2.5 s", "0:04"]), time_options(["red", "2 s"])
    ([1.0, 2.5, 4.0], None)
    """
    times = [times_in(o) for o in options]
    return [t[0] for t in times] if options and all(len(t) == 1 for t in times) else None


def nearest_time_option(options: list[str], t: float) -> int | None:
    """The option whose time is nearest ``t`` (None when the options are not times or two tie).

    >>> nearest_time_option(["0.5 s", "1.5 s", "3 s"], 1.7), nearest_time_option(["1 s", "3 s"], 2.0)
    (1, None)
    """
    times = time_options(options)
    if times is None:
        return None
    gaps = sorted((abs(x - t), i) for i, x in enumerate(times))
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
