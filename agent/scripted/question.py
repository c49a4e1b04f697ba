"""How the scripted policy reads a person's question: its kind, the time it points at, the order
words and text it names, the coloured object it asks about and the type of answer it wants (what it
asks of the picture as a whole: :mod:`~vagent.agent.scripted.picture`). Pure functions on the
question text (doctested).
"""

from __future__ import annotations

import re

from vagent.agent.palette import COLOR_HUES, NEUTRAL_COLORS
from vagent.agent.scripted.areas import area_options, asks_brightest
from vagent.agent.scripted.changes import change_options, shots_claimed
from vagent.agent.scripted.choice import bare_colour, number_options, part_options, sequence_options, time_options, yes_no_options
from vagent.agent.scripted.claims import (ENDING, EVER, Claim, asks_if_any, claim_options, colour_after, event_options, item_orders, option_claim, picture_colour, steady_claim,
                                          value_condition)
from vagent.agent.scripted.events import between_events, compared_shots, counted, ordinal, scene_ref, shot_ordinal
from vagent.agent.scripted.labels import asked_text_colour, asks_printed, prompted_verb, text_beside
from vagent.agent.scripted.picture import (ASKS_WHEN, BECOMES, OBJECT, SECONDS_IN, about_picture, asks_for_change, asks_for_colour, asks_how_long,
                                           asks_order, asked_video_fact, asks_video_length, asks_when, claimed_order, counts_picture, picture_target)
from vagent.agent.scripted.timeexpr import time_ref
from vagent.agent.scripted.tone import asks_tone, tone_claim

TIME_IN_Q = re.compile(r"t\s*=\s*(\d+(?:\.\d+)?)\s*s|\bat\s+(\d+(?:\.\d+)?)\s*(?:s|secs?|seconds)\b", re.I)
"""A moment in the synthetic questions' form (``at t=5.30s``, ``at 5 seconds``)."""
_STOP = set("a an the is are was were what which who whom when where why how does do did in on of at to for from "
            "by with this that these those video clip shown show shows appear appears there it its be".split())

TYPED = re.compile(r"\btyp(?:ed|es|ing)\b|\bletter by letter\b|\bspelled out\b", re.I)
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
    >>> asked_type("when does it change? just the seconds please", None), asked_type("when's the last cut? seconds pls", None)
    ('number', 'number')
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
    if re.search(r"\bin (?:seconds|secs)\b|\b(?:just|only) the (?:seconds?|number|time)\b|\b(?:seconds|secs),? (?:please|pls|plz)\b|\bas a number\b", q):
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


_VIDEO_COURSE = re.compile(r"\b(?:the|this)\s+(?:video|clip|footage|film)\s+(?:begin|start|open|end|finish|close|chang|progress)\w*", re.I)
"""The video itself as the subject of how it begins, ends or changes: its picture."""
_THINGS_COLOUR = re.compile(r"\bcolou?rs?\s+(?:of|is|are|was|were)\s+(?:the|a|an|his|her|their|its|each|every|that|this)\s+"
                            r"(?!video|clip|footage|picture|screen|background|backdrop|frame|image|scene|shot)\w+", re.I)
"""A thing's colour ("the colour of the car", "what colour is the bus"), which the picture's colours do not answer."""


