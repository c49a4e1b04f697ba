"""Time expressions in a person's question: numbers written as digits or words (``text2num``),
fractions (``one and a half``, ``half a second``, ``1/2 s``), units (s, sec, seconds, ms, minutes),
clock times (``0:03``), moments (``t = 1.8 s``, ``roughly 0.3 s in``, ``at the 2 second mark``,
``at second 3``) and windows (``between 2 and 4 seconds``, ``from 1 to 3 s``, ``the first/last 2 s``,
``after/before 4 s``, the beginning, the middle, the end, "as the video ends", "the opening frames",
"the final moments"). Pure functions (doctested).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from text_to_num import alpha2digit

_ORDINALS = re.compile(r"\b(?:first|seconds?|third|fourth|fifth|half|quarters?)\b", re.I)
"""Words ``text2num`` would turn into ordinals here (``second`` → ``2nd``): kept as words."""
_FRACTIONS = [
    (r"\b(\d+(?:\.\d+)?)\s+and\s+an?\s+half\b", lambda m: str(float(m.group(1)) + 0.5)),
    (r"\b(\d+(?:\.\d+)?)\s+and\s+an?\s+quarter\b", lambda m: str(float(m.group(1)) + 0.25)),
    (r"\b(\d+(?:\.\d+)?)\s+and\s+three\s+quarters\b", lambda m: str(float(m.group(1)) + 0.75)),
    (r"\ban?\s+second\s+and\s+an?\s+half\b", lambda m: "1.5 seconds"),
    (r"\bhalf\s+(?:of\s+)?an?\s+(second|sec|s)\b", lambda m: f"0.5 {m.group(1)}"),
    (r"\ban?\s+quarter\s+(?:of\s+)?an?\s+(second|sec|s)\b", lambda m: f"0.25 {m.group(1)}"),
    (r"\b(\d+)\s*/\s*(\d+)(?=\s*(?:s|secs?|seconds?)\b)", lambda m: str(int(m.group(1)) / max(1, int(m.group(2))))),
    (r"\b(\d+)\s*½", lambda m: str(int(m.group(1)) + 0.5)),
    (r"\ban?\s+(second|minute)\s+(in|into)\b", lambda m: f"1 {m.group(1)} {m.group(2)}"),
    (r"\b(first|opening|last|final|closing)\s+(second|minute)\b(?!\s+half)", lambda m: f"{m.group(1)} 1 {m.group(2)}"),
    (r"\b(?:a\s+)?couple\s+(?:of\s+)?(seconds|minutes)\b", lambda m: f"2 {m.group(1)}"),
]


def words_to_numbers(text: str) -> str:
    """``text`` with numbers written in words turned into digits (fractions included).

    >>> words_to_numbers("one and a half seconds into the clip")
    '1.5 seconds into the clip'
    >>> words_to_numbers("at the two second mark, which one is red?")
    'at the 2 second mark, which one is red?'
    >>> words_to_numbers("half a second in"), words_to_numbers("the first three seconds"), words_to_numbers("a second into it")
    ('0.5 second in', 'the first 3 seconds', '1 second into it')
    >>> words_to_numbers("when the counter gets to thirty one"), words_to_numbers("one of them")
    ('when the counter gets to 31', 'one of them')
    >>> words_to_numbers("in the last second"), words_to_numbers("the first couple of seconds")
    ('in the last 1 second', 'the first 2 seconds')
    """
    kept: list[str] = []

    def keep(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return f"qzq{len(kept) - 1}qzq"

    def one(m: re.Match[str]) -> str:  # "one" is a number only before a unit or a fraction
        following = m.string[m.end():m.end() + 40].lower()
        if re.match(r"\s*(?:and\s+an?\s+(?:half|quarter)|point|s\b|secs?\b|seconds?\b|minutes?\b|qzq|-?second)", following):
            return "1"
        return keep(m)

    protected = re.sub(r"\b((?:twen|thir|for|fif|six|seven|eigh|nine)ty)[\s-]+one\b", r"\1-one", text, flags=re.I)  # "thirty one"
    protected = re.sub(r"(?<!-)\bone\b", one, protected, flags=re.I)
    protected = _ORDINALS.sub(keep, protected)
    converted = alpha2digit(protected, "en", threshold=0)
    converted = re.sub(r"qzq(\d+)qzq", lambda m: kept[int(m.group(1))], converted)
    for pattern, repl in _FRACTIONS:
        converted = re.sub(pattern, repl, converted, flags=re.I)
    return re.sub(r"\b(\d+)\.0\b", r"\1", converted)


@dataclass(frozen=True)
class TimeRef:
    """Where in the video the question points: a moment ``t`` and/or a window ``[start, end]``."""

    t: float | None
    start: float
    end: float
    words: str
    """The question's own words for it (for the think text)."""


