"""What an option claims about the picture, and what a question asks for, in the shapes the survey
(:mod:`~vagent.agent.scripted.survey`) answers from a timeline of the whole video: options that
describe a change ("became darker", "turned green", "cut to another scene", "stayed red"), options
that order the same items ("Send Spike, Enter Password, ..."), an option saying the thing never
appears, the window after a colour, a value asked where a printed counter reaches a number (which
event or shot is pointed at is :mod:`~vagent.agent.scripted.events`). Shapes,
not phrasings: each is read from the words that carry it, whatever the rest of the sentence says.
Pure functions (doctested).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vagent.agent.scripted.colour_words import COLOUR_WORDS, SYNONYMS, asked_colour, bare_colour, option_colour
from vagent.agent.scripted.picture import BECOMES, about_picture
from vagent.agent.scripted.tone import as_brightness

_C = "|".join(COLOUR_WORDS)
_NO_CUT = re.compile(r"\bcontinuous\b|\bsingle (?:shot|take)\b|\bone (?:shot|take)\b|\buninterrupted\b|\bno (?:cuts?|edits?)\b"
                     r"|\bwithout (?:any |a )?(?:cuts?|edits?)\b|\bnever cuts?\b", re.I)
_CUT = re.compile(r"\bcuts?\b|\banother (?:scene|shot|view|angle|camera)\b|\bswitch\w* (?:to|scenes|shots|camera)|\bchang\w* (?:the )?(?:scene|shot)"
                  r"|\bnew (?:scene|shot)\b|\btransition\w*|\bedit(?:s|ed)?\b", re.I)
_TEXT = re.compile(r"\b(?:text|words?|captions?|titles?|messages?|writing|letters|subtitles?)\b", re.I)
_APPEARS = re.compile(r"\b(?:appear\w*|show\w* up|pop\w* up|came up|comes? up|displayed|shown|added)\b", re.I)
_TURNS_TO = re.compile(rf"\bfad\w*\s+(?:(?:out|in|up|down|back)\s+)?(?:from\s+(?:{_C})\s+)?(?:to|into)\s+({_C})\b", re.I)
_DARKER = re.compile(r"\bdark(?:er|ens?|ened|ening)\b|\bdimm?(?:er|ed|s|ing)?\b|\bfad\w*\s+out\b|\bless bright\b", re.I)
_BRIGHTER = re.compile(r"\bbright(?:er|ens?|ened|ening)\b|\blight(?:er|ens?|ened|ening)\b|\bfad\w*\s+in\b|\bless dark\b", re.I)
_STAYS = re.compile(r"\bstay\w*|\bremain\w*|\bconstant\b|\bthe same\b|\bunchanged\b|\bno change\b|\bdoes(?:n't| not) change\b|\bkeeps?\b(?!\s+(?:on\s+)?(?:getting|growing|becoming|going|fading|turning))|\bsteady\b", re.I)
_TURNS = re.compile(r"\bturn\w*|\bchang\w*|\bbec[oa]me\w*|\bwent\b|\bgo(?:es)?\b|\bswitch\w*|\bflash\w*", re.I)
_ALTERNATES = re.compile(r"\balternat\w*|\bback and forth\b|\boscillat\w*|\bpuls\w*|\bup and down\b|\bagain and again\b|\brepeated\w*", re.I)
_FLICKERS = re.compile(r"\bflicker\w*|\bstrob\w*|\brandom\w*|\bfrom frame to frame\b", re.I)
_NEVER = re.compile(r"\bnever\b|\bno\b.*\b(?:appear\w*|shown|visible|screen|such)\b|\bdoes(?:n't| not) (?:appear|show|occur|happen)\b"
                    r"|\bnot (?:appear\w*|shown|visible|present)\b|\bthere (?:is|are) no\b|\bat no (?:time|point)\b", re.I)


@dataclass(frozen=True)
class Claim:
    """What an option says happens: ``kind`` is ``darker``, ``brighter``, ``turns`` (to ``colour``),
    ``stays`` (``colour`` or any), ``alternates`` (darker and brighter by turns), ``flickers`` (from frame
    to frame), ``text`` (text appears), ``cut``, ``no_cut`` or ``never``."""
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
    >>> option_claim("It fades from grey to black."), option_claim("It fades in from black and keeps getting brighter.")
    (Claim(kind='turns', colour='black'), Claim(kind='brighter', colour=None))
    >>> option_claim("It fades down to black."), option_claim("It fades up from black to white.")
    (Claim(kind='turns', colour='black'), Claim(kind='turns', colour='white'))
    >>> option_claim("by gradually alternating between black and white"), option_claim("by flickering randomly from frame to frame")
    (Claim(kind='alternates', colour=None), Claim(kind='flickers', colour=None))
    """
    o = option.strip().rstrip(".").lower()
    if _NEVER.search(o):
        return Claim("never")
    if _FLICKERS.search(o):
        return Claim("flickers")
    if _ALTERNATES.search(o):
        return Claim("alternates")
    if _NO_CUT.search(o):
        return Claim("no_cut")
    if m := _TURNS_TO.search(o):
        return Claim("turns", SYNONYMS.get(m.group(1), m.group(1)))
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


