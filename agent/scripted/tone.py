"""Whether the video has colour at all: "is this vid in colour or just grayscale?", "is there any actual colour
or is it just black, white and grey?". Each option is read as saying the picture has no colour or that it has
some (in colour, a tint, a hue named), and the frames decide: the share of their pixels with a clear colour.
Likewise whether it shows a picture at all ("just plain screens" or "real footage"): flat frames decide; and
whether what is shown at a moment is the plain screen an option describes ("a black screen with small grey
text"); and an option that is only a direction ("increasing") as a brightness claim when the question asks
about brightness. Pure functions (doctested); the answers are
:meth:`~vagent.agent.scripted.screens.ScreenAnswers._by_tone`, ``_by_plain`` and ``_by_screen``.
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from vagent.agent.palette import COLOR_HUES
from vagent.agent.scripted.colour_words import option_colour

_ASKS = re.compile(r"gr[ae]y\s*scale|black[- ]and[- ]white|\bb\s*&\s*w\b|monochrome|shades of gr[ae]y|"
                   r"\bany (?:actual |real |proper )?colou?rs?\b|\bin colou?r\b|\bcolou?r (?:or|vs\.?) ", re.I)
_NO_COLOUR = re.compile(r"\bno colou?rs?\b|colou?rless|gr[ae]y\s*scale|monochrome|\b(?:only|just|all) (?:in )?(?:black|white|gr[ae]y)|"
                        r"black,? (?:and )?white,? and gr[ae]ys?|black, gr[ae]y,? and white|shades of gr[ae]y|black[- ]and[- ]white", re.I)
_SOME_COLOUR = re.compile(r"\bcolou?r\w*|\btint\w*|\bsepia\b|\bhues?\b", re.I)
COLOURFUL = 0.02
"""The share of clearly coloured pixels (saturation and value at least 0.15) above which a frame has colour."""


def asks_tone(question: str) -> bool:
    """Whether the question asks if the video has colour at all.

    >>> asks_tone("is this vid in color or just grayscale?"), asks_tone("Is there any actual colour or is it just shades of grey")
    (True, True)
    >>> asks_tone("what colour is the background at 2 s?")
    False
    """
    return bool(_ASKS.search(question))


def tone_claim(option: str) -> str | None:
    """``gray`` when an option says the picture has no colour, ``colour`` when it says it has some, else None.

    >>> [tone_claim(o) for o in ["grayscale, no color", "full color", "sepia tint", "only black, white and greys"]]
    ['gray', 'colour', 'colour', 'gray']
    >>> [tone_claim(o) for o in ["it turns blue at one point", "just black, white and grey", "about 3 seconds"]]
    ['colour', 'gray', None]
    """
    if _NO_COLOUR.search(option):
        return "gray"
    return "colour" if _SOME_COLOUR.search(option) or option_colour(option) in COLOR_HUES else None


def colourful_share(image: Image.Image) -> float:
    """The share of the frame's pixels with a clear colour (saturation and value at least 0.15)."""
    hsv = np.asarray(image.convert("RGB").resize((64, 36)).convert("HSV"), dtype=np.float32) / 255.0
    return float(((hsv[..., 1] >= 0.15) & (hsv[..., 2] >= 0.15)).mean())


_PLAIN = re.compile(r"\b(?:plain|blank|empty|solid|flat|uniform)\s+(?:\w+\s+)?(?:screens?|frames?|colou?rs?|backgrounds?)\b"
                    r"|\bno (?:picture|image|footage|content)\b", re.I)
_FOOTAGE = re.compile(r"\b(?:footage|filmed|live[- ]action|people|persons?|animals?|real (?:scene|video|images?)|(?:pictures?|images?|shots?) of)\b", re.I)


def picture_claim(option: str) -> str | None:
    """``plain`` when an option says the video shows only flat screens, ``footage`` when it says it shows a
    filmed picture, else None.

    >>> [picture_claim(o) for o in ["real footage of people", "just plain screens going between black and white", "a logo"]]
    ['footage', 'plain', None]
    """
    if _PLAIN.search(option):
        return "plain"
    return "footage" if _FOOTAGE.search(option) else None


_SCREEN = re.compile(r"\s*(?:(?:starts?|begins?|opens?|ends?|finish(?:es)?)\s+)?(?:(?:with|on|from|as|out\s+of|in)\s+)?(?:(?:about|around|roughly|nearly|almost)\s+)?"
                     r"(?:(?:a|one|two|half a|\d+(?:\.\d+)?)\s+(?:seconds?|secs?|moments?)\s+of\s+)?(?:(?:just|only)\s+)?(?:an?\s+|the\s+)?(?:(?:plain|blank|empty|solid|completely|fully|totally|entirely|all|pure|pitch)[\s-]+)?"
                     r"(black|white|gr[ae]y|red|green|blue|yellow)\s+(?:screens?|frames?|backgrounds?|cards?)\b", re.I)


def screen_claim(option: str) -> str | None:
    """The colour of the plain screen an option says is shown ("a black screen with small grey text": black),
    None for an option describing anything else ("a red leaf on a black rock", "a deer").

    >>> [screen_claim(o) for o in ["a black screen with small grey text", "A plain white frame", "a deer in a forest", "a leaf on a black background"]]
    ['black', 'white', None, None]
    >>> [screen_claim(o) for o in ["With about one second of black screen", "Starts with a white screen", "With a white flash"]]
    ['black', 'white', None]
    >>> [screen_claim(o) for o in ["From a completely black screen.", "As a plain grey frame", "From a title card", "out of a pitch-black screen"]]
    ['black', 'gray', None, 'black']
    """
    m = _SCREEN.match(option)
    return None if m is None else {"grey": "gray"}.get(m.group(1).lower(), m.group(1).lower())


def screen_options(options: list[str]) -> list[str | None] | None:
    """Each option's plain-screen colour (:func:`screen_claim`), when some but not all options describe a plain
    screen (the others describe things), else None.

    >>> screen_options(["a deer", "a black screen with grey text"]), screen_options(["a deer", "a leaf"])
    ([None, 'black'], None)
    """
    claims = [screen_claim(o) for o in options]
    return claims if 1 <= sum(c is not None for c in claims) < len(claims) else None


_ABOUT_BRIGHTNESS = re.compile(r"\bbright\w*|\blightness\b|\bdark\w*|\bluminan\w*|\bexposure\b", re.I)
_UP = re.compile(r"^\W*(?:it\s+(?:is\s+)?)?(?:increas\w*|ris(?:es|ing)|rose|going up|goes up|went up|grow\w*)\W*$", re.I)
_DOWN = re.compile(r"^\W*(?:it\s+(?:is\s+)?)?(?:decreas\w*|fall(?:s|ing)?|fell|going down|goes down|went down|drop\w*)\W*$", re.I)


def as_brightness(option: str, question: str) -> str:
    """An option that is only a direction ("increasing", "going down"), as a brightness claim when the
    question asks about brightness ("how is the brightness changing?"); other options as they are.

    >>> as_brightness("increasing", "How is the brightness changing?"), as_brightness("increasing", "What is happening to the count?")
    ('getting brighter', 'increasing')
    """
    if not _ABOUT_BRIGHTNESS.search(question):
        return option
    return "getting brighter" if _UP.search(option) else "getting darker" if _DOWN.search(option) else option
