"""What an option claims about the picture, and what a question asks for, in the shapes the survey
(:mod:`~vagent.agent.scripted.survey`) answers from a timeline of the whole video: options that
describe a change ("became darker", "turned green", "cut to another scene", "stayed red"), options
that order the same items ("Send Spike, Enter Password, ..."), an option saying the thing never
appears, counts of picture parts, durations, the n-th event and the window after an event. Shapes,
not phrasings: each is read from the words that carry it, whatever the rest of the sentence says.
Pure functions (doctested).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vagent.agent.scripted.choice import COLOUR_WORDS, _SYNONYMS, asked_colour, option_colour
from vagent.agent.scripted.picture import BECOMES, about_picture
from vagent.agent.scripted.timeexpr import words_to_numbers

_C = "|".join(COLOUR_WORDS)
_NO_CUT = re.compile(r"\bcontinuous\b|\bsingle (?:shot|take)\b|\bone (?:shot|take)\b|\buninterrupted\b|\bno (?:cuts?|edits?)\b"
                     r"|\bwithout (?:any |a )?(?:cuts?|edits?)\b|\bnever cuts?\b", re.I)
_CUT = re.compile(r"\bcuts?\b|\banother (?:scene|shot|view|angle|camera)\b|\bswitch\w* (?:to|scenes|shots|camera)|\bchang\w* (?:the )?(?:scene|shot)"
                  r"|\bnew (?:scene|shot)\b|\btransition\w*|\bedit(?:s|ed)?\b", re.I)
_TEXT = re.compile(r"\b(?:text|words?|captions?|titles?|messages?|writing|letters|subtitles?)\b", re.I)
_APPEARS = re.compile(r"\b(?:appear\w*|show\w* up|pop\w* up|came up|comes? up|displayed|shown|added)\b", re.I)
_TURNS_TO = re.compile(rf"\bfad\w*\s+(?:out\s+)?(?:to|into)\s+({_C})\b", re.I)
_DARKER = re.compile(r"\bdark(?:er|ens?|ened|ening)\b|\bdimm?(?:er|ed|s|ing)?\b|\bfad\w*\s+out\b|\bless bright\b", re.I)
_BRIGHTER = re.compile(r"\bbright(?:er|ens?|ened|ening)\b|\blight(?:er|ens?|ened|ening)\b|\bfad\w*\s+in\b|\bless dark\b", re.I)
_STAYS = re.compile(r"\bstay\w*|\bremain\w*|\bconstant\b|\bthe same\b|\bunchanged\b|\bno change\b|\bdoes(?:n't| not) change\b|\bkeeps?\b|\bsteady\b", re.I)
_TURNS = re.compile(r"\bturn\w*|\bchang\w*|\bbec[oa]me\w*|\bwent\b|\bgo(?:es)?\b|\bswitch\w*|\bflash\w*", re.I)
_NEVER = re.compile(r"\bnever\b|\bno\b.*\b(?:appear\w*|shown|visible|screen|such)\b|\bdoes(?:n't| not) (?:appear|show|occur|happen)\b"
                    r"|\bnot (?:appear\w*|shown|visible|present)\b|\bthere (?:is|are) no\b|\bat no (?:time|point)\b", re.I)


@dataclass(frozen=True)
class Claim:
    """What an option says happens: ``kind`` is ``darker``, ``brighter``, ``turns`` (to ``colour``),
    ``stays`` (``colour`` or any), ``text`` (text appears), ``cut``, ``no_cut`` or ``never``."""
    kind: str
    colour: str | None = None


def option_claim(option: str) -> Claim | None:
    """The claim an option makes about the picture, or None when it makes none of these.

    >>> option_claim("turned gray again"), option_claim("faded to black"), option_claim("became darker")
    (Claim(kind='turns', colour='gray'), Claim(kind='turns', colour='black'), Claim(kind='darker', colour=None))
    >>> option_claim("stayed red until the end"), option_claim("neither, it stays the same"), option_claim("text appeared")
    (Claim(kind='stays', colour='red'), Claim(kind='stays', colour=None), Claim(kind='text', colour=None))
    >>> option_claim("cut to another scene"), option_claim("one continuous shot"), option_claim("There is no red screen appearing.")
    (Claim(kind='cut', colour=None), Claim(kind='no_cut', colour=None), Claim(kind='never', colour=None))
    >>> option_claim("lighter"), option_claim("bright") is None, option_claim("He waves.") is None
    (Claim(kind='brighter', colour=None), True, True)
    """
    o = option.strip().rstrip(".").lower()
    if _NEVER.search(o):
        return Claim("never")
    if _NO_CUT.search(o):
        return Claim("no_cut")
    if m := _TURNS_TO.search(o):
        return Claim("turns", _SYNONYMS.get(m.group(1), m.group(1)))
    colour = option_colour(re.sub(r"\b(?:light|dark|bright)\w*\b", " ", o))
    if _STAYS.search(o):
        return Claim("stays", colour)
    if colour is not None and (_TURNS.search(o) or re.fullmatch(rf"\s*(?:to\s+)?(?:{_C})\s*", o)):
        return Claim("turns", colour)
    if _TEXT.search(o) and _APPEARS.search(o):
        return Claim("text")
    if _DARKER.search(o):
        return Claim("darker")
    if _BRIGHTER.search(o):
        return Claim("brighter")
    if _CUT.search(o):
        return Claim("cut")
    return None


def steady_claim(question: str) -> bool:
    """Whether a yes / no question claims the picture stays as it is: a colour that stays, or a
    brightness or colour that remains constant (not a person who remains seated).

    >>> steady_claim("Is the brightness of the video remaining constant?"), steady_claim("does the background stay red the whole time")
    (True, True)
    >>> steady_claim("Does the man remain seated?"), steady_claim("Is it getting darker?")
    (False, False)
    """
    claim = option_claim(question)
    return claim is not None and claim.kind == "stays" and (
        claim.colour is not None or bool(re.search(r"\b(?:bright\w*|dark\w*|light\w*|colou?rs?|exposure)\b", question, re.I)))


def claim_options(options: list[str]) -> list[Claim | None] | None:
    """Each option's claim, when at least two options make one and no two make the same (an "unsure"
    option may make none), else None.

    >>> claim_options(["it cuts away", "one continuous shot"])
    [Claim(kind='cut', colour=None), Claim(kind='no_cut', colour=None)]
    >>> claim_options(["Red.", "Gray-blue."]) is None, claim_options(["He sits.", "He waves."]) is None
    (True, True)
    """
    claims = [option_claim(o) for o in options]
    made = [c for c in claims if c is not None]
    if len(made) < 2 or len(set(made)) < len(made) or len(made) < len(options) - 1:
        return None
    if all(c.kind == "turns" for c in made) and all(re.fullmatch(rf"\s*(?:the\s+)?(?:(?:{_C})(?:ish)?[- ])?(?:{_C})\W*", o.lower()) for o in options):
        return None  # bare colours: a colour question, not a change
    return claims


_SPLIT = re.compile(r"\s*(?:,|;|->|→|\bthen\b|\band then\b|\bfollowed by\b|>)\s*", re.I)


_LISTED = re.compile(r"\(([a-h1-9])\)\s*(.+?)\s*(?=\([a-h1-9]\)|$)", re.S)


def item_orders(options: list[str], question: str = "") -> list[list[str]] | None:
    """Each option's items in order, when every option orders the same items (written out, or as the
    labels of items the question lists: "(a) Enter Password. (b) Send Spike." with options "(b)(a)."),
    else None.

    >>> item_orders(["Enter Password, Send Spike.", "Send Spike, Enter Password."])
    [['Enter Password', 'Send Spike'], ['Send Spike', 'Enter Password']]
    >>> item_orders(["(b)(a).", "(a)(b)."], "In what order? (a) Enter Password. (b) Send Spike.")
    [['Send Spike', 'Enter Password'], ['Enter Password', 'Send Spike']]
    >>> item_orders(["Red, then blue.", "Blue, then red."]) is not None, item_orders(["Paris.", "Rome."]) is None
    (True, True)
    """
    listed = {label: text.strip().rstrip(".").strip() for label, text in _LISTED.findall(question)}
    if listed and all(re.fullmatch(r"\s*(?:\([a-h1-9]\)\s*,?\s*)+\.?\s*", o) for o in options):
        options = [", ".join(listed.get(label, label) for label in re.findall(r"\(([a-h1-9])\)", o)) for o in options]
    orders = [[p.strip(" .\"'") for p in _SPLIT.split(o.strip().rstrip(".")) if p.strip(" .\"'")] for o in options]
    if len(options) < 2 or any(len(o) < 2 for o in orders):
        return None
    keys = [sorted(p.lower() for p in o) for o in orders]
    if any(k != keys[0] for k in keys) or len({tuple(p.lower() for p in o) for o in orders}) < len(orders):
        return None
    return orders


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "last": -1, "final": -1}
_EVENT_WORDS = r"(?:cut|change|transition|switch|scene|shot|time|clip|part|screen|frame|picture|image|fade|flash|appearance)"


def ordinal(question: str) -> int | None:
    """The n-th event a question asks for (1, 2, 3, ...; -1 for the last), else None; "second" as a
    unit ("2 second mark", "a second") is no ordinal.

    >>> ordinal("When was the third scene change?"), ordinal("the screen turns white for the second time"), ordinal("the last cut")
    (3, 2, -1)
    >>> ordinal("when does it go fully black again?")
    2
    >>> ordinal("What is at the 2 second mark?") is None, ordinal("about a second in") is None
    (True, True)
    """
    for m in re.finditer(r"\b(first|second|third|fourth|fifth|sixth|last|final)\b", question, re.I):
        before = question[:m.start()].rstrip().lower()
        after = question[m.end():m.end() + 40].lower()
        if m.group(1).lower() == "second" and (re.search(r"(?:\d|\ba|\bone|\bhalf|\bper)$", before) or re.match(r"\s*(?:mark|in\b|into|s\b)", after)):
            continue
        if re.match(rf"\s*(?:\w+\s+){{0,2}}{_EVENT_WORDS}", after) or re.search(r"\bthe$|\bits$", before):
            return _ORDINALS[m.group(1).lower()]
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
    """
    m = _COUNT.search(question)
    if not m:
        return None
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