_N = r"(\d+(?:\.\d+)?)"
_UNIT = r"\s*-?\s*(ms|millisec\w*|s|secs?|seconds?|m|mins?|minutes?)\b"
_APPROX = r"(?:at|around|near|by|about|roughly|approximately|approx\.?|~|at\s+about|at\s+around|right\s+at|just\s+after)"
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2}(?:\.\d+)?)\b")
TIMED = re.compile(rf"{_N}{_UNIT}|\b\d{{1,2}}:\d{{2}}\b", re.I)
"""A number with a time unit, or a clock time."""
_T_EQ = re.compile(rf"\bt\s*=\s*{_N}(?:{_UNIT})?", re.I)
_MARK = re.compile(rf"\b(?:the\s+)?{_N}{_UNIT}\s*(?:mark|point|timestamp|moment)\b", re.I)
_INTO = re.compile(rf"\b{_N}{_UNIT}\s+(?:in\b|into\b)", re.I)
_AT_SECOND = re.compile(rf"\b(?:at|in|during|around)\s+(?:the\s+)?second\s+{_N}\b", re.I)
_AT = re.compile(rf"\b{_APPROX}\s+(?:the\s+)?(?:time\s+)?{_N}{_UNIT}", re.I)
_BETWEEN = re.compile(rf"\b(?:between|from)\s+(?:t\s*=\s*)?{_N}(?:{_UNIT})?\s*(?:and|to|until|till|-)\s*(?:t\s*=\s*)?{_N}{_UNIT}", re.I)
_RANGE = re.compile(rf"\b{_N}\s*(?:-|–|to)\s*{_N}{_UNIT}", re.I)
_OF_IT = r"(?:the|its|(?:the|this)\s+(?:video|clip|footage)'s)"
_LISTED_TIMES = re.compile(rf"\b{_N}\s*(?:s|secs?|seconds?)?\s*,\s*(?:{_N}\s*(?:s|secs?|seconds?)?\s*,\s*)*{_N}\s*(?:s|secs?|seconds?)?\s*,?\s*or\s+{_N}\s*(?:s|secs?|seconds?)?(?:\s+in)?\b", re.I)
"""Three or more times typed as a list of choices ("2s, 4s, 6s or 8s")."""
_FIRST_LAST = re.compile(rf"\b(?:in|during|within|over)\s+{_OF_IT}\s+(first|opening|last|final|closing)\s+{_N}{_UNIT}", re.I)
_AFTER = re.compile(rf"\b(after|past|later than|before|earlier than|until|by)\s+(?:t\s*=\s*)?{_N}{_UNIT}", re.I)
_HALF = re.compile(r"\b(?:in|during)\s+the\s+(first|second|last)\s+half\b", re.I)
_CLIP = r"(?:video|clip|footage|film|movie|recording|it)"
_MOMENTS = r"(?:frames?|moments?|seconds|images?)"
_LOOKS = r"(?:colou?rs?|screens?|pictures?|backgrounds?|images?|shades?|brightness)\b"
"""What the picture looks like: "the initial colour" is the colour at the start, "the final screen" the one at the end."""
_START = re.compile(rf"\b(?:at|in|near|from|during)\s+the\s+(?:very\s+)?(beginning|start|opening)\b|\bfirst\s+frame\b|\bat\s+first\b"
                    rf"|\b(?:as|when|once|just as|right as)\s+the\s+{_CLIP}\s+(?:begins|starts|opens)\b"
                    rf"|\b(?:the\s+)?(?:very\s+)?(?:first|opening)\s+(?:few\s+)?{_MOMENTS}|\b(?:initial|starting)\s+{_LOOKS}"
                    rf"|\b(?:very\s+)?first\s+thing\s+(?:on\s+(?:the\s+)?screen|(?:you|we|i)\s+see|shown)\b"
                    rf"|\b(?:(?:the|this)\s+(?:{_CLIP}|bg|background|screen|picture|one)|it)\s+(?:begins?|starts?|opens?)\s+(?:off\s+|out\s+)?(?:with|on|as|in)\b"
                    rf"|\bhow\s+(?:does|did)\s+(?:the|this|it)\s*(?:{_CLIP}|one)?\s+(?:begin|start|open|kick\s+off|get\s+going)\b", re.I)
