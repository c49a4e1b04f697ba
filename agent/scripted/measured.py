"""The survey's answers measured on the timeline (see :mod:`~vagent.agent.scripted.survey`): how many
shots, cuts or coloured screens there are (fades told from cuts where asked), how long a shot, a colour
or a text lasts, the time between two events, whether one shot is brighter than another and the moment
something happens (the n-th cut, a colour, a text), each put to the options by the value measured.
"""

from __future__ import annotations

import re
import statistics

from vagent.agent.scripted.areas import frame_area
from vagent.agent.scripted.choice import nearest_number_option, nearest_time_option, parts_option, time_options, yes_no_options
from vagent.agent.scripted.claims import option_claim
from vagent.agent.scripted.events import asks_each_part, between_events, compared_shots, counted, ordinal, shot_ordinal
from vagent.agent.scripted.evidence import fmt_number
from vagent.agent.scripted.picture import ASKS_WHEN, SECONDS_IN, asks_how_long, asks_point, asks_when
from vagent.agent.scripted.pixels import brightness
from vagent.agent.scripted.timeline import FULLY, event_colour, first_fullest
from vagent.agent.scripted.transitions import FADES, LEAVES, TransitionAnswers
from vagent.answers import LETTERS

_NOT_ENDS = re.compile(r"\b(?:not|don'?t|do not|without) count\w*\b.*\b(?:start|beginning|end)\b(?:\s+or\s+(?:the\s+)?(?:very\s+)?end\b)?"
                       r"|\bexcept (?:at )?the (?:very )?(?:start|beginning|end)\b|\bin the middle\b(?! of the)", re.I)
_ENTERS = re.compile(r"\b(?:fad\w*|turn\w*|go(?:es)?|went|goes|bec[oa]me\w*|switch\w*|chang\w*|cuts?)\b", re.I)


