"""The scripted policy's plans for questions a person asks about a real video: text at a time,
text events and what comes after or before them, the colour or brightness at a time, and picture
changes (scene cuts) in a window. A mixin of :class:`vagent.agent.scripted._Plan`.

Every answer sentence names only what a tool returned in this episode: read_text lines, the
scene list, frames. When a tool failed or was not available, the think text says so and says how
the answer was chosen.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
from PIL import Image

from vagent.agent._asking import TimeRef, asked_type, named_text, order_word, region, time_ref
from vagent.agent._looking import COLOR_HUES, OCR_LINE, SCENE_LINE, clean_code, color_mask, edit_distance
from vagent.agent.protocol import ToolCall

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_NEUTRAL = ("white", "black", "gray")


def succeeded(result: Any) -> bool:
    """Whether a tool result is real evidence (not an error, not a refusal)."""
    text = result.text or ""
    if result.name == "detect_scenes":
        return bool(SCENE_LINE.search(text))
    if result.name == "read_text":
        return text.startswith("read_text t=")
    if result.name == "search_clips":
        return bool(re.search(r"^\s*1\.\s*[\d.]+s-", text, re.M))
    if result.name in ("crop_clip", "zoom_frame"):
        return bool(result.images)
    return False


def matches(line: str, wanted: str) -> bool:
    """``wanted`` appears in an OCR line, allowing one misread character per five."""
    a, b = clean_code(line), clean_code(wanted)
    if not b:
        return False
    if b in a:
        return True
    slack = max(1, len(b) // 5) if len(b) >= 4 else 0
    return slack > 0 and any(edit_distance(a[i:i + len(b)], b) <= slack for i in range(0, max(1, len(a) - len(b) + 1)))


def colour_shares(image: Image.Image) -> dict[str, float]:
    """Share of the picture in each named colour (saturated hues, then white / black / gray)."""
    small = image.convert("RGB").resize((64, max(1, round(64 * image.height / max(1, image.width)))))
    total = small.width * small.height
    return {name: float(color_mask(small, name).sum()) / total for name in (*COLOR_HUES, *_NEUTRAL)}


def brightness(image: Image.Image) -> float:
    return float(np.asarray(image.convert("L"), dtype=np.float32).mean() / 255.0)


def _fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") if abs(v - round(v)) > 1e-9 else str(int(round(v)))


class RealPlans:
    """Plans ``read_at``, ``text_event``, ``look_at`` and ``change`` (mixed into ``_Plan``)."""

    # ---------------------------------------------------------- evidence helpers
    def ok(self, name: str) -> list[Any]:
        return [r for r in self.c.results if r.name == name and succeeded(r)]

    def tried(self, name: str) -> bool:
        return any(r.name == name for r in self.c.results)

    def reads(self, box: list[float] | None = None) -> list[tuple[float, list[str]]]:
        """Successful read_text results of the whole frame (or of ``box``) as (time, lines), by time."""
        out: dict[float, list[str]] = {}
        for r in self.ok("read_text"):
            if (r.arguments.get("box") or None) != box:
                continue
            m = re.match(r"read_text t=([\d.]+)s", r.text)
            t = float(m.group(1)) if m else float(r.arguments.get("time", 0.0))
            lines = []
            for quoted, _ in OCR_LINE.findall(r.text):
                try:
                    lines.append(str(json.loads(quoted)))
                except json.JSONDecodeError:
                    continue
            out[round(t, 2)] = out.get(round(t, 2), []) + lines
        return sorted(out.items())

    def tref(self) -> TimeRef | None:
        return time_ref(self.c.question, self.c.duration)

    def read_calls(self, times: list[float], box: list[float] | None = None) -> list[ToolCall]:
        done = {round(float(r.arguments.get("time", -1)), 2) for r in self.c.results if r.name == "read_text"}
        seen, calls = set(), []
        for t in times:
            t = self.clamp(t)
            if t not in done and t not in seen:
                seen.add(t)
                calls.append(ToolCall("read_text", {"time": t, **({"box": box} if box else {})}))
        return calls

    def pick_option(self, text: str) -> int | None:
        exact = [i for i, o in enumerate(self.c.options) if clean_code(o) and clean_code(o) in clean_code(text)]
        hits = exact or [i for i, o in enumerate(self.c.options) if o.strip() and matches(text, o)]
        return hits[0] if len(hits) == 1 else (max(hits, key=lambda i: len(self.c.options[i])) if hits else None)

    def shaped(self, text: str, where: str) -> tuple[str, str]:
        """Answer ``text`` (read at ``where``) in the question's type: think, answer."""
        kind = asked_type(self.c.question, self.c.options)
        if kind == "choice":
            i = self.pick_option(text)
            if i is not None:
                return f'{where} the text reads "{text}", which is option {LETTERS[i]}.', LETTERS[i]
            return self.unsure_choice(f'{where} the text reads "{text}", which names none of the options')
        if kind == "number":
            numbers = _NUMBER.findall(text)
            if numbers:
                return f'{where} the text reads "{text}"; the number in it is {numbers[0]}.', numbers[0]
            return f'{where} the text reads "{text}", which holds no number, so I cannot give one.', "unknown"
        return f'{where} the text reads "{text}".', text

    def unsure_choice(self, why: str) -> tuple[str, str]:
        return f"{why}; I have no evidence for any option, so I guess the first one.", "A"

    # ---------------------------------------------------------- read_at: the text at a named time
    def _step_read_at(self):
        from vagent.agent.scripted import _Move

        ref = self.tref()
        if self.stage == 0:
            if ref.t is not None:
                times, why = [ref.t, ref.t - 0.5, ref.t + 0.5], "and half a second either side, in case the text changes there"
            else:
                times, why = list(np.linspace(ref.start, ref.end, 4)), "at four times inside that window"
            box = region(self.c.question)
            calls = self.read_calls(times, box)
            part = "the part of the frame it names" if box else "the frame"
            return _Move(f'The question points at "{ref.words}", so I read the text in {part} there {why}.', calls)
        return self.conclude("read_at")

    def _answer_read_at(self) -> tuple[str, str]:
        ref = self.tref()
        target = ref.t if ref.t is not None else (ref.start + ref.end) / 2
        reads = [(t, lines) for t, lines in self.reads(region(self.c.question)) if lines]
        if not reads:
            why = ("read_text found no text there" if self.ok("read_text") else
                   "I could not read the frame (read_text gave no result)")
            if self.c.options:
                return self.unsure_choice(why)
            return f"{why[0].upper()}{why[1:]}, so I cannot say what is written; I answer unknown.", "unknown"
        kind = asked_type(self.c.question, self.c.options)
        if kind == "number":
            with_numbers = [(t, lines) for t, lines in reads if any(_NUMBER.search(x) for x in lines)]
            reads = with_numbers or reads
        t, lines = min(reads, key=lambda r: (abs(r[0] - target), r[0]))
        line = next((x for x in lines if kind != "number" or _NUMBER.search(x)), lines[0])
        return self.shaped(line, f"At t={t:.2f}s")

    # ---------------------------------------------------------- text_event: find named text, then what is after / before
    def _event(self) -> tuple[str, str]:
        return named_text(self.c.question) or "", order_word(self.c.question) or "when"

    def _flags(self) -> list[tuple[float, bool, list[str]]]:
        wanted, _ = self._event()
        return [(t, any(matches(x, wanted) for x in lines), lines) for t, lines in self.reads()]

    def _step_text_event(self):
        from vagent.agent.scripted import _Move

        wanted, order = self._event()
        ref = self.tref()
        a, b = (ref.start, ref.end) if ref and ref.end > ref.start else (0.0, self.c.duration)
        if self.stage == 0:
            n = int(min(12, max(4, (b - a) / 0.5 + 1)))
            calls = self.read_calls(list(np.linspace(a, b, n)))
            return _Move(f'To find when "{wanted}" is on screen I read the text in {len(calls)} frames across '
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
            calls = self.read_calls(probes)
            box = region(self.c.question)
            side = after[:2] if order == "after" else before[-2:] if order == "before" else []
            if box and side:
                calls += [ToolCall("read_text", {"time": self.clamp(t), "box": box}) for t in side]
            look = after[0] if order == "after" and after else (before[-1] if order == "before" and before else None)
            if look is not None and self.c.options:
                calls.append(ToolCall("zoom_frame", {"time": self.clamp(look), "box": [0.0, 0.0, 1.0, 1.0]}))
            if calls:
                return _Move(f'read_text shows "{wanted}" at {", ".join(f"{t:.2f}s" for t in hits)}. I read the frames '
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
        if order == "when" and kind != "span":  # what else is on screen while it is shown
            during = [(t, [x for x in lines if not matches(x, wanted)]) for t, hit, lines in flags if hit]
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
                if not (kind == "choice" and answer == "A" and "guess" in think) or not self._colour_options():
                    return think, answer
        if self._colour_options():
            return self._answer_colour_choice(self._zoomed_side(order, first, last), f"{order} the text {wanted}")
        where = f"{order} the text {wanted} ({last if order == 'after' else first:.2f}s)"
        if kind == "choice":
            return self.unsure_choice(f"I read no text {where}")
        return f"I read no text {where}; I answer unknown.", "unknown"

    def _zoomed_side(self, order: str, first: float, last: float) -> list[tuple[float, Image.Image]]:
        frames = [(float(r.arguments.get("time", 0)), r.images[0][1]) for r in self.ok("zoom_frame")]
        return [(t, im) for t, im in frames if (t > last if order == "after" else t < first)]

    # ---------------------------------------------------------- look_at: colour / brightness at a time
    def _colour_options(self) -> bool:
        names = {*COLOR_HUES, *_NEUTRAL, "grey", "bright", "dark", "light"}
        return bool(self.c.options) and all(o.strip().lower() in names for o in self.c.options)

    def _step_look_at(self):
        from vagent.agent.scripted import _Move

        ref = self.tref()
        if self.stage == 0:
            if ref.t is not None:
                call, where = self.crop(ref.t - 0.2, ref.t + 0.2, 3), f"t={ref.t:.2f}s"
            else:
                call, where = self.crop(ref.start, ref.end, 4), f"{ref.start:.2f}s-{ref.end:.2f}s"
            return _Move(f'The question points at "{ref.words}"; I look at frames at {where} and measure their colours.', [call])
        return self.conclude("look_at")

    def _window_frames(self) -> list[tuple[float, Image.Image]]:
        ref = self.tref()
        a, b = (ref.t - 0.25, ref.t + 0.25) if ref.t is not None else (ref.start - 0.01, ref.end + 0.01)
        frames = [(t, im) for r in self.ok("crop_clip") for t, im in r.images]
        return [(t, im) for t, im in frames if a <= t <= b] or frames

    def _answer_look_at(self) -> tuple[str, str]:
        frames = self._window_frames()
        if not frames:
            why = "I got no frames at that time (crop_clip gave no result)"
            return self.unsure_choice(why) if self.c.options else (f"{why}; I answer unknown.", "unknown")
        if self.c.options:
            return self._answer_colour_choice(frames, "at the time asked")
        q = self.c.question.lower()
        if re.search(r"\bbright|\bdark", q) and not re.search(r"\bcolou?r", q):
            level = sum(brightness(im) for _, im in frames) / len(frames)
            word = "bright" if level >= 0.5 else "dark"
            return f"The frames there have mean brightness {level:.2f} (0 black, 1 white), so the picture is {word}.", word
        shares = self._shares(frames)
        best = max(shares, key=shares.get)
        return f"In the frames there, {best} covers {shares[best]:.0%} of the picture, more than any other colour.", best

    def _shares(self, frames: list[tuple[float, Image.Image]]) -> dict[str, float]:
        total: dict[str, float] = {}
        for _, im in frames:
            for k, v in colour_shares(im).items():
                total[k] = total.get(k, 0.0) + v / len(frames)
        return total

    def _answer_colour_choice(self, frames: list[tuple[float, Image.Image]], where: str) -> tuple[str, str]:
        if not frames:
            return self.unsure_choice(f"I saw no frame {where}")
        options = [o.strip().lower().replace("grey", "gray") for o in self.c.options]
        if all(o in ("bright", "dark", "light") for o in options):
            level = sum(brightness(im) for _, im in frames) / len(frames)
            word = "bright" if level >= 0.5 else "dark"
            pick = next((i for i, o in enumerate(options) if o == word or (word == "bright" and o == "light")), 0)
            return f"The frames {where} have mean brightness {level:.2f}, so the picture is {word}: option {LETTERS[pick]}.", LETTERS[pick]
        shares = self._shares(frames)
        scored = [(shares.get(o, 0.0), i) for i, o in enumerate(options)]
        share, pick = max(scored)
        if share <= 0:
            return self.unsure_choice(f"None of the option colours shows in the frames {where}")
        return f"In the frames {where}, {options[pick]} covers {share:.0%} of the picture, the most of the option colours: option {LETTERS[pick]}.", LETTERS[pick]

    # ---------------------------------------------------------- change: scene cuts in a window
    def _step_change(self):
        from vagent.agent.scripted import _Move

        if self.stage == 0:
            return _Move("Changes of picture are what the scene detector lists; I ask it for the scenes.", [ToolCall("detect_scenes", {})])
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
            return f"The {which} cut {inside} in the scene list is at {cut:.2f}s.", _fmt(round(cut, 2))
        return (f"The {which} cut {inside} in the scene list is at {cut:.2f}s, so the picture changes at about that moment.",
                f"[{max(0.0, cut - 0.2):.2f}, {min(self.c.duration, cut + 0.2):.2f}]")

    # ---------------------------------------------------------- text_order: which option's text shows first / last
    def _step_text_order(self):
        from vagent.agent.scripted import _Move

        if self.stage == 0:
            n = int(min(12, max(4, self.c.duration / 0.5 + 1)))
            calls = self.read_calls(list(np.linspace(0.0, self.c.duration, n)))
            return _Move(f"To order the options in time I read the text in {len(calls)} frames across the video.", calls)
        return self.conclude("text_order")

    def _answer_text_order(self) -> tuple[str, str]:
        last = bool(re.search(r"\b(last|later|latest)\b", self.c.question.lower()))
        if not self.ok("read_text"):
            return self.unsure_choice("read_text gave no result, so I could not order the options")
        seen: dict[int, float] = {}
        for t, lines in self.reads():
            for i, option in enumerate(self.c.options):
                if any(matches(x, option) for x in lines) and (i not in seen or last):
                    seen[i] = t
        if not seen:
            return self.unsure_choice("None of the options is in the text I read")
        pick = (max if last else min)(seen, key=lambda i: (seen[i], -i))
        return (f"In the frames I read, option {LETTERS[pick]} is {'last' if last else 'first'} read at {seen[pick]:.2f}s"
                + ("" if len(seen) > 1 else ", and no other option is read at all") + f": option {LETTERS[pick]}.", LETTERS[pick])
