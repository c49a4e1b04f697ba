"""The survey's answers that put the changes options describe in time, or rule options out: which claimed
change happens first (or last), and, in a video of plain screens, every option that describes filmed
content ("a street scene", "the camera pans", "a person walks") ruled out, the claims of the others
measured, and the one option left taken. Option reading is pure (doctested).
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from vagent.agent.scripted.choice import is_time, part_options
from vagent.agent.scripted.claims import claim_options, option_claim
from vagent.agent.scripted.colour_words import COLOUR_WORDS, option_sequence
from vagent.agent.scripted.picture import asks_for_colour
from vagent.agent.scripted.timeline import TREND
from vagent.agent.scripted.tone import picture_claim, screen_claim
from vagent.answers import LETTERS

_STILL = re.compile(r"\b(?:static|still|unchanging|frozen|motionless|never changes?|does(?:n'?t| not) change)\b", re.I)
_TEXT = re.compile(r"\b(?:text|title|words?|caption|writing|letters|subtitles?|credits?)\b", re.I)
_PICTURE = re.compile(rf"\b(?:{'|'.join(COLOUR_WORDS)}|colou?rs?|bright\w*|dark\w*|light\w*|screens?|backgrounds?|fad\w*|"
                      r"blank|plain|flat|shades?)\b", re.I)
_NOT_FLAT = re.compile(r"\b(?:bars?|stripes?|pattern|checker\w*|gradient|noise|static noise|shapes?)\b", re.I)
_DESCRIBES = re.compile(r"\b(?:happen\w*|going on|shown|shows?|describ\w*|present\w*|observ\w*|see|seen|looks? like|captur\w*|"
                        r"essence|depict\w*|content|consists?|made of|summar\w*|about)\b", re.I)
"""A question asking what the video shows or how it is presented: options then describe the video."""
MIN_FRAMES = 8
"""A video is taken for plain screens only when at least this many frames were seen, every one plain."""
PLAIN = (24, 0.85)
"""A frame is a plain screen when this share of its pixels lie within this many levels (0-255, every channel)
of its median colour: a flat background under a line of text is; filmed frames here are 0.03-0.72."""


def plain_screen(image: Image.Image) -> bool:
    """Whether a frame is a plain screen, text on it allowed (:data:`PLAIN`)."""
    rgb = np.asarray(image.convert("RGB").resize((96, 54)), dtype=np.int16).reshape(-1, 3)
    return float((np.abs(rgb - np.median(rgb, axis=0)).max(axis=1) <= PLAIN[0]).mean()) >= PLAIN[1]


def option_kind(option: str) -> str:
    """What an option says of the video: ``claim`` (a change option_claim reads), ``course`` (colours in
    order), ``screen`` (a plain screen), ``still`` (nothing changes), ``text`` (text is shown), ``time`` (a
    time or part of the video), else ``content`` (filmed things, or a picture that is not flat: bars, stripes).

    >>> [option_kind(o) for o in ["Repeatedly fading between black and white", "A single static image",
    ...                           "Slow motion of a street scene", "The background colour changes from grey-blue to red to green"]]
    ['claim', 'still', 'content', 'course']
    >>> [option_kind(o) for o in ["A person walks across the screen", "Starts with a title text", "Starts with colour bars"]]
    ['content', 'text', 'content']
    >>> [option_kind(o) for o in ["End of the video.", "At about 4 seconds."]]
    ['time', 'time']
    """
    if _NOT_FLAT.search(option):
        return "content"
    if option_claim(option) is not None:
        return "claim"
    if option_sequence(option) is not None:
        return "course"
    if screen_claim(option) is not None or picture_claim(option) == "plain":
        return "screen"
    if _STILL.search(option):
        return "still"
    if _TEXT.search(option):
        return "text"
    if is_time(option) or part_options([option]) is not None:
        return "time"
    return "content" if not _PICTURE.search(option) or picture_claim(option) == "footage" else "screen"


class EliminationAnswers:
    """Mixed into :class:`~vagent.agent.scripted.survey.SurveyPlan` (``frames``, ``runs``, ``reads``,
    ``cuts``, ``brightness_range``, ``_claims_hold``, ``unsure_choice``)."""

    def _may_rule_out(self) -> bool:
        """Whether the question asks what the video shows and its options mix filmed content with claims about
        the picture (so the survey should measure it)."""
        kinds = {option_kind(o) for o in self.c.options}
        return len(self.c.options) >= 3 and bool(_DESCRIBES.search(self.c.question)) and "content" in kinds and bool(kinds & {"claim", "course", "screen", "still"})

    def _by_first_claim(self) -> tuple[str, str] | None:
        """Which of the changes the options claim happens first (last): "what happened first?" among "faded from
        black to white", "turned red", "text appeared": each one's first time on the timeline."""
        claims = claim_options(self.c.options, self.c.question)
        last = re.search(r"\b(?:last|latest|final)\b", self.c.question, re.I)
        if claims is None or not (last or re.search(r"\b(?:first|earliest)\b", self.c.question, re.I)) or not self.frames() \
                or any(c is not None and c.kind not in ("turns", "text") for c in claims) or asks_for_colour(self.c.question):
            return None
        start, reads = self.frames()[0][0], self.reads()
        texts = [t for (t, lines), (_, before) in zip(reads[1:], reads) if lines and not before]

        def first_time(claim) -> float | None:
            if claim is None:
                return None
            if claim.kind == "text":
                return texts[0] if texts else None
            return next((x for x, _ in self.runs(claim.colour) if x > start + 1e-6), None)

        seen = sorted((t, i) for i, c in enumerate(claims) if (t := first_time(c)) is not None)
        said = ", ".join(f"{self.c.options[i]!r} at {t:.2f}s" for t, i in seen) or "none of the changes the options claim"
        if not seen or len(seen) > 1 and abs(seen[0][0] - seen[1][0]) < 1e-6:
            return self.unsure_choice(f"Seen in the video: {said}")
        t, pick = seen[-1] if last else seen[0]
        return f"Seen in the video: {said}; the {'last' if last else 'first'} is option {LETTERS[pick]}.", LETTERS[pick]

    def _by_elimination(self) -> tuple[str, str] | None:
        """A video of plain screens (every frame seen plain, :func:`plain_screen`): options describing filmed content are ruled out,
        claims measured (a still picture: brightness within :data:`TREND` and no cut; text: any line read);
        an option left alone is the answer (a course of colours is not measured here, only left standing)."""
        frames, options = self.frames(), self.c.options
        kinds = [option_kind(o) for o in options]
        if not self._may_rule_out() or len(frames) < MIN_FRAMES or not all(plain_screen(im) for _, im in frames):
            return None
        a, b = 0.0, self.c.duration
        holds = self._claims_hold([option_claim(o) if k == "claim" else None for o, k in zip(options, kinds)], a, b)
        levels = self.brightness_range(a, b)
        still = levels is not None and levels[1] - levels[0] < TREND and not self.cuts(a + 1e-3, b)
        left = [i for i, k in enumerate(kinds) if k in ("course", "screen") or k == "claim" and holds[i]
                or k == "still" and still or k == "text" and any(lines for _, lines in self.reads())]
        said = (f"All {len(frames)} frames I saw are plain screens, so no option showing filmed content holds; of the "
                f"others, measured over the video, {'only option ' + LETTERS[left[0]] + ' is left' if len(left) == 1 else f'{len(left)} are left'}")
        if len(left) != 1:
            return self.unsure_choice(said)
        return f"{said} ({options[left[0]]!r}).", LETTERS[left[0]]
