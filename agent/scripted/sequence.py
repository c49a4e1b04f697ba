"""``sequence``: options that each describe the course of the picture as colours (or bright / dark) in
order ("From gray to red to green."): which one the video shows; also a yes/no claim that one colour
comes before another, and ``first`` (which option colour shows first / last; its steps in ``order.py``).

detect_scenes + crop_clip across the whole video -> one frame inside each scene -> each scene's colour
(the frames inside it, by nearest colour name or brightness) and the runs of the sampled frames -> the
option whose course is the one measured; when none is, the nearest by edit distance if it is clearly
nearest, else a guess said to be one.
"""

from __future__ import annotations

import re
from collections import Counter

from PIL import Image
from rapidfuzz.distance import Levenshtein

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.choice import yes_no_options
from vagent.agent.scripted.colour_words import bare_colour, sequence_options
from vagent.agent.scripted.evidence import Move
from vagent.agent.scripted.order import OrderPlan
from vagent.agent.scripted.picture import asks_order, claimed_order
from vagent.agent.scripted.pixels import brightness, colour_distance, colour_name, median_colour
from vagent.answers import LETTERS

MARGIN = 0.2
"""How much nearer (normalised edit similarity) the nearest option's course must be than the next one's."""
LIGHTNESS = {"bright": "bright", "white": "bright", "dark": "dark", "black": "dark"}
"""Words of brightness: options that name only these are measured by brightness."""
NEAR = 0.35
"""Largest :func:`~vagent.agent.scripted.pixels.colour_distance` at which a frame takes the options' nearest colour name."""


def course(labels: list[str], min_run: int = 1) -> list[str]:
    """Consecutive labels merged into runs; runs shorter than ``min_run`` (a fade's in-between frames)
    dropped before merging again.

    >>> course(["gray", "gray", "red", "red", "white", "green", "green"], min_run=2)
    ['gray', 'red', 'green']
    """
    runs: list[list[str]] = []
    for label in labels:
        if runs and runs[-1][0] == label:
            runs[-1].append(label)
        else:
            runs.append([label])
    kept = [run[0] for run in runs if len(run) >= min_run]
    return [x for i, x in enumerate(kept) if i == 0 or x != kept[i - 1]]


