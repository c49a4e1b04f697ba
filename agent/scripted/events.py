"""Which event, shot or scene a question points at: the n-th one ("the third scene change", "the 2nd
shot", "the last cut"), what a count counts (shots, cuts, times shown), two events to time between and
the scene pointed into ("after the first cut"). One ordinal reader serves them all. Pure functions
(doctested); the survey (:mod:`~vagent.agent.scripted.survey`) measures what they point at.
"""

from __future__ import annotations

import re

from vagent.agent.scripted.colour_words import COLOUR_WORDS, asked_colour
from vagent.agent.scripted.timeexpr import words_to_numbers

_C = "|".join(COLOUR_WORDS)
_NTH_VALUE = {"first": 1, "1st": 1, "opening": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
              "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "last": -1, "final": -1, "closing": -1}
NTH = r"(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|last|final|opening|closing)"
"""One ordinal word, as a regex group: its value is :func:`nth`."""


def nth(word: str) -> int:
    """The position an ordinal word names, 1-based; -1 for the last.

    >>> nth("third"), nth("2nd"), nth("Opening"), nth("final")
    (3, 2, 1, -1)
    """
    return _NTH_VALUE[word.lower()]


_EVENT_WORDS = r"(?:cut|change|transition|switch|scene|shot|time|clip|part|screen|frame|picture|image|fade|flash|appearance)"


def ordinal(question: str) -> int | None:
    """The n-th event a question asks for (1, 2, 3, ...; -1 for the last), else None; "second" as a
    unit ("2 second mark", "a second", "at what second") is no ordinal.

    >>> ordinal("When was the third scene change?"), ordinal("the screen turns white for the second time"), ordinal("the last cut")
    (3, 2, -1)
    >>> ordinal("when does it go fully black again?"), ordinal("when is the 2nd cut?")
    (2, 2)
    >>> ordinal("What is at the 2 second mark?") is None, ordinal("about a second in") is None
    (True, True)
    >>> ordinal("at about what second does the shot change?") is None, ordinal("in which second is the cut?") is None
    (True, True)
    """
    for m in re.finditer(rf"\b{NTH}\b", question, re.I):
        before = question[:m.start()].rstrip().lower()
        after = question[m.end():m.end() + 40].lower()
        if m.group(1).lower() == "second" and (re.search(r"(?:\d|\ba|\bone|\bhalf|\bper|\bwhat|\bwhich|\beach|\bevery)$", before) or re.match(r"\s*(?:mark|in\b|into|s\b)", after)):
            continue
        if re.match(rf"\s*(?:\w+\s+){{0,2}}{_EVENT_WORDS}", after) or re.search(r"\bthe$|\bits$", before):
            return nth(m.group(1))
    return 2 if re.search(r"\b(?:again|once more|back to)\b", question, re.I) else None


_COUNT = re.compile(r"\bhow many\s+((?:[\w'-]+\W*){1,4})|\b(?:number|count) of\s+((?:[\w'-]+\W*){1,4})", re.I)
_PARTS = re.compile(r"\b(?:video\s+)?(?:clips?|shots?|scenes?|pictures?|images?|photos?|photographs?|segments?|parts?|sections?"
                    r"|sequences?|takes?|views?|screens?)\b", re.I)
_CHANGES = re.compile(r"\b(?:cuts?|transitions?|changes?|switch\w*|edits?)\b", re.I)


def counted(question: str) -> str | None:
    """What a count question counts of the picture: ``parts`` (shots, clips, pictures), ``changes``
    (cuts, transitions), ``times`` (how often something is shown), else None (people, objects).

    >>> counted("How many video clips were used to compose this video?"), counted("How many cuts are there?")
    ('parts', 'changes')
    >>> counted("How many times is a white screen visible?"), counted("How many people are there?") is None
    ('times', True)
    >>> counted("how often does the word LOADING show up")
    'times'
    """
    m = _COUNT.search(question)
    if not m:
        return "times" if re.search(r"\bhow often\b", question, re.I) else None
    words = m.group(1) or m.group(2)
    if re.match(r"\s*(?:seconds?|minutes?|frames? (?:long|in)|s\b)", words, re.I):
        return None  # a duration or a moment, not a count
    if _CHANGES.search(words):
        return "changes"
    if re.match(r"\s*(?:different\s+|separate\s+|distinct\s+)?(?:video\s+)?(?:\w+\s+)?" + _PARTS.pattern, words, re.I) and _PARTS.search(words):
        return "parts"
    if re.match(r"\s*times\b", words, re.I):
        return "times"
    return None


_BETWEEN = re.compile(r"\b(?:how long|how much time|how many seconds|time|gap|interval|difference|delay|pass\w*|elapse\w*)\b.*?"
                      r"\bbetween\s+(?P<a>.+?)\s+and\s+(?:the\s+)?(?P<b>.+?)\s*(?:[?.!]|,|\bin the (?:video|clip)\b|$)", re.I)
_EVENT = re.compile(r"\b(?:cuts?|changes?|transitions?|scenes?|shots?|switch\w*|start\w*|beginning|begins?|end\w*|appear\w*|"
                    rf"fade\w*|{_C})\b|[\"“'‘]", re.I)

_FROM_TO = re.compile(r"\b(?:how long|how much time|how many (?:secs?|seconds)|time (?:it takes|taken|needed|elapsed))\b.*?\bfrom\s+(?P<a>.+?)\s+(?:to|until|till)\s+"
                      r"(?:(?:when|once)\s+)?(?:(?:it|the (?:screen|picture|video))\s+(?:is|gets|turns|goes)\s+)?(?P<b>.+?)\s*(?:[?.!]|,|$)", re.I)
_ONE_TO_NEXT = re.compile(r"\b(?:from|between) (?:one|each|a)\s+((?:[\w-]+\s+){0,3}?[\w-]+)\s+(?:to|and) the next\b", re.I)


def between_events(question: str) -> tuple[str, str] | None:
    """The two events a question asks the time between ("the time difference between the first and
    second scene changes", "how much time passes between the start and when it turns red"), else None;
    a window of times ("between 2 and 3 seconds") is no pair of events.

    >>> between_events("What is the time difference in seconds between the first and second scene changes in the video?")
    ('the first scene changes', 'second scene changes')
    >>> between_events("how many seconds pass between the first cut and the third one?")
    ('the first cut', 'third one cut')
    >>> between_events("about how many seconds is it from one all black moment to the next one?")
    ('the first all black moment', 'the second all black moment')
    >>> between_events("how many seconds between one all-white moment and the next one?")
    ('the first all-white moment', 'the second all-white moment')
    >>> between_events("how much time passes between the start and when it turns red?")
    ('the start', 'when it turns red')
    >>> between_events("Is it darker between 2 and 3 seconds?") is None, between_events("What happens between the cuts?") is None
    (True, True)
    >>> between_events("how many secs does it take to go from black at the very start to fully white?")
    ('black at the very start', 'fully white')
    >>> between_events("how long does it take to get from black to white?"), between_events("how long from 2 to 4 s?")
    (('black ends', 'white'), None)
    >>> between_events("how long does the first fade from black up to full white take?") is None
    True
    >>> between_events("at what time (seconds) does the picture switch from red to blue?") is None
    True
    """
    if m := _ONE_TO_NEXT.search(question):  # "from one all black moment to the next one": the first two
        return f"the first {m.group(1)}", f"the second {m.group(1)}"
    if (m := _FROM_TO.search(words_to_numbers(question))) and _EVENT.search(m.group("a")) and _EVENT.search(m.group("b")) \
            and not re.search(r"\bfad\w*", question, re.I):  # "how long does the fade from black to white take": the fade's length
        a = m.group("a").strip()  # from a colour: from when it ends, unless it is the one at the start
        return (a if re.search(r"\b(?:start\w*|beginning|begins?|opening)\b", a, re.I) or not asked_colour(a) else f"{a} ends"), m.group("b").strip()
    m = _BETWEEN.search(words_to_numbers(question))
    if not m or not _EVENT.search(m.group("a") + " " + m.group("b")):
        return None
    a, b = m.group("a").strip(), m.group("b").strip()
    for this, other in ((a, b), (b, a)):  # "the first and second scene changes", "the first cut and the third one"
        noun = re.sub(r"^(?:the\s+)?(?:first|second|third|fourth|fifth|sixth|last|final|next)\s+", "", other, flags=re.I)
        if not _EVENT.search(this) and noun != other:
            a, b = (f"{a} {noun}", b) if this is a else (a, f"{b} {noun}")
    return a, b


_AFTER_CUT = re.compile(rf"\bafter the {NTH} (?:cut|scene change|shot change|transition)\b", re.I)
_SCENE_PART = re.compile(rf"\b(?:at|near|towards?|by|around|in) the (?:very\s+)?(start|beginning|end|middle) of the {NTH} (?:scene|shot)\b", re.I)
_AFTER_CHANGE = re.compile(r"\b(?:after|once)\s+(?:the\s+)?(?:screen|scene|shot|picture|view|image)\s+(?:first\s+)?(?:changes|switches|cuts)\b", re.I)
"""A change named without a number ("after the screen changes"): the first cut."""
_IN_SCENE = re.compile(rf"\b(?:in|during|on) the {NTH} (?:scene|shot)\b"
                       r"|\bbefore the first (?:cut|scene change|shot change|transition)\b", re.I)


def scene_ref(question: str) -> int | None:
    """The scene a question points into (0-based, -1 for the last): "after the first cut" is the second
    scene, "in the last shot" the last, "before the first cut" the first; else None.

    >>> scene_ref("after the first cut, what line of text gets typed out?"), scene_ref("What is written in the third scene?")
    (1, 2)
    >>> scene_ref("what does it say before the first cut?"), scene_ref("in the last shot, what is shown?"), scene_ref("what is written?")
    (0, -1, None)
    >>> scene_ref("Which message is displayed on the computer screen at the end of the second shot?")
    1
    >>> scene_ref("what words are typed in the box after the screen changes?")
    1
    """
    if m := _SCENE_PART.search(question):
        n = nth(m.group(2))
        return n - 1 if n > 0 else -1
    if m := _AFTER_CUT.search(question):
        n = nth(m.group(1))
        return n if n > 0 else -1
    if _AFTER_CHANGE.search(question):
        return 1
    if m := _IN_SCENE.search(question):
        n = nth(m.group(1) or "first")
        return n - 1 if n > 0 else -1
    return None

def scene_part(question: str) -> tuple[float, float] | None:
    """The part of the scene :func:`scene_ref` names, as fractions of it: "at the end of the second shot" is its
    last 40%; None when the question names no part.

    >>> scene_part("Which message is displayed at the end of the second shot?"), scene_part("in the second shot")
    ((0.6, 1.0), None)
    """
    m = _SCENE_PART.search(question)
    return None if m is None else {"start": (0.0, 0.4), "beginning": (0.0, 0.4), "middle": (0.3, 0.7)}.get(m.group(1).lower(), (0.6, 1.0))


def shot_ordinal(question: str) -> int | None:
    """The shot (scene) a "how long" question is about: "how long does the first shot last" is 1.

    >>> shot_ordinal("how long does the first shot last before the camera cuts away?"), shot_ordinal("how long is the 2nd scene")
    (1, 2)
    >>> shot_ordinal("how long is the video?") is None
    True
    """
    m = re.search(rf"\b{NTH}\s+(?:\w+\s+)?(?:shot|scene|take|clip)\b", question, re.I)
    return nth(m.group(1)) if m else None


_EACH_PART = re.compile(r"\b(?:each|every|per)\s+(?:of\s+the\s+(?:\w+\s+){0,2})?(?:(?:background|screen)\s+)?(?:colou?r|background|screen|shot|scene|part|section|segment|take)s?\b"
                        r"|\b(?:colou?r|shot|scene|part|section|segment)s?\s+(?:\w+\s+)?each\b", re.I)


def asks_each_part(question: str) -> bool:
    """Whether a "how long" question asks the length of each part of the video, not of one ("how long does
    each colour stay on screen", "how long do the shots each last").

    >>> asks_each_part("how long does each colour stay on screen, in secs? roughly"), asks_each_part("how long do the shots each last?")
    (True, True)
    >>> asks_each_part("how long does the red part last?"), asks_each_part("how long is each of the three background colours shown?")
    (False, True)
    """
    return bool(_EACH_PART.search(question))


def compared_shots(question: str) -> tuple[int, int] | None:
    """Two shots a question compares ("is the 1st shot brighter or darker than the 2nd one?"), else None.

    >>> compared_shots("is the 1st shot brighter or darker than the 2nd one?"), compared_shots("Is the last scene darker than the first?")
    ((1, 2), (-1, 1))
    >>> compared_shots("which is brighter overall, the first shot or the second?")
    (1, 2)
    """
    m = re.search(rf"\b{NTH}\s+(?:shot|scene|take|part)\b.*?\b(?:than|or|and|vs\.?|versus)\s+(?:the\s+)?{NTH}\b", question, re.I)
    return (nth(m.group(1)), nth(m.group(2))) if m else None
