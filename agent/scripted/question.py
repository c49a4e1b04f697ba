"""How the scripted policy reads a person's question: the order words and text it names, the region and
coloured object it asks about and the type of answer it wants (what it asks of the picture as a whole:
:mod:`~vagent.agent.scripted.picture`; which plan answers it: :mod:`~vagent.agent.scripted.routing`).
Pure functions on the question text (doctested).
"""

from __future__ import annotations

import re

from vagent.agent.palette import COLOR_HUES, NEUTRAL_COLORS
from vagent.agent.scripted.choice import part_options, time_options
from vagent.agent.scripted.labels import value_after_label
from vagent.agent.scripted.picture import ASKS_WHEN, OBJECT

TIME_IN_Q = re.compile(r"t\s*=\s*(\d+(?:\.\d+)?)\s*s|\bat\s+(\d+(?:\.\d+)?)\s*(?:s|secs?|seconds)\b", re.I)
"""A moment in the synthetic questions' form (``at t=5.30s``, ``at 5 seconds``)."""
_STOP = set("a an the is are was were what which who whom when where why how does do did in on of at to for from "
            "by with this that these those video clip shown show shows appear appears there it its be".split())

TYPED = re.compile(r"\btyp(?:ed|es|ing)\b|\b(?:does|do|did|to|you|they|someone|somebody|he|she|person|man|woman|user|guy)\s+type\b|\bletter by letter\b|\bspelled out\b", re.I)
"""A question about text typed out on screen, which grows letter by letter."""
_QUOTED = re.compile(r"[\"“']([^\"”']{1,60})[\"”']")
_CAPS = re.compile(r"\b([A-Z][A-Z0-9]{1,}(?:\s+[A-Z0-9]{2,})*)\b")
_ORDER = re.compile(r"\b(after|before|once|when|while)\b", re.I)
def named_text(question: str) -> str | None:
    """Text the question quotes or writes in capitals (what to look for on screen).

    >>> named_text('What is on screen after "GOAL" appears?')
    'GOAL'
    >>> named_text("When does the word STOP appear?")
    'STOP'
    >>> named_text("What colour is the sky?") is None
    True
    """
    if m := _QUOTED.search(question):
        return m.group(1).strip() or None
    caps = [c for c in _CAPS.findall(question) if not re.fullmatch(r"[A-Z]", c)]
    return caps[0] if caps else None


def names_screen_text(question: str) -> bool:
    """Whether the question names a text to find on screen: quoted or in capitals, and either asked
    about as text or written like a caption (a quoted action, "'person opens a box'", is no caption).

    >>> names_screen_text("When does the word 'hello' appear?"), names_screen_text("When does GO AHEAD appear?")
    (True, True)
    >>> names_screen_text("When do we observe the action 'person open a box'?")
    False
    """
    named = named_text(question)
    return bool(named) and (asks_for_text(question) or named.isupper() or bool(re.fullmatch(r"[\w\s-]*\d[\w\s-]*", named)))


def order_word(question: str) -> str | None:
    """``after`` / ``before`` / ``when`` relative to a named event (None when none).

    >>> order_word('What number is shown after "READY" appears?')
    'after'
    >>> order_word("What is shown once the text GO is gone?")
    'after'
    >>> order_word('What number is written after "Frame =" at the end?')  # a label and its value, no order in time
    """
    if value_after_label(question):
        return None
    if m := _ORDER.search(question):
        word = m.group(1).lower()
        return {"once": "after", "while": "when"}.get(word, word)
    return None


def asked_type(question: str, options: list[str] | None) -> str:
    """The answer type the question asks for: ``choice``, ``span``, ``number`` or ``text``.

    >>> asked_type("When does the word STOP appear?", None)
    'span'
    >>> asked_type("What number is shown at 2 s?", None)
    'number'
    >>> asked_type("when does it change? just the seconds please", None), asked_type("when's the last cut? seconds pls", None)
    ('number', 'number')
    >>> asked_type("roughly when is the last cut?", None)
    'number'
    >>> asked_type("Which is it?", ["a", "b"]), asked_type("When does it first appear?", ["1 s", "3 s"])
    ('choice', 'span')
    """
    q = question.lower()
    if options and part_options(options) is not None:
        return "span"  # the options are parts of the video: the plan answers a span, placed among them
    if options and time_options(options) is None:
        return "choice"
    if options and not ASKS_WHEN.search(q):
        return "number"  # the options are times: the plan answers a time, compared with them (see choice.py)
    if re.search(r"\bin (?:seconds|secs)\b|\b(?:just|only) the (?:seconds?|number|time)\b|\b(?:seconds|secs),? (?:please|pls|plz)\b|\bas a number\b"
                 r"|\b(?:roughly|about|approximately|around) when\b", q):
        return "number"  # "when ...? just the seconds please": a moment as a number, not a span
    if ASKS_WHEN.search(q):
        return "span"
    if re.search(r"\bhow many\b|\bwhat (number|digit|count|score|year|value|price)\b|\bwhich (number|digit)\b|\bhow much\b|\bat what second\b|\bwhich second\b|^\s*what\s+\w+\s+number\b", q):
        return "number"
    return "text"


