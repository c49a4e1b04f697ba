"""What a question asks of the picture as a whole: its colour or brightness, a change of it, when or
how long it is a colour, the moment of a span it asks for, and an order of colours. Pure functions on
the question text (doctested); :mod:`~vagent.agent.scripted.question` decides the plan with them.
"""

from __future__ import annotations

import re

from vagent.agent.palette import COLOR_HUES, NEUTRAL_COLORS
from vagent.agent.scripted.choice import part_options
from vagent.agent.scripted.colour_words import asked_colour, option_colour
from vagent.agent.scripted.timeexpr import TIMED, words_to_numbers

_COLOR_WORDS = "|".join([*COLOR_HUES, *NEUTRAL_COLORS])
OBJECT = re.compile(rf"\b({_COLOR_WORDS})\s+([a-z]+)", re.I)
"""A coloured object named in the question (``red triangle``)."""

_NOT_A_THING = set("a an the is are was were it its this that and or then to into at in on of for from by with during "
                   "throughout all first last shown visible after before again once when while until".split())
"""Words after a colour word that do not make it a thing's colour ("red at first", "red and blue", "is red in")."""

ASKS_WHEN = re.compile(r"^\s*(?:(?:so|and|ok|okay|roughly|about|approximately|around|hey|um+|uh+|just|quick q|q)\b[:,]?\s+){0,3}when\b|\bat what (?:time|point|moment)\b|\bwhat time\b|\btime span\b|\bfrom when\b", re.I)
"""The question asks for a time (``when`` as its question word)."""
SECONDS_IN = re.compile(r"\bhow many (?:seconds|secs?) (?:in|into)\b|\bat (?:(?:roughly|about|around|approximately|exactly)\s+)?(?:what|which) "
                        r"(?:second|moment|point)\b|\bhow far in(?:to)?\b", re.I)
"""A question asking how far into the video something is ("how many seconds in", "at roughly what second"): a moment,
not a duration."""


def asks_for_colour(question: str) -> bool:
    return bool(re.search(r"\bcolou?rs?\b|\bbright(?:er|ness)?\b|\bdark(?:er)?\b|\bhue\b", question.lower()))


BECOMES = re.compile(rf"\b(?:turns?|turned|turning|goes|go|went|becomes?|became|fades?|faded|cuts?)\s+(?:back\s+)?(?:to\s+|into\s+)?"
                      rf"(?:an?\s+|the\s+)?(?:\w+\s+)?(?:{_COLOR_WORDS}|bright|dark|light)\b", re.I)


