"""How the picture passes into or out of a black (or white) screen: a fade or a cut (see
:meth:`~vagent.agent.scripted.timeline.Timeline.gradual`), how one picture passes into the next (a cut,
a fade through black, a dissolve: :mod:`~vagent.agent.scripted.changes`), how the video ends ("does it
cut to black, fade out, or just stop on the last picture?") and how it is edited ("one continuous shot"
or "two shots joined by a hard cut"). Mixed into the survey (:mod:`~vagent.agent.scripted.survey`).
"""

from __future__ import annotations

import re

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.changes import change_kind, change_options, difference, flat, in_a_fade, mixed_between, shots_claimed, starts_from
from vagent.agent.scripted.colour_words import option_colour
from vagent.agent.scripted.claims import ENDING, option_claim
from vagent.agent.scripted.events import NTH, nth, ordinal
from vagent.agent.scripted.picture import asks_how_long
from vagent.agent.scripted.pixels import brightness
from vagent.agent.scripted.timeline import TREND, Timeline, shows
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
    >>> ending_kind("no fade at the end"), ending_kind("to white")
    (('no fade', None), (None, 'white'))
    """
    if m := re.search(r"\b(?:no|without(?: an?)?|not an?)\s+(fade|cut)", option, re.I):
        return f"no {m.group(1).lower()}", None  # "no fade at the end": any ending but that one
    kind = next((name for name, pattern in _KINDS if re.search(pattern, option, re.I)), None)
    return kind, option_colour(re.sub(r"\b(?:light|dark|bright)\w*\b", " ", option))


_INTO_PICTURE = re.compile(rf"\b(?:in)?to (?:the|its|this) {NTH} (?:picture|shot|scene|image|clip|view)\b", re.I)
_AFTER_PICTURE = re.compile(rf"\bafter (?:showing |displaying |it shows )?(?:the|its) {NTH} (?:picture|shot|scene|image|photo|still)\b", re.I)
_SHOT_ENDS = re.compile(r"\b(?:shot|scene|picture|image|clip)\b.*\b(?:end|ends|finish|finishes|close|closes)\b", re.I)
"""A question about how a shot ends (not how it starts)."""
_HOW_IT_STARTS = re.compile(r"\b(?:start|starts|begin|begins|open|opens)\b(?!\s+(?:to|after)\b)", re.I)
"""Words that ask how the video starts: its first change."""
_BETWEEN_PICTURES = re.compile(r"\bfrom (?:the |one )?(?:[\w-]+ )?(?:picture|shot|scene|image|clip|view)\b.*\bto\b", re.I)
_UP = re.compile(r"\bfad\w*\s+in\b|\bfrom (?:a |the )?black\b|\b(?:up )?to (?:a |the )?(?:full |fully |pure )?white\b|\bfad\w* up\b|\bbrighten", re.I)
_DOWN = re.compile(r"\bfad\w*\s+out\b|\bfrom (?:a |the )?white\b|\b(?:down )?to (?:a |the )?(?:full |fully |pure )?black\b|\bfad\w* down\b|\bdarken", re.I)
_FROM_TO = re.compile(r"\bfrom\b.+\bto\b|\b(?:changes?|switch\w*|cuts?|moves?)\b", re.I)
BLEND = re.compile(r"\bblend\w*|\bdissolv\w*|\bcross[- ]?fad\w*|\bsuperimpos\w*|\b(?:merg|mix)\w* into\b", re.I)
"""Words for two pictures blending into each other (a dissolve)."""
JUMP = 0.1
"""Mean frame difference (0-1, at 16x12 pixels) between two frames seen about a second apart above which the
picture may have changed there without the scene detector listing a cut (a dissolve)."""


class TransitionAnswers(Timeline):
    """Answers about fades, cuts and dissolves."""

    def changes(self) -> list[tuple[float, str, str | None, bool]]:
        """The changes seen, in order: ``(time, kind, screen, leaving)``, kind ``cut``, ``fade`` or
        ``dissolve``; screen the black or white screen entered (or left, ``leaving``), None between two pictures."""
        out: list[tuple[float, str, str | None, bool]] = []
        gaps: list[tuple[float, float, bool]] = []  # the gaps each edge lies in
        for colour in ("black", "white"):
            for lo, hi, leaving in self.edges(colour):
                out.append((hi if leaving else lo, "fade" if self.gradual(lo, hi, colour, leaving) else "cut", colour, leaving))
                gaps.append((lo, hi, leaving))
        frames = self.frames()
        for t in sorted({*self.cuts(), *self._jumps()}):
            near = 0.6 if t in self.cuts() else 1.2
            if any(lo - near < t < hi + near for lo, hi, _ in gaps) or in_a_fade(frames, t, gaps):
                continue  # part of a fade into or out of a black (white) screen, however slow
            mixed = mixed_between([(x, im) for x, im in frames if t - 1.2 <= x <= t + 1.2])
            if mixed or t in self.cuts():
                out.append((t, "dissolve" if mixed else "cut", None, False))
        return sorted(out)

    def picture_changes(self) -> list[tuple[float, str]]:
        """Changes from one picture to the next: a black (white) screen between two pictures is one change,
        a fade when either side of it is. A flat screen (a fade clip's grays) is no picture."""
        out, pending = [], None
        seen = dict(self.frames())
        for t, kind, screen, leaving in self.changes():
            if screen is None:
                out.append((t, kind))
            elif t in seen and flat(seen[t]):
                pending = None
            elif not leaving:  # into the screen: a change between pictures when the picture comes back
                pending = (t, kind)
            elif pending is not None:
                out.append((pending[0], "fade" if "fade" in (pending[1], kind) else "cut"))
                pending = None
        return sorted(out)

    def _jumps(self) -> list[float]:
        """Where the picture changes a lot within about a second (frames seen 0.8-1.5 s apart) with no cut
        the detector lists between them: where a dissolve may be. Black or white screens are left to
        :meth:`edges`."""
        frames = [(t, im) for t, im in self.frames() if not shows(im, "black") and not shows(im, "white")]
        cuts, out = self.cuts(), []
        for t, im in frames:
            later = next(((u, other) for u, other in frames if 0.8 <= u - t <= 1.5), None)
            if later and not any(t < c <= later[0] for c in cuts) and difference(im, later[1]) > JUMP \
                    and not any(abs((t + later[0]) / 2 - x) < 0.5 for x in out):
                out.append((t + later[0]) / 2)
        return out

    def change_looks(self) -> list[ToolCall]:
        """Closer looks where the picture may change: around each cut the detector lists and each jump
        between frames seen about a second apart, and at each edge of a black or white screen; near the
        time the question names when it names one, else the first and last two."""
        frames = self.frames()
        edges = self.edge_looks("black", 5) + self.edge_looks("white", 5)
        looks = sorted([*edges, *((t, self.crop(t - 0.8, t + 0.8, 5)) for t in {round(t, 2) for t in [*self.cuts(), *self._jumps()]})],
                       key=lambda look: look[0])
        if (ref := self.tref()) is not None:  # the frame budget allows about four looks
            at = ref.t if ref.t is not None else (ref.start + ref.end) / 2
            looks = sorted(looks, key=lambda look: abs(look[0] - at))[:4]
        elif len(looks) > 4:
            looks = looks[:2] + looks[-2:]
        start = [self.crop(0.0, 0.3, 3)] if not frames or frames[0][0] > 0.05 else []  # what the video opens on
        return start + [call for _, call in looks]

    def blend_looks(self) -> list[ToolCall]:
        """For a question about pictures blending: closer looks at the jumps between frames seen about a
        second apart (where a dissolve may be), four at most."""
        if not BLEND.search(self.c.question):
            return []
        return [self.crop(t - 0.8, t + 0.8, 5) for t in self._jumps()[:4]]

    def _by_blend(self) -> tuple[str, str] | None:
        """When two pictures blend into each other (a dissolve), placed among the options' times; the option
        saying they never do when no frame seen mixes two pictures."""
        q = self.c.question
        if not BLEND.search(q) or not self.frames():
            return None
        dissolves = [t for t, kind, _, _ in self.changes() if kind == "dissolve"]
        if dissolves:
            return self._time_answer(f"A frame at {dissolves[0]:.2f}s is a mix of the pictures before and after it: a dissolve.",  # type: ignore[attr-defined]
                                     dissolves[0])
        never = self._never_options()  # type: ignore[attr-defined]
        if len(never) == 1:
            return (f"No frame among the {len(self.frames())} I saw, closer ones where the picture jumps included, mixes two "
                    f"pictures: option {LETTERS[never[0]]}.", LETTERS[never[0]])
        return None

    def _which_change(self, times: list[float]) -> int | None:
        """The index of the change (at ``times``) the question asks about: into the n-th (last) picture, the
        n-th change, the one nearest the time named ("near the middle": within 15% of the video), or the only one."""
        q = self.c.question
        if m := _INTO_PICTURE.search(q):
            n = nth(m.group(1))
            return n - 2 if n > 1 else -1
        if (m := _AFTER_PICTURE.search(q)) and (n := nth(m.group(1))) > 0:  # the change that ends the n-th picture
            frames = self.frames()
            opens = frames[0][0] if frames and not any(shows(frames[0][1], c) for c in ("black", "white")) else \
                next((t for t, _, screen, leaving in self.changes() if screen and leaving), None)
            starts = [opens] + [t for t, _ in self.picture_changes()] if opens is not None else []
            if len(starts) >= n:
                return next((i for i, t in enumerate(times) if t > starts[n - 1] + 0.1), None)
        n = ordinal(q)
        if n is not None:
            return n - 1 if n > 0 else -1
        if _HOW_IT_STARTS.search(q):
            return 0
        if (ref := self.tref()) is not None and times:
            at = ref.t if ref.t is not None else (ref.start + ref.end) / 2
            near = min(range(len(times)), key=lambda i: abs(times[i] - at))
            return near if abs(times[near] - at) <= max(1.0, 0.15 * self.c.duration) else None
        return 0 if len(times) == 1 else None

    def _by_change_kind(self) -> tuple[str, str] | None:
        """What kind of change the question asks about ("the change from the second-to-last picture to the
        last", "the first event"): a cut, a fade or a dissolve, measured on the frames around it."""
        kinds = change_options(self.c.options)
        if kinds is None or len({k for k in kinds if k in ("cut", "fade", "dissolve")}) < 2 or ENDING.search(self.c.question) \
                or any(shots_claimed(o) for o in self.c.options):
            return None
        between = bool(_BETWEEN_PICTURES.search(self.c.question) or _INTO_PICTURE.search(self.c.question))
        seen = [(t, kind, None, False) for t, kind in self.picture_changes()] if between else self.changes()
        said = "Changes seen: " + (", ".join(f"{kind} at {t:.2f}s" + (f" ({screen})" if screen else "") for t, kind, screen, _ in seen) or "none")
        index = self._which_change([t for t, *_ in seen])
        if index is not None and 0 <= index < len(seen) - 1 and seen[index][3] and _SHOT_ENDS.search(self.c.question):
            index += 1  # "how does the shot that fades in at 13 s end": the change after the one that starts it
        if index is None or not -len(seen) <= index < len(seen):
            fits = [i for i, k in enumerate(kinds) if k == "none"] if not seen else []
        else:
            _, kind, screen, leaving = seen[index]
            said += f"; the one asked is the {kind} at {seen[index][0]:.2f}s" + (f" out of {screen}" if leaving else "")
            fits = [i for i, k in enumerate(kinds) if k == kind and option_colour(self.c.options[i]) in (None, screen, "black" if screen is None else screen)
                    and (not leaving or starts_from(self.c.options[i]) in (None, screen))]  # "starts white and fades down": not out of black
            if len(fits) > 1 and (exact := [i for i in fits if option_colour(self.c.options[i]) == screen]):
                fits = exact  # "cut straight to a black screen" over "cut straight to the next picture" when a black screen follows
        if len(fits) == 1:
            return f"{said}: option {LETTERS[fits[0]]} ({self.c.options[fits[0]]!r}).", LETTERS[fits[0]]
        return None  # undecided: the survey's other answers may still decide

    def _by_no_change(self) -> tuple[str, str] | None:
        """One option says the scene does not change, every other that it changes ("From a hillside to a
        city street."): the first when no cut, no black or white screen and no jump between frames is seen."""
        stays = [i for i, o in enumerate(self.c.options) if change_kind(o) == "none" or (c := option_claim(o)) is not None and c.kind in ("stays", "no_cut")]
        moves = [i for i, o in enumerate(self.c.options) if i not in stays and (_FROM_TO.search(o) or change_kind(o) not in (None, "none"))]
        if len(stays) != 1 or len(moves) != len(self.c.options) - 1 or not self.ok("detect_scenes"):
            return None
        changes = self.changes()
        if changes or self._jumps():
            return None  # it changes: which of the changes the options describe is not measured here
        return (f"The scene detector lists no cut, and no black or white screen or jump between the {len(self.frames())} frames I saw: "
                f"option {LETTERS[stays[0]]} ({self.c.options[stays[0]]!r}).", LETTERS[stays[0]])

    def ramps(self, up: bool) -> list[tuple[float, float]]:
        """Gradual passes of the picture's brightness up (down) in the frames seen: from the last frame at the
        level it leaves to the first at the level it reaches, with a frame between and no two frames
        more than 0.7 s apart."""
        seen = [(t, brightness(im)) for t, im in self.frames()]
        sign, out, i = 1.0 if up else -1.0, [], 0
        while i < len(seen) - 1:
            j = i
            while j + 1 < len(seen) and sign * (seen[j + 1][1] - seen[j][1]) > 0.001 and seen[j + 1][0] - seen[j][0] <= 0.7:
                j += 1
            if j > i + 1 and sign * (seen[j][1] - seen[i][1]) > TREND:  # trimmed to the frames still (already) at each level
                start = max(k for k in range(i, j + 1) if abs(seen[k][1] - seen[i][1]) <= 0.01)
                end = min(k for k in range(i, j + 1) if abs(seen[k][1] - seen[j][1]) <= 0.01)
                out.append((seen[start][0], seen[end][0]))
            i = max(j, i + 1)
        return out

    def fade_looks(self) -> list[ToolCall]:
        """Closer frames at both ends of the fade a "how long does the fade take" question asks about."""
        ramp = self._asked_ramp()
        return [] if ramp is None else [self.crop(t - 0.3, t + 0.3, 7) for t in ramp[1]]

    def _asked_ramp(self) -> tuple[str, tuple[float, float]] | None:
        """The fade a "how long" question asks about (up or down, the n-th) among :meth:`ramps`."""
        q = self.c.question
        if not (asks_how_long(q) and FADES.search(q)):
            return None
        up, down = bool(_UP.search(q)), bool(_DOWN.search(q))
        if up == down:
            return None
        ramps, which = self.ramps(up), ordinal(q) or 1
        return ("up" if up else "down", ramps[which - 1 if which > 0 else which]) if len(ramps) >= abs(which) else None

    def _by_fade_length(self) -> tuple[str, str] | None:
        """How long a fade takes ("how long does the first fade from black up to full white take?"): from the
        last frame at the level it leaves to the first at the level it reaches."""
        if (asked := self._asked_ramp()) is None:
            return None
        way, (a, b) = asked
        return self._number_answer(f"The picture's brightness goes {way} gradually from {a:.2f}s, where it leaves its level, "
                                   f"to {b:.2f}s, where it reaches the other: {b - a:.2f} s.", round(b - a, 2))  # type: ignore[attr-defined]

    def _by_editing(self) -> tuple[str, str] | None:
        """How the video is edited, among options that say how many shots and how they are joined."""
        claimed = [shots_claimed(o) for o in self.c.options]
        if sum(c is not None for c in claimed) < 2 or not self.ok("detect_scenes"):
            return None
        joins = self.picture_changes()
        shots = len(joins) + 1
        frames = self.frames()
        opens = next((c for c in ("black", "white") if frames and shows(frames[0][1], c)), None)
        said = (f"I see {shots} shot(s)" + (" joined by " + ", ".join(f"a {k} at {t:.2f}s" for t, k in joins) if joins else "")
                + (f", opening on {opens}" if opens else "") + ".")
        fits = [i for i, (o, n) in enumerate(zip(self.c.options, claimed)) if n is not None and n[0] <= shots <= n[1] and starts_from(o) == opens
                and (shots == 1 or change_kind(o) is None or change_kind(o) in {k for _, k in joins} and len({k for _, k in joins}) == 1)]
        if len(fits) == 1:
            return f"{said} Option {LETTERS[fits[0]]} ({self.c.options[fits[0]]!r}) says so.", LETTERS[fits[0]]
        return self.unsure_choice(said)  # type: ignore[attr-defined]

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
        last = self.frames()[-1][0] if self.frames() else None
        fading = [(way, r) for way in (False, True) for r in self.ramps(way) if last is not None and r[1] >= last - 1e-6]
        if seen is None and fading:  # still fading on the last frame: towards black (white), not reached
            (up, (a, _)), = fading[:1]
            seen = ("fade", "white" if up else "black")
            said = f"The picture's brightness goes {'up' if up else 'down'} gradually from {a:.2f}s to the last frame: a fade to {seen[1]}"
        if seen is None:
            seen, said = ("stop", None), "The last frames I saw show the picture, no black or white screen at the end"
        asked = ending_kind(self.c.question)[0]  # "is it fading to black or to white": options give only colours
        kinds = [(kind or (asked if colour else None), colour) for kind, colour in (ending_kind(o) for o in self.c.options)]
        fits = [i for i, (kind, colour) in enumerate(kinds) if (kind == seen[0] or kind in ("no fade", "no cut") and kind != f"no {seen[0]}")
                and (colour is None or colour == seen[1])]
        if len(fits) == 1:
            return f"{said}: option {LETTERS[fits[0]]} ({self.c.options[fits[0]]!r}).", LETTERS[fits[0]]
        return self.unsure_choice(said)  # type: ignore[attr-defined]