def asks_for_text(question: str) -> bool:
    """Whether the question is about text on screen (or a value printed there: "the PTS value").

    >>> asks_for_text("What is the PTS value at the end?"), asks_for_text("What is the man holding?"), asks_for_text("what command is typed?")
    (True, False, True)
    """
    return bool(re.search(r"\b(number|digits?|code|text|written|writing|word|read|caption|title|sign|label|says?|"
                          r"message|score|counter|timer|clock|printed|readings?|readout)\b", question.lower())
                or re.search(r"\b[A-Z]{2,}\s+values?\b", question) or TYPED.search(question))


_REGIONS = [
    (r"\b(?:top|upper)[- ]left\b", [0.0, 0.0, 0.5, 0.45]), (r"\b(?:top|upper)[- ]right\b", [0.5, 0.0, 1.0, 0.45]),
    (r"\b(?:bottom|lower)[- ]left\b", [0.0, 0.55, 0.5, 1.0]), (r"\b(?:bottom|lower)[- ]right\b", [0.5, 0.55, 1.0, 1.0]),
    (r"\b(?:at|along|on|in) the (?:top|upper part)\b|\btop of the (?:picture|frame|screen)\b", [0.0, 0.0, 1.0, 0.45]),
    (r"\b(?:at|along|on|in) the (?:bottom|lower part)\b|\bbottom of the (?:picture|frame|screen)\b|\blower third\b",
     [0.0, 0.55, 1.0, 1.0]),
]


def region(question: str) -> list[float] | None:
    """The part of the frame the question points at, as a normalised box (None: the whole frame).

    >>> region("What is written at the bottom at 4 s?")
    [0.0, 0.55, 1.0, 1.0]
    >>> region("What number is in the top-left corner?")
    [0.0, 0.0, 0.5, 0.45]
    """
    for pattern, box in _REGIONS:
        if re.search(pattern, question, re.I):
            return list(box)
    return None


def orders_written(question: str, options: list[str] | None) -> bool:
    """Whether ordering the options means ordering texts on screen (what ``text_order`` reads): the
    question is about text, or the options look like captions (capitals, digits); never when the
    options are times or colours (a moment, a colour: other plans measure those).

    >>> orders_written("Which caption is shown first?", ["GO AHEAD", "READY"]), orders_written("Which comes first?", ["LAP 1", "LAP 2"])
    (True, True)
    >>> orders_written("What does the man do first?", ["He sits down.", "He waves."]), orders_written("When is the first cut?", ["1 s", "3 s"])
    (False, False)
    >>> orders_written("What did the screen show first?", ["Send Spike.", "Initiate Search Program."])
    True
    """
    if not options or time_options(options) is not None:
        return False
    if all(o.strip().lower() in (*COLOR_HUES, *NEUTRAL_COLORS, "bright", "dark") for o in options):
        return False
    captions = all(len(o.split()) <= 5 and (o.strip().isupper() or re.search(r"\d", o)) for o in options) \
        or re.search(r"\b(?:screen|display|monitor)\s+(?:shows?|showed|displays?|displayed|says?|said)\b", question, re.I) \
        and all(len(o.split()) <= 5 and o.strip(" .").istitle() for o in options)  # "what did the screen show first?" of titles
    return asks_for_text(question) or bool(captions)


def target(question: str) -> tuple[str, str]:
    """The coloured object the question names: its colour and the phrase (``("red", "red triangle")``).

    >>> target("When does the Red triangle appear?")
    ('red', 'red triangle')
    """
    m = OBJECT.search(question)
    return m.group(1).lower(), f"{m.group(1)} {m.group(2)}".lower()


def where_time(question: str) -> float:
    """The moment of a synthetic ``where`` question (``at t=5.30s``).

    >>> where_time("Where is the white square at t=5.30s?")
    5.3
    """
    m = TIME_IN_Q.search(question)
    return float(m.group(1) or m.group(2))


def key_phrase(question: str, limit: int = 8) -> str:
    """The question's content words (a search query).

    >>> key_phrase("What is the man holding in the video?")
    'man holding'
    """
    words = [w for w in re.findall(r"[A-Za-z0-9']+", question) if w.lower() not in _STOP]
    return " ".join(words[:limit]) or question.strip()[:80]