_ONE_TO_NEXT = re.compile(r"\bfrom (?:one|each|a)\s+((?:[\w-]+\s+){0,3}?[\w-]+)\s+to the next\b", re.I)


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
    >>> between_events("how much time passes between the start and when it turns red?")
    ('the start', 'when it turns red')
    >>> between_events("Is it darker between 2 and 3 seconds?") is None, between_events("What happens between the cuts?") is None
    (True, True)
    """
    if m := _ONE_TO_NEXT.search(question):  # "from one all black moment to the next one": the first two
        return f"the first {m.group(1)}", f"the second {m.group(1)}"
    m = _BETWEEN.search(words_to_numbers(question))
    if not m or not _EVENT.search(m.group("a") + " " + m.group("b")):
        return None
    a, b = m.group("a").strip(), m.group("b").strip()
    for this, other in ((a, b), (b, a)):  # "the first and second scene changes", "the first cut and the third one"
        noun = re.sub(r"^(?:the\s+)?(?:first|second|third|fourth|fifth|sixth|last|final|next)\s+", "", other, flags=re.I)
        if not _EVENT.search(this) and noun != other:
            a, b = (f"{a} {noun}", b) if this is a else (a, f"{b} {noun}")
    return a, b


_AFTER_CUT = re.compile(r"\bafter the (first|second|third|fourth|fifth|last|final) (?:cut|scene change|shot change|transition)\b", re.I)
_IN_SCENE = re.compile(r"\b(?:in|during|on) the (first|second|third|fourth|fifth|last|final|opening|closing) (?:scene|shot)\b"
                       r"|\bbefore the first (?:cut|scene change|shot change|transition)\b", re.I)


def scene_ref(question: str) -> int | None:
    """The scene a question points into (0-based, -1 for the last): "after the first cut" is the second
    scene, "in the last shot" the last, "before the first cut" the first; else None.

    >>> scene_ref("after the first cut, what line of text gets typed out?"), scene_ref("What is written in the third scene?")
    (1, 2)
    >>> scene_ref("what does it say before the first cut?"), scene_ref("in the last shot, what is shown?"), scene_ref("what is written?")
    (0, -1, None)
    """
    if m := _AFTER_CUT.search(question):
        n = _ORDINALS[m.group(1).lower()]
        return n if n > 0 else -1
    if m := _IN_SCENE.search(question):
        word = (m.group(1) or "first").lower()
        n = {"opening": 1, "closing": -1}.get(word) or _ORDINALS[word]
        return n - 1 if n > 0 else -1
    return None

_NTH = r"(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|final|opening)"
_NTH_VALUE = {"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "opening": 1}


def _nth(word: str) -> int:
    return _NTH_VALUE.get(word.lower()) or _ORDINALS[word.lower()]


def shot_ordinal(question: str) -> int | None:
    """The shot (scene) a "how long" question is about: "how long does the first shot last" is 1.

    >>> shot_ordinal("how long does the first shot last before the camera cuts away?"), shot_ordinal("how long is the 2nd scene")
    (1, 2)
    >>> shot_ordinal("how long is the video?") is None
    True
    """
    m = re.search(rf"\b{_NTH}\s+(?:\w+\s+)?(?:shot|scene|take|clip)\b", question, re.I)
    return _nth(m.group(1)) if m else None


def compared_shots(question: str) -> tuple[int, int] | None:
    """Two shots a question compares ("is the 1st shot brighter or darker than the 2nd one?"), else None.

    >>> compared_shots("is the 1st shot brighter or darker than the 2nd one?"), compared_shots("Is the last scene darker than the first?")
    ((1, 2), (-1, 1))
    """
    m = re.search(rf"\b{_NTH}\s+(?:shot|scene|take|part)\b.*?\bthan\s+(?:the\s+)?{_NTH}\b", question, re.I)
    return (_nth(m.group(1)), _nth(m.group(2))) if m else None

ENDING = re.compile(r"\bhow does (?:the |this )?(?:video|clip|film|it) (?:end|finish)\b|\bhow (?:is|was) the (?:ending|end)\b"
                    r"|\bwhat happens at the (?:very )?end\b", re.I)
"""A question about how the video ends ("does it cut to black, fade out, or stop on the last picture?")."""

EVER = re.compile(r"\bat any (?:point|time|moment|stage)\b|\bever\b|\bat all\b|\banywhere\b", re.I)
"""Whether a yes / no question asks about the whole video ("is it ever white?", "at any point")."""

_AFTER_EVENT = re.compile(rf"\bafter\s+(?:it|the\s+\w+|that)?\s*(?:\w+\s+)?(?:turn\w*|went|goes|became|becomes|was|is|changed\s+to|"
                          rf"faded\s+to)\s+({_C})\b|\bafter\s+the\s+({_C})\s+(?:part|screen|background|section|scene|frames?)\b", re.I)


def colour_after(question: str) -> str | None:
    """The colour after whose appearance the question asks what happens ("after it turned red").

    >>> colour_after("what did the background do after it turned red"), colour_after("What happens after the green part?")
    ('red', 'green')
    >>> colour_after("What happens after the man leaves?") is None
    True
    """
    m = _AFTER_EVENT.search(question)
    if not m:
        return None
    word = (m.group(1) or m.group(2)).lower()
    return _SYNONYMS.get(word, word)


_GOES_TO = re.compile(rf"\b(?:go|goes|went|turn\w*|fad\w*|cut\w*|switch\w*)\s+(?:\w+\s+){{0,2}}(?:to|into)\s+(?:{_C})\b", re.I)
_PART = re.compile(r"\b(?:parts?|sections?|bits?|segments?|portions?|stretch(?:es)?)\b", re.I)


def picture_colour(question: str) -> str | None:
    """The colour of the picture (or of a part of the video) the question is about, else None.

    >>> picture_colour("how long does the red part last?"), picture_colour("How many white screens are there?")
    ('red', 'white')
    >>> picture_colour("when does it go fully black again?"), picture_colour("when does it go back to black?")
    ('black', 'black')
    >>> picture_colour("What colour is the man's tie?") is None
    True
    """
    if colour := colour_after(question):
        return colour
    return asked_colour(question) if about_picture(question) or _PART.search(question) or BECOMES.search(question) \
        or _GOES_TO.search(question) else None


_STATE_WORDS = {*COLOUR_WORDS, "lighter", "brighter", "darker", "dimmer", "light", "bright", "dark", "dim"}
_ALTERNATIVES = re.compile(r"\b([a-z]+)(?:\s*,\s*([a-z]+))?,?\s+or\s+([a-z]+)\b", re.I)


def implied_options(question: str) -> list[str] | None:
    """The alternatives a question without options offers in its own words ("lighter or darker", "black,
    grey or white") when each is a colour or a brightness, yes and no for a yes / no question, else None.

    >>> implied_options("does this one get lighter or darker towards the end?"), implied_options("is it black, grey or white?")
    (['lighter', 'darker'], ['black', 'grey', 'white'])
    >>> implied_options("is the background green at the end?"), implied_options("what colour is it?") is None
    (['yes', 'no'], True)
    >>> implied_options("is it a cat or a dog?") is None, implied_options("more or less how long is it?") is None
    (True, True)
    """
    for m in _ALTERNATIVES.finditer(question):
        words = [w.lower() for w in m.groups() if w]
        if all(w in _STATE_WORDS for w in words) and len(set(words)) == len(words):
            return words
    if re.match(r"\s*(?:is|are|was|were|does|do|did|has|have|can|could|will)\b", question, re.I) and not re.search(r"\bor\b", question, re.I):
        return ["yes", "no"]  # a yes / no question
    return None


def asks_if_any(question: str) -> bool:
    """Whether the question asks yes or no whether there is any of something ("is there any text?").

    >>> asks_if_any("is there any writing or text anywhere in the clip?"), asks_if_any("Does any caption appear?")
    (True, True)
    >>> asks_if_any("What text is there?")
    False
    """
    return bool(re.match(r"\s*(?:is|are|was|were|does|do|did|has|have|can|could)\b", question, re.I)
                and re.search(r"\b(?:any|anything|anywhere|ever)\b", question, re.I))


_AT_VALUE = re.compile(r"^(?P<asked>.*?)\b(?:when|once|as soon as|at the moment)\s+(?:the\s+|it\s+)?(?P<label>[\w\s]{1,30}?)\s+"
                       r"(?:gets?\s+to|reach(?:es)?|hits?|shows?|reads?|is at|says|displays?|equals|is)\s+(?P<value>-?\d+(?:\.\d+)?)\b", re.I)

_AT_QUOTED = re.compile(r"^(?P<asked>.*?)\b(?:when|once|as soon as|at the moment)\b[^\"“'‘]*[\"“'‘]\s*(?P<label>[A-Za-z][\w ]{0,20}?)\s*[=:]?\s*"
                        r"(?P<value>-?\d+(?:\.\d+)?)\s*s?\s*[\"”'’]"
                        r"|^(?P<asked2>.*?)\b(?:when|once|as soon as)\s+(?:it|the \w+)\s+(?:says|reads|shows|displays)\s+"
                        r"(?P<label2>[A-Za-z]+)\s*[=:]\s*(?P<value2>-?\d+(?:\.\d+)?)\b", re.I)


def value_condition(question: str) -> tuple[str, str, float] | None:
    """A value asked at the moment another printed value reaches a number ("what pts does it show when
    the frame counter gets to twenty five?"): the part that asks, the other value's label words and the
    number, else None.

    >>> value_condition("what pts does it show when the frame counter gets to twenty five?")
    ('what pts does it show ', 'frame counter', 25.0)
    >>> value_condition('What color is the background when the on-screen text reads "Frame = 15"?')
    ('What color is the background ', 'Frame', 15.0)
    >>> value_condition("whats the PTS number written on screen when it says Frame = 15")
    ('whats the PTS number written on screen ', 'Frame', 15.0)
    >>> value_condition("What is shown when the man sits down?") is None
    True
    """
    if m := _AT_VALUE.search(words_to_numbers(question)):
        return m.group("asked"), m.group("label").strip(), float(m.group("value"))
    if m := _AT_QUOTED.search(question):  # 'when the text reads "Frame = 15"', "when it says Frame = 15"
        return m.group("asked") or m.group("asked2"), (m.group("label") or m.group("label2")).strip(), float(m.group("value") or m.group("value2"))
    return None