class MeasuredAnswers(TransitionAnswers):
    """Mixed into :class:`~vagent.agent.scripted.survey.SurveyPlan`, which gives ``_colour``, ``_texts`` and
    ``_asks_value``; each answer returns ``(think, answer)`` or None when its shape does not fit."""

    def _never_options(self) -> list[int]:
        return [i for i, o in enumerate(self.c.options) if (c := option_claim(o)) is not None and c.kind == "never"]

    def _by_count(self) -> tuple[str, str] | None:
        what = counted(self.c.question)
        if what is None:
            return None
        if what in ("times", "parts") and (colour := self._colour()) is not None:  # "white screens", "red parts"
            runs = self.runs(colour)
            think = f"The picture is {colour} " + (", ".join(f"{a:.2f}s-{b:.2f}s" for a, b in runs) or "in no frame I saw") + "."
            edges = [(lo, hi) for lo, hi, leaving in self.edges(colour) if leaving == bool(LEAVES.search(self.c.question))]
            if LEAVES.search(self.c.question):  # "fades in from black": the picture leaves the colour
                think += f" It stops being {colour} {len(edges)} time(s)."
            elif _ENTERS.search(self.c.question):  # "how many times does it fade / turn / go to black": entries, not an opening run
                think += f" It becomes {colour} {len(edges)} time(s) after not being {colour}."
            else:
                edges = runs
            if m := _NOT_ENDS.search(self.c.question):  # "don't count the very start or the very end": the runs there
                first = self.frames()[0][0] if self.frames() else 0.0
                middle, words = m.group(0).lower().startswith("in the middle"), m.group(0).lower()
                start = middle or "start" in words or "beginning" in words
                end = middle or re.search(r"\bend\b", words) is not None
                ends = [r for r in runs if start and r[0] <= first + 1e-6 or end and r[1] >= self.c.duration - 1e-6]
                edges = [e for e in edges if not any(abs(e[1] - r[0]) < 1e-6 or abs(e[1] - r[1]) < 1e-6 for r in ends)]
                think += f" Not counting the start and the end: {len(edges)}."
            if FADES.search(self.c.question):
                fades = [lo for lo, hi in edges if self.gradual(lo, hi, colour, bool(LEAVES.search(self.c.question)))]
                think += f" Of those, {len(fades)} are gradual (a frame between the two levels there): fades, not cuts."
                edges = fades
            value = len(edges)
        elif what in ("parts", "changes") and self.ok("detect_scenes"):
            ref = self.tref()
            a, b = (ref.start, ref.end) if ref is not None and ref.end > ref.start else (0.0, self.c.duration)
            cuts = self.cuts(a, b)
            value = len(cuts) + 1 if what == "parts" else len(cuts)
            think = (f"The scene detector lists {len(cuts)} cut(s) between {a:.2f}s and {b:.2f}s, so {value} "
                     f"{'part(s)' if what == 'parts' else 'change(s)'}.")
        else:
            return None
        return self._number_answer(think, float(value))

    def _counted_text(self) -> str | None:
        """The text whose showings a count question counts ("how many times did the words spike sent flash
        up?"), once it has been read somewhere; None for other counts."""
        if counted(self.c.question) != "times" or self._colour() is not None:
            return None
        line = self._named_line()
        return line if line and self.text_times(line)[0] else None

    def showing_looks(self) -> list:
        """For a count of a text's showings: reads across the video while the text has not been read, then
        across the scenes where it was, about every 0.2 s (20 at most): a text that flashes up is read on
        and off between them."""
        if counted(self.c.question) != "times" or self._colour() is not None:
            return []
        if (line := self._counted_text()) is None:
            across = [self.c.duration * (i + 0.5) / 12 for i in range(12)]
            return self.read_calls(across) if len(self.reads()) < 12 else []
        seen = self.text_times(line)[0]
        spans = sorted({(a, b) for a, b in self.scenes() for t in seen if a - 1e-6 <= t < b} or {(0.0, self.c.duration)})
        a, b = spans[0][0], spans[-1][1]
        count = min(20, max(4, int((b - a) / 0.2)))
        if sum(a - 1e-6 <= t <= b + 1e-6 for t, _ in self.reads()) >= count:
            return []  # read closely there already
        return self.read_calls([a + (b - a) * (i + 0.5) / count for i in range(count)])

    def _by_text_showings(self) -> tuple[str, str] | None:
        """How many times a named text shows up: the runs of reads with it, each ended by a read without it."""
        if (line := self._counted_text()) is None:
            return None
        seen, unseen = self.text_times(line)
        runs: list[list[float]] = []
        for t, on in sorted([(t, True) for t in seen] + [(t, False) for t in unseen]):
            if on and runs and runs[-1][-1] is not None:
                runs[-1][1] = t  # the run goes on
            elif on:
                runs.append([t, t])
            elif runs and runs[-1][-1] is not None:
                runs.append([None, None])  # a read without it ends the run
        runs = [r for r in runs if r[0] is not None]
        ref = self.tref()
        if ref is not None and ref.end > ref.start and any(a <= ref.end and b >= ref.start for a, b in runs):
            runs = [(a, b) for a, b in runs if a <= ref.end and b >= ref.start]  # "near the start": the showings there
        shown = ", ".join(f"{a:.2f}s-{b:.2f}s" if b > a else f"{a:.2f}s" for a, b in runs)
        return self._number_answer(f'"{line}" is read at {shown}, with reads without it between: {len(runs)} showing(s).', float(len(runs)))

    def _asked_extreme(self) -> str | None:
        """``white`` ("when does it get brightest?") or ``black`` ("when is it darkest?") for a question asking
        the moment of the picture's extreme brightness, else None."""
        q = self.c.question
        m = re.search(r"\b(brightest|lightest|darkest|dimmest)\b", q, re.I)
        if m is None or frame_area(q) is not None or not (asks_when(q, self.c.options) or SECONDS_IN.search(q) or re.search(r"\bwhen\b|\bsecs?\b|\bseconds?\b", q, re.I)):
            return None
        return "white" if m.group(1).lower() in ("brightest", "lightest") else "black"

    def extreme_looks(self) -> list:
        """Closer frames around the brightest (darkest) frames seen, for the moment it is at its extreme."""
        colour = self._asked_extreme()
        return [] if colour is None else [self.crop(t - 0.3, t + 0.3, 7) for t in self.extremes(colour)]

    def _by_extreme_moment(self) -> tuple[str, str] | None:
        """When the picture is brightest (darkest) the first time: the first frame within 0.01 of the extreme seen."""
        if (colour := self._asked_extreme()) is None or not self.frames():
            return None
        levels = [(t, brightness(im)) for t, im in self.frames()]
        extreme = max(v for _, v in levels) if colour == "white" else min(v for _, v in levels)
        first = min(t for t, v in levels if abs(v - extreme) <= 0.01)
        word = "brightest" if colour == "white" else "darkest"
        return self._time_answer(f"The {word} frames I saw have mean brightness {extreme:.2f}; the first of them is at {first:.2f}s.", first)

    def _by_shot_brightness(self) -> tuple[str, str] | None:
        """Whether one shot is brighter or darker than another ("is the 1st shot brighter than the 2nd one?")."""
        pair, scenes = compared_shots(self.c.question), self.scenes()
        if pair is None or not self.c.options or len(scenes) < max(abs(n) for n in pair):
            return None
        levels = []
        for n in pair:
            a, b = scenes[n - 1 if n > 0 else n]
            inside = [brightness(im) for t, im in self.frames() if a - 1e-6 <= t < b - 1e-6]
            if not inside:
                return None
            levels.append(sum(inside) / len(inside))
        kind = "stays" if abs(levels[0] - levels[1]) < 0.05 else "brighter" if levels[0] > levels[1] else "darker"
        said = f"The frames of those shots have mean brightness {levels[0]:.2f} and {levels[1]:.2f}"
        named = [ordinal(o) if re.search(r"\b(?:shot|scene|take|part|one)\b", o, re.I) else None for o in self.c.options]
        if sum(n in pair for n in named) == 2:  # "the first shot" / "the second shot" / "about the same"
            darker = bool(re.search(r"\b(?:dark|dim)\w*", self.c.question, re.I))
            winner = pair[0] if (levels[0] < levels[1]) == darker else pair[1]
            picks = [i for i, n in enumerate(named) if n == winner] if kind != "stays" else \
                [i for i, o in enumerate(self.c.options) if (c := option_claim(o)) is not None and c.kind == "stays"]
            return (f"{said}: option {LETTERS[picks[0]]}.", LETTERS[picks[0]]) if len(picks) == 1 else self.unsure_choice(said)
        picks = [i for i, o in enumerate(self.c.options) if (c := option_claim(o)) is not None and c.kind == kind]
        return (f"{said}: option {LETTERS[picks[0]]}.", LETTERS[picks[0]]) if len(picks) == 1 else self.unsure_choice(said)

    def interval_looks(self) -> list:
        """Closer frames where each coloured event of a "time between" question starts or ends."""
        calls = []
        for phrase in between_events(self.c.question) or ():
            if (colour := event_colour(phrase)) is None:
                continue
            calls += [self.crop(a, b, 6) for a, b in self.boundaries(colour, ordinal(phrase) or 1)[:2]]
            if colour.startswith("fully ") and not self.runs(colour):  # at its fullest between the frames seen
                calls += [self.crop(t - 0.3, t + 0.3, 7) for t in self.extremes(colour.split()[1])[:2]]
        return calls

    def _by_interval(self) -> tuple[str, str] | None:
        """The time between two events ("between the first and second scene changes")."""
        pair = between_events(self.c.question)
        if pair is None or None in (times := [self.moment(p) for p in pair]):
            return None
        (a, b), (ta, tb) = pair, times
        return self._number_answer(f"{a!r} is at {ta:.2f}s and {b!r} at {tb:.2f}s: {abs(tb - ta):.2f} s apart.", round(abs(tb - ta), 2))

    def _by_duration(self) -> tuple[str, str] | None:
        if not asks_how_long(self.c.question) or SECONDS_IN.search(self.c.question):
            return None
        if (n := shot_ordinal(self.c.question)) is not None and self.ok("detect_scenes") and len(self.scenes()) >= abs(n):
            a, b = self.scenes()[n - 1 if n > 0 else n]
            return self._number_answer(f"The scene detector lists that shot from {a:.2f}s to {b:.2f}s: {b - a:.2f} s.", round(b - a, 2))
        if asks_each_part(self.c.question) and self.ok("detect_scenes") and len(lengths := [b - a for a, b in self.scenes()]) >= 2:
            typical = statistics.median(lengths)
            return self._number_answer(f"The scene detector lists {len(lengths)} parts, lasting {', '.join(f'{x:.2f}' for x in lengths)} s: "
                                       f"each about {typical:.2f} s (their median).", round(typical, 2))
        if (colour := self._colour()) is not None and (runs := self.runs(colour)):
            which = ordinal(self.c.question) or 1
            if len(runs) >= abs(which):
                a, b = runs[which - 1 if which > 0 else which]
                return self._number_answer(f"The picture is {colour} from {a:.2f}s until {b:.2f}s: {b - a:.2f} s.", round(b - a, 2))
        for text in self._texts():
            seen, unseen = self.text_times(text)
            if seen:
                end = min((t for t in unseen if t > seen[-1]), default=self.c.duration)
                return self._number_answer(f'"{text}" is read from {seen[0]:.2f}s and gone by {end:.2f}s.', round(end - seen[0], 2))
        return None

    def _by_moment(self) -> tuple[str, str] | None:
        q = self.c.question
        if not (asks_when(q, self.c.options) or SECONDS_IN.search(q) or re.search(r"\bwhen\b", q, re.I)):
            return None
        if self._asks_value() and not (asks_when(q, self.c.options) or SECONDS_IN.search(q)):
            return None  # "what frame number is shown when it turns green": a value at a moment, not the moment
        which, ref = ordinal(q), self.tref()
        if re.search(r"\b(?:cuts?|transitions?|scene changes?|shot changes?|changes? of (?:scene|shot))\b", q, re.I) and self.ok("detect_scenes"):
            cuts = self.cuts()
            if ref is not None and ref.end - ref.start > 0.2:  # "a bit before the end", "in the middle": the cuts in there
                cuts = self.cuts(ref.start, ref.end)
                n = which or 1
                pick = cuts[n - 1 if n > 0 else n] if len(cuts) >= abs(n) else None
            elif ref is not None and re.search(r"\bbefore\b", q, re.I):
                cuts = [t for t in cuts if t < ref.start]
                pick = cuts[-1] if cuts else None
            elif ref is not None and re.search(r"\bafter\b", q, re.I):
                pick = next((t for t in cuts if t > ref.end), None)
            else:
                n = which or 1
                pick = cuts[n - 1 if n > 0 else n] if len(cuts) >= abs(n) else None
            if pick is None:
                return None
            return self._time_answer(f"The scene detector's cuts are at {', '.join(f'{t:.2f}s' for t in self.cuts())}; the one asked is at {pick:.2f}s.", pick)
        if (colour := self._colour()) is not None:
            runs = self.runs(colour)
            if colour in ("white", "black") and FULLY.search(q):  # "first fully white": each run from its fullest frame
                runs = [(first_fullest(self.frames(), colour, a, b)[0], b) for a, b in runs]  # a run starts at a frame seen
                colour = f"at its fullest {colour}"
            n = which or 1
            if len(runs) >= abs(n):
                a, b = runs[n - 1 if n > 0 else n]
                return self._time_answer(f"The picture is {colour} at " + ", ".join(f"{x:.2f}s-{y:.2f}s" for x, y in runs) + ".", a, (a, b))
            return None
        for text in self._texts():
            seen, _ = self.text_times(text)
            if seen:
                return self._time_answer(f'"{text}" is first read on screen at {seen[0]:.2f}s.', seen[0])
        return None

    def _number_answer(self, think: str, value: float) -> tuple[str, str]:
        if self.c.options:
            pick = nearest_number_option(self.c.options, value)
            if pick is None:
                return self.unsure_choice(f"{think} No option is nearest {fmt_number(value)}")
            return f"{think} Option {LETTERS[pick]} is {self.c.options[pick]!r}.", LETTERS[pick]
        return think, fmt_number(value)

    def _time_answer(self, think: str, t: float, span: tuple[float, float] | None = None) -> tuple[str, str]:
        if self.c.options:
            kept = [i for i in range(len(self.c.options)) if i not in self._never_options()]  # it was seen: not "never"
            options = [self.c.options[i] for i in kept]
            if time_options(options) is not None:
                pick = nearest_time_option(options, t)
            elif yes_no_options(options) is None:
                pick = parts_option(options, [span or (t, t)], self.c.duration)
            else:
                pick = None
            pick = kept[pick] if pick is not None else None
            if pick is None:
                return self.unsure_choice(f"{think} That does not single out one option")
            return f"{think} That is option {LETTERS[pick]} ({self.c.options[pick]!r}).", LETTERS[pick]
        if ASKS_WHEN.search(self.c.question) and not SECONDS_IN.search(self.c.question) and not asks_point(self.c.question):
            a, b = span or (max(0.0, t - 0.2), min(self.c.duration, t + 0.2))
            return think, f"[{a:.2f}, {b:.2f}]"
        return think, fmt_number(round(t, 2))
