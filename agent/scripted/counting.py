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
from vagent.agent.scripted.evidence import Evidence, Move, fmt_number
from vagent.agent.scripted.pixels import dominant_color
from vagent.agent.scripted.question import asked_type
from vagent.answers import LETTERS


class CountPlan(Evidence):
    def _asks_scenes(self) -> bool:
        """The question counts scenes (shots), not cuts (changes) between them."""
        q = self.c.question.lower()
        return bool(re.search(r"\bscenes?\b|\bshots?\b", q)) and not re.search(r"\bcuts?\b|\btransitions?\b|\bchanges?\b", q)

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

    # ---------------------------------------------------------- change: scene cuts in a window
    def _step_change(self) -> Move:
        if self.stage == 0:
            return Move("Changes of picture are what the scene detector lists; I ask it for the scenes.", [ToolCall("detect_scenes", {})])
        return self.conclude("change")

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
            yes = next((i for i, o in enumerate(self.c.options) if o.strip().lower().startswith("yes")), None)
            no = next((i for i, o in enumerate(self.c.options) if o.strip().lower().startswith("no")), None)
            if yes is not None and no is not None:
                pick = yes if answer_yes else no
                return (f"The scene list has {len(cuts)} cut(s) {inside}, so the answer is option {LETTERS[pick]}.", LETTERS[pick])
            return self.unsure_choice(f"The scene list has {len(cuts)} cut(s) {inside} but the options are not yes/no")
        if not cuts:
            return f"The scene list has no cut {inside}; I answer unknown.", "unknown"
        which = "last" if re.search(r"\b(last|final)\b", self.c.question.lower()) else "first"
        cut = cuts[-1] if which == "last" else cuts[0]
        if kind == "number":
            return f"The {which} cut {inside} in the scene list is at {cut:.2f}s.", fmt_number(round(cut, 2))
        return (f"The {which} cut {inside} in the scene list is at {cut:.2f}s, so the picture changes at about that moment.",
                f"[{max(0.0, cut - 0.2):.2f}, {min(self.c.duration, cut + 0.2):.2f}]")
