"""Reading text: ``read`` (a small code somewhere in the video) and ``read_at`` (the text at the
time the question names).

``read``     detect_scenes -> crop_clip per scene -> zoom_frame + read_text on the text-like corner -> text
``read_at``  read_text at the time asked (and half a second either side, or across the window) -> text,
             number or option, as the question asks
"""

from __future__ import annotations

import re

import numpy as np

from vagent.agent.palette import CORNER_BOXES
from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.choice import nearest_number_option
from vagent.agent.scripted.evidence import Evidence, Move, clean_code, first_number, options_named
from vagent.agent.scripted.labels import asked_kind, pick_value
from vagent.agent.scripted.picture import picture_target
from vagent.agent.scripted.pixels import looks, text_likeness
from vagent.agent.scripted.question import asked_type, region
from vagent.agent.scripted.speech import SpeechPlan, asks_speech
from vagent.agent.scripted.timeexpr import TimeRef
from vagent.answers import LETTERS


class ReadPlan(SpeechPlan, Evidence):
    # ---------------------------------------------------------- read: small text somewhere
    def _text_candidates(self) -> list[tuple[int, float, str]]:
        out = []
        for t, im in self.frames():
            for corner, box in CORNER_BOXES.items():
                out.append((text_likeness(im, box), t, corner))
        return sorted(out, reverse=True)

    def _step_read(self) -> Move:
        if asks_speech(self.c.question) and "listen" in self.names:  # said, not written
            return self._step_speech()
        if asked_kind(self.c.question) is not None:  # a year, an address: read whole frames across the video
            if self.stage == 0:
                times = list(np.linspace(0.1 * self.c.duration, 0.9 * self.c.duration, 4))
                return Move(f"The question asks for a {asked_kind(self.c.question)} printed on screen; I read the whole "
                            "frame at four times across the video and keep the line of that kind.", self.read_calls(times))
            return self.conclude("read")
        if (box := region(self.c.question)) is not None:  # the part of the frame it names: read there across the video
            if self.stage == 0:
                times = list(np.linspace(0.1 * self.c.duration, 0.9 * self.c.duration, 4))
                return Move("The question names a part of the frame; I read the text there at four times across the video.",
                            self.read_calls(times, box))
            return self.conclude("read")
        if self.stage == 0 and not self.evidence():
            return Move("Text shown briefly may sit between the overview frames. The scene list tells me where the "
                        "picture changes, which is where a caption is likely.", [ToolCall("detect_scenes", {})])
        if self.stage <= 1 and not any(r.name == "crop_clip" for r in self.c.results):
            think, calls = self.scan_calls()
            return Move(f"{think} I look for a small caption in the frames.", calls)
        read_done = any(r.name == "read_text" for r in self.c.results)
        if not read_done or (not self._ocr_words() and self.stage <= 4 and len([r for r in self.c.results if r.name == "read_text"]) < 3):
            cands = [c for c in self._text_candidates() if c[0] >= 8]
            tried = {(r.arguments.get("time"), tuple(r.arguments.get("box") or [])) for r in self.c.results if r.name == "read_text"}
            cands = [c for c in cands if (round(c[1], 2), tuple(CORNER_BOXES[c[2]])) not in tried]
            if cands:
                best = cands[0]
                if self.rng is not None:
                    near = [c for c in cands if c[0] >= 0.8 * best[0]]
                    best = self.rng.choice(near)
                score, t, corner = best
                box = self.jitter(CORNER_BOXES[corner])
                calls = [ToolCall("read_text", {"time": round(t, 2), "box": box})]
                if not self.skip_check():
                    calls.insert(0, ToolCall("zoom_frame", {"time": round(t, 2), "box": box}))
                return Move(f"At t={t:.2f}s the {corner} corner has a small high-contrast label that looks like text; "
                            "it is too small to read at this size, so I zoom in and read it.", calls)
            if not read_done:
                t = self.frames()[len(self.frames()) // 2][0] if self.frames() else self.c.duration / 2
                return Move("I found no caption-like region; I try reading the whole frame.",
                            [ToolCall("read_text", {"time": round(t, 2)})])
        return self.conclude("read")

    def _ocr_words(self) -> list[tuple[str, float]]:
        return [(clean_code(text), score) for text, score in self.ocr() if len(clean_code(text)) >= 2]

    def _answer_read(self) -> tuple[str, str]:
        if asks_speech(self.c.question) and self.tried("listen"):
            return self._answer_speech()
        if asked_kind(self.c.question) is not None and (picked := pick_value(self.c.question, [t for t, _ in self.ocr()])):
            line, value = picked
            return self.shaped(value, f'Of the lines read, "{line}" holds the {asked_kind(self.c.question)} asked for:')
        if (box := region(self.c.question)) is not None and (lines := [x for _, read in self.reads(box) for x in read]):
            named = options_named(self.c.options, lines)
            if len(named) == 1:
                (pick, line), = named.items()
                return f'In the part of the frame asked about, "{line}" is read: option {LETTERS[pick]}.', LETTERS[pick]
            line = max(lines, key=lambda x: (lines.count(x), len(x)))  # the line read most often there
            return self.shaped(line, "In the part of the frame asked about,")
        words = self._ocr_words()
        if not words:
            why = ("read_text found no legible text" if self.ok("read_text") else
                   "I could not read any text (read_text gave no result)" if self.tried("read_text") else
                   "I did not get to read any text (read_text never ran)")
            return f"{why}; I cannot say what is written, so I answer unknown.", "unknown"
        word, score = max(words, key=lambda w: w[1])
        return f'The text reads "{word}" (OCR confidence {score:.2f}).', word

    # ---------------------------------------------------------- read_at: the text at a named time
    def _read_ref(self) -> TimeRef | None:
        """The time the question names, else the moment of the picture event it names ("when the background
        is green"): the first frame in that colour among frames sampled across the video (None until then)."""
        ref = self.tref()
        if ref is not None or (colour := picture_target(self.c.question)) is None or not self.tried("crop_clip"):
            return ref
        shown = [t for t, im in self.frames() if looks(im, colour)]
        return TimeRef(shown[0], shown[0], shown[0], f"the first frame that is {colour}, {shown[0]:.2f}s") if shown else None

    def _step_read_at(self) -> Move:
        ref = self._read_ref()
        if ref is None:  # a moment named by the picture: find it first
            if self.stage == 0:
                return Move(f"The question points at when the picture is {picture_target(self.c.question)}; I sample frames "
                            "across the video to find that moment.", [self.crop(0, self.c.duration, 16)])
            return self.conclude("read_at")
        if not self.tried("read_text"):
            if ref.t is not None:
                times, why = [ref.t, ref.t - 0.5, ref.t + 0.5], "and half a second either side, in case the text changes there"
            else:
                times, why = list(np.linspace(ref.start, ref.end, 4)), "at four times inside that window"
            box = region(self.c.question)
            calls = self.read_calls(times, box)
            part = "the part of the frame it names" if box else "the frame"
            return Move(f'The question points at "{ref.words}", so I read the text in {part} there {why}.', calls)
        if ref.t is not None and self.stage == 1 and (typed := self._typed_on(ref.t)) is not None:
            later = [ref.t + 0.5 * i for i in range(2, 8) if ref.t + 0.5 * i < self.c.duration]
            if calls := self.read_calls(later, region(self.c.question)):
                return Move(f'The line "{typed}" grows between the reads there (it is being typed), so I read on until it stops.', calls)
        return self.conclude("read_at")

    def _typed_on(self, t: float) -> str | None:
        """A line read at ``t`` that a later read writes out longer (text being typed), else None."""
        reads = [(x, lines) for x, lines in self.reads(region(self.c.question)) if lines]
        at = min(reads, key=lambda r: abs(r[0] - t), default=None)
        if at is None:
            return None
        return next((line for line in at[1] if len(clean_code(line)) >= 3 and self._completed(line, at[0]) != line), None)

    def _completed(self, line: str, t: float) -> str:
        """The longest line read after ``t`` that begins with ``line`` and is two or more letters longer (typed text
        grows): ``line`` itself when none."""
        start = clean_code(line)
        longer = [x for when, lines in self.reads(region(self.c.question)) if when > t for x in lines
                  if len(clean_code(x)) >= len(start) + 2 and clean_code(x).startswith(start)]  # one letter more may be a misread
        return max(longer, key=lambda x: len(clean_code(x)), default=line)

    def _answer_read_at(self) -> tuple[str, str]:
        ref = self._read_ref()
        if ref is None:
            why = f"I never saw the picture {picture_target(self.c.question)}, so I do not know when to read"
            return self.unsure_choice(why) if self.c.options else (f"{why}; I answer unknown.", "unknown")
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
            with_numbers = [(t, lines) for t, lines in reads if any(first_number(x) for x in lines)]
            reads = with_numbers or reads
        reads.sort(key=lambda r: (abs(r[0] - target), r[0]))
        t, lines = reads[0]
        if m := re.search(r"\bhow many (?:separate |different )?(lines?|rows?|words?)\b", self.c.question, re.I):  # a count of what is written
            count = len(lines) if m.group(1).lower().startswith(("line", "row")) else sum(len(x.split()) for x in lines)
            said = f"At t={t:.2f}s read_text gives {len(lines)} line(s): " + ", ".join(f'"{x}"' for x in lines) + f"; {count} {m.group(1)}"
            if not self.c.options:
                return f"{said}.", str(count)
            pick = nearest_number_option(self.c.options, float(count))
            return (f"{said}: option {LETTERS[pick]}.", LETTERS[pick]) if pick is not None else self.unsure_choice(said)
        for near_t, near_lines in reads if asked_kind(self.c.question) else reads[:1]:  # an address stays on screen: any read near
            if picked := pick_value(self.c.question, near_lines):  # the line the question names, not the first one read
                line, value = picked
                if (whole := self._completed(line, near_t)) != line and (grown := pick_value(self.c.question, [whole])):
                    line, value = grown  # typed on after that read
                return self.shaped(value, f'At t={near_t:.2f}s the line "{line}" is the one asked about;')
        named = options_named(self.c.options, lines) if kind == "choice" else {}
        if len(named) == 1:  # any line read there, not only the first
            (pick, line), = named.items()
            return (f'At t={t:.2f}s one of the lines read is "{line}", which is option {LETTERS[pick]}; no other line read '
                    "there names an option.", LETTERS[pick])
        if len(named) > 1:
            return self.unsure_choice(f"At t={t:.2f}s the lines read name options {', '.join(LETTERS[i] for i in sorted(named))} alike")
        line = next((x for x in lines if kind != "number" or first_number(x)), lines[0])
        return self.shaped(line, f"At t={t:.2f}s")
