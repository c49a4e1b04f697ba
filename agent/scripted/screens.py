"""What kind of picture the video shows, among options that say so (see :mod:`~vagent.agent.scripted.tone` for
the options' words): colour or none at all, plain screens or filmed footage, a plain screen of a colour at the
moment asked ("how does it begin": "from a black screen"). Each answer is the one option whose claim the frames
measure, else a guess said to be one.
"""

from __future__ import annotations

import re

from vagent.agent.scripted.changes import flat
from vagent.agent.scripted.timeline import shows
from vagent.agent.scripted.tone import COLOURFUL, asks_tone, colourful_share, picture_claim, screen_options, tone_claim
from vagent.answers import LETTERS

_CLAIMS_LENGTH = re.compile(r"\b(?:seconds?|secs?|moments?|minutes?)\b", re.I)
"""An option that says how long a screen is shown ("about one second of black screen")."""


class ScreenAnswers:
    """Mixed into :class:`~vagent.agent.scripted.survey.SurveyPlan`; each answer returns ``(think, answer)``
    or None when its shape does not fit."""

    def _one_claim_fits(self, claims: list, kind: str, said: str, named: str) -> tuple[str, str]:
        """The one option whose claim is the measured ``kind`` (``named`` in words), else a guess said to be one."""
        fits = [i for i, c in enumerate(claims) if c == kind]
        if len(fits) == 1:
            return f"{said}: {named}, option {LETTERS[fits[0]]}.", LETTERS[fits[0]]
        return self.unsure_choice(f"{said}, and {len(fits)} options say so")

    def _by_tone(self) -> tuple[str, str] | None:
        """Whether the video has colour at all, among options saying it has none or some: no frame seen
        with more than :data:`~vagent.agent.scripted.tone.COLOURFUL` of its pixels clearly coloured is none."""
        claims = [tone_claim(o) for o in self.c.options]
        if not asks_tone(self.c.question) or "gray" not in claims or "colour" not in claims or not self.frames():
            return None
        most = max(colourful_share(im) for _, im in self.frames())
        kind = "colour" if most > COLOURFUL else "gray"
        said = f"At most {most:.1%} of the pixels of any of the {len(self.frames())} frames I saw have a clear colour"
        return self._one_claim_fits(claims, kind, said, "it has colour" if kind == "colour" else "no colour")

    def _by_plain(self) -> tuple[str, str] | None:
        """Whether the video shows a picture at all, among options saying it shows only plain screens or filmed
        footage: every frame seen flat (one shade) is plain screens."""
        claims = [picture_claim(o) for o in self.c.options]
        if "plain" not in claims or "footage" not in claims or not self.frames():
            return None
        flat_frames = sum(flat(im) for _, im in self.frames())
        kind = "plain" if flat_frames == len(self.frames()) else "footage"
        said = f"{flat_frames} of the {len(self.frames())} frames I saw are one flat shade"
        return self._one_claim_fits(claims, kind, said, "only plain screens" if kind == "plain" else "a filmed picture")

    def screen_looks(self) -> list:
        """The very frame asked, when a plain screen is claimed at a moment no frame seen is at ("how does it
        begin": its first frame, which the sampled frames may step over)."""
        ref = self.tref()
        if ref is None or ref.t is None or screen_options(self.c.options) is None \
                or min((abs(t - ref.t) for t, _ in self.frames()), default=1.0) <= 0.05:
            return []
        t = min(max(ref.t, 0.02), self.c.duration - 0.02)
        return [self.crop(t - 0.02, t + 0.02, 1)]

    def _by_screen(self) -> tuple[str, str] | None:
        """What is shown at the moment asked, when one option says a plain screen of a colour ("a black screen
        with small grey text") and every frame seen then shows that colour; None when they do not (the other
        options, which describe things, are not told apart by this)."""
        claims, ref = screen_options(self.c.options), self.tref()
        if claims is None or ref is None or not self.frames():
            return None
        nearest = min(self.frames(), key=lambda f: abs(f[0] - ref.start))
        at = [(t, im) for t, im in self.frames() if ref.start - 0.05 <= t <= ref.end + 0.05] or [nearest]
        if kind := next((c for c in dict.fromkeys(c for c in claims if c) if all(shows(im, c) for _, im in at)), None):
            said = f"The {len(at)} frame(s) I saw for \"{ref.words}\" ({at[0][0]:.2f}s-{at[-1][0]:.2f}s) all show a {kind} screen"
            return self._one_claim_fits(claims, kind, said, f"a {kind} screen")
        if ref.t is None:
            return None
        # "how does it begin": "from a black screen" is its first frame, unless the option claims a length
        moment, image = min(self.frames(), key=lambda f: abs(f[0] - ref.t))
        if not (kind := next((c for c, o in zip(claims, self.c.options) if c and shows(image, c) and not _CLAIMS_LENGTH.search(o)), None)):
            return None
        said = f"The frame I saw for \"{ref.words}\" ({moment:.2f}s) shows a {kind} screen, though not every frame up to {ref.end:.2f}s does"
        return self._one_claim_fits(claims, kind, said, f"a {kind} screen")
