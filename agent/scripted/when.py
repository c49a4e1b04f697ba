"""``when``: the time span in which a coloured object is on screen, or in which the picture as a whole
is a colour or bright / dark ("the red background", "the screen is dark": measured on the whole frame,
not as a blob in it); how long it is; and ``length``, how long the video is (its duration).

detect_scenes (+ search_clips) -> crop_clip per scene -> crop_clip at the boundaries -> span (placed
among the options' times or parts of the video by ``Plan.to_option``).
"""

from __future__ import annotations

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.choice import time_options
from vagent.agent.scripted.evidence import MAX_CROP_FRAMES, Evidence, Move, fmt_number, fmt_spans
from vagent.agent.scripted.picture import BECOMES, SECONDS_IN, asked_moment, asked_video_fact, asks_fully, asks_how_long, asks_opening, asks_point, picture_target
from vagent.agent.scripted.timeline import first_fullest
from vagent.agent.scripted.pixels import contains, looks


class WhenPlan(Evidence):
    def _when_target(self) -> tuple[str, str]:
        """The colour and phrase looked for: the picture's colour when the question names one, else a thing's."""
        colour = picture_target(self.c.question)
        return (colour, f"{colour} picture") if colour is not None else self.target()

    def _presence(self) -> list[tuple[float, bool]]:
        color, _ = self._when_target()
        if picture_target(self.c.question) is not None:  # the whole frame: its brightness, or its background's colour
            return [(t, looks(im, color)) for t, im in self.frames()]
        return [(t, contains(im, color)) for t, im in self.frames()]

    def _runs(self) -> tuple[list[tuple[float, float, float, float]], float]:
        """Runs of frames showing the target: (prev negative, first positive, last positive, next negative)."""
        seq = self._presence()
        times = [t for t, _ in seq]
        gaps = [b - a for a, b in zip(times, times[1:]) if b - a > 0.01]
        dt = min(gaps) if gaps else 0.1
        runs, i = [], 0
        while i < len(seq):
            if seq[i][1]:
                j = i
                while j + 1 < len(seq) and seq[j + 1][1]:
                    j += 1
                prev_neg = seq[i - 1][0] if i > 0 else 0.0
                next_neg = seq[j + 1][0] if j + 1 < len(seq) else self.c.duration
                runs.append((prev_neg, seq[i][0], seq[j][0], next_neg))
                i = j + 1
            else:
                i += 1
        return runs, dt

    def _open_boundaries(self) -> list[tuple[float, float]]:
        """Gaps between a negative and a positive frame wider than one frame (not yet resolved)."""
        runs, dt = self._runs()
        gaps = []
        for prev_neg, first, last, next_neg in runs:
            if first - prev_neg > 1.5 * dt and first > 0:
                gaps.append((prev_neg, first))
            if next_neg - last > 1.5 * dt and next_neg < self.c.duration:
                gaps.append((last, next_neg))
        return gaps

    def _boundary_calls(self) -> list[ToolCall]:
        cuts = [a for a, _ in self.scenes()[1:]]
        calls = []
        for lo, hi in self._open_boundaries():
            inside = [b for b in cuts if lo < b <= hi]
            if inside:  # a scene cut in the gap: check one frame either side of it
                calls.append(self.crop(max(lo, inside[0] - 0.25), min(hi, inside[0] + 0.25), 5))
            else:
                calls.append(self.crop(lo, hi, min(MAX_CROP_FRAMES, max(3, int((hi - lo) / 0.1) + 1))))
        return calls[:6]

    def _step_when(self) -> Move:
        _, phrase = self._when_target()
        if self.stage == 0:
            calls = [ToolCall("detect_scenes", {})]
            if not self.evidence():
                calls.append(ToolCall("search_clips", {"query": phrase, "top_k": 3}))
            return Move(f"The {phrase} may be on screen only briefly, between the overview frames. Scene boundaries "
                        "give candidate segments" + (", and a search for it gives likely moments." if len(calls) > 1 else "."), calls)
        if self.stage == 1:
            think, calls = self.scan_calls()
            return Move(f"{think} I check each frame for the {phrase}.", calls)
        runs, _ = self._runs()
        if runs and self.stage == 2 and (peak := self._fullest(runs[0][1], runs[0][2])) is not None:  # "fully white": around its extreme
            calls = self._boundary_calls() + [self.crop(peak[0] - 0.25, peak[0] + 0.25, 11)]
            return Move(f"I see the {phrase} in some frames; I look at the frames around each boundary and around the frame "
                        "where it is strongest.", calls)
        if runs and self.stage <= 3 and (calls := self._boundary_calls()) and not self.skip_check():
            return Move(f"I see the {phrase} in some frames; to pin down exactly when it appears and disappears "
                        "I look at the frames around each boundary.", calls)
        if not runs and self.stage == 2 and not any(r.name == "crop_clip" and r.arguments.get("num_frames") == 16 for r in self.c.results):
            return Move(f"The {phrase} is in none of the frames so far; I sample the whole video densely.",
                        [self.crop(0, self.c.duration, 16)])
        return self.conclude("when")

    def _fullest(self, start: float, end: float) -> tuple[float, float] | None:
        """When the question asks for the picture fully white (black): when it is first at its fullest in
        ``[start, end]`` and its mean brightness there (:func:`first_fullest`); else None."""
        colour, _ = self._when_target()
        if not asks_fully(self.c.question) or colour not in ("white", "black"):
            return None
        return first_fullest(self.frames(), colour, start, end)

    def _step_length(self) -> Move:
        return self.conclude("length")

    def _answer_length(self) -> tuple[str, str]:
        """What the question asks of the video itself, given with the question: its duration, frame count,
        frame rate or size."""
        c, fact = self.c, asked_video_fact(self.c.question) or "duration"
        if fact == "duration":
            return f"The video's duration, given with the question, is {c.duration:.2f} s.", fmt_number(round(c.duration, 2))
        value = {"frames": c.frames, "fps": c.fps, "width": c.width, "height": c.height}.get(fact)
        if fact == "size" and c.width and c.height:
            return f"The video's frames, as given with the question, are {c.width}x{c.height} pixels.", f"{c.width}x{c.height}"
        if not value:
            return f"The video's {fact} was not given with the question, so I cannot say; I answer unknown.", "unknown"
        words = {"frames": "frame count", "fps": "frame rate (frames per second)", "width": "width in pixels", "height": "height in pixels"}[fact]
        return f"The video's {words}, given with the question, is {fmt_number(round(value, 3))}.", fmt_number(round(value, 3))

    def _answer_when(self) -> tuple[str, str]:
        _, phrase = self._when_target()
        runs, dt = self._runs()
        cuts = [a for a, _ in self.scenes()[1:]]
        spans = []
        for prev_neg, first, last, next_neg in runs:
            start = first if first - prev_neg <= 1.5 * dt else next((b for b in cuts if prev_neg < b <= first), (prev_neg + first) / 2)
            end = next_neg if next_neg - last <= 1.5 * dt else next((b for b in cuts if last < b <= next_neg), (last + next_neg) / 2)
            spans.append((round(start, 2), round(end, 2)))
        if len(spans) > 1 and BECOMES.search(self.c.question) and self.frames() and spans[0][0] <= self.frames()[0][0] + 0.1:
            spans = spans[1:]  # "when does it go black": the picture becomes black; a black opening is no change into it
        if spans:
            seen = "in the frames I checked" if self.ok("crop_clip") else "in the overview frames (the only frames I have)"
            found = f"The {phrase} is visible from {spans[0][0]:.2f}s to {spans[-1][1]:.2f}s {seen}"
            if asks_how_long(self.c.question) and not SECONDS_IN.search(self.c.question):  # "how many seconds in": a moment
                ref = self.tref()  # "at the beginning": the span there, not every span
                asked = [(a, b) for a, b in spans if ref is not None and a <= ref.end + 1e-6 and b >= ref.start - 1e-6] or spans
                where = f" ({ref.words}: {fmt_spans(asked)})" if ref is not None and asked != spans else " in all"
                if asks_opening(self.c.question) and runs[0][0] == 0.0 and runs[0][1] == self.frames()[0][0]:
                    asked = [(0.0, spans[0][1])]  # "before the first picture": the run the video opens with, from 0 s
                    where = " from the start of the video until the first frame without it"
                elif asks_opening(self.c.question):
                    return f"{found}, and the video does not open with it: 0 s before the first picture.", "0"
                total = sum(b - a for a, b in asked)
                return f"{found}: {total:.2f} s{where}.", fmt_number(round(total, 2))
            if asks_opening(self.c.question) and self.frames() and spans[0][0] <= self.frames()[0][0] + 0.1:
                return f"{found}; the video opens with it, so the first picture comes at its end: {spans[0][1]:.2f}s.", fmt_number(spans[0][1])
            if (peak := self._fullest(*spans[0])) is not None:  # "fully white": the extreme of the first span
                found += f"; it is most {self._when_target()[0]} (mean brightness {peak[1]:.2f}) first at {peak[0]:.2f}s"
                spans = [(peak[0], peak[0])]
            if self.c.options and time_options(self.c.options) is not None or asks_point(self.c.question):  # a moment: the one asked for
                moment, what = asked_moment(self.c.question, spans)
                return f"{found}; the question asks {what}: {moment:.2f}s.", fmt_number(round(moment, 2))
            return f"{found}.", fmt_spans(spans)
        if self.c.options:  # nothing seen to place among the options
            return self.unsure_choice(f"I never saw the {phrase} in the frames I checked")
        hits = self.hits()
        if hits:
            return f"I never saw the {phrase}; the best search match is {hits[0][0]:.2f}s-{hits[0][1]:.2f}s.", fmt_spans([hits[0][:2]])
        mid = self.c.duration / 2
        return f"I never saw the {phrase}; I guess the middle of the video.", fmt_spans([(max(0, mid - 1), min(self.c.duration, mid + 1))])
