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
from vagent.agent.scripted.timeexpr import TIMED, times_in, words_to_numbers
from vagent.answers import LETTERS, parse_number

_SYNONYMS = {"grey": "gray", "light": "bright", "lighter": "bright", "brighter": "bright", "darker": "dark",
             "violet": "purple", "pink": "magenta", "teal": "cyan", "turquoise": "cyan", "lime": "green", "gold": "yellow"}
COLOUR_WORDS = (*COLOR_HUES, *NEUTRAL_COLORS, "brown", "bright", "dark", *_SYNONYMS)


def shaded_colour(option: str) -> str | None:
    """The colour an option names with its shade, ``light`` or ``dark``, when it gives one ("pale blue / lavender"
    is ``light blue``, "dark navy blue" ``dark blue``), else as :func:`option_colour`; the measures tell the
    two shades of one colour apart by value (:func:`~vagent.agent.scripted.pixels.colour_distance`).

    >>> shaded_colour("pale blue / lavender"), shaded_colour("dark navy blue"), shaded_colour("green")
    ('light blue', 'dark blue', 'green')
    """
    colour = option_colour(option)
    m = _SHADE.search(option.lower())
    if colour is None or colour in ("bright", "dark") or m is None:
        return colour
    words = m.group(0).split()
    if any(w in ("dark", "deep", "navy", "royal") for w in words):
        return f"dark {colour}"
    return f"light {colour}" if any(w in ("light", "pale", "pastel", "baby", "sky") for w in words) else colour


def option_colour(option: str) -> str | None:
    """The one colour (or ``bright`` / ``dark``) an option names, else None.

    >>> option_colour("Grey"), option_colour("The background is mostly red"), option_colour("light"), option_colour("red and blue")
    ('gray', 'red', 'bright', None)
    >>> option_colour("Gray-blue."), option_colour("bluish gray"), option_colour("light blue"), option_colour("reddish brown")
    ('blue', 'gray', 'blue', 'brown')
    >>> option_colour("dark brown"), option_colour("pale sky blue"), option_colour("light and dark")
    ('brown', 'blue', None)
    >>> option_colour("reddish"), option_colour("greyish"), option_colour("a bluish tint"), option_colour("radish")
    ('red', 'gray', 'blue', None)
    """
    words = [_untinted(w) for w in re.findall(r"[a-z]+", _SHADE.sub("", _COMPOUND.sub(_head, option.lower())))]
    found = {(_SYNONYMS.get(w, w)) for w in words if w in COLOUR_WORDS}
    return found.pop() if len(found) == 1 else None


_SHADE = re.compile(r"\b(?:(?:light|dark|pale|bright|deep|pastel|vivid|dull|muted|neon|dusty|sky|baby|royal|navy)\s+)+"
                    rf"(?=(?:{'|'.join(c for c in COLOUR_WORDS if c not in ('bright', 'dark', 'light', 'lighter', 'brighter', 'darker'))})\b)")
"""A shade word before a colour ("light blue", "dark brown"): the colour is the one named after it."""
_COMPOUND = re.compile(r"\b([a-z]+)-([a-z]+)\b|\b([a-z]+ish) ([a-z]+)\b")


def _head(m: re.Match) -> str:
    first, second = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return second if _tint(first, second) else m.group(0)


def _untinted(word: str) -> str:
    """A colour word with "-ish" ("reddish", "bluish", "greyish") as the colour it leans to."""
    if not word.endswith("ish"):
        return word
    hue = re.sub(r"(?:d|l)?ish$", "", word)
    return next((h for h in (hue, hue + "e") if h in COLOUR_WORDS), word)


def _tint(first: str, second: str) -> bool:
    """Whether ``first`` tints the colour ``second`` ("gray-blue", "bluish gray"): the colour is the second."""
    hue = re.sub(r"(?:d|l)?ish$", "", first)
    hues = (*COLOR_HUES, *NEUTRAL_COLORS, "grey", "violet", "pink", "teal", "turquoise", "lime", "gold")
    return second in COLOUR_WORDS and (hue in hues or hue + "e" in hues or hue in ("gre", "pur", "blu"))