def survey_shape(question: str, options: list[str] | None) -> str | None:
    """What makes a question one for the survey (:mod:`~vagent.agent.scripted.survey`), which answers
    from a timeline of the whole video, rather than for a plan that measures one thing: options
    that claim changes or order the same items, an option saying the thing never appears, a count of
    picture parts or of times a colour shows, how long a colour lasts, the n-th cut (or the one
    before / after a time), the value printed when a colour starts, the text of a region among options.

    >>> survey_shape("How many video clips were used to compose this video?", None)
    'count of parts'
    >>> survey_shape("When was the third scene change in the video?", ["0:01", "0:03"]), survey_shape("When is the first cut?", None)
    ('n-th cut', None)
    >>> survey_shape("how is the screen changed in the middle", ["became darker", "turned red", "cut to another scene"])
    'options claim changes'
    """
    options = options or []
    if change_options(options) is not None or sum(shots_claimed(o) is not None for o in options) >= 2:
        return "options name kinds of change or how it is edited"
    colour = picture_colour(question)
    courses = sequence_options(options, asks_order(question)) or []
    if claim_options(options) is not None and sum(len(c) >= 2 for c in courses) < len(options) - 1:  # courses: the sequence plan
        return "options claim changes"
    if (orders := item_orders(options, question)) and not all(bare_colour(x) for x in next(o for o in orders if o)):
        return "options order items"
    if asks_tone(question) and {"gray", "colour"} <= {tone_claim(o) for o in options}:
        return "whether it has colour at all"
    if between_events(question) is not None:
        return "time between two events"
    if options and event_options(question, options):
        return "what happened before or after a named text"
    if options and re.search(r"\b(?:after|before)\s+(?:the\s+)?(?:text|words?|line|message|caption)\s+\w", question, re.I) \
            and all(len(o.split()) <= 6 for o in options):
        return "which text came up before or after a line written out"
    if colour_after(question) is not None and re.search(r"\b(?:what|which)\s+colou?r", question, re.I):
        return "the colour after a coloured part"
    if options and ENDING.search(question):
        return "how the video ends"
    if asked_text_colour(question) is not None:
        return "text in a colour"
    if (scene_ref(question) is not None or TYPED.search(question) and time_ref(question, 1e9) is not None) and asks_for_text(question):
        return "text in a scene"
    if text_beside(question) is not None:
        return "text under or over a named text"
    if prompted_verb(question) is not None and asks_for_text(question) or prompted_verb(question) in ("enter", "type", "input", "write"):
        return "what the screen asks for"
    if asks_how_long(question) and re.search(r"\bfad\w*", question, re.I):
        return "how long a fade takes"
    if compared_shots(question) is not None and options:
        return "one shot brighter than another"
    if shot_ordinal(question) is not None and asks_how_long(question) and not asks_video_length(question):
        return "how long a shot lasts"
    if area_options(options) is not None and asks_brightest(question) is not None:
        return "the brightest part of the frame"
    if any((c := option_claim(o)) is not None and c.kind == "never" for o in options):
        return "an option says it never appears"
    if (what := counted(question)) == "parts" and not re.search(r"\b(?:cuts?|transitions?)\b", question, re.I) \
            and (colour is not None or not counts_picture(question)) \
            or what == "times" and colour is not None and (not asks_for_change(question)  # "go to a black screen": entries
                                                           or re.search(r"\b(?:go|goes|went|cuts?)\s+(?:\w+\s+){0,2}to\b|\b(?:go|goes|went)\s+(?:fully |completely |totally |all )?(?:black|white)\b", question, re.I)):
        return f"count of {what}"
    if what == "times" and colour is None and not counts_picture(question) and (named_text(question) or asks_for_text(question)
                                                                              or re.search(r"\b(?:pops?|flash\w*|blink\w*)\b", question, re.I)):
        return "count of times a text shows"  # "how many times does ping ok pop up?"
    into = BECOMES.search(question)
    cut_words = re.search(r"\b(?:cuts?|transitions?|scene changes?|shot changes?)\b", question, re.I) \
        and not (into and re.match(r"cuts?\b", into.group(0), re.I))  # "cuts back to black": into a colour, no n-th cut
    moment = (ref := time_ref(question, 1e9)) is not None and ref.t is not None
    if cut_words and (ordinal(question) not in (None, 1, -1) or moment and re.search(r"\b(?:before|after)\b", question, re.I)):
        return "n-th cut"
    if colour is not None and (ordinal(question) or 1) not in (1, -1) and (asks_when(question, options) or re.search(r"\bwhen\b", question, re.I)):
        return "n-th time the picture is a colour"
    if asks_how_long(question) and not asks_video_length(question) and picture_target(question) is None \
            and (colour is not None or named_text(question)) \
            and not SECONDS_IN.search(question):
        return "how long it lasts"
    if colour is not None and re.search(r"\bfirst\b", question, re.I) and asks_for_text(question) \
            and (not options or number_options(options) is not None):
        return "value when a colour starts"
    if options and region(question) is not None and asks_for_text(question) and time_ref(question, 1e9) is None:
        return "text of a region"
    if value_condition(question) is not None and asks_for_text(question):
        return "a value when another reaches a number"
    if value_condition(question) is not None and asks_for_colour(question):
        return "the colour when a value reaches a number"
    if (not options or yes_no_options(options)) and asks_if_any(question) and asks_for_text(question) and time_ref(question, 1e9) is None:
        return "asks whether there is any text"
    if yes_no_options(options) and colour is not None and time_ref(question, 1e9) is None \
            and EVER.search(question):
        return "asks whether the picture is ever a colour"
    quoted = re.search(r"[\"“'‘]([^\"”'’]{3,40})[\"”'’]", question)
    if not options and quoted and len(quoted.group(1).split()) <= 5 and not names_screen_text(question) and (re.search(
            r"\b(?:pop|show|come)s? up\b|^\s*(?:roughly |about )?when\b", question, re.I) or SECONDS_IN.search(question)):
        return "when a quoted text comes up"
    if yes_no_options(options) and option_claim(question) in (Claim("no_cut"), Claim("darker"), Claim("brighter")):
        return "asks whether it is one shot"
    if yes_no_options(options) and steady_claim(question):
        return "asks whether the picture stays as it is"
    return None