_END = re.compile(rf"\b(?:at|in|near|towards?|by)\s+the\s+(?:very\s+)?end\b|\b(?:a\s+(?:bit|little|moment)|shortly|just|right|not\s+long)\s+before\s+the\s+end\b|\b(?:last|final)\s+frame\b"
                  rf"|\b(?:as|when|once|before|just as|right as|just before|right before)\s+the\s+{_CLIP}\s+(?:ends|finishes|closes|stops|is over)\b"
                  rf"|\b(?:the\s+)?(?:very\s+)?(?:last|final|closing)\s+(?:few\s+)?{_MOMENTS}|\b(?:final|ending)\s+{_LOOKS}"
                  rf"|\b(?:(?:the|this)\s+(?:{_CLIP}|bg|background|screen|picture|one)|it)\s+(?:ends?|finish(?:es)?|closes?)\s+(?:up\s+)?(?:with|on|as|in)\b"
                  rf"|\bhow\s+(?:does|did)\s+(?:the|this)\s+(?:{_CLIP}|one)\s+(?:end|finish|close)\b", re.I)
_MIDDLE = re.compile(r"\b(?:in|at|around|near|towards?|by|during)\s+the\s+middle\b|\bhalfway\b|\bmidway\b", re.I)
_MIDDLE_PART = re.compile(r"\b(?:(?:in|at|around|during|over)\s+)?the\s+middle\s+(?:part|section|portion|bit|third|stretch|segment|chunk)\b", re.I)
"""The middle part of the video as a part, not a moment: its middle third."""


def _seconds(value: str, unit: str | None) -> float:
    unit = (unit or "s").lower()
    if unit.startswith("ms") or unit.startswith("milli"):
        return float(value) / 1000.0
    if unit.startswith("m"):
        return float(value) * 60.0
    return float(value)


