"""Order in time: ``first`` (which option colour shows first / last), ``text_event`` (find the text
the question names, then what is on screen after / before / while it shows, or when it shows) and
``text_order`` (which option's text is read first / last).

``first``       detect_scenes -> one frame per scene -> which option colour shows first -> letter (answered in ``sequence.py``)
``text_event``  read_text across the video (or the window) -> read_text around the event -> answer
``text_order``  read_text across the video -> which option is read first / last -> letter
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.colour import ColourPlan
from vagent.agent.scripted.evidence import Move, clean_code, matches, options_named
from vagent.agent.scripted.labels import asked_kind, line_of_kind
from vagent.agent.scripted.question import asked_type, named_text, order_word, region
from vagent.answers import LETTERS


def written_parts(option: str) -> list[str]:
    """The texts an option writes, one screen's lines joined by "/" or ";" ("Send Spike / Spike Sent") being read
    when any of them is.

    >>> written_parts("Send Spike / Spike Sent"), written_parts("B/BOARD")
    (['Send Spike', 'Spike Sent'], ['B/BOARD'])
    """
    return [part for part in re.split(r"\s+/\s+|\s*;\s*", option) if part.strip()] or [option]


class OrderPlan(ColourPlan):
    # ---------------------------------------------------------- first: which option colour shows first
    def _step_first(self) -> Move:
        options = ", ".join(self.c.options)
        if self.stage == 0:
            return Move(f"I must order the colours {options} in time; short scenes can hide between the overview "
                        "frames, so I list the scenes first.", [ToolCall("detect_scenes", {})])
        if self.stage == 1:
            scenes = self.scenes()
            if 1 < len(scenes) <= 16:
                return Move(f"I look at one frame from the middle of each of the {len(scenes)} scenes to name its colour.",
                            [self.crop(a, b, 1) for a, b in scenes])
            return Move("The scene list is not usable; I sample the video densely.", [self.crop(0, self.c.duration, 16)])
        return self.conclude("first")

    # ---------------------------------------------------------- text_event: find named text, then what is after / before
    def _event(self) -> tuple[str, str]:
        """The text looked for (its words, or the kind asked for: "a web address") and the order word."""
        kind = None if named_text(self.c.question) else asked_kind(self.c.question)
        described = {"address": "a web address", "email": "an e-mail address", "year": "a year"}.get(kind or "", "")
        return named_text(self.c.question) or described, order_word(self.c.question) or "when"

    def _is_wanted(self, line: str) -> bool:
        """Whether a line read is the text looked for: its words, or a line of the kind asked for."""
        named = named_text(self.c.question)
        return matches(line, named) if named else line_of_kind(asked_kind(self.c.question), line)

    def _flags(self) -> list[tuple[float, bool, list[str]]]:
        return [(t, any(self._is_wanted(x) for x in lines), lines) for t, lines in self.reads()]

    def _step_text_event(self) -> Move:
        wanted, order = self._event()
        ref = self.tref()
        a, b = (ref.start, ref.end) if ref and ref.end > ref.start else (0.0, self.c.duration)
        if self.stage == 0:
            n = int(min(12, max(4, (b - a) / 0.5 + 1)))
            calls = self.read_calls(list(np.linspace(a, b, n)))
            return Move(f'To find when "{wanted}" is on screen I read the text in {len(calls)} frames across '
                        f"{a:.2f}s-{b:.2f}s.", calls)
        flags = self._flags()
        hits = [t for t, hit, _ in flags if hit]
        if self.stage == 1 and hits:
            times = [t for t, _, _ in flags]
            first, last = min(hits), max(hits)
            before = [t for t in times if t < first]
            after = [t for t in times if t > last]
            probes = []
            if before:
                probes.append((before[-1] + first) / 2)
            if after:
                probes.append((last + after[0]) / 2)
            if self.c.options and order in ("after", "before"):  # the options' texts may show only briefly: twice as many reads there
                near = after if order == "after" else before
                probes += [(x + y) / 2 for x, y in zip(near, near[1:])][:6]
            calls = self.read_calls(probes)
            box = region(self.c.question)
            side = after[:2] if order == "after" else before[-2:] if order == "before" else []
            if box and side:
                calls += [ToolCall("read_text", {"time": self.clamp(t), "box": box}) for t in side]
            look = after[0] if order == "after" and after else (before[-1] if order == "before" and before else None)
            if look is not None and self.c.options:
                calls.append(ToolCall("zoom_frame", {"time": self.clamp(look), "box": [0.0, 0.0, 1.0, 1.0]}))
            if calls:
                return Move(f'read_text shows "{wanted}" at {", ".join(f"{t:.2f}s" for t in hits)}. I read the frames '
                            "between those and their neighbours to find when it appears and disappears"
                            + (", and look at the whole frame on the other side of it." if look is not None and self.c.options else "."),
                            calls)
        return self.conclude("text_event")

    def _answer_text_event(self) -> tuple[str, str]:
        wanted, order = self._event()
        flags = self._flags()
        hits = [t for t, hit, _ in flags if hit]
        kind = asked_type(self.c.question, self.c.options)
        if not self.ok("read_text"):
            why = "read_text gave no result, so I could not find the text"
            if kind == "choice":
                return self.unsure_choice(why)
            mid = self.c.duration / 2
            return (f"{why}; I guess the middle of the video.", f"[{max(0, mid - 1):.2f}, {min(self.c.duration, mid + 1):.2f}]") \
                if kind == "span" else (f"{why}; I answer unknown.", "unknown")
        if not hits:
            why = f"the text {wanted} is in none of the {len(flags)} frames I read"
            if kind == "choice":
                return self.unsure_choice(why)
            return f"{why}; I answer unknown.", "unknown"
        times = [t for t, _, _ in flags]
        first, last = min(hits), max(hits)
        before = [t for t in times if t < first]
        after = [t for t in times if t > last]
        if kind == "choice" and order in ("after", "before") and (found := self._option_beside(flags, order, first, last)):
            return found
        if order == "when" and kind != "span":  # what else is on screen while it is shown
            during = [(t, [x for x in lines if not self._is_wanted(x)]) for t, hit, lines in flags if hit]
            during = [(t, lines) for t, lines in during if lines]
            if during:
                t, lines = during[0]
                return self.shaped(lines[0], f'While "{wanted}" is on screen, at t={t:.2f}s')
        if order == "when" or kind == "span":
            start = (before[-1] + first) / 2 if before else 0.0
            end = (last + after[0]) / 2 if after else self.c.duration
            return (f'read_text shows "{wanted}" in the frames at {", ".join(f"{t:.2f}s" for t in hits)} and not in the '
                    f"frames read just outside, so it is on screen about [{start:.2f}, {end:.2f}].", f"[{start:.2f}, {end:.2f}]")
        side = [(t, lines) for t, hit, lines in flags if not hit and ((t > last) if order == "after" else (t < first))]
        side = side if order == "after" else side[::-1]
        box = region(self.c.question)
        if box:  # the part of the frame the question names, where it was read
            boxed = dict(self.reads(box))
            side = [(t, boxed[t]) for t, _ in side if t in boxed]
        anchored = {clean_code(x) for t, hit, lines in flags if hit for x in lines}
        fresh = [(t, [x for x in lines if clean_code(x) not in anchored]) for t, lines in side]
        fresh = [(t, lines) for t, lines in fresh if lines]  # new text first, else what is still on screen
        for t, lines in fresh or [(t, lines) for t, lines in side if lines]:
            if lines:
                think, answer = self.shaped(lines[0], f'"{wanted}" is last read at {last:.2f}s; at t={t:.2f}s' if order == "after"
                                            else f'"{wanted}" is first read at {first:.2f}s; at t={t:.2f}s')
                if not (kind == "choice" and "guess" in think) or not self._colour_options():
                    return think, answer
        if self._colour_options():
            return self._answer_colour_choice(self._zoomed_side(order, first, last), f"{order} the text {wanted}")
        where = f"{order} the text {wanted} ({last if order == 'after' else first:.2f}s)"
        if kind == "choice":
            return self.unsure_choice(f"I read no text {where}")
        return f"I read no text {where}; I answer unknown.", "unknown"

    def _option_beside(self, flags: list[tuple[float, bool, list[str]]], order: str, first: float, last: float) -> tuple[str, str] | None:
        """The one option read first on the asked side of the text (after it shows, or after it goes for "disappears";
        before it shows) that was not on screen on the other side; None when no single option is."""
        wanted, _ = self._event()
        gone = order == "after" and bool(re.search(r"\b(?:disappear|vanish|gone|goes away|leaves|ends?|stops?)\w*", self.c.question, re.I))
        anchor = last if gone else first
        reads = [(t, [x for x in lines if not self._is_wanted(x)]) for t, _, lines in flags]
        later = order == "after"
        other_side = {i for t, lines in reads if (t <= anchor if later else t >= anchor) for i in options_named(self.c.options, lines)}
        side = [(t, lines) for t, lines in reads if (t > anchor if later else t < anchor)]
        for t, lines in side if later else side[::-1]:
            fresh = {i: x for i, x in options_named(self.c.options, lines).items() if i not in other_side}
            if len(fresh) > 1:
                return None
            if fresh:
                (pick, line), = fresh.items()
                return (f'"{wanted}" is read from {first:.2f}s to {last:.2f}s; at t={t:.2f}s "{line}" is read, which was not '
                        f"on screen {'before' if later else 'after'} {anchor:.2f}s: option {LETTERS[pick]}.", LETTERS[pick])
        return None

    def _zoomed_side(self, order: str, first: float, last: float) -> list[tuple[float, Image.Image]]:
        frames = [(float(r.data.get("time", r.arguments.get("time", 0))), r.images[0][1]) for r in self.ok("zoom_frame")]
        return [(t, im) for t, im in frames if (t > last if order == "after" else t < first)]

    # ---------------------------------------------------------- text_order: which option's text shows first / last
    def _step_text_order(self) -> Move:
        if self.stage == 0:
            n = int(min(12, max(4, self.c.duration / 0.5 + 1)))
            calls = self.read_calls(list(np.linspace(0.0, self.c.duration, n)))
            return Move(f"To order the options in time I read the text in {len(calls)} frames across the video.", calls)
        return self.conclude("text_order")

    def _answer_text_order(self) -> tuple[str, str]:
        last = bool(re.search(r"\b(last|later|latest)\b", self.c.question.lower()))
        if not self.ok("read_text"):
            return self.unsure_choice("read_text gave no result, so I could not order the options")
        seen: dict[int, float] = {}
        for t, lines in self.reads():
            for i, option in enumerate(self.c.options):
                if any(matches(x, part) for x in lines for part in written_parts(option)) and (i not in seen or last):
                    seen[i] = t
        if not seen:
            return self.unsure_choice("None of the options is in the text I read")
        pick = (max if last else min)(seen, key=lambda i: (seen[i], -i))
        return (f"In the frames I read, option {LETTERS[pick]} is {'last' if last else 'first'} read at {seen[pick]:.2f}s"
                + ("" if len(seen) > 1 else ", and no other option is read at all") + f": option {LETTERS[pick]}.", LETTERS[pick])
