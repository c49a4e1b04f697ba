"""``general``: a question no specific plan took. It surveys the whole video, then answers from the
timeline (:mod:`~vagent.agent.scripted.timeline`) in the shape the question and options have
(:mod:`~vagent.agent.scripted.claims`): options that order items, text in a named region, a count of
picture parts or changes, how long a colour lasts, the n-th cut or colour, the frame value printed
when a colour starts, options that claim a change, and an option saying the thing never appears.
When no shape decides, the search answer (:mod:`~vagent.agent.scripted.general`) is the last resort.

detect_scenes + crop_clip across the video (+ search_clips) -> a second crop, a frame per scene,
read_text early/middle/late in each scene (and in the region asked) -> closer reads and frames where
a text or colour starts -> read_text where the colour starts (a value asked there) -> answer.
"""

from __future__ import annotations

import re

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.areas import area_colour_option, area_options, asks_brightest, frame_area, pick_area
from vagent.agent.scripted.changes import change_options, shots_claimed
from vagent.agent.scripted.choice import yes_no_options
from vagent.agent.scripted.colour_words import asked_colour, option_colour
from vagent.agent.scripted.claims import ENDING, EVER, Claim, claim_options, colour_after, next_colour_asked, option_claim, picture_colour, steady_claim
from vagent.agent.scripted.events import counted, ordinal
from vagent.agent.scripted.evidence import Move
from vagent.agent.scripted.general import GeneralPlan
from vagent.agent.scripted.labels import asked_text_colour, text_beside
from vagent.agent.scripted.measured import MeasuredAnswers
from vagent.agent.scripted.elimination import EliminationAnswers
from vagent.agent.scripted.people import PeopleAnswers
from vagent.agent.scripted.screens import ScreenAnswers
from vagent.agent.scripted.picture import about_picture, asks_for_colour
from vagent.agent.scripted.pixels import median_colour, nearest_colour, rgb_name
from vagent.agent.scripted.question import asks_for_text, key_phrase, named_text, region
from vagent.agent.scripted.routing import survey_shape
from vagent.agent.scripted.timeline import TREND, shows
from vagent.agent.scripted.transitions import FADES
from vagent.agent.scripted.written import WrittenAnswers
from vagent.answers import LETTERS

_MEASURES = re.compile(r"\b(?:when|how long|order|first|last|before|after|cuts?|scenes?|shots?|colou?rs?|bright\w*|dark\w*|"
                       r"light\w*|fades?|written|text|seconds?)\b", re.I)

_STEADILY = re.compile(r"\b(?:steadily|gradually|continuously|constantly|consistently|throughout|the whole (?:time|way)"
                       r"|from (?:the )?(?:start|beginning) to (?:the )?(?:end|finish))\b", re.I)
"""Words that make a darker / brighter claim one of a single steady course, not of ups and downs."""