_BARE_COLOUR = re.compile(rf"\s*(?:the\s+)?(?:(?:mid|middle|light|dark|pale|bright|deep)[- ])?(?:(?:{_C})(?:d?ish)?[- ])?(?:{_C})\W*")
"""An option that is only a colour ("mid gray", "reddish-brown"): it names a colour, it claims no change."""


def claim_options(options: list[str], question: str = "") -> list[Claim | None] | None:
    """Each option's claim, when at least two options make one and no two make the same (an "unsure"
    option may make none), else None; an option that only says "increasing" or "decreasing" claims
    brighter or darker when the ``question`` asks about brightness.

    >>> claim_options(["it cuts away", "one continuous shot"])
    [Claim(kind='cut', colour=None), Claim(kind='no_cut', colour=None)]
    >>> claim_options(["Red.", "Gray-blue."]) is None, claim_options(["He sits.", "He waves."]) is None, claim_options(["green", "reddish brown", "white"]) is None
    (True, True, True)
    >>> claim_options(["black", "white", "mid gray", "red"]) is None, claim_options(["White.", "Grey with text.", "Red.", "Black."]) is None
    (True, True)
    >>> claim_options(["remaining stable", "increasing", "decreasing"], "How is the brightness changing?")
    [Claim(kind='stays', colour=None), Claim(kind='brighter', colour=None), Claim(kind='darker', colour=None)]
    """
    claims = [option_claim(as_brightness(o, question)) for o in options]
    made = [c for c in claims if c is not None]
    if len(made) < 2 or len(set(made)) < len(made) or len(made) < len(options) - 1:
        return None
    if all(c.kind == "turns" for c in made) and sum(bool(_BARE_COLOUR.fullmatch(o.lower()) or bare_colour(o)) for o in options) >= len(options) - 1:
        return None  # bare colours ("reddish", one may be "Grey with text."): a colour question, not a change
    return claims


_SPLIT = re.compile(r"\s*(?:,|;|->|→|\bthen\b|\band then\b|\bfollowed by\b|>)\s*", re.I)


_LISTED = re.compile(r"\(([a-h1-9])\)\s*(.+?)\s*(?=\([a-h1-9]\)|$)", re.S)


def item_orders(options: list[str], question: str = "") -> list[list[str] | None] | None:
    """Each option's items in order, when at least two options order the same items (written out, or as
    the labels of items the question lists: "(a) Enter Password. (b) Send Spike." with options "(b)(a).")
    and at most one other option orders nothing ("they appear at the same time": None for it), else
    None. An item that quotes one text is that text ("the text 'Send Spike' is typed": "Send Spike").

    >>> item_orders(["Enter Password, Send Spike.", "Send Spike, Enter Password."])
    [['Enter Password', 'Send Spike'], ['Send Spike', 'Enter Password']]
    >>> item_orders(["(b)(a).", "(a)(b)."], "In what order? (a) Enter Password. (b) Send Spike.")
    [['Send Spike', 'Enter Password'], ['Enter Password', 'Send Spike']]
    >>> item_orders(["2->1", "1->2"], "Order these: (1)The text 'GO' appears; (2)The words 'Send Spike' are typed.")
    [['Send Spike', 'GO'], ['GO', 'Send Spike']]
    >>> item_orders(["The text 'GO' is typed, then the text 'Send Spike' is typed", "'Send Spike' comes first, then 'GO'", "Both at once"])
    [['GO', 'Send Spike'], ['Send Spike', 'GO'], None]
    >>> item_orders(["Red, then blue.", "Blue, then red."]) is not None, item_orders(["Paris.", "Rome."]) is None
    (True, True)
    """
    listed = {label: text.strip().rstrip(".;").strip() for label, text in _LISTED.findall(question)}
    if listed and all(re.fullmatch(r"\s*(?:\([a-h1-9]\)\s*,?\s*)+\.?\s*", o) for o in options):
        options = [", ".join(listed.get(label, label) for label in re.findall(r"\(([a-h1-9])\)", o)) for o in options]
    elif listed and all(re.fullmatch(r"\s*\(?[a-h1-9]\)?(?:\s*(?:->|→|>|,|-)\s*\(?[a-h1-9]\)?)+\s*\.?\s*", o) for o in options):
        options = [", ".join(listed.get(label, label) for label in re.findall(r"[a-h1-9]", o)) for o in options]  # "3->2->1->4"
    orders: list[list[str] | None] = []
    for option in options:
        items = [quoted_item(p.strip(" .")) for p in _SPLIT.split(option.strip().rstrip(".")) if p.strip(" .\"'")]
        orders.append(items if len(items) >= 2 else None)
    made = [o for o in orders if o is not None]
    if len(made) < 2 or len(made) < len(options) - 1:
        return None
    keys = [sorted(p.lower() for p in o) for o in made]
    if any(k != keys[0] for k in keys) or len({tuple(p.lower() for p in o) for o in made}) < len(made):
        return None
    return orders


