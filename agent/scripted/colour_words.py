"""Colour words in options and questions: the one colour an option or question names (shades, "-ish",
compounds and synonyms folded to the palette's names), and the course of colours an option writes
("From gray to red.", "fades to black"). Pure functions (doctested).
"""

from __future__ import annotations

import re

from vagent.agent.palette import COLOR_HUES, NEUTRAL_COLORS

SYNONYMS = {"grey": "gray", "light": "bright", "lighter": "bright", "brighter": "bright", "darker": "dark",
             "violet": "purple", "pink": "magenta", "teal": "cyan", "turquoise": "cyan", "lime": "green", "gold": "yellow"}
COLOUR_WORDS = (*COLOR_HUES, *NEUTRAL_COLORS, "brown", "bright", "dark", *SYNONYMS)


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
    >>> option_colour("dark / black"), option_colour("bright, white screen"), option_colour("white / grey")
    ('black', 'white', None)
    >>> option_colour("blue-ish grey"), option_colour("red / reddish"), option_colour("green-ish"), option_colour("grey blue")
    ('gray', 'red', 'green', 'blue')
    """
    words = [_untinted(w) for w in re.findall(r"[a-z]+", _SHADE.sub("", _COMPOUND.sub(_head, _folded(option))))]
    found = {(SYNONYMS.get(w, w)) for w in words if w in COLOUR_WORDS}
    for shade, colour in (("dark", "black"), ("bright", "white")):  # "dark / black": two words for one screen
        if found == {shade, colour}:
            return colour
    return found.pop() if len(found) == 1 else None


_SHADE = re.compile(r"\b(?:(?:light|dark|pale|bright|deep|pastel|vivid|dull|muted|neon|dusty|sky|baby|royal|navy)\s+)+"
                    rf"(?=(?:{'|'.join(c for c in COLOUR_WORDS if c not in ('bright', 'dark', 'light', 'lighter', 'brighter', 'darker'))})\b)")
"""A shade word before a colour ("light blue", "dark brown"): the colour is the one named after it."""
_HUE_WORDS = (*COLOR_HUES, *NEUTRAL_COLORS, "grey", "violet", "pink", "teal", "turquoise", "lime", "gold")
_HUES = "|".join(_HUE_WORDS)
_COMPOUND = re.compile(r"\b([a-z]+)-([a-z]+)\b|\b([a-z]+ish) ([a-z]+)\b")


def _folded(option: str) -> str:
    """The option in lower case with "-ish" joined to its word ("blue-ish grey" is "blueish grey") and two hues
    side by side written as one compound ("grey blue" is "grey-blue", whose colour is the second)."""
    text = re.sub(r"-ish\b", "ish", option.lower())
    return re.sub(rf"\b({_HUES})\s+(?=(?:{_HUES})\b)", r"\1-", text)


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
    return second in COLOUR_WORDS and (hue in _HUE_WORDS or hue + "e" in _HUE_WORDS or hue in ("gre", "pur", "blu"))


def bare_colour(option: str) -> str | None:
    """The colour an option is, when it is only a colour ("Gray.", "the red one", "A blue background"), else None.

    >>> bare_colour("Gray."), bare_colour("the red one"), bare_colour("the one in white"), bare_colour("the grey-blue background")
    ('gray', 'red', None, 'blue')
    >>> bare_colour("Mid grey"), bare_colour("medium gray")
    ('gray', 'gray')
    """
    m = re.fullmatch(r"\s*(?:the\s+|an?\s+)?(?:mid(?:dle)?[- ]|medium\s+)?([a-z]+(?:-[a-z]+)?)(?:\s+(?:one|background|backdrop|screen|picture|colou?r))?\s*\.?\s*", option.lower())
    colour = option_colour(m.group(1)) if m else None
    return None if colour == "brown" else colour  # no plan measures brown shares: options with it are compared by distance only


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
    words = [SYNONYMS.get(w, w) for w in map(_untinted, re.findall(r"[a-z]+", _COMPOUND.sub(_head, _folded(option)))) if w in COLOUR_WORDS]
    course = [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]
    return course if len(course) >= 2 else None


_SAME = re.compile(r"\b(?:stay|stays|staying|remains?|remaining|keeps?|keeping)\s+(?:the\s+)?same\b|\b(?:do(?:es)?(?:n't| not)|did(?:n't| not)|never)\s+change"
                   r"|\bno changes?\b|\bunchanged\b|\bnothing\s+(?:\w+\s+)?chang", re.I)
"""An option saying the picture does not change, in whatever colour."""


def sequence_options(options: list[str], ordered: bool = False) -> list[list[str]] | None:
    """Each option's course of colours when every option writes one (or one colour it stays, beside
    options that are courses) and no two write the same, else None (``ordered``: the question asks for
    an order, see :func:`option_sequence`).

    >>> sequence_options(["From gray to red.", "From red to gray."]), sequence_options(["From Tokyo to Osaka.", "From red to gray."])
    ([['gray', 'red'], ['red', 'gray']], None)
    >>> sequence_options(["It goes from dark to light.", "It stays dark."])
    [['dark', 'bright'], ['dark']]
    >>> sequence_options(["from grey to red", "staying the same"])  # no change, whatever the colour: an empty course
    [['gray', 'red'], []]
    >>> sequence_options(["Red turns to green, then to gray-blue", "Nothing changed"])
    [['red', 'green', 'blue'], []]
    """
    courses = [option_sequence(o, ordered) or ([colour] if (colour := option_colour(o)) else [] if _SAME.search(o) else None) for o in options]
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