class SequencePlan(OrderPlan):
    def _span(self) -> tuple[float, float, str]:
        """The part of the video the question asks about ("in the first two seconds"), else the whole video."""
        ref = self.tref()
        if ref is not None and ref.end - ref.start > 0.2:
            return ref.start, ref.end, f"{ref.start:.2f}s-{ref.end:.2f}s"
        return 0.0, self.c.duration, "the whole video"

    def _scenes_in_span(self) -> list[tuple[float, float]]:
        a, b, _ = self._span()
        return [(max(s, a), min(e, b)) for s, e in self.scenes() if e > a and s < b]

    def _step_sequence(self) -> Move:
        a, b, where = self._span()
        if self.stage == 0:
            return Move(f"Each option describes the course of the picture's colours; I list the scenes and sample frames "
                        f"across {where} to measure it.", [ToolCall("detect_scenes", {}), self.crop(a, b, 16)])
        scenes = self._scenes_in_span()
        if self.stage == 1 and 1 < len(scenes) <= 16:
            return Move(f"I also look at one frame inside each of the {len(scenes)} scenes there.", [self.crop(s, e, 1) for s, e in scenes])
        return self.conclude("sequence")

    def _label(self, image: Image.Image, vocabulary: set[str]) -> str:
        """A frame's word in the options' terms: bright / dark when that is all they name; else its colour
        name, or the nearest colour the options name when that one is near (a bluish gray is the options' gray)."""
        if vocabulary <= {"bright", "dark"}:
            return "bright" if brightness(image) >= 0.5 else "dark"
        name = colour_name(image)
        named = [c for c in vocabulary if c not in ("bright", "dark")]
        if name in vocabulary or not named:
            return name
        hsv = median_colour(image)
        nearest = min(named, key=lambda c: colour_distance(hsv, c))
        return nearest if colour_distance(hsv, nearest) <= NEAR else name

    def _measured(self, vocabulary: set[str]) -> list[tuple[str, list[str]]]:
        """The courses measured, most trusted first: by scene (the frames inside each), then by sampled frame runs."""
        a, b, _ = self._span()
        frames = [(t, im) for t, im in self.frames() if a - 1e-6 <= t <= b + 1e-6]
        labels = [(t, self._label(im, vocabulary)) for t, im in frames]
        measured = []
        scenes = self._scenes_in_span()
        if len(scenes) > 1:
            per_scene = []
            for a, b in scenes:
                inside = [label for t, label in labels if a - 1e-6 <= t < b - 1e-6]
                if inside:
                    per_scene.append(Counter(inside).most_common(1)[0][0])
            if per_scene:
                measured.append((f"{len(scenes)} scenes", course(per_scene)))
        if frames:
            measured.append((f"{len(frames)} frames, runs of two or more", course([x for _, x in labels], min_run=2)))
            measured.append((f"{len(frames)} frames", course([x for _, x in labels])))
        return measured

    def _answer_first(self) -> tuple[str, str]:
        """Which option colour the frames show first (or last), each frame named in the options' colours."""
        options = [bare_colour(o) or "" for o in self.c.options]
        last = bool(re.search(r"\b(last|final)\b", self.c.question.lower()))
        seen: dict[str, float] = {}
        for t, im in self.frames():
            colour = self._label(im, set(options) - {""})
            if colour in options and (colour not in seen or last):
                seen[colour] = t
        if not seen:
            return self.unsure_choice("None of the option colours was seen in the frames I have")
        best = (max if last else min)(seen, key=seen.get)
        order = ", ".join(f"{c} at {t:.2f}s" for c, t in sorted(seen.items(), key=lambda kv: kv[1]))
        return f"Option colours as seen: {order}; so {best} comes {'last' if last else 'first'}.", LETTERS[options.index(best)]

    def _answer_order_claim(self, claimed: list[str]) -> tuple[str, str]:
        """A yes/no question claiming one colour comes before another, checked on the course measured."""
        yes, no = yes_no_options(self.c.options) or (0, 1)
        measured = self._measured(set(claimed))
        for how, seq in measured:
            if all(c in seq for c in claimed):
                holds = seq.index(claimed[0]) < seq.index(claimed[1])
                pick = yes if holds else no
                return (f"By {how} the picture goes {' -> '.join(seq)}: {claimed[0]} comes {'before' if holds else 'after'} "
                        f"{claimed[1]}, so option {LETTERS[pick]}.", LETTERS[pick])
        said = "; ".join(f"by {how}: {' -> '.join(seq)}" for how, seq in measured) or "no frames"
        return self.unsure_choice(f"I did not see both {claimed[0]} and {claimed[1]} ({said})")

    def _answer_sequence(self) -> tuple[str, str]:
        if yes_no_options(self.c.options) is not None and (claimed := claimed_order(self.c.question)):
            return self._answer_order_claim(claimed)
        courses = sequence_options(self.c.options, asks_order(self.c.question)) or []
        if {word for c in courses for word in c} <= set(LIGHTNESS):  # white / black courses are courses of brightness
            courses = [course([LIGHTNESS[word] for word in c]) for c in courses]
        vocabulary = {word for c in courses for word in c}
        measured = self._measured(vocabulary)
        if not measured:
            return self.unsure_choice("I saw no frames to measure the picture's course in")
        said = "; ".join(f"by {how}: {' -> '.join(seq)}" for how, seq in measured) + " (frames named by colour, or by the options' nearest colour where it is near)"
        for how, seq in measured:
            exact = [i for i, c in enumerate(courses) if c == seq or not c and len(seq) == 1]  # []: no change
            if len(exact) == 1:
                return (f"The picture's course as measured ({said}). By {how} it matches option {LETTERS[exact[0]]} "
                        f"({self.c.options[exact[0]]!r}) exactly.", LETTERS[exact[0]])
        how, seq = measured[0]
        scores = sorted(((Levenshtein.normalized_similarity(seq, c), i) for i, c in enumerate(courses)), reverse=True)
        (best, pick), runner_up = scores[0], scores[1][0] if len(scores) > 1 else 0.0
        if best >= 0.5 and best - runner_up >= MARGIN:
            return (f"The picture's course as measured ({said}) matches no option exactly; by {how}, option "
                    f"{LETTERS[pick]} ({self.c.options[pick]!r}) is clearly the nearest.", LETTERS[pick])
        return self.unsure_choice(f"The picture's course as measured ({said}) matches no option exactly or clearly")
