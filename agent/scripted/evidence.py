"""What the scripted policy has gathered so far, and the helpers every plan shares.

:class:`Evidence` is the base of the plans: it reads the structured results of the conversation
(scene list, search hits, OCR lines, frames), builds tool calls within the tools' limits, and
shapes a text it read into the answer type the question asks for. Each question kind's plan is a
mixin on it (``when.py``, ``reading.py``, ...); :class:`vagent.agent.scripted.policy.Plan` combines
them. Every answer sentence names only what a tool returned in this episode; when a tool failed
or was not available, the think text says so and says how the answer was chosen.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.chat import Conversation, Result, succeeded
from vagent.agent.palette import COLOR_HUES
from vagent.agent.scripted.choice import guess_move, text_option
from vagent.agent.scripted.colour_words import shaded_colour
from vagent.agent.scripted.question import asked_type, target
from vagent.agent.scripted.spelling import respell
from vagent.agent.scripted.timeexpr import TimeRef, time_ref
from vagent.answers import LETTERS, format_box, parse_number

MAX_CROP_FRAMES = 16
"""Most frames one crop_clip call asks for (the registry's ``ToolLimits.max_frames``)."""


@dataclass
class Move:
    """One turn: the think text, then tool calls or the answer."""

    think: str
    calls: list[ToolCall] = field(default_factory=list)
    answer: str | None = None


# ------------------------------------------------------------------------------ formatting and text matching
def fmt_spans(spans: list[tuple[float, float]]) -> str:
    """Spans as an answer writes them.

    >>> fmt_spans([(1, 2.5), (4, 6)])
    '[1.00, 2.50], [4.00, 6.00]'
    """
    return ", ".join(f"[{a:.2f}, {b:.2f}]" for a, b in spans)


def fmt_box(box: list[float]) -> str:
    """A box answer, clamped to the frame, three decimals (tool results echo boxes with two).

    >>> fmt_box([0.1, 0.25, 1.2, 0.5])
    '[0.100, 0.250, 1.000, 0.500]'
    """
    return format_box([min(max(v, 0.0), 1.0) for v in box])


def fmt_number(value: float) -> str:
    """A time or count as an answer writes it: no trailing zeros, at most two decimals.

    >>> fmt_number(3.0), fmt_number(2.5), fmt_number(2.999)
    ('3', '2.5', '3')
    """
    return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value - round(value)) > 1e-9 else str(int(round(value)))


def clean_code(text: str) -> str:
    """Letters and digits only, upper case (how a code is compared with an OCR reading)."""
    return re.sub(r"[^A-Za-z0-9]", "", text).upper()