def asks_for_change(question: str) -> bool:
    """Whether the question is about the picture changing: cuts, shots, scenes, transitions, a change,
    or the picture becoming a colour or brightness ("turns green", "goes dark").

    >>> asks_for_change("When does the screen go blue?"), asks_for_change("How many shots are there?"), asks_for_change("Who goes first?")
    (True, True, False)
    """
    q = question.lower()
    return bool(re.search(r"\b(cuts?|shots?|scenes?|transitions?|chang(?:e|es|ed|ing)|switch(?:es|ed|ing)?)\b", q) or BECOMES.search(q))


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
    >>> about_picture("when does it first go fully white?")  # a whole white or black screen
    True
    """
    return bool(_PICTURE.search(question) or re.search(rf"\b(?:{FULLY_WORDS}|full)\s+(?:white|black)\b", question, re.I))


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
_ONSET = re.compile(r"\b(?:appear\w*|start\w*|begin\w*|shows? up|first|comes? on|emerg\w*|(?:switch|chang)\w*\s+(?:from\s+\w+\s+)?(?:to|into))\b", re.I)
_OFFSET = re.compile(r"\b(?:disappear\w*|vanish\w*|ends?|ended|stop\w*|go(?:es)? away|leaves?|gone|last seen|finish\w*)\b", re.I)


def asks_order(question: str) -> bool:
    """Whether the question asks for an order or a course ("in what order", "sequence", "how ... change").

    >>> asks_order("Which option orders the background colours correctly?"), asks_order("What are the colours of the doors?")
    (True, False)
    """
    return bool(re.search(r"\border\w*|\bsequence\b|\bsuccession\b|\bprogress\w*|\bchang\w*|\btransition\w*|\bone after another\b"
                          r"|\bgoes? from\b", question, re.I))


def claimed_order(question: str) -> list[str] | None:
    """The two colours a question claims come in an order, the earlier first ("Does the red background
    come before the green one?"), else None.

    >>> claimed_order("Does the red background come before the green one?"), claimed_order("Is the blue screen shown after the white one?")
    (['red', 'green'], ['white', 'blue'])
    >>> claimed_order("Is the screen red or green?") is None
    True
    """
    named = list(dict.fromkeys(c for w in re.findall(r"[a-z]+", question.lower()) if (c := option_colour(w))))
    if len(named) != 2:
        return None
    if re.search(r"\b(?:after|later than|follows?)\b", question, re.I):
        return named[::-1]
    return named if re.search(r"\b(?:before|earlier than|prior to|precedes?|first|then|followed by)\b", question, re.I) else None


_VIDEO_LENGTH = re.compile(r"\bhow long is (?:the|this) (?:whole |entire )?(?:[a-z]+ ){0,2}(?:video|clip|footage|film)\b|\b(?:length|duration|running time) "
                           r"of (?:the|this) (?:whole |entire )?(?:video|clip|footage|film)\b|\bhow (?:long|many seconds|many minutes) "
                           r"does (?:the|this) (?:video|clip|footage|film) (?:last|run)\b|\bhow many (?:seconds|minutes) long\b", re.I)


_ITSELF = {"is", "was", "does", "did", "will", "would", "the", "this", "that", "my", "your", "it", "its", "whole", "entire",
           "full", "total", "complete", "video", "vid", "clip", "footage", "film", "movie", "one", "thing", "run", "runs",
           "last", "lasts", "go", "goes", "play", "plays", "actually", "really", "roughly", "about", "exactly", "in", "secs",
           "sec", "seconds", "s", "minutes", "altogether", "overall", "for", "all", "of", "be", "approximately"}
"""Words that may follow "how long" when the video itself is what is timed ("how long is the whole thing")."""
_THE_VIDEO = {"video", "vid", "clip", "footage", "film", "movie", "one", "thing", "it", "whole", "entire"}
_SOMETHING_IN_IT = re.compile(rf"\b(?:{_COLOR_WORDS}|black|white|gr[ae]y|bright\w*|dark\w*|shots?|scenes?|fades?|text|words?|"
                              r"screens?|parts?|bits?|sections?|cuts?|frames?|backgrounds?|logo|title|sign)\b|[\"“]", re.I)


def asks_video_length(question: str) -> bool:
    """Whether the question asks how long the video itself is (given with the question, as its duration):
    a length of the video named, or "how long" followed only by words for the video and for running,
    in a question that names nothing in the video.

    >>> asks_video_length("How many seconds long is the video?"), asks_video_length("How long is the screen red?")
    (True, False)
    >>> asks_video_length("roughly how long is the whole thing in seconds"), asks_video_length("how long does this one actually run, in secs?")
    (True, True)
    >>> asks_video_length("It turns red. How long does it last?"), asks_video_length("how long does it take?")
    (False, False)
    """
    if _VIDEO_LENGTH.search(question):
        return True
    m = re.search(r"\bhow long\b([^?,.;!]*)", question, re.I)
    words = re.findall(r"[a-z']+", m.group(1).lower()) if m else []
    return bool(words) and set(words) <= _ITSELF and bool(set(words) & _THE_VIDEO) and not _SOMETHING_IN_IT.search(question)


_FACTS = (("frames", r"\bhow many (?:video |individual |separate )?frames\b(?!.{0,30}\b(?:black|white|red|green|blue|gr[ae]y|dark|bright|show|shows|with|where|in which)\b)"
                     r"|\b(?:total )?(?:number of|count of) (?:video )?frames\b|\bframe count\b"),
          ("fps", r"\bframe ?rate\b|\bfps\b|\bframes (?:per|a|each) second\b"),
          ("width", r"\bhow (?:many pixels )?wide\b|\bwidth\b|\bpixels (?:wide|across)\b"),
          ("height", r"\bhow (?:many pixels )?(?:tall|high)\b|\bheight\b|\bpixels (?:tall|high)\b"),
          ("size", r"\bresolution\b|\bdimensions\b|\bframe size\b|\bhow big is (?:the|each) frame\b"))


def asked_video_fact(question: str) -> str | None:
    """What the question asks of the video itself, given with the question: ``duration``, ``frames``
    (how many in all), ``fps``, ``width``, ``height`` or ``size`` (the frame's pixels), else None.

    >>> asked_video_fact("how many frames r there in total in this clip?"), asked_video_fact("whats the frame rate?")
    ('frames', 'fps')
    >>> asked_video_fact("How many pixels wide is the video?"), asked_video_fact("what resolution is it?")
    ('width', 'size')
    >>> asked_video_fact("How many seconds long is the video?"), asked_video_fact("how many frames are black?")
    ('duration', None)
    >>> asked_video_fact("What is the width of the red stripe?") is None, asked_video_fact("how many frames show the text?") is None
    (True, True)
    """
    if asks_video_length(question):
        return "duration"
    for fact, pattern in _FACTS:
        if re.search(pattern, question, re.I):
            return fact if fact in ("frames", "fps") or not re.search(r"\b(?:stripe|box|bar|sign|text|logo|border|line|band)s?\b", question, re.I) else None
    return None


def asks_how_long(question: str) -> bool:
    """Whether the question asks for a duration ("how long", "for how many seconds")."""
    return bool(_HOW_LONG.search(question))


def asked_moment(question: str, spans: list[tuple[float, float]]) -> tuple[float, str]:
    """The moment of ``spans`` the question asks for, and in what words: the start of the first when it
    asks when something appears or starts, the end of the last when it asks when it ends or goes, else
    the middle of the first.

    >>> asked_moment("When does the red background first appear?", [(1.0, 2.0)]), asked_moment("When does it go away?", [(1.0, 2.0)])
    ((1.0, 'when it starts'), (2.0, 'when it ends'))
    >>> asked_moment("at what time (seconds) does the background go green?", [(3.0, 5.75)])
    (3.0, 'when it starts')
    >>> asked_moment("at what time does the picture switch from red to blue?", [(2.7, 3.9)])
    (2.7, 'when it starts')
    """
    q = re.sub(r"\bthe (?:end|start|beginning) of the \w+", " ", question)
    onset, offset = bool(_ONSET.search(q) or BECOMES.search(q)), bool(_OFFSET.search(q))  # "go green": when it becomes green
    if onset and not offset:
        return spans[0][0], "when it starts"
    if offset and not onset:
        return spans[-1][1], "when it ends"
    return (spans[0][0] + spans[0][1]) / 2, "when it is shown (the middle of the time it is shown)"


_POINT = re.compile(r"\b(?:give|in|how many|what|which|at what)\s+(?:the\s+)?(?:time\s+in\s+)?sec(?:ond)?s?\b|\(\s*(?:in\s+)?(?:seconds?|secs?|s)\s*\)"
                    r"|\bsec(?:ond)?s?\s+(?:pls|please|only)\b|\b(?:roughly|about|approximately|around) when\b", re.I)
FULLY_WORDS = r"fully|completely|totally|entirely|pure(?:ly)?|all the way|solid"
"""Words that ask for a colour at its extreme ("fully white"), shared with :data:`timeline.FULLY`."""
_FULLY = re.compile(rf"\b(?:{FULLY_WORDS})\b", re.I)


def asks_point(question: str) -> bool:
    """Whether a "when" question wants one moment in seconds ("give seconds", "at what time (seconds)"), not spans.

    >>> asks_point("When does the screen first get fully white? give seconds"), asks_point("When is the red part?")
    (True, False)
    >>> asks_point("roughly when is the last cut?")
    True
    """
    return bool(_POINT.search(question))


_LEVEL = re.compile(r"\b(?:gr[ae]y|brightness|intensity|luma|luminance|pixel|light)\s+(?:level|value)s?\b|\(?\b0\s*(?:-|–|to)\s*255\b", re.I)


def asks_level(question: str) -> bool:
    """Whether the question asks the picture's level as a number ("what grey level (0-255) is the last frame?").

    >>> asks_level("roughly what grey level (0-255) is the very last frame?"), asks_level("is it bright or dark?")
    (True, False)
    """
    return bool(_LEVEL.search(question))


_OPENING = re.compile(r"\b(?:before|until|till|til)\b[^.?!]*?\b(?:first|any|the)\s+(?:\w+\s+)?(?:picture|image|shot|scene|footage|frame|content)s?\b"
                      r"|\b(?:first|1st)\s+(?:\w+\s+)?(?:picture|image|shot|scene|footage|content)s?\b.*\bbefore (?:that|then|it)\b"
                      r"|\b(?:opening|intro)\b", re.I)


def asks_opening(question: str) -> bool:
    """Whether a "how long" or "how many seconds in" question asks for the run the video opens with ("how many
    seconds of black before the first picture shows up?"; its end: "when does the first picture show up? before
    that it's black"), not every run of that colour.

    >>> asks_opening("how many seconds of black screen before the first picture shows up?")
    True
    >>> asks_opening("how many secs in does the first real image appear? its all white before that")
    True
    >>> asks_opening("it starts on a black screen.. how many seconds until the first actual picture shows up?")
    True
    >>> asks_opening("for how long is the screen black in total?"), asks_opening("how long is the black bit before the green one?")
    (False, False)
    """
    return bool(_OPENING.search(question))


def asks_fully(question: str) -> bool:
    """Whether the question asks for the picture fully a colour ("fully white"): its extreme, not where it starts to look so.

    >>> asks_fully("When does the screen first get fully white?"), asks_fully("When does it turn white?")
    (True, False)
    """
    return bool(_FULLY.search(question))


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
    things = [m.group(2) for m in OBJECT.finditer(question) if m.group(2).lower() not in _NOT_A_THING]
    return colour if all(_PICTURE.fullmatch(thing) for thing in things) else None