def quoted_item(item: str) -> str:
    """The text an item quotes when it quotes exactly one, else the item without its quote marks.

    >>> quoted_item("The words 'Initiate Search Program' were typed."), quoted_item("It fades.")
    ('Initiate Search Program', 'It fades')
    >>> quoted_item('The words "Spike Sent" appear below "Send Spike"')
    'Spike Sent'
    """
    quoted = re.findall(r"[\"“‘']([^\"”’']{2,60})[\"”’']", item)
    if len(quoted) > 1 and re.search(r"[\"”’']\s+(?:appears?|shows? up|comes? up|pops? up)\s+(?:below|under|above|over|beside|next to|after)\b", item, re.I):
        return quoted[0].strip()  # "the words 'Spike Sent' appear below 'Send Spike'": the text that appears
    return quoted[0].strip() if len(quoted) == 1 else item.strip(" .\"'")


ENDING = re.compile(r"\bhow does (?:the |this )?(?:video|clip|film|it) (?:end|finish)\b|\bhow (?:is|was) the (?:ending|end)\b"
                    r"|\bwhat happens at the (?:very )?end\b|\bat the (?:very )?end\b[^?]*\b(?:fad|cut)\w*|\b(?:fad|cut)\w*[^?]*\bat the (?:very )?end\b", re.I)
"""A question about how the video ends ("does it cut to black, fade out, or stop on the last picture?")."""

EVER = re.compile(r"\bat any (?:point|time|moment|stage)\b|\bever\b|\bat all\b|\banywhere\b", re.I)
"""Whether a yes / no question asks about the whole video ("is it ever white?", "at any point")."""

_AFTER_EVENT = re.compile(rf"\bafter\s+(?:it|the\s+\w+|that)?\s*(?:\w+\s+)?(?:turn\w*|went|goes|became|becomes|was|is|changed\s+to|"
                          rf"faded\s+to)\s+({_C})\b|\bafter\s+the\s+({_C})\s+(?:part|bit|segment|portion|stretch|screen|background|section|scene|shot|frames?)\b", re.I)


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
    return SYNONYMS.get(word, word)


_CHANGES_TO = re.compile(r"\b(?:what|which)\s+colou?r\b|\bwhat (?:does|did) (?:the |its )?(?:background|screen|picture|image|frame|video)"
                         r"(?: colou?r)? (?:change|turn|switch|go|fade|cut)\w* (?:in)?to\b", re.I)


def next_colour_asked(question: str) -> str | None:
    """The colour part after which the question asks the picture's colour ("what colour comes after the gray
    part?", "what does the background change to after the red part"), else None.

    >>> next_colour_asked("what does the background colour change to after the red part"), next_colour_asked("What happens after the green part?")
    ('red', None)
    """
    return colour_after(question) if _CHANGES_TO.search(question) else None


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


_HAPPENED = re.compile(r"\bwhat\s+(?:happen\w*|(?:is|was)\s+(?:shown|done|going on)|did\s+(?:it|the \w+)\s+do|came|comes)\b", re.I)


def event_options(question: str, options: list[str]) -> bool:
    """Whether the question asks what happened before (after) a named text, among options some of which
    quote a text or claim a black or white screen ("The words 'Initiate Search Program' were typed").

    >>> event_options('What happened before the words "Enter Password" appeared?', ["The screen faded to black.", "The words 'GO' were typed."])
    True
    >>> event_options('What is written after "GO"?', ["STOP", "WAIT"])
    False
    """
    return bool(_HAPPENED.search(question)) and bool(re.search(r"\b(?:before|after|prior to)\b", question, re.I)) and any(
        quoted_item(o) != o.strip(" .\"'") for o in options)
