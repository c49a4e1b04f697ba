"""Counting and placing picture changes: ``count`` (how many cuts / scenes, in the video or in the
window asked) and ``change`` (is there a cut, when is the first / last one).

``count``   detect_scenes -> crop_clip over the window asked (a check) -> number
``change``  detect_scenes -> yes/no, a time or a span

Without a scene list, a count is an estimate from the frames at hand (changes of dominant colour
between them, only those inside the window asked), and the think text says so.
"""

from __future__ import annotations

import re

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.choice import nearest_number_option, time_options, yes_no_options
from vagent.agent.scripted.colour_words import asked_colour
from vagent.agent.scripted.claims import option_claim
from vagent.agent.scripted.events import counted
from vagent.agent.scripted.evidence import Evidence, Move, fmt_number
from vagent.agent.scripted.picture import SECONDS_IN, asks_point
from vagent.agent.scripted.pixels import colour_name, dominant_color, looks
from vagent.agent.scripted.question import asked_type
from vagent.answers import LETTERS


class CountPlan(Evidence):
    def _asks_scenes(self) -> bool:
        """The question counts scenes (shots), not cuts (changes) between them: what follows "how many"
        decides ("how many shots? every cut starts one" counts shots)."""
        if (what := counted(self.c.question)) in ("parts", "changes"):
            return what == "parts"
        q = self.c.question.lower()
        return bool(re.search(r"\bscenes?\b|\bshots?\b", q)) and not re.search(r"\bcuts?\b|\btransitions?\b|\bchanges?\b", q)

    def _counts_colours(self) -> bool:
        """The question counts colours (how many there are), not the changes between them."""
        q = self.c.question.lower()
        return bool(re.search(r"\bcolou?rs\b", q)) and not re.search(r"\b(chang\w*|switch\w*|cuts?|transitions?|times)\b", q)

    def _window(self) -> tuple[float, float] | None:
        ref = self.tref()
        return (ref.start, ref.end) if ref is not None and ref.end > ref.start else None

    # ---------------------------------------------------------- count: scene cuts
    def _step_count(self) -> Move:
        if self.stage == 0:
            return Move("Cuts can be shorter than the gaps between the overview frames; the scene detector lists "
                        "every cut.", [ToolCall("detect_scenes", {})])
        if self.stage == 1 and not self.skip_check():
            found = (f"The detector found {len(self.scenes())} scene(s)." if self.ok("detect_scenes")
                     else "The scene detector gave no result.")
            window = self._window()
            if window:
                return Move(f"{found} I check with frames across {window[0]:.2f}s-{window[1]:.2f}s for changes of picture.",
                            [self.crop(window[0], window[1], 16)])
            return Move(f"{found} I check with frames across the whole video for changes of picture.",
                        [self.crop(0, self.c.duration, 16)])
        return self.conclude("count")

    def _answer_count(self) -> tuple[str, str]:
        if self._counts_colours():
            return self._answer_colour_count()
        if re.search(r"\btimes\b", self.c.question.lower()) and (into := asked_colour(self.c.question)) is not None:
            return self._answer_entries(into)  # "how many times does the screen go dark / fade to black"
        window = self._window()
        asks_scenes = self._asks_scenes()
        if window and self.ok("detect_scenes"):
            a, b = window
            cuts = [s for s, _ in self.scenes()[1:] if a + 1e-6 < s <= b + 1e-6]
            value = len(cuts) + 1 if asks_scenes else len(cuts)
            return f"The detector lists {len(cuts)} cut(s) between {a:.2f}s and {b:.2f}s; so the answer is {value}.", str(value)
        frames = self.frames()
        if window:
            frames = [(t, im) for t, im in frames if window[0] - 1e-6 <= t <= window[1] + 1e-6]
        colors = [c for c in (dominant_color(im) for _, im in frames) if c is not None]
        runs = 1 + sum(1 for x, y in zip(colors, colors[1:]) if x != y) if colors else 0
        if self.ok("detect_scenes"):
            scenes = self.scenes()
            n_scenes = max(len(scenes), runs)
            value = n_scenes if asks_scenes else max(0, n_scenes - 1)
            seen = (f"the sampled frames show {runs} run(s) of one dominant colour" if runs
                    else "the sampled frames have no dominant colour to cross-check with")
            return f"The detector lists {len(scenes)} scene(s) and {seen}; so the answer is {value}.", str(value)
        # no scene list: an estimate from the frames at hand, said to be one
        value = runs if asks_scenes else max(0, runs - 1)
        inside = f" between {window[0]:.2f}s and {window[1]:.2f}s" if window else ""
        overview = {round(t, 3) for t, _ in self.c.overview}
        which = "overview frames" if all(round(t, 3) in overview for t, _ in frames) else "frames I sampled"
        if not runs:
            return (f"I have no scene list (detect_scenes gave no result) and no {which}{inside} with a dominant colour "
                    f"to count changes in; I guess {0 if not asks_scenes else 1}.", "0" if not asks_scenes else "1")
        return (f"I have no scene list (detect_scenes gave no result); the {len(frames)} {which}{inside} show {runs} run(s) "
                f"of one dominant colour, so I guess {value} (changes between those frames would be missed).", str(value))

    def _answer_colour_count(self) -> tuple[str, str]:
        """How many different background colours the frames across the window (or video) show."""
        window = self._window() or (0.0, self.c.duration)
        frames = [(t, im) for t, im in self.frames() if window[0] - 1e-6 <= t <= window[1] + 1e-6]
        if not frames:
            return "I saw no frames to name colours in; I cannot count them, so I answer unknown.", "unknown"
        named = [(t, colour_name(im)) for t, im in frames]
        runs = [named[0]] + [b for a, b in zip(named, named[1:]) if a[1] != b[1]]
        distinct = list(dict.fromkeys(name for _, name in named))
        seen = ", ".join(f"{name} from {t:.2f}s" for t, name in runs)
        return (f"The background colour of the {len(frames)} frames I saw, by nearest colour name: {seen}; that is "
                f"{len(distinct)} different colour(s) ({', '.join(distinct)}).", str(len(distinct)))

    def _answer_entries(self, into: str) -> tuple[str, str]:
        """How many times the frames across the window (or video) become ``into`` (a colour, bright or dark)
        after not being it: a fade is no cut, so the frames decide, not the scene list."""
        window = self._window() or (0.0, self.c.duration)
        frames = [(t, looks(im, into)) for t, im in self.frames() if window[0] - 1e-6 <= t <= window[1] + 1e-6]
        if len(frames) < 2:
            return f"I saw too few frames to tell when the picture becomes {into}; I answer unknown.", "unknown"
        entries = [t for (_, was), (t, now) in zip(frames, frames[1:]) if now and not was]
        seen = ", ".join(f"{t:.2f}s" for t in entries) or "never"
        return (f"Of the {len(frames)} frames I saw, the picture becomes {into} (after not being {into}) at: {seen}; that is "
                f"{len(entries)} time(s) (a change between two frames I saw would be missed).", str(len(entries)))

    # ---------------------------------------------------------- change: scene cuts in a window
    def _step_change(self) -> Move:
        if self.stage == 0:
            return Move("Changes of picture are what the scene detector lists; I ask it for the scenes.", [ToolCall("detect_scenes", {})])
        scenes = self.scenes()
        if self.stage == 1 and (into := asked_colour(self.c.question)) and 1 < len(scenes) <= 16:
            return Move(f"The question asks when the picture becomes {into}; I look at one frame inside each of the "
                        f"{len(scenes)} scenes to measure it.", [self.crop(a, b, 1) for a, b in scenes])
        return self.conclude("change")

    def _scene_is(self, into: str, start: float, end: float) -> bool | None:
        """Whether the frames seen inside a scene are mostly ``into`` (a colour, bright or dark); None: none seen."""
        inside = [im for t, im in self.frames() if start + 1e-6 < t < end - 1e-6]
        if not inside:
            return None
        return sum(looks(im, into) for im in inside) > len(inside) / 2

    def _cuts_into(self, cuts: list[float]) -> tuple[list[float], str]:
        """The cuts after which the picture is the colour (or brightness) the question names, and what was done."""
        into = asked_colour(self.c.question)
        if into is None:
            return cuts, ""
        ends = dict(self.scenes()[1:])
        judged = {cut: self._scene_is(into, cut, ends.get(cut, cut)) for cut in cuts}
        if all(v is None for v in judged.values()):
            return cuts, f" (I saw no frame inside the scenes to tell which one is {into}, so I take every cut)"
        return [cut for cut, v in judged.items() if v], f" into a {into} picture"

    def _answer_change(self) -> tuple[str, str]:
        kind = asked_type(self.c.question, self.c.options)
        ref = self.tref()
        a, b = (ref.start, ref.end) if ref else (0.0, self.c.duration)
        if not self.ok("detect_scenes"):
            why = "I have no scene list (detect_scenes gave no result)"
            if kind == "choice":
                return self.unsure_choice(why)
            return f"{why}, so I cannot place a change; I answer unknown.", "unknown"
        cuts = [s for s, _ in self.scenes()[1:] if a - 1e-6 <= s <= b + 1e-6]
        inside = f"between {a:.2f}s and {b:.2f}s" if ref else "in the video"
        if kind == "choice":
            answer_yes = bool(cuts)
            if (pair := yes_no_options(self.c.options)) is not None:
                pick = pair[0] if answer_yes else pair[1]
                return (f"The scene list has {len(cuts)} cut(s) {inside}, so the answer is option {LETTERS[pick]}.", LETTERS[pick])
            said = f"The scene list has {len(cuts)} cut(s) {inside}"
            no_cut = [i for i, o in enumerate(self.c.options) if (c := option_claim(o)) is not None and c.kind == "no_cut"]
            counts = [i for i in range(len(self.c.options)) if i not in no_cut]
            if not cuts and len(no_cut) == 1:  # "one continuous shot, no cuts"
                return f"{said}: option {LETTERS[no_cut[0]]}.", LETTERS[no_cut[0]]
            if cuts and (pick := nearest_number_option([self.c.options[i] for i in counts], float(len(cuts)))) is not None:
                return f"{said}: option {LETTERS[counts[pick]]} ({self.c.options[counts[pick]]!r}).", LETTERS[counts[pick]]
            return self.unsure_choice(f"{said} but no option says that number")
        cuts, into = self._cuts_into(cuts)
        if not cuts:
            return f"The scene list has no cut{into} {inside}; I answer unknown.", "unknown"
        which = "last" if re.search(r"\b(last|final)\b", self.c.question.lower()) else "first"
        cut = cuts[-1] if which == "last" else cuts[0]
        found = f"The {which} cut{into} {inside} in the scene list is at {cut:.2f}s"
        if kind == "number" and re.search(r"\b(?:during|in|within) which second\b", self.c.question.lower()):
            whole = int(cut + 1e-6)
            return f"{found}: inside the second from {whole}s to {whole + 1}s, second {whole}.", str(whole)
        roughly = re.search(r"\b(?:roughly|about|approximately|around|more or less)\b", self.c.question, re.I)
        if kind == "number" or time_options(self.c.options) is not None or roughly or asks_point(self.c.question) \
                or SECONDS_IN.search(self.c.question):  # a cut is a moment: its time ("at what time (seconds)")
            return f"{found}.", fmt_number(round(cut, 2))
        return (f"{found}, so the picture changes at about that moment.",
                f"[{max(0.0, cut - 0.2):.2f}, {min(self.c.duration, cut + 0.2):.2f}]")