def time_ref(question: str, duration: float) -> TimeRef | None:
    """The time the question names, resolved against the video's duration (None when none).

    >>> time_ref("What is shown one and a half seconds into the clip?", 10).t
    1.5
    >>> time_ref("What colour is it at the 2 second mark?", 10).t, time_ref("Is it dark at t = 1.8 s?", 10).t
    (2.0, 1.8)
    >>> r = time_ref("How many cuts are there between two and four seconds?", 10); (r.start, r.end, r.t)
    (2.0, 4.0, None)
    >>> time_ref("what colour does it end on?", 10).t, time_ref("the screen ends up as what colour", 10).t
    (10.0, 10.0)
    >>> time_ref("does this one end on a black screen or what", 10).t, time_ref("how does this one start?", 10).t
    (10.0, 0.0)
    >>> time_ref("What is written at 1:05?", 100).t, time_ref("What is shown at the end?", 10).t
    (65.0, 10.0)
    >>> r = time_ref("How does the brightness change during its last two seconds?", 24); (r.start, r.end)
    (22.0, 24.0)
    >>> time_ref("roughly when's the first cut? like 2s, 4s, 6s or 8s in", 10) is None
    True
    >>> time_ref("During which second does the colour change?", 10) is None
    True
    >>> time_ref("Which site is shown as the clip ends?", 10).t, time_ref("What colour are the opening frames?", 10).t
    (10.0, 0.0)
    >>> time_ref("does this video start on a white screen or a black one?", 10).t, time_ref("it starts off in red, right?", 10).t
    (0.0, 0.0)
    >>> time_ref("how does this one kick off?", 10).t, time_ref("so how does it get going", 10).t, time_ref("the first thing you see", 10).t
    (0.0, 0.0, 0.0)
    >>> time_ref("What is the initial color of the background?", 10).t, time_ref("what's the final screen colour?", 10).t
    (0.0, 10.0)
    >>> r = time_ref("what colour is the screen in the middle bit?", 9); (r.t, r.start, r.end), time_ref("in the middle of the video", 9).t
    ((None, 3.0, 6.0), 4.5)
    """
    text = words_to_numbers(question)
    end = max(0.0, float(duration))
    text = _LISTED_TIMES.sub(" ", text)  # "like 2s, 4s, 6s or 8s in": choices typed out, not a time asked

    def clamp(v: float) -> float:
        return min(max(v, 0.0), end) if end > 0 else max(v, 0.0)

    def moment(t: float, words: str) -> TimeRef:
        t = clamp(t)
        return TimeRef(t, t, t, words)

    for pattern in (_BETWEEN, _RANGE):
        if m := pattern.search(text):
            unit = m.group(m.lastindex)
            a, b = sorted((clamp(_seconds(m.group(1), unit)), clamp(_seconds(m.group(3 if pattern is _BETWEEN else 2), unit))))
            return TimeRef(None, a, b, m.group(0))
    if m := _FIRST_LAST.search(text):
        n = _seconds(m.group(2), m.group(3))
        if m.group(1).lower() in ("first", "opening"):
            return TimeRef(None, 0.0, clamp(n), m.group(0))
        return TimeRef(None, clamp(end - n), end, m.group(0))
    if m := _CLOCK.search(text):
        return moment(60 * int(m.group(1)) + float(m.group(2)), m.group(0))
    for pattern in (_T_EQ, _MARK, _INTO, _AT_SECOND, _AT):
        if m := pattern.search(text):
            unit = m.group(2) if m.lastindex and m.lastindex >= 2 else None
            return moment(_seconds(m.group(1), unit), m.group(0))
    if m := _AFTER.search(text):
        t = clamp(_seconds(m.group(2), m.group(3)))
        after = m.group(1).lower() in ("after", "past", "later than")
        return TimeRef(None, t, end, m.group(0)) if after else TimeRef(None, 0.0, t, m.group(0))
    if m := _HALF.search(text):
        first = m.group(1).lower() == "first"
        return TimeRef(None, 0.0 if first else end / 2, end / 2 if first else end, m.group(0))
    if m := _START.search(text):
        return TimeRef(0.0, 0.0, min(end, 1.0), m.group(0))
    if m := _END.search(text):
        return TimeRef(end, max(0.0, end - 1.0), end, m.group(0))
    if m := _MIDDLE_PART.search(text):
        return TimeRef(None, end / 3, 2 * end / 3, m.group(0))
    if m := _MIDDLE.search(text):
        return TimeRef(end / 2, max(0.0, end / 2 - 0.5), min(end, end / 2 + 0.5), m.group(0))
    return None


def times_in(text: str) -> list[float]:
    """Every time an option or answer writes, in seconds (``"1.5 s"``, ``"0:03"``, ``"two seconds"``).

    >>> times_in("At 0:03"), times_in("1.5 s"), times_in("two seconds"), times_in("[1.00, 2.50]")
    ([3.0], [1.5], [2.0], [1.0, 2.5])
    """
    text = words_to_numbers(text)
    clock = [60 * int(a) + float(b) for a, b in _CLOCK.findall(text)]
    if clock:
        return clock
    return [_seconds(v, u) for v, u in re.findall(rf"{_N}(?:{_UNIT})?", text)]
