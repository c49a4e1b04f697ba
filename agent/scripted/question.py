"""How the scripted policy reads a person's question: its kind, the time it points at, the order
words and text it names, the coloured object it asks about and the type of answer it wants. Pure
functions on the question text (doctested).
"""

from __future__ import annotations

import re

from vagent.agent.palette import COLOR_HUES, NEUTRAL_COLORS
from vagent.agent.scripted.choice import asked_colour, part_options, sequence_options, time_options
from vagent.agent.scripted.labels import asks_printed
from vagent.agent.scripted.timeexpr import TIMED, time_ref, words_to_numbers

_COLOR_WORDS = "|".join([*COLOR_HUES, *NEUTRAL_COLORS])
OBJECT = re.compile(rf"\b({_COLOR_WORDS})\s+([a-z]+)", re.I)
"""A coloured object named in the question (``red triangle``)."""
TIME_IN_Q = re.compile(r"t\s*=\s*(\d+(?:\.\d+)?)\s*s|\bat\s+(\d+(?:\.\d+)?)\s*(?:s|secs?|seconds)\b", re.I)
"""A moment in the synthetic questions' form (``at t=5.30s``, ``at 5 seconds``)."""
_AFTER_COLOUR = set("and or then to into at during throughout all first last".split())
"""Words after a colour word that do not make it a thing's colour ("red at first", "red and blue")."""
_STOP = set("a an the is are was were what which who whom when where why how does do did in on of at to for from "
            "by with this that these those video clip shown show shows appear appears there it its be".split())

