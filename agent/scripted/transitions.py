"""How the picture passes into or out of a black (or white) screen: a fade or a cut (see
:meth:`~vagent.agent.scripted.timeline.Timeline.gradual`), and how the video ends ("does it cut to
black, fade out, or just stop on the last picture?"). Mixed into the survey
(:mod:`~vagent.agent.scripted.survey`).
"""

from __future__ import annotations

import re

from vagent.agent.scripted.choice import option_colour
from vagent.agent.scripted.claims import ENDING
from vagent.agent.scripted.timeline import Timeline
from vagent.answers import LETTERS

FADES = re.compile(r"\bfad\w*|\bgradual\w*|\bdissolv\w*", re.I)
"""Words that ask whether a change is gradual."""
LEAVES = re.compile(r"\bfad\w*\s+in\b|\b(?:fades?|comes?|emerges?)\s+(?:\w+\s+){0,3}(?:from|out of)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?"
                    r"(?:black|white)\b", re.I)
"""Words for the picture leaving a black or white screen ("fades in from black")."""
_KINDS = (("fade", r"\bfad\w*|\bgradual\w*|\bdissolv\w*|\bdims?\b"), ("cut", r"\bcuts?\b|\bstraight\b|\babrupt\w*|\bsudden\w*|\bsmash\w*"),
          ("stop", r"\bstops?\b|\bends? on\b|\bfreez\w*|\bholds?\b|\bstill\b|\bstays?\b|\blast (?:image|picture|frame|shot)\b"))


def ending_kind(option: str) -> tuple[str | None, str | None]:
    """What an option says the video's end is: ``fade``, ``cut`` or ``stop``, and to which colour.

    >>> ending_kind("fades out to black"), ending_kind("cuts straight to black"), ending_kind("stops on the last image")
    (('fade', 'black'), ('cut', 'black'), ('stop', None))
    """
    kind = next((name for name, pattern in _KINDS if re.search(pattern, option, re.I)), None)
    return kind, option_colour(re.sub(r"\b(?:light|dark|bright)\w*\b", " ", option))


class TransitionAnswers(Timeline):
    """Answers about fades and cuts into a black or white screen."""

    def _by_ending(self) -> tuple[str, str] | None:
        """How the video ends: a fade or a cut to a black (white) screen that lasts to the end, or the picture."""
        if not ENDING.search(self.c.question) or not self.c.options:
            return None
        seen = None
        for colour in ("black", "white"):
            runs = self.runs(colour)
            into = [(lo, hi) for lo, hi, leaving in self.edges(colour) if not leaving and runs and abs(hi - runs[-1][0]) < 1e-6]
            if runs and runs[-1][1] >= self.c.duration - 1e-6 and into:
                lo, hi = into[-1]
                seen = ("fade" if self.gradual(lo, hi, colour, False) else "cut", colour)
                said = f"The picture is {colour} from {runs[-1][0]:.2f}s to the end, reached {'gradually: a fade' if seen[0] == 'fade' else 'at once: a cut'}"
                break
        if seen is None:
            seen, said = ("stop", None), "The last frames I saw show the picture, no black or white screen at the end"
        kinds = [ending_kind(o) for o in self.c.options]
        fits = [i for i, (kind, colour) in enumerate(kinds) if kind == seen[0] and (colour is None or colour == seen[1])]
        if len(fits) == 1:
            return f"{said}: option {LETTERS[fits[0]]} ({self.c.options[fits[0]]!r}).", LETTERS[fits[0]]
        return self.unsure_choice(said)  # type: ignore[attr-defined]
