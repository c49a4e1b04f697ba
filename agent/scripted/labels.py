"""The value a question asks for among the lines read on screen: the line whose label the question
names (``PTS``, ``frame``, ``lap``, ``score``) and the value after it, or the line of the kind it asks
for (a year near ``©`` / "copyright", a web address, an e-mail), never simply the first line read; and a
value asked at the moment another printed value reaches a number (:func:`value_condition`).
Pure functions (doctested).
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from vagent.agent.scripted.timeexpr import words_to_numbers

_KINDS = {
    "year": (r"\byears?\b|\bcopyright\b|©", r"\b(?:19|20)\d{2}\b"),
    "address": (r"\b(?:web\s*site|website|web\s+address|url|address|domain|link|site)\b",
                r"\b(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|edu|gov|tv|co|[a-z]{2})\b(?:/\S*)?"),
    "email": (r"\be-?mail\b", r"\b[\w.+-]+@[\w-]+\.[\w.]+\b"),
    "name": (r"\bwho\b|\bwhose\b|\bname\b|\bholders?\b|\bowners?\b|\bauthors?\b|\bcreators?\b|\bby whom\b",
             r"\b[A-Z][a-z]+(?:\s+[A-Z]\.?)*(?:[ -]+[A-Z][a-z]+)+"),
}
_NOT_NAMES = re.compile(r"\b(?:copyright|all rights reserved|www|http\S*)\b", re.I)
_GENERIC = set("""a an the is are was were what which who whom when where why how does do did in on of at to for from by
with this that these those video clip shown show shows showing appear appears appearing there it its be value values
number numbers text written printed displayed display screen frame's says say read reads line lines label labelled
labeled next after before near corner top bottom left right upper lower second seconds s sec mark moment time point
into about roughly around approximately exactly first last end beginning start middle half current one two three
kind sort type digit digits field entry shown? visible you can see given counter reading overlay caption""".split())


_PRINTED = re.compile(r"\bweb\s*(?:sites?|address(?:es)?|pages?|links?)\b|\bsites? address\b|\burls?\b|\bhomepage\b|"
                      r"\bdomain(?:\s+name)?s?\b|\be-?mail(?:\s+address)?(?:es)?\b|"
                      r"(?<!construction )(?<!building )(?<!camp)(?<!work )\bsite\b(?=.*\b(?:advertis|promot|shown|displayed|written|"
                      r"printed|appears?|listed|given|on screen))", re.I)
"""Words for a printed address ("site" only where it is shown or advertised, not a building site)."""


_TEXT_IN_COLOUR = re.compile(r"\b(red|orange|yellow|green|blue|purple|pink|white|black|gr[ae]y)\s+(?:colou?red\s+)?(?:texts?|words?|letters?|"
                             r"writing|captions?|lines?|titles?|labels?|characters?|subtitles?)\b|\b(?:texts?|words?|letters?|writing|"
                             r"captions?|lines?|titles?|written|printed|shown|typed)\s+(?:\w+\s+){0,2}in\s+(red|orange|yellow|green|blue|purple|pink|white|black|gr[ae]y)\b", re.I)


def asked_text_colour(question: str) -> str | None:
    """The colour of the letters a question asks about ("What are the yellow texts on the screen?",
    "what do the words written in red say"), else None.

    >>> asked_text_colour("What are the red texts recognized on the white wall?"), asked_text_colour("what do the words written in yellow say")
    ('red', 'yellow')
    >>> asked_text_colour('what is written in yellow under "Initiate Search Program"?')
    'yellow'
    >>> asked_text_colour("What colour is the text?") is None, asked_text_colour("What does the red car's sign say?") is None
    (True, True)
    """
    m = _TEXT_IN_COLOUR.search(question)
    if not m:
        return None
    colour = (m.group(1) or m.group(2)).lower()
    return "gray" if colour == "grey" else colour


_BESIDE = re.compile(r"\b(below|under|underneath|beneath|above|over)\s+(?:the\s+)?(?:(?:line|text|words?|message|caption)\s+)?"
                     r"[\"“'‘](.+?)[\"”’'](?=\W|$)", re.I)
_BESIDE_UNQUOTED = re.compile(r"\b(below|under|underneath|beneath|above|over)\s+(?:the\s+)?(?:line|text|words?|message|caption|title)\s+"
                              r"(?:saying\s+|that says\s+)?(\w+(?:\s+(?!(?:after|before|when|once|while|near|at|in|on|during|as|is|was|"
                              r"gets?|got|has|had|appears?|appeared|shows?|showed)\b)\w+){0,5})", re.I)

_AFTER_TYPED = re.compile(r"\bafter\s+(?:it|the\s+\w+)\s+(?:types?|typed|writes?|wrote|shows?|showed|prints?|printed|displays?|displayed)\s+"
                          r"(?:out\s+)?[\"“'‘]?(\w+(?:\s+\w+){0,5}?)[\"”’']?\s*(?:,|\bwhat\b|\bwhich\b|$)", re.I)
_NEXT_LINE = re.compile(r"\bnext\s+line\b|\bline\s+(?:after|below|under)\b", re.I)


def text_beside(question: str) -> tuple[bool, str] | None:
    """The text a question places the asked line under (True) or over (False): "the message that appears
    below 'Initiate Search Program'", else None.

    >>> text_beside("What is the message that appears below 'Initiate Search Program' on the screen?")
    (True, 'Initiate Search Program')
    >>> text_beside("what msg shows up under 'Send Spike' after its typed?"), text_beside("What is written?")
    ((True, 'Send Spike'), None)
    >>> text_beside("what appeared under the line initiate search program after it was fully typed near the end")
    (True, 'initiate search program')
    >>> text_beside("what is written under the car?") is None
    True
    >>> text_beside("after it types initiate search program, what does the next line say?")
    (True, 'initiate search program')
    """
    m = _BESIDE.search(question) or _BESIDE_UNQUOTED.search(question)
    if m is None and _NEXT_LINE.search(question) and (typed := _AFTER_TYPED.search(question)):
        return True, typed.group(1).strip()  # the line typed next goes under it
    return (m.group(1).lower() not in ("above", "over"), m.group(2).strip()) if m else None


_PROMPT = re.compile(r"\b(?:asks?|asking|asked|wants?|tells?|prompts?|requests?|instructs?)\s+(?:you|the user|the viewer|the player|us)\s+"
                     r"(?:to\s+)?(?!to\b)([a-z]+)", re.I)


_ASKS_FOR = re.compile(r"\b(?:asks?|asking|asked|requests?|requesting|prompts?|prompting|wants?)\s+(?:(?:you|the user|the viewer|"
                       r"the player|us)\s+)?for\b", re.I)
REQUESTS = ("enter", "type", "input", "insert", "provide", "choose", "select", "press", "please")
"""The words a line on screen that asks for something begins with ("Enter Password", "Please type ...")."""


def prompted_verb(question: str) -> str | None:
    """The action a question says the screen asks for ("what does the screen ask you to enter?": ``enter``):
    the line asked begins with it; ``request`` when the question says only that it asks for something
    ("what does the computer ask for?": a line beginning with one of :data:`REQUESTS`). None when the
    question says no such thing.

    >>> prompted_verb("what does the computer screen ask you to enter at the end of the typing bit?")
    'enter'
    >>> prompted_verb("What does the prompt want the user to type?"), prompted_verb("what is asked?")
    ('type', None)
    >>> prompted_verb("what does the computer ask for just before it switches?")
    'request'
    """
    m = _PROMPT.search(question)
    if m and m.group(1).lower() != "for":
        return m.group(1).lower()
    return "request" if _ASKS_FOR.search(question) else None


def asked_kind(question: str) -> str | None:
    """``year``, ``address``, ``email`` or ``name`` when the question asks for one, else None.

    >>> asked_kind("What year is in the copyright line?"), asked_kind("Which website is shown?"), asked_kind("What lap is it?")
    ('year', 'address', None)
    >>> asked_kind("Whose name is on the copyright notice?"), asked_kind("What is the name of the website shown at the end?")
    ('name', 'address')
    """
    q = question.lower()
    if _PRINTED.search(q):  # "the name of the website" asks for the address
        return "email" if re.search(r"\be-?mail\b", q) else "address"
    if re.search(_KINDS["name"][0], q) and not re.search(r"\byears?\b|\bwhen\b", q):
        return "name"  # "who holds the copyright" asks for a name, not the year beside it
    for kind, (asks, _) in _KINDS.items():
        if re.search(asks, q) and not (kind == "address" and re.search(r"\be-?mail\b", q)):
            return kind
    return None


def asks_printed(question: str, options: list[str] | None = None) -> bool:
    """Whether the question asks for a web address or an e-mail, by its words or because every option
    is one: text printed on screen, whatever else the question says.

    >>> asks_printed("What is the website that appears at the end of the video?"), asks_printed("Which is shown?", ["BCASTELL.COM.", "CASTELLANO.COM."])
    (True, True)
    >>> asks_printed("What happens at the construction site?"), asks_printed("Which city?", ["Paris.", "Rome."])
    (False, False)
    >>> asks_printed("Which site is advertised when the clip ends?"), asks_printed("What is built at the building site shown here?")
    (True, False)
    """
    if _PRINTED.search(question):
        return True
    kinds = [_KINDS["address"][1], _KINDS["email"][1]]
    return bool(options) and any(all(re.search(k, o.strip().rstrip("."), re.I) for o in options) for k in kinds)


def line_of_kind(kind: str | None, line: str) -> bool:
    """Whether a line read on screen holds a value of ``kind`` (an address, an e-mail, a year; a name
    is only found beside a label, so never here).

    >>> line_of_kind("address", "visit www.example.org"), line_of_kind("address", "CHAPTER ONE"), line_of_kind(None, "x")
    (True, False, False)
    """
    return kind in ("address", "email", "year") and bool(re.search(_KINDS[kind][1], line, re.I))


def label_words(question: str) -> list[str]:
    """The words of the question that may be a label printed on screen (``PTS``, ``frame``, ``lap``).

    >>> label_words("What PTS value is printed at 1 second?"), label_words("Which frame number is shown at t = 2 s?")
    (['PTS'], ['frame'])
    """
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", question)
    return [w for w in words if w.lower() not in _GENERIC and len(w) >= 2]


_VALUE_AFTER_LABEL = re.compile(r"\b(?:written|printed|shown|displayed)\s+(?:right\s+)?after\s+[\"“'][^\"”']{1,20}[\"”']"
                                r"(?!\s+(?:\w+\s+)?(?:appears?|disappears?|shows?|is|was|comes?|goes|gone|pops?|vanish\w*|fades?|gets?|turns?|changes?))|\bafter\s+[\"“'][^\"”']{1,20}[=:#]\s*[\"”']", re.I)


def value_after_label(question: str) -> bool:
    """Whether the question asks the value printed after a label ('written after "Frame ="'): a place on
    screen, not an order in time.

    >>> value_after_label('What number is written after "Frame =" at the end?'), value_after_label('What is written after "GO" appears?')
    (True, False)
    """
    return bool(_VALUE_AFTER_LABEL.search(question))


def _after(line: str, label: str) -> str | None:
    """The text after ``label`` in ``line`` (past ``=`` / ``:``), when the label is in the line."""
    m = re.search(rf"\b{re.escape(label)}\w*\s*[=:#]?\s*(.+)", line, re.I)
    if m:
        return m.group(1).strip()
    tokens = line.split()
    for i, token in enumerate(tokens):  # a misread label: a close token, then what follows it
        if len(label) >= 3 and fuzz.ratio(token.lower().strip("=:#"), label.lower()) >= 75 and i + 1 < len(tokens):
            return " ".join(tokens[i + 1:]).lstrip("=:# ").strip() or None
    return None


def pick_value(question: str, lines: list[str]) -> tuple[str, str] | None:
    """The line the question asks about and the value in it, or None when no line fits.

    >>> pick_value("What is the PTS shown?", ["Frame = 21", "PTS = 2.0s"])
    ('PTS = 2.0s', '2.0s')
    >>> pick_value("What year is in the copyright notice?", ["www.bcastell.com", "Copyright © 2013 Brandon Castellano"])
    ('Copyright © 2013 Brandon Castellano', '2013')
    >>> pick_value("Which web address is shown?", ["Copyright 2013 B. C.", "www.bcastell.com"])
    ('www.bcastell.com', 'www.bcastell.com')
    >>> pick_value("Who owns the rights to this footage?", ["www.bcastell.com", "Copyright © 2013 Brandon Castellano"])
    ('Copyright © 2013 Brandon Castellano', 'Brandon Castellano')
    >>> pick_value("What does it say?", ["HELLO"]) is None
    True
    """
    kind = asked_kind(question)
    if kind is not None:
        pattern = _KINDS[kind][1]
        if kind == "name":  # capitalised words, once the copyright words, years and addresses are gone
            cleaned = [(line, re.sub(_KINDS["address"][1], " ", _NOT_NAMES.sub(" ", line), flags=re.I)) for line in lines]
            found = [(line, m.group(0)) for line, rest in cleaned if (m := re.search(pattern, rest))]
        else:
            found = [(line, m.group(0)) for line in lines if (m := re.search(pattern, line, re.I))]
        if kind in ("year", "name"):  # the year or holder of a copyright line first
            found.sort(key=lambda f: not re.search(r"©|\(c\)|copyright", f[0], re.I))
        if found:
            return found[0]
    split = [part.strip() for line in lines for part in re.split(r"\s{2,}|\s*[|;]\s*", line) if part.strip()]
    best: tuple[float, str, str] | None = None
    for label in label_words(question):
        for line in split:
            value = _after(line, label)
            if value:
                score = fuzz.partial_ratio(label.lower(), line.lower())
                if best is None or score > best[0]:
                    best = (score, line, value)
    return (best[1], best[2]) if best else None


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