def classify_question(question: str, options: list[str] | None = None) -> str:
    """``when``, ``where``, ``count``, ``first``, ``sequence``, ``length``, ``text_event``, ``text_order``,
    ``read_at``, ``change``, ``look_at``, ``read`` or ``general``: which plan answers the question.

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
    if survey_shape(question, options) is not None:
        return "general"
    colours = [bare_colour(o) for o in options or []]
    picture = about_picture(question) or _VIDEO_COURSE.search(question) or (_intent(question) != "general"
                                                                             and not _THINGS_COLOUR.search(question))
    if colours and None not in colours and len(set(colours)) == len(colours) and re.search(r"\b(first|earliest|last|final)\b", q) \
            and picture:
        return "first"
    if asked_video_fact(question):
        return "length"  # the video's own duration, frame count, frame rate or size
    if counts_picture(question):
        return "count"  # of picture changes, or of colours (counting.py tells which)
    if re.search(r"\bwhere\b", q) and TIME_IN_Q.search(question) and OBJECT.search(question):
        return "where"
    if options and (sequence_options(options, asks_order(question)) is not None or yes_no_options(options) and claimed_order(question)) \
            and picture:
        return "sequence"  # each option is a course of the picture's colours ("From gray to red."), or yes / no to an order
    if ASKS_WHEN.search(q) and OBJECT.search(question):  # "when" as the question word, not "what happens when"
        return "when"
    if ((asks_when(question, options) or asks_how_long(question)) and picture_target(question)
            and not re.search(r"\bchang|\bswitch|\bfrom\b", q) and (not BECOMES.search(q) or ASKS_WHEN.search(q))):
        return "when"  # when (or how long) the picture is a colour: a span, placed among the options' times or parts
    if asks_printed(question, options):  # a web address, an e-mail: printed text, read where asked (or found, for "when")
        return "text_event" if ASKS_WHEN.search(q) else "read_at" if time_ref(question, 1e9) is not None else "read"
    if names_screen_text(question) and order_word(question) and (asks_for_text(question) or order_word(question) != "when"
                                                          or re.search(r"^\s*when\b", q)):
        return "text_event"
    if re.search(r"\b(first|earlier|earliest|last|later|latest)\b", q) and orders_written(question, options):
        return "text_order"
    has_time = time_ref(question, 1e9) is not None
    colour_asked = asks_for_colour(question) and colours and None not in colours  # "what colour is ... the counter video?"
    if asks_for_text(question) and not colour_asked and (has_time or picture_target(question) and re.search(r"\b(?:when|once|while|as soon as)\b", q)):
        return "read_at"  # text at a time, or at the moment the picture is a colour ("when the background is green")
    when_options = asks_when("", options)  # options that are times or parts of the video ask "when"
    if asks_for_change(question) and (when_options or re.search(r"^\s*when\b|\bwhat (time|second)\b|\bat what\b|\bwhich second\b|\bis there\b|\bdoes the (picture|shot|scene)\b", q)):
        return "change"
    if has_time and asks_for_colour(question) and (by_meaning(question, options) == "look_at" or colour_asked
                                                   and not _THINGS_COLOUR.search(question)):
        return "look_at"  # the colour of the picture ("which of these colours shows more at 1 s"), not of a thing in it
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
    colours = bool(options) and all(bare_colour(o) for o in options or [])
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