def bare_colour(option: str) -> str | None:
    """The colour an option is, when it is only a colour ("Gray.", "the red one", "A blue background"), else None.

    >>> bare_colour("Gray."), bare_colour("the red one"), bare_colour("the one in white")
    ('gray', 'red', None)
    """
    m = re.fullmatch(r"\s*(?:the\s+|an?\s+)?([a-z]+)(?:\s+(?:one|background|backdrop|screen|picture|colou?r))?\s*\.?\s*", option.lower())
    colour = option_colour(m.group(1)) if m else None
    return None if colour == "brown" else colour  # no plan measures brown shares: options with it are compared by distance only


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


_FADES_IN = re.compile(r"\bfad(?:es|ed|ing|e)?\s+(?:in|up)\b(?:\s+from\s+(?:black|dark(?:ness)?))?", re.I)
_FADES_OUT = re.compile(r"\bfad(?:es|ed|ing|e)?\s+(?:out|down)\b(?:\s+(?:to|into)\s+(?:black|dark(?:ness)?))?"
                        r"|\bfad(?:es|ed|ing|e)?\s+(?:to|into)\s+(?:black|dark(?:ness)?)", re.I)
"""A fade in is a course from dark to bright, a fade out (to black) one from bright to dark."""
_ORDERED = re.compile(r"\bto\b|\bthen\b|->|→|\bfollowed by\b|\binto\b|\bbefore\b", re.I)


def option_sequence(option: str, ordered: bool = False) -> list[str] | None:
    """The colours (or ``bright`` / ``dark``) an option names in order, when it names a course of two or
    more ("From gray to red to green."), else None; a plain list ("Gray, red, green.") is a course only
    when the question asks for an order (``ordered``).

    >>> option_sequence("From gray to red to green."), option_sequence("dark, then light"), option_sequence("Red.")
    (['gray', 'red', 'green'], ['dark', 'bright'], None)
    >>> option_sequence("Gray, red, green."), option_sequence("Gray, red, green.", ordered=True)
    (None, ['gray', 'red', 'green'])
    >>> option_sequence("It fades in from black."), option_sequence("The picture fades to black.")
    (['dark', 'bright'], ['bright', 'dark'])
    >>> option_sequence("From a gray-blue screen to a reddish screen to a green screen.")
    ['blue', 'red', 'green']
    """
    option = _FADES_IN.sub(" from dark to bright ", _FADES_OUT.sub(" from bright to dark ", option))
    if not (ordered or _ORDERED.search(option)):
        return None
    words = [_SYNONYMS.get(w, w) for w in map(_untinted, re.findall(r"[a-z]+", _COMPOUND.sub(_head, option.lower()))) if w in COLOUR_WORDS]
    course = [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]
    return course if len(course) >= 2 else None


def sequence_options(options: list[str], ordered: bool = False) -> list[list[str]] | None:
    """Each option's course of colours when every option writes one (or one colour it stays, beside
    options that are courses) and no two write the same, else None (``ordered``: the question asks for
    an order, see :func:`option_sequence`).

    >>> sequence_options(["From gray to red.", "From red to gray."]), sequence_options(["From Tokyo to Osaka.", "From red to gray."])
    ([['gray', 'red'], ['red', 'gray']], None)
    >>> sequence_options(["It goes from dark to light.", "It stays dark."])
    [['dark', 'bright'], ['dark']]
    """
    courses = [option_sequence(o, ordered) or ([colour] if (colour := option_colour(o)) else None) for o in options]
    if len(options) < 2 or any(c is None for c in courses) or len({tuple(c) for c in courses}) < len(courses):  # type: ignore[arg-type]
        return None
    return courses if any(len(c) >= 2 for c in courses) else None  # type: ignore[union-attr, return-value]


def asked_colour(question: str) -> str | None:
    """The one colour (or ``bright`` / ``dark``) a question names, else None; "light" is left out,
    being as often a thing (a lamp, traffic lights) as a brightness.

    >>> asked_colour("When does the screen turn green?"), asked_colour("When does the traffic light change?")
    ('green', None)
    >>> asked_colour("at which second does the background switch from red to green")  # the colour it changes into
    'green'
    """
    text = re.sub(r"\blight(?:er|s)?\b", " ", question, flags=re.I)
    if (m := _FROM_TO_COLOUR.search(text)) and option_colour(m.group(1)) and option_colour(m.group(2)):
        return option_colour(m.group(2))
    return option_colour(text)


_FROM_TO_COLOUR = re.compile(r"\bfrom\s+(?:an?\s+|the\s+)?([a-z-]+)(?:\s+(?:screen|background|picture|one))?\s+(?:to|into)\s+(?:an?\s+|the\s+)?([a-z-]+)\b", re.I)


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