def matches(line: str, wanted: str) -> bool:
    """``wanted`` appears in an OCR line, allowing one misread character per five.

    >>> matches("CODE 41", "code41"), matches("GO AHEAD", "GO AHFAD"), matches("READY", "GO")
    (True, True, False)
    """
    a, b = clean_code(line), clean_code(wanted)
    if not b:
        return False
    if b in a:
        return True
    slack = max(1, len(b) // 5) if len(b) >= 4 else 0
    return slack > 0 and any(Levenshtein.distance(a[i:i + len(b)], b) <= slack for i in range(0, max(1, len(a) - len(b) + 1)))


def options_named(options: list[str], lines: list[str]) -> dict[int, str]:
    """The options that a line read on screen writes in full (small misreads allowed), each with its line;
    a short line inside a longer option ("ER" in "Enter Password") names nothing.

    >>> options_named(["Enter Password.", "Send Spike."], ["FORUM", "ER", "Send Spike", "B/BOARD"])
    {1: 'Send Spike'}
    """
    found: dict[int, str] = {}
    for line in lines:
        seen = clean_code(line)
        for i, option in enumerate(options):
            wanted = clean_code(option)
            if len(seen) >= 3 and wanted and (wanted in seen or fuzz.ratio(seen, wanted) >= 85
                                              or len(seen) >= len(wanted) and fuzz.partial_ratio(wanted, seen) >= 90):
                found.setdefault(i, line)
    return found


# ------------------------------------------------------------------------------ the base of every plan
class Evidence:
    """The conversation's results so far, read from each tool result's ``data``.

    Args:
        convo: the conversation (question, overview, tool results by turn).
        names: the tools offered (calls to others are dropped).
        rng: the turn's random draws when sampling (None: deterministic).
        temperature: the sampling temperature (jitter and skipped checks scale with it).
        oracle: the task being annotated (see :mod:`vagent.agent.scripted.oracle`).
    """

    def __init__(self, convo: Conversation, names: set[str] | frozenset[str] = frozenset(),
                 rng: random.Random | None = None, temperature: float = 0.0, oracle: Any = None):
        self.c, self.names, self.rng, self.temperature, self.oracle = convo, set(names), rng, temperature, oracle
        self.stage = len(convo.turns)

    # ---------------------------------------------------------- results
    def ok(self, name: str) -> list[Result]:
        """The successful results of tool ``name``."""
        return [r for r in self.c.results if r.name == name and succeeded(r)]

    def tried(self, name: str) -> bool:
        return any(r.name == name for r in self.c.results)

    def scenes(self) -> list[tuple[float, float]]:
        """The latest scene list (empty when detect_scenes failed or was not called)."""
        for r in reversed(self.c.results):
            if r.name == "detect_scenes":
                return [(float(a), float(b)) for a, b in (r.data.get("scenes") or [])] if not r.error else []
        return []

    def frames(self) -> list[tuple[float, Image.Image]]:
        """Whole frames seen (overview + crop_clip), one per time, sorted."""
        seen: dict[float, Image.Image] = {}
        for t, im in self.c.overview:
            seen[round(t, 3)] = im
        for r in self.c.results:
            if r.name == "crop_clip":
                for t, im in r.images:
                    seen[round(t, 3)] = im
        return sorted(seen.items())

    def hits(self, query: str | None = None) -> list[tuple[float, float, float, float]]:
        """The latest search hits (for ``query``): ``(start, end, score, best_time)``, best first."""
        for r in reversed(self.c.results):
            if r.name == "search_clips" and (query is None or r.arguments.get("query") == query):
                return [tuple(float(x) for x in hit[:4]) for hit in (r.data.get("hits") or [])] if not r.error else []  # type: ignore[misc]
        return []

    def ocr(self) -> list[tuple[str, float]]:
        """Every non-blank line read_text returned: ``(text, score)``."""
        return [(str(text), float(score)) for r in self.ok("read_text") for text, score in r.data["lines"] if str(text).strip()]

    def reads(self, box: list[float] | None = None) -> list[tuple[float, list[str]]]:
        """Successful read_text results of the whole frame (or of ``box``) as (time, lines), by time."""
        out: dict[float, list[str]] = {}
        for r in self.ok("read_text"):
            if (r.arguments.get("box") or None) != box:
                continue
            t = round(float(r.data.get("time", r.arguments.get("time", 0.0))), 2)
            out[t] = out.get(t, []) + [str(text) for text, _ in r.data["lines"] if str(text).strip()]
        return sorted(out.items())

    def placed_reads(self) -> list[tuple[float, list[tuple[str, list[float]]]]]:
        """Whole-frame reads with each line's box (fractions of the frame), by time: ``(time, [(text, box)])``."""
        out = []
        for r in self.ok("read_text"):
            if not r.arguments.get("box"):
                t = round(float(r.data.get("time", r.arguments.get("time", 0.0))), 2)
                out.append((t, [(str(text), list(box)) for (text, _), box in zip(r.data["lines"], r.data.get("boxes") or []) if str(text).strip()]))
        return sorted(out, key=lambda read: read[0])

    def coloured_lines(self) -> list[tuple[float, str, list[int]]]:
        """Every line read on whole frames with the colour of its letters: ``(time, text, [r, g, b])``."""
        out = []
        for r in self.ok("read_text"):
            if r.arguments.get("box"):
                continue
            t = round(float(r.data.get("time", r.arguments.get("time", 0.0))), 2)
            out += [(t, str(text), list(rgb)) for (text, _), rgb in zip(r.data["lines"], r.data.get("colours") or []) if str(text).strip()]
        return sorted(out)

    def tref(self) -> TimeRef | None:
        return time_ref(self.c.question, self.c.duration)

    def target(self) -> tuple[str, str]:
        """The coloured object the question names: colour and phrase."""
        return target(self.c.question)

    def evidence(self) -> list[list[float]]:
        """The annotated task's evidence spans (none unless annotating; see ``oracle.py``)."""
        return []

    def evidence_scan(self) -> tuple[str, list[ToolCall]] | None:
        """crop_clip calls over the evidence spans (None unless annotating)."""
        return None

    # ---------------------------------------------------------- calls
    def clamp(self, t: float) -> float:
        return round(min(max(t, 0.0), self.c.duration), 2)

    def crop(self, start: float, end: float, n: int) -> ToolCall:
        start, end = self.clamp(start), self.clamp(end)
        if end - start < 0.02:
            start, end = self.clamp(start - 0.05), self.clamp(end + 0.05)
        return ToolCall("crop_clip", {"start": start, "end": end, "num_frames": int(max(1, min(MAX_CROP_FRAMES, n)))})

    def read_calls(self, times: list[float], box: list[float] | None = None) -> list[ToolCall]:
        """read_text at each time not read yet (of ``box``, else the whole frame)."""
        done = {round(float(r.arguments.get("time", -1)), 2) for r in self.c.results if r.name == "read_text"}
        seen, calls = set(), []
        for t in times:
            t = self.clamp(t)
            if t not in done and t not in seen:
                seen.add(t)
                calls.append(ToolCall("read_text", {"time": t, **({"box": box} if box else {})}))
        return calls

    def scan_calls(self, per_scene_max: int = 3) -> tuple[str, list[ToolCall]]:
        """crop_clip calls covering every scene (or the whole video when there is one scene)."""
        if (steered := self.evidence_scan()) is not None:
            return steered
        scenes = self.scenes()
        if not scenes:
            return "I have no scene list, so I sample the video densely.", [self.crop(0, self.c.duration, 16)]
        if len(scenes) <= 1 or len(scenes) > 12:
            return "The scene list does not split the video usefully, so I sample it densely.", [self.crop(0, self.c.duration, 16)]
        n = max(1, min(per_scene_max, 16 // len(scenes)))
        if self.rng is not None and n > 1 and self.rng.random() < self.temperature / 2:
            n -= 1
        return (f"There are {len(scenes)} scenes; I look at {n} frame(s) inside each to see which ones matter.",
                [self.crop(a, b, n) for a, b in scenes])

    # ---------------------------------------------------------- sampling
    def skip_check(self) -> bool:
        """When sampling, skip a verification step with probability ``min(0.5, temperature / 2)``."""
        return self.rng is not None and self.rng.random() < min(0.5, self.temperature / 2)

    def jitter(self, box: list[float]) -> list[float]:
        """When sampling, frame the region a little differently each time (as a model would), so
        that repeated samples do not all repeat the same misreading."""
        if self.rng is None:
            return box
        spread = 0.06 * min(1.0, self.temperature)
        moved = [min(1.0, max(0.0, v + self.rng.uniform(-spread, spread))) for v in box]
        x1, x2 = sorted(moved[0::2])
        y1, y2 = sorted(moved[1::2])
        if x2 - x1 < 0.1 or y2 - y1 < 0.1:
            return box
        return [round(x1, 3), round(y1, 3), round(x2, 3), round(y2, 3)]

    # ---------------------------------------------------------- answers
    def pick_option(self, text: str) -> int | None:
        """The option ``text`` names (the longest when several match), or None."""
        exact = [i for i, o in enumerate(self.c.options) if clean_code(o) and clean_code(o) in clean_code(text)]
        hits = exact or [i for i, o in enumerate(self.c.options) if o.strip() and matches(text, o)]
        if not hits:
            return text_option(self.c.options, text)
        return hits[0] if len(hits) == 1 else max(hits, key=lambda i: len(self.c.options[i]))

    def shaped(self, text: str, where: str) -> tuple[str, str]:
        """Answer ``text`` (read at ``where``) in the question's type: think, answer."""
        kind = asked_type(self.c.question, self.c.options)
        if kind == "choice":
            i = self.pick_option(text)
            if i is not None:
                return f'{where} the text reads "{text}", which is option {LETTERS[i]}.', LETTERS[i]
            return self.unsure_choice(f'{where} the text reads "{text}", which names none of the options')
        if kind == "number":
            number = first_number(text)
            if number is not None:
                return f'{where} the text reads "{text}"; the number in it is {number}.', number
            return f'{where} the text reads "{text}", which holds no number, so I cannot give one.', "unknown"
        fixed = respell(text)
        return f'{where} the text reads "{text}"' + (f' ("{fixed}" with the misread word put right).' if fixed != text else "."), fixed

    def unsure_choice(self, why: str) -> tuple[str, str]:
        return guess_move(why, self.c.question, self.c.options)

    def colour_choices(self) -> list[str | None]:
        """The colours a measured colour is matched to: each option's (None for an option naming none), else
        every colour name the measures know."""
        return [shaded_colour(o) for o in self.c.options] if self.c.options else [*COLOR_HUES, "white", "black", "gray"]

    def colour_answer(self, said: str, pick: int | None) -> tuple[str, str] | None:
        """The answer for the colour nearest a measure (:func:`~vagent.agent.scripted.pixels.nearest_colour`'s
        ``pick`` among :meth:`colour_choices`): the option, the colour's name, or unsure (None without options)."""
        colours = self.colour_choices()
        if pick is None:
            return self.unsure_choice(f"{said}; no colour is clearly nearest") if self.c.options else None
        if self.c.options:
            return f"{said}: nearest {colours[pick]}, option {LETTERS[pick]}.", LETTERS[pick]
        return f"{said}: nearest {colours[pick]}.", str(colours[pick])


def first_number(text: str) -> str | None:
    """The first number written in ``text`` as the answer writes it (:func:`vagent.answers.parse_number`).

    >>> first_number("CODE 41"), first_number("3.50 m"), first_number("pi 3.14159"), first_number("GO AHEAD")
    ('41', '3.5', '3.14159', None)
    """
    value = parse_number(text)
    if value is None:
        return None
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else str(value)