ASKS_WHEN = re.compile(r"^\s*when\b|\bat what (?:time|point|moment)\b|\bwhat time\b|\btime span\b|\bfrom when\b", re.I)
"""The question asks for a time (``when`` as its question word)."""
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
    """
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
    if ASKS_WHEN.search(q):
        return "span"
    if re.search(r"\bhow many\b|\bwhat (number|digit|count|score|year|value|price)\b|\bwhich (number|digit)\b|\bhow much\b|\bat what second\b|\bwhich second\b|^\s*what\s+\w+\s+number\b", q):
        return "number"
    return "text"


def asks_for_text(question: str) -> bool:
    """Whether the question is about text on screen."""
    return bool(re.search(r"\b(number|digits?|code|text|written|writing|word|read|caption|title|sign|label|says?|"
                          r"message|score|counter|timer|clock)\b", question.lower()))


def asks_for_colour(question: str) -> bool:
    return bool(re.search(r"\bcolou?rs?\b|\bbright(?:er|ness)?\b|\bdark(?:er)?\b|\bhue\b", question.lower()))


_BECOMES = re.compile(rf"\b(?:turns?|turned|turning|goes|go|went|becomes?|became|fades?|faded)\s+(?:to\s+|into\s+)?"
                      rf"(?:\w+\s+)?(?:{_COLOR_WORDS}|bright|dark|light)\b", re.I)


def asks_for_change(question: str) -> bool:
    """Whether the question is about the picture changing: cuts, shots, scenes, transitions, a change,
    or the picture becoming a colour or brightness ("turns green", "goes dark").

    >>> asks_for_change("When does the screen go blue?"), asks_for_change("How many shots are there?"), asks_for_change("Who goes first?")
    (True, True, False)
    """
    q = question.lower()
    return bool(re.search(r"\b(cuts?|shots?|scenes?|transitions?|chang(?:e|es|ed|ing)|switch(?:es|ed|ing)?)\b", q) or _BECOMES.search(q))


def counts_picture(question: str) -> bool:
    """Whether a "how many" question counts what the count plan measures: cuts, scenes, shots,
    transitions, changes of the picture, or background colours (not objects, people or actions).

    >>> counts_picture("How many shots does the clip have?"), counts_picture("How many times does the background colour change?")
    (True, True)
    >>> counts_picture("How many rubber objects enter the scene?"), counts_picture("How many times does the butterfly occur?")
    (False, False)
    """
    m = re.search(r"\bhow many\s+((?:[\w'-]+\W*){1,3})", question.lower())
    if not m:
        return False
    counted = m.group(1)  # the first words after "how many": what is counted
    if re.search(r"\b(cuts?|scenes?|shots?|transitions?|changes?)\b", counted):
        return True
    if re.search(r"\bcolou?rs?\b", counted):
        return about_picture(question)
    return counted.startswith("times") and asks_for_change(question) and not re.search(r"\b(?:enter|leave|exit)s?\s+the\s+scene\b", question.lower())


_PICTURE = re.compile(r"\b(?:background|backdrop|screen|picture|frame|image|display|shot|scene|footage)s?\b", re.I)


def about_picture(question: str) -> bool:
    """Whether the question is about the picture as a whole (its background, the screen, the frame),
    which is what colour and brightness are measured on, rather than a thing in it ("the car", "his coat").

    >>> about_picture("What colour is the background at 2 s?"), about_picture("Which color is the coat worn by the anchor in the video?")
    (True, False)
    """
    return bool(_PICTURE.search(question))


_WHICH_PART = re.compile(r"\b(?:which|what)\s+(?:part|portion|section|segment|stage|point|moment)s?\s+(?:of|in)\s+the\s+"
                         r"(?:video|clip|footage|film|movie|recording)\b", re.I)


def asks_when(question: str, options: list[str] | None) -> bool:
    """Whether the question asks for a time: ``when`` as its question word, "which part of the video",
    or options that are all times or all parts of the video (whatever the question's words).

    >>> asks_when("During which part of the clip is the screen red?", None), asks_when("Which is it?", ["0:02", "0:05"])
    (True, True)
    >>> asks_when("What happens when the man sits down?", None)
    False
    """
    if ASKS_WHEN.search(question) or _WHICH_PART.search(question):
        return True
    return bool(options) and (all(TIMED.search(words_to_numbers(o)) for o in options) or part_options(options) is not None)


_HOW_LONG = re.compile(r"\bhow long\b|\bhow many seconds\b|\bfor how much time\b|\b(?:what|which) (?:is the )?(?:duration|length of time)\b", re.I)
_ONSET = re.compile(r"\b(?:appear\w*|start\w*|begin\w*|shows? up|first|comes? on|emerg\w*)\b", re.I)
_OFFSET = re.compile(r"\b(?:disappear\w*|vanish\w*|ends?|ended|stop\w*|go(?:es)? away|leaves?|gone|last seen|finish\w*)\b", re.I)


def asks_order(question: str) -> bool:
    """Whether the question asks for an order or a course ("in what order", "sequence", "how ... change").

    >>> asks_order("Which option orders the background colours correctly?"), asks_order("What are the colours of the doors?")
    (True, False)
    """
    return bool(re.search(r"\border\w*|\bsequence\b|\bsuccession\b|\bprogress\w*|\bchang\w*|\btransition\w*|\bone after another\b"
                          r"|\bgoes? from\b", question, re.I))


def asks_how_long(question: str) -> bool:
    """Whether the question asks for a duration ("how long", "for how many seconds")."""
    return bool(_HOW_LONG.search(question))


def asked_moment(question: str, spans: list[tuple[float, float]]) -> tuple[float, str]:
    """The moment of ``spans`` the question asks for, and in what words: the start of the first when it
    asks when something appears or starts, the end of the last when it asks when it ends or goes, else
    the middle of the first.

    >>> asked_moment("When does the red background first appear?", [(1.0, 2.0)]), asked_moment("When does it go away?", [(1.0, 2.0)])
    ((1.0, 'when it starts'), (2.0, 'when it ends'))
    """
    q = re.sub(r"\bthe (?:end|start|beginning) of the \w+", " ", question)
    onset, offset = bool(_ONSET.search(q)), bool(_OFFSET.search(q))
    if onset and not offset:
        return spans[0][0], "when it starts"
    if offset and not onset:
        return spans[-1][1], "when it ends"
    return (spans[0][0] + spans[0][1]) / 2, "when it is shown (the middle of the time it is shown)"


def picture_target(question: str) -> str | None:
    """The colour (or ``bright`` / ``dark``) of the picture as a whole that the question names ("the red
    background", "the screen is dark"), else None; a coloured thing ("the red car") is no picture colour.

    >>> picture_target("During which part of the video does the red background occur?"), picture_target("When is the screen dark?")
    ('red', 'dark')
    >>> picture_target("When does the red car enter the scene?") is None
    True
    """
    colour = asked_colour(question)
    if colour is None or not about_picture(question):
        return None
    things = [m.group(2) for m in OBJECT.finditer(question) if m.group(2).lower() not in _STOP | _AFTER_COLOUR]
    return colour if all(_PICTURE.fullmatch(thing) for thing in things) else None


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
    """
    if not options or time_options(options) is not None:
        return False
    if all(o.strip().lower() in (*COLOR_HUES, *NEUTRAL_COLORS, "bright", "dark") for o in options):
        return False
    captions = all(len(o.split()) <= 5 and (o.strip().isupper() or re.search(r"\d", o)) for o in options)
    return asks_for_text(question) or captions


def classify_question(question: str, options: list[str] | None = None) -> str:
    """``when``, ``where``, ``count``, ``first``, ``sequence``, ``text_event``, ``text_order``, ``read_at``,
    ``change``, ``look_at``, ``read`` or ``general``: which plan answers the question.

    >>> classify_question("When does the red triangle appear in the video?")
    'when'
    >>> classify_question("Which colour appears first?", ["red", "blue"])
    'first'
    >>> classify_question("What number is shown at 2.0 seconds?")
    'read_at'
    >>> classify_question('What is on screen after "READY" appears?', ["a", "b"])
    'text_event'
    """
    q = question.lower()
    if options and all(o.strip().lower() in COLOR_HUES for o in options) and re.search(r"\b(first|earliest|last|final)\b", q):
        return "first"
    if counts_picture(question):
        return "count"  # of picture changes, or of colours (counting.py tells which)
    if re.search(r"\bwhere\b", q) and TIME_IN_Q.search(question) and OBJECT.search(question):
        return "where"
    if options and sequence_options(options, asks_order(question)) is not None and (about_picture(question) or _intent(question) != "general"):
        return "sequence"  # each option is a course of the picture's colours ("From gray to red.")
    if ASKS_WHEN.search(q) and OBJECT.search(question):  # "when" as the question word, not "what happens when"
        return "when"
    if ((asks_when(question, options) or asks_how_long(question)) and picture_target(question)
            and not re.search(r"\bchang|\bswitch", q) and not _BECOMES.search(q)):
        return "when"  # when (or how long) the picture is a colour: a span, placed among the options' times or parts
    if asks_printed(question, options):  # a web address, an e-mail: printed text, read where asked (or found, for "when")
        return "text_event" if ASKS_WHEN.search(q) else "read_at" if time_ref(question, 1e9) is not None else "read"
    if names_screen_text(question) and order_word(question) and (asks_for_text(question) or order_word(question) != "when"
                                                          or re.search(r"^\s*when\b", q)):
        return "text_event"
    if re.search(r"\b(first|earlier|earliest|last|later|latest)\b", q) and orders_written(question, options):
        return "text_order"
    has_time = time_ref(question, 1e9) is not None
    if has_time and asks_for_text(question):
        return "read_at"
    when_options = asks_when("", options)  # options that are times or parts of the video ask "when"
    if asks_for_change(question) and (when_options or re.search(r"^\s*when\b|\bwhat (time|second)\b|\bat what\b|\bwhich second\b|\bis there\b|\bdoes the (picture|shot|scene)\b", q)):
        return "change"
    if has_time and asks_for_colour(question) and by_meaning(question, options) == "look_at":
        return "look_at"  # the colour of the picture, not of a thing in it
    if not options and re.search(r"\b(code|text|written|word|read|caption|sign|label|says?)\b", q):
        return "read"
    return by_meaning(question, options)


def _intent(question: str) -> str:
    from vagent.agent.scripted.intent import intent

    return intent(question)[0]


def by_meaning(question: str, options: list[str] | None) -> str:
    """The plan for a question no rule above placed: its intent by similarity
    (:func:`~vagent.agent.scripted.intent.intent`), where the question carries what that plan needs."""
    name = _intent(question)
    has_time = time_ref(question, 1e9) is not None
    colours = bool(options) and all(o.strip().lower() in COLOR_HUES for o in options)
    if name in ("colour", "brightness") and about_picture(question):
        return "look_at"
    if name == "count_changes" and (asks_for_change(question) or re.search(r"\bcolou?rs?\b", question, re.I) and about_picture(question)):
        return "count"  # the count plan counts picture changes and background colours, not cars or people
    if name == "when_change" and asks_for_change(question):
        return "change"
    if name == "read_value":
        return "read_at" if has_time else "read"
    if name == "text_when" and names_screen_text(question):
        return "text_event"
    if name == "order" and options:
        return "first" if colours else "text_order" if orders_written(question, options) else "general"
    if name == "where" and has_time and OBJECT.search(question):
        return "where"
    return "general"


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