class SurveyPlan(GeneralPlan, MeasuredAnswers, ScreenAnswers, WrittenAnswers, PeopleAnswers, EliminationAnswers):
    # ---------------------------------------------------------- what the question needs
    def _colour(self) -> str | None:
        """The picture colour the question is about, if any (``white`` screen, ``red`` part)."""
        return picture_colour(self.c.question)

    # ---------------------------------------------------------- steps
    def _surveys(self) -> bool:
        """Whether the question is about what the survey measures (the picture, text, time, cuts, counts of
        them); a question about people or objects gets the cheaper search plan instead."""
        q = self.c.question
        return bool(survey_shape(q, self.c.options) or self._asks_about_people() or self._may_rule_out() or about_picture(q) or asks_for_text(q) or picture_colour(q)
                    or counted(q) or self.tref() is not None or _MEASURES.search(q) or frame_area(q) is not None
                    or len(self.c.options) >= 2 and all(option_colour(o) for o in self.c.options)
                    or change_options(self.c.options) is not None or sum(bool(shots_claimed(o)) for o in self.c.options) >= 2)

    def _step_general(self) -> Move:
        if not self._surveys():
            return self._step_search()
        d = self.c.duration
        if self.stage == 0:
            calls = [ToolCall("detect_scenes", {}), self.crop(0, d, 16)]
            if "search_clips" in self.names:
                calls.append(ToolCall("search_clips", {"query": key_phrase(self.c.question), "top_k": 5}))
            return Move("No specific plan fits this question, so I survey the whole video: its scenes and frames "
                        "across it" + (", and search for the moments that match it." if len(calls) > 2 else "."), calls)
        if self.stage == 1:
            calls = [self.crop(d / 32, d - d / 32, 16)]
            scenes = self.scenes()
            if 1 < len(scenes) <= 16:
                calls += [self.crop(a, b, 1) for a, b in scenes]
            calls += self.read_calls(self.read_times())
            if (box := region(self.c.question)) is not None:
                calls += self.read_calls(self.read_times(8), box)
            if (steered := self.evidence_scan()) is not None:
                calls += steered[1]
            hits = self.hits(key_phrase(self.c.question))
            if hits:
                calls += [self.crop(hits[0][0] - 1, hits[0][1] + 1, 6), *self.read_calls([(hits[0][0] + hits[0][1]) / 2])]
                calls += [ToolCall("search_clips", {"query": o[:200], "top_k": 1}) for o in self.c.options[:6]]
            found = (f"The detector lists {len(scenes)} scene(s). I look at more frames, one inside each scene, and read the "
                     "screen early, in the middle and late in each scene." if self.ok("detect_scenes") else
                     "I have no scene list (detect_scenes gave no result), so I look at more frames and read the screen at "
                     "times across the video.")
            return Move(found, calls)
        if self.stage in (2, 3) and (calls := self._closer_calls()):
            return Move("I look closer where a text or colour the question is about starts or ends.", calls)
        if self.stage <= 4 and self._asks_value() and (colour := self._colour()) and (runs := self.runs(colour)):
            calls = self.read_calls([runs[0][0]])
            if calls:
                return Move(f"The picture is first {colour} from {runs[0][0]:.2f}s; I read the screen on that frame.", calls)
        return self.conclude("general")

    def _closer_calls(self) -> list[ToolCall]:
        calls: list[ToolCall] = []
        if (found := self._counter_time()) is not None:
            calls += self.read_calls([found[0]]) + [self.crop(found[0] - 0.02, found[0] + 0.02, 1)]
        for text in self._texts():
            gap = self.text_gap(text)
            seen, _ = self.text_times(text)
            if gap:
                a, b = gap
                calls += self.read_calls([a + (b - a) * i / 7 for i in range(1, 7)])
            elif not seen:
                calls += self.read_calls([self.c.duration * (i + 0.25) / 12 for i in range(12)])
        ref = self.tref()
        if ref is not None and ref.end - ref.start > 0.2 and self.stage == 2 \
                and sum(ref.start - 1e-6 <= t <= ref.end + 1e-6 for t, _ in self.frames()) < 5:  # the window asked, closer
            calls.append(self.crop(ref.start, ref.end, 6))
        if (beside := text_beside(self.c.question)) and not self._lines_beside() and (seen := self.text_times(beside[1])[0]):
            start, end = next(((a, b) for a, b in self.scenes() if a - 1e-6 <= seen[0] < b), (seen[0], self.c.duration))
            calls += self.read_calls([seen[0] + (end - seen[0]) * (i + 0.5) / 6 for i in range(6)])  # the line under it may blink
        if self._asks_colour_of_text() and self._named_line() is None and self.stage == 2:  # the text named may come later or blink
            calls += self.read_calls([self.c.duration * (i + 0.25) / 12 for i in range(12)])
        if (letters := asked_text_colour(self.c.question)) and all(rgb_name(rgb) != letters for _, _, rgb in self.coloured_lines()):
            calls += self.read_calls([self.c.duration * (i + 0.25) / 12 for i in range(12)])  # text in that colour may blink
        calls += self.showing_looks()  # a text that flashes up: found, then read on and off
        calls += self.prompt_looks()  # "what does the screen ask you to enter": until the request is read (two passes)
        if self.stage == 2:
            calls += self.scene_part_looks()  # "at the end of the second shot": reads across that part
            calls += self.fade_looks()  # "how long does the fade take": both its ends
            calls += self.screen_looks()  # "how does it begin" among plain screens: its very first frame
            calls += self.blend_looks()  # "when do two pictures blend": where the picture jumps
            calls += self.around_looks()  # "what came up after the line X": the rest of its scene
            calls += self.extreme_looks()  # "when does it get brightest the first time": around the brightest frames
            calls += self.interval_looks()  # "how long from black to fully white": where each starts or ends
        if (change_options(self.c.options) or sum(bool(shots_claimed(o)) for o in self.c.options) >= 2) and self.stage == 2:
            calls += self.change_looks()  # how one picture passes into the next
        if ENDING.search(self.c.question) and self.stage == 2:  # the last edge into a black or white screen
            calls += [call for _, call in self.edge_looks("black")[-1:] + self.edge_looks("white")[-1:]]
        if (colour := self._colour()) is not None and FADES.search(self.c.question) and colour in ("white", "black"):
            if self.stage == 2:  # a fade or a cut at each edge of a white or black screen
                calls += [call for _, call in self.edge_looks(colour)]
        elif colour is not None:
            which = ordinal(self.c.question) or 1
            for a, b in self.boundaries(colour, which)[:2]:
                calls.append(self.crop(a, b, 8))
            if colour in ("white", "black") and self.stage == 2:  # a white or black screen between the frames sampled
                calls += [self.crop(t - 0.3, t + 0.3, 6) for t in self.extremes(colour)]
        return calls[:24]

    # ---------------------------------------------------------- answers
    def _answer_general(self) -> tuple[str, str]:
        if not self._surveys():
            return self._answer_by_search()
        for answer in (self._by_people_count, self._by_person_colour, self._by_tone, self._by_plain, self._by_screen, self._by_interval, self._by_shot_brightness, self._by_ending, self._by_fade_length, self._by_blend, self._by_extreme_moment, self._by_change_kind, self._by_editing, self._by_no_change, self._by_area, self._by_area_colour, self._by_text_colour, self._by_colour_of_text, self._by_item_order, self._by_event_around_text, self._by_text_after_text, self._by_prompt, self._by_text_beside, self._by_scene_text, self._by_colour_at_value, self._by_region_text, self._by_text_showings, self._by_count, self._by_duration, self._by_ever,
                       self._by_question_claim, self._by_any_text, self._by_first_claim, self._by_claims, self._by_colour_next, self._by_never,
                       self._by_moment, self._by_value_at_value, self._by_value_at_colour, self._by_elimination):
            found = answer()
            if found is not None:
                return found
        return self._answer_by_search()

    def _by_area(self) -> tuple[str, str] | None:
        """Which part of the frame is brightest or darkest ("is the top or the bottom half darker?")."""
        if area_options(self.c.options) is None or asks_brightest(self.c.question) is None:
            return None
        said, pick = pick_area(self.c.question, self.c.options, [im for _, im in self.frames()])
        return (f"{said} That is option {LETTERS[pick]}.", LETTERS[pick]) if pick is not None else self.unsure_choice(said)

    def _by_area_colour(self) -> tuple[str, str] | None:
        """The colour of a part of the frame ("is the bottom half mostly green, blue, gray or purple?")."""
        q = self.c.question
        colours = self.colour_choices()
        if frame_area(q) is None or None in colours or asks_for_text(q) or not (self.c.options or asks_for_colour(q)):
            return None
        said, pick = area_colour_option(q, colours, [im for _, im in self.frames()])
        return self.colour_answer(said.rstrip("."), pick)

    def _by_question_claim(self) -> tuple[str, str] | None:
        """A yes / no question that claims something of the video or the window asked: one shot without a
        cut, or getting darker / brighter."""
        pair, claim, ref = yes_no_options(self.c.options), option_claim(self.c.question), self.tref()
        if pair is None or claim not in (Claim("no_cut"), Claim("darker"), Claim("brighter")) and not steady_claim(self.c.question):
            return None
        a, b = (ref.start, ref.end) if ref is not None and ref.end > ref.start else (0.0, self.c.duration)
        if claim == Claim("no_cut"):
            if not self.ok("detect_scenes"):
                return None
            cuts = self.cuts(a + 1e-3, b)
            holds, said = not cuts, f"The scene detector lists {len(cuts)} cut(s) between {a:.2f}s and {b:.2f}s"
        elif claim.colour is not None:  # "does the background stay red?"
            frames = [im for t, im in self.frames() if a - 1e-6 <= t <= b + 1e-6]
            shown = sum(shows(im, claim.colour) for im in frames)
            holds, said = bool(frames) and shown == len(frames), f"{shown} of the {len(frames)} frames between {a:.2f}s and {b:.2f}s are {claim.colour}"
        elif claim.kind == "stays":  # "is the brightness constant?"
            if (levels := self.brightness_range(a, b)) is None:
                return None
            holds = levels[1] - levels[0] < TREND
            said = f"Between {a:.2f}s and {b:.2f}s the frames' mean brightness ranges from {levels[0]:.2f} to {levels[1]:.2f}"
        else:
            trend = self.trend(a, b)
            if trend is None:
                return None
            holds = trend <= -TREND if claim.kind == "darker" else trend >= TREND
            said = f"Between {a:.2f}s and {b:.2f}s the mean brightness changes by {trend:+.2f}"
        pick = pair[0] if holds else pair[1]
        return f"{said}, so option {LETTERS[pick]}.", LETTERS[pick]

    def _by_claims(self) -> tuple[str, str] | None:
        claims = claim_options(self.c.options, self.c.question)
        if claims is None:
            return None
        ref, colour = self.tref(), colour_after(self.c.question)
        a, b, where = (ref.start, ref.end, f"between {ref.start:.2f}s and {ref.end:.2f}s") if ref else (0.0, self.c.duration, "in the video")
        nxt = None
        if colour is not None:
            start, end, nxt = self.labels_after(colour)
            if start < 0:
                return None
            a, b, where = start, self.c.duration, f"after it turns {colour} at {start:.2f}s"
        trend, cuts = self.trend(a, b), self.cuts(a + 1e-3, b)
        truths = self._claims_hold(claims, a, b, colour, nxt)
        said = (f"{where}: brightness changes by {trend:+.2f}" if trend is not None else where) + f", {len(cuts)} cut(s)"
        if any(c is not None and c.kind in ("alternates", "flickers") for c in claims):
            said += f", its direction turns {self.reversals(a, b)[0]} time(s) over {self.reversals(a, b)[1]} steps between frames"
        said += f", next colour {nxt}" if colour else ""
        true = [i for i, t in enumerate(truths) if t]
        if len(true) == 1:
            return f"Measured {said}; only option {LETTERS[true[0]]} ({self.c.options[true[0]]!r}) holds.", LETTERS[true[0]]
        return self.unsure_choice(f"Measured {said}; {'no option' if not true else 'several options'} hold(s)")

    def _claims_hold(self, claims: list[Claim | None], a: float, b: float, colour: str | None = None,
                     nxt: str | None = None) -> list[bool]:
        """Whether each option's claim holds between ``a`` and ``b`` (after the picture turns ``colour``, whose
        next colour is ``nxt``, when the question asks about that); an option without a claim does not."""
        trend, cuts = self.trend(a, b), self.cuts(a + 1e-3, b)
        subject = asked_colour(self.c.question) or (named_text(self.c.question) or "")
        reads = [lines for t, lines in self.reads() if a - 1e-6 <= t <= b + 1e-6]
        truths = []
        for option, claim in zip(self.c.options, claims):
            if claim is None:
                truths.append(False)
            elif claim.kind == "never":
                truths.append(bool(subject) and not (self.runs(subject) if asked_colour(self.c.question) else self.text_times(subject)[0]))
            elif claim.kind in ("cut", "no_cut"):
                truths.append(self.ok("detect_scenes") and bool(cuts) == (claim.kind == "cut"))
            elif claim.kind == "turns":
                later = [x for x, _ in self.runs(claim.colour) if x >= a - 0.05 and x > self.frames()[0][0] + 1e-6]
                truths.append(nxt == claim.colour if colour else bool(later))
            elif claim.kind == "stays":
                truths.append(colour is not None and nxt is None and claim.colour in (None, colour)
                              or colour is None and (levels := self.brightness_range(a, b)) is not None and levels[1] - levels[0] < TREND and not cuts)
            elif claim.kind in ("alternates", "flickers"):
                turns, steps = self.reversals(a, b)
                truths.append(turns >= 2 and (turns >= steps / 2) == (claim.kind == "flickers"))
            elif claim.kind == "text":
                truths.append(len(reads) >= 2 and not reads[0] and bool(reads[-1]))
            else:  # darker / brighter; "steadily darker" not when the brightness turns back and forth
                truths.append(trend is not None and (trend <= -0.08 if claim.kind == "darker" else trend >= 0.08)
                              and not (_STEADILY.search(option) and self.reversals(a, b)[0] >= 2))
        return truths

    def _by_colour_next(self) -> tuple[str, str] | None:
        """What colour the picture has after a colour part ("what colour comes after the gray part?")."""
        colour = next_colour_asked(self.c.question)
        if colour is None:
            return None
        start, end, nxt = self.labels_after(colour)
        if nxt is None:
            return None
        think = f"The picture is {colour} from {start:.2f}s until {end:.2f}s, then {nxt}."
        if self.c.options:
            pick = [i for i, o in enumerate(self.c.options) if option_colour(o) == nxt]
            if not pick and None not in (colours := [option_colour(o) for o in self.c.options]):  # "reddish brown": the nearest
                after = [median_colour(im) for t, im in self.frames() if end - 1e-6 <= t <= end + 0.5]
                pick = [p] if (p := nearest_colour(after, colours)) is not None else []
            return (f"{think} That is option {LETTERS[pick[0]]}.", LETTERS[pick[0]]) if len(pick) == 1 else self.unsure_choice(think)
        return think, nxt

    def _by_ever(self) -> tuple[str, str] | None:
        """Yes or no: is the picture ever the colour asked ("is the screen fully white at any point?")."""
        pair, colour = yes_no_options(self.c.options), self._colour()
        if pair is None or colour is None or not EVER.search(self.c.question):
            return None
        runs = self.runs(colour)
        said = (f"the picture is {colour} at " + ", ".join(f"{a:.2f}s-{b:.2f}s" for a, b in runs) if runs else
                f"no frame of the {len(self.frames())} I saw is {colour}")
        pick = pair[0] if runs else pair[1]
        return f"{said[0].upper()}{said[1:]}, so option {LETTERS[pick]}.", LETTERS[pick]

    def _by_never(self) -> tuple[str, str] | None:
        """An option says the thing asked about never appears: it holds when no frame or read shows it."""
        never = self._never_options()
        colour, texts = self._colour(), self._texts()
        if len(never) != 1 or colour is None and not texts:
            return None
        if colour is not None:
            shown = self.runs(colour)
            said = f"no frame of the {len(self.frames())} I saw is {colour}" if not shown else f"the picture is {colour} from {shown[0][0]:.2f}s"
        else:
            shown = [t for text in texts for t in self.text_times(text)[0]]
            said = f"no read of the screen writes {texts[0]!r}" if not shown else f"{texts[0]!r} is read at {shown[0]:.2f}s"
        if shown:
            return None  # it does appear: the other answers place it among the other options
        return f"{said[0].upper()}{said[1:]}, so option {LETTERS[never[0]]} ({self.c.options[never[0]]!r}) holds.", LETTERS[never[0]]
