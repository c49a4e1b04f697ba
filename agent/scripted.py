"""A scripted, tool-using baseline policy: no language model, just a plan and honest looking.

:class:`ScriptedPolicy` reads the question (and options) from the first user message and the
tool results from the tool messages, then decides its next turn state-machine style, writing
exactly the text a model would (``render_action``): a ``<think>`` saying why, then tool calls
or the answer. It is stateless: every turn is recomputed from the messages, so a trajectory can
be replayed, checkpointed or resumed.

"Looking" means pixel heuristics on the images the tools returned (colour masks, a white box,
text-like corners) and the OCR / scene / search TEXT the tools returned; the policy never opens
the video or the task file itself. Plans by question kind (see docs/synthetic.md):

``when``   detect_scenes (+ search_clips) -> crop_clip per scene -> crop_clip at the boundaries -> span
``read``   detect_scenes -> crop_clip per scene -> zoom_frame + read_text on the text-like corner -> text
``count``  detect_scenes -> crop_clip over the whole video (check) -> number
``first``  detect_scenes -> one frame per scene -> which option colour shows first -> letter
``where``  zoom_frame on the whole frame at t -> zoom_frame on the object -> box
``general`` search_clips + detect_scenes -> crop_clip and read_text at the best hit
           (+ search_clips per option) -> option named by the OCR text, else best search score

``oracle`` (a :class:`~vagent.env.tasks.Task`): "active annotation" for training data. The plan
goes straight to the task's evidence spans and the think text reasons toward them, but the answer
is always the one the tool evidence supports, in the words the think text uses: the oracle never
replaces it (an SFT example whose reasoning argues for one answer and ends with another teaches
the model to ignore its own evidence). Wrong answers are left to the collector's reward filter.
``temperature > 0`` with ``seed`` makes it stochastic: near-tied candidates are drawn at random
and verification steps are sometimes skipped. ``use_tools=False`` answers from the overview
frames alone (the baseline showing that the tools matter).
"""

from __future__ import annotations

import json
import random
import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from vagent.agent._looking import (
    CORNER_BOXES,
    Conversation,
    HIT_LINE,
    MAX_CROP_FRAMES,
    OBJECT,
    OCR_LINE,
    Result,
    SCENE_LINE,
    TIME_IN_Q,
    classify_question,
    clean_code,
    contains,
    dominant_color,
    fmt_box,
    fmt_spans,
    key_phrase,
    object_box,
    read_conversation,
    text_likeness,
)
from vagent.agent._reading import RealPlans, succeeded
from vagent.agent.episode import Generation
from vagent.agent.protocol import ToolCall, render_action

__all__ = ["ScriptedPolicy", "classify_question"]


@dataclass
class _Move:
    think: str
    calls: list[ToolCall] = field(default_factory=list)
    answer: str | None = None


# ------------------------------------------------------------------------------ the policy
class ScriptedPolicy:
    """Tool-using baseline without a language model (see the module docstring).

    Args:
        oracle: the task being solved, for "active annotation" (answer + evidence steer the plan).
        seed: seeds the random choices when ``temperature > 0``. Each turn draws from
            ``(seed, episode, turn, question)``, where ``episode`` counts the conversations this
            policy has started; so repeated samples differ and a seeded run replays exactly.
        temperature: 0 is deterministic; > 0 draws among near-tied candidates and skips a
            verification step with probability ``min(0.5, temperature / 2)``.
        use_tools: False answers from the overview frames at once (no tool calls).
    """

    name = "scripted"
    include_schemas = True

    def __init__(self, oracle: Any | None = None, seed: int | None = None, temperature: float = 0.0, use_tools: bool = True):
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        self.oracle = oracle
        self.seed = seed
        self.temperature = float(temperature)
        self.use_tools = use_tools
        self.name = "scripted" if use_tools else "scripted-no-tools"
        self.episodes = 0
        """Conversations started so far (a first turn has no assistant message yet)."""

    # -------------------------------------------------------------- Policy protocol
    def generate(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Generation:
        started = time.perf_counter()
        if not any(message.get("role") == "assistant" for message in messages):
            self.episodes += 1
        convo = read_conversation(messages)
        names = {(s.get("function") or s).get("name") for s in tools or []}
        move = self._decide(convo, names)
        text = render_action(move.think, move.calls or None, move.answer)
        return Generation(text=text, completion_tokens=len(text.split()), seconds=time.perf_counter() - started)

    # -------------------------------------------------------------- planning
    def _rng(self, convo: Conversation) -> random.Random | None:
        if self.temperature <= 0:
            return None
        key = f"{self.seed}:{self.episodes}:{len(convo.turns)}:{convo.question}"
        return random.Random(zlib.crc32(key.encode()))

    def _skip_check(self, rng: random.Random | None) -> bool:
        return rng is not None and rng.random() < min(0.5, self.temperature / 2)

    def _decide(self, convo: Conversation, names: set[str]) -> _Move:
        kind = classify_question(convo.question, convo.options)
        if not self.use_tools or not names:
            return _Overview(convo).move(kind)
        plan = _Plan(self, convo, names, self._rng(convo))
        if convo.final:
            return plan.conclude(kind, "The budget is spent, so I answer with what I have seen.")
        return plan.step(kind)


class _Overview:
    """Answers from the overview frames only (``use_tools=False``)."""

    def __init__(self, convo: Conversation):
        self.c = convo

    def move(self, kind: str) -> _Move:
        c, frames = self.c, self.c.overview
        spacing = c.duration / max(1, len(frames))
        if kind == "when":
            color = OBJECT.search(c.question).group(1).lower()
            hits = [t for t, im in frames if contains(im, color)]
            if hits:
                spans = _merge([(max(0.0, t - spacing / 2), min(c.duration, t + spacing / 2)) for t in hits])
                return _Move(f"Without tools I only have the overview; the {color} object shows at "
                             f"{', '.join(f'{t:.2f}s' for t in hits)}, so I answer the time around those frames.",
                             answer=fmt_spans(spans))
            mid = c.duration / 2
            return _Move(f"The {color} object is in none of the overview frames; I guess the middle of the video.",
                         answer=fmt_spans([(max(0.0, mid - 1), min(c.duration, mid + 1))]))
        if kind == "read":
            for t, im in frames:
                best = max(CORNER_BOXES, key=lambda k: text_likeness(im, CORNER_BOXES[k]))
                if text_likeness(im, CORNER_BOXES[best]) >= 20:
                    words = [clean_code(line) for line in _ocr_lines(im)]
                    words = [w for w in words if len(w) >= 2]
                    if words:
                        return _Move(f"The overview frame at t={t:.2f}s shows text I can make out.", answer=words[0])
            return _Move("No legible text in the overview frames; I cannot read it without tools.", answer="unknown")
        if kind == "count":
            colors = [dominant_color(im) for _, im in frames]
            changes = sum(1 for a, b in zip(colors, colors[1:]) if a != b)
            return _Move(f"The overview background colours are {colors}; I count {changes} change(s).", answer=str(changes))
        if kind == "first":
            for t, im in frames:
                color = dominant_color(im)
                if color in [o.lower() for o in c.options]:
                    letter = "ABCDEFGH"[[o.lower() for o in c.options].index(color)]
                    return _Move(f"The earliest overview frame showing an option colour is {color} at t={t:.2f}s.", answer=letter)
            return _Move("No option colour is visible in the overview; I guess A.", answer="A")
        if kind == "where":
            match = TIME_IN_Q.search(c.question)
            target = float(match.group(1) or match.group(2))
            color = OBJECT.search(c.question).group(1).lower()
            for t, im in sorted(frames, key=lambda f: abs(f[0] - target)):
                box = object_box(im, color)
                if box:
                    return _Move(f"The nearest overview frame (t={t:.2f}s) shows the {color} object here; I assume it did not move far.",
                                 answer=fmt_box(box))
            return _Move("I cannot see the object in the overview; I guess the centre.", answer=fmt_box([0.4, 0.4, 0.6, 0.6]))
        if kind in ("look_at", "read_at") and frames:
            return self._near(kind)
        if c.options:
            return _Move("Without tools I have no evidence beyond the overview; I guess the first option.", answer="A")
        return _Move("Without tools I cannot tell; I answer that I do not know.", answer="unknown")


    def _near(self, kind: str) -> _Move:
        """The overview frame nearest the time asked stands in for a look at that time."""
        from vagent.agent._asking import time_ref

        c = self.c
        ref = time_ref(c.question, c.duration)
        target = ref.t if ref.t is not None else (ref.start + ref.end) / 2
        t, image = min(c.overview, key=lambda f: abs(f[0] - target))
        plan = _Plan(ScriptedPolicy(use_tools=False), c, set(), None)
        if kind == "look_at":
            plan._window_frames = lambda: [(t, image)]  # type: ignore[method-assign]
            think, answer = plan._answer_look_at()
            return _Move(f"Without tools I use the nearest overview frame (t={t:.2f}s). {think}", answer=answer)
        lines = _ocr_lines(image)
        if not lines:
            if c.options:
                return _Move(f"Without tools I have only the overview; the frame nearest the time asked (t={t:.2f}s) "
                             "shows no text I can make out, so I guess the first option.", answer="A")
            return _Move(f"The overview frame nearest the time asked (t={t:.2f}s) shows no text I can make out; I answer unknown.",
                         answer="unknown")
        think, answer = plan.shaped(lines[0], f"In the overview frame nearest the time asked (t={t:.2f}s)")
        return _Move(f"Without tools I use the overview. {think}", answer=answer)


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1e-6:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _ocr_lines(image: Image.Image) -> list[str]:
    """Overview-only reading (a VLM can read large text in the frames it is shown)."""
    try:
        from vagent.tools.ocr import read_text
    except Exception:
        return []
    return [text for text, _, _ in read_text(image)]


class _Plan(RealPlans):
    """One turn of the tool-using plan, recomputed from the conversation."""

    def __init__(self, policy: ScriptedPolicy, convo: Conversation, names: set[str], rng: random.Random | None):
        self.p, self.c, self.names, self.rng = policy, convo, names, rng
        self.oracle = policy.oracle
        self.stage = len(convo.turns)

    # ---------------------------------------------------------- evidence gathered so far
    def scenes(self) -> list[tuple[float, float]]:
        for r in reversed(self.c.results):
            if r.name == "detect_scenes":
                return [(float(a), float(b)) for a, b in SCENE_LINE.findall(r.text)]
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
        for r in reversed(self.c.results):
            if r.name == "search_clips" and (query is None or r.arguments.get("query") == query):
                return [tuple(float(x) for x in m) for m in HIT_LINE.findall(r.text)]  # type: ignore[misc]
        return []

    def ocr(self) -> list[tuple[str, float]]:
        lines = []
        for r in self.c.results:
            if r.name == "read_text":
                for quoted, score in OCR_LINE.findall(r.text):
                    try:
                        lines.append((str(json.loads(quoted)), float(score)))
                    except json.JSONDecodeError:
                        continue
        return lines

    def clamp(self, t: float) -> float:
        return round(min(max(t, 0.0), self.c.duration), 2)

    def crop(self, start: float, end: float, n: int) -> ToolCall:
        start, end = self.clamp(start), self.clamp(end)
        if end - start < 0.02:
            start, end = self.clamp(start - 0.05), self.clamp(end + 0.05)
        return ToolCall("crop_clip", {"start": start, "end": end, "num_frames": int(max(1, min(MAX_CROP_FRAMES, n)))})

    def evidence(self) -> list[list[float]]:
        return list(getattr(self.oracle, "evidence", None) or [])

    # ---------------------------------------------------------- dispatch
    def step(self, kind: str) -> _Move:
        handler = getattr(self, f"_step_{kind}")
        move = handler()
        if move.calls:
            move.calls = [call for call in move.calls if call.name in self.names]
            if not move.calls:
                return self.conclude(kind, "The tools I need are not available.")
        return move

    def conclude(self, kind: str, why: str = "") -> _Move:
        think, answer = getattr(self, f"_answer_{kind}")()
        return _Move(f"{why} {think}".strip(), answer=answer)

    def _scan_calls(self, per_scene_max: int = 3) -> tuple[str, list[ToolCall]]:
        """crop_clip calls covering every scene (or the whole video when there is one scene)."""
        scenes = self.scenes()
        spans = self.evidence()
        if spans:  # oracle: the evidence windows and a little around them
            calls = [self.crop(a - 0.5, b + 0.5, min(MAX_CROP_FRAMES, 4 + int((b - a + 1) * 3))) for a, b in spans[:4]]
            where = ", ".join(f"{a:.2f}s-{b:.2f}s" for a, b in spans[:4])
            return f"The evidence should be in {where}; I look at frames there and just around it.", calls
        if not scenes:
            return "I have no scene list, so I sample the video densely.", [self.crop(0, self.c.duration, 16)]
        if len(scenes) <= 1 or len(scenes) > 12:
            return "The scene list does not split the video usefully, so I sample it densely.", [self.crop(0, self.c.duration, 16)]
        n = max(1, min(per_scene_max, 16 // len(scenes)))
        if self.rng is not None and n > 1 and self.rng.random() < self.p.temperature / 2:
            n -= 1
        return (f"There are {len(scenes)} scenes; I look at {n} frame(s) inside each to see which ones matter.",
                [self.crop(a, b, n) for a, b in scenes])

    # ---------------------------------------------------------- when: temporal grounding of a coloured object
    def _target(self) -> tuple[str, str]:
        m = OBJECT.search(self.c.question)
        return m.group(1).lower(), f"{m.group(1)} {m.group(2)}".lower()

    def _presence(self) -> list[tuple[float, bool]]:
        color, _ = self._target()
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

    def _step_when(self) -> _Move:
        _, phrase = self._target()
        if self.stage == 0:
            calls = [ToolCall("detect_scenes", {})]
            if not self.evidence():
                calls.append(ToolCall("search_clips", {"query": phrase, "top_k": 3}))
            return _Move(f"The {phrase} may be on screen only briefly, between the overview frames. Scene boundaries "
                         "give candidate segments" + (", and a search for it gives likely moments." if len(calls) > 1 else "."), calls)
        if self.stage == 1:
            think, calls = self._scan_calls()
            return _Move(f"{think} I check each frame for the {phrase}.", calls)
        runs, _ = self._runs()
        if runs and self.stage <= 3 and (calls := self._boundary_calls()) and not self.p._skip_check(self.rng):
            return _Move(f"I see the {phrase} in some frames; to pin down exactly when it appears and disappears "
                         "I look at the frames around each boundary.", calls)
        if not runs and self.stage == 2 and not any(r.name == "crop_clip" and r.arguments.get("num_frames") == 16 for r in self.c.results):
            return _Move(f"The {phrase} is in none of the frames so far; I sample the whole video densely.",
                         [self.crop(0, self.c.duration, 16)])
        return self.conclude("when")

    def _answer_when(self) -> tuple[str, str]:
        _, phrase = self._target()
        runs, dt = self._runs()
        cuts = [a for a, _ in self.scenes()[1:]]
        spans = []
        for prev_neg, first, last, next_neg in runs:
            start = first if first - prev_neg <= 1.5 * dt else next((b for b in cuts if prev_neg < b <= first), (prev_neg + first) / 2)
            end = next_neg if next_neg - last <= 1.5 * dt else next((b for b in cuts if last < b <= next_neg), (last + next_neg) / 2)
            spans.append((round(start, 2), round(end, 2)))
        if spans:
            return f"The {phrase} is visible from {spans[0][0]:.2f}s to {spans[-1][1]:.2f}s in the frames I checked.", fmt_spans(spans)
        hits = self.hits()
        if hits:
            return f"I never saw the {phrase}; the best search match is {hits[0][0]:.2f}s-{hits[0][1]:.2f}s.", fmt_spans([hits[0][:2]])
        mid = self.c.duration / 2
        return f"I never saw the {phrase}; I guess the middle of the video.", fmt_spans([(max(0, mid - 1), min(self.c.duration, mid + 1))])

    # ---------------------------------------------------------- read: small text somewhere
    def _text_candidates(self) -> list[tuple[int, float, str]]:
        out = []
        for t, im in self.frames():
            for corner, box in CORNER_BOXES.items():
                out.append((text_likeness(im, box), t, corner))
        return sorted(out, reverse=True)

    def _step_read(self) -> _Move:
        if self.stage == 0 and not self.evidence():
            return _Move("Text shown briefly may sit between the overview frames. The scene list tells me where the "
                         "picture changes, which is where a caption is likely.", [ToolCall("detect_scenes", {})])
        if self.stage <= 1 and not any(r.name == "crop_clip" for r in self.c.results):
            think, calls = self._scan_calls()
            return _Move(f"{think} I look for a small caption in the frames.", calls)
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
                box = self._jitter(CORNER_BOXES[corner])
                calls = [ToolCall("read_text", {"time": round(t, 2), "box": box})]
                if not self.p._skip_check(self.rng):
                    calls.insert(0, ToolCall("zoom_frame", {"time": round(t, 2), "box": box}))
                return _Move(f"At t={t:.2f}s the {corner} corner has a small high-contrast label that looks like text; "
                             "it is too small to read at this size, so I zoom in and read it.", calls)
            if not read_done:
                t = self.frames()[len(self.frames()) // 2][0] if self.frames() else self.c.duration / 2
                return _Move("I found no caption-like region; I try reading the whole frame.",
                             [ToolCall("read_text", {"time": round(t, 2)})])
        return self.conclude("read")

    def _jitter(self, box: list[float]) -> list[float]:
        """When sampling, frame the region a little differently each time (as a model would), so
        that repeated samples do not all repeat the same misreading."""
        if self.rng is None:
            return box
        spread = 0.06 * min(1.0, self.p.temperature)
        moved = [min(1.0, max(0.0, v + self.rng.uniform(-spread, spread))) for v in box]
        x1, x2 = sorted(moved[0::2])
        y1, y2 = sorted(moved[1::2])
        if x2 - x1 < 0.1 or y2 - y1 < 0.1:
            return box
        return [round(x1, 3), round(y1, 3), round(x2, 3), round(y2, 3)]

    def _ocr_words(self) -> list[tuple[str, float]]:
        return [(clean_code(text), score) for text, score in self.ocr() if len(clean_code(text)) >= 2]

    def _answer_read(self) -> tuple[str, str]:
        words = self._ocr_words()
        if not words:
            return "I could not read any text.", "unknown"
        word, score = max(words, key=lambda w: w[1])
        return f'The text reads "{word}" (OCR confidence {score:.2f}).', word

    # ---------------------------------------------------------- count: scene cuts
    def _dense_colors(self) -> list[str | None]:
        return [dominant_color(im) for _, im in self.frames()]

    def _step_count(self) -> _Move:
        if self.stage == 0:
            return _Move("Cuts can be shorter than the gaps between the overview frames; the scene detector lists "
                         "every cut.", [ToolCall("detect_scenes", {})])
        if self.stage == 1 and not self.p._skip_check(self.rng):
            found = (f"The detector found {len(self.scenes())} scene(s)." if self.ok("detect_scenes")
                     else "The scene detector gave no result.")
            return _Move(f"{found} I check with frames across the whole video for changes of picture.",
                         [self.crop(0, self.c.duration, 16)])
        return self.conclude("count")

    def _answer_count(self) -> tuple[str, str]:
        ref = self.tref()
        if ref is not None and ref.end > ref.start and self.ok("detect_scenes"):
            cuts = [a for a, _ in self.scenes()[1:] if ref.start + 1e-6 < a <= ref.end + 1e-6]
            asks = re.search(r"\bscenes?\b|\bshots?\b", self.c.question.lower()) and not re.search(r"\bcuts?\b|\btransitions?\b|\bchanges?\b", self.c.question.lower())
            value = len(cuts) + 1 if asks else len(cuts)
            return (f"The detector lists {len(cuts)} cut(s) between {ref.start:.2f}s and {ref.end:.2f}s; so the answer is {value}.", str(value))
        scenes = self.scenes()
        colors = [c for c in self._dense_colors() if c is not None]
        runs = 1 + sum(1 for a, b in zip(colors, colors[1:]) if a != b) if colors else 0
        asks_scenes = re.search(r"\bscenes?\b|\bshots?\b", self.c.question.lower()) and not re.search(r"\bcuts?\b|\btransitions?\b|\bchanges?\b", self.c.question.lower())
        n_scenes = max(len(scenes), runs) if scenes else runs
        value = n_scenes if asks_scenes else max(0, n_scenes - 1)
        seen = (f"the sampled frames show {runs} run(s) of one dominant colour" if runs
                else "the sampled frames have no dominant colour to cross-check with")
        if not self.ok("detect_scenes"):
            if not runs:
                return "I have no scene list and no frames to count changes in; I guess 0.", "0"
            return f"I have no scene list; {seen}; so the answer is {value}.", str(value)
        return f"The detector lists {len(scenes)} scene(s) and {seen}; so the answer is {value}.", str(value)

    # ---------------------------------------------------------- first: which option colour shows first
    def _step_first(self) -> _Move:
        options = ", ".join(self.c.options)
        if self.stage == 0:
            return _Move(f"I must order the colours {options} in time; short scenes can hide between the overview "
                         "frames, so I list the scenes first.", [ToolCall("detect_scenes", {})])
        if self.stage == 1:
            scenes = self.scenes()
            if 1 < len(scenes) <= 16:
                return _Move(f"I look at one frame from the middle of each of the {len(scenes)} scenes to name its colour.",
                             [self.crop(a, b, 1) for a, b in scenes])
            return _Move("The scene list is not usable; I sample the video densely.", [self.crop(0, self.c.duration, 16)])
        return self.conclude("first")

    def _answer_first(self) -> tuple[str, str]:
        options = [o.lower() for o in self.c.options]
        last = bool(re.search(r"\b(last|final)\b", self.c.question.lower()))
        seen: dict[str, float] = {}
        for t, im in self.frames():
            color = dominant_color(im)
            if color in options and (color not in seen or last):
                seen[color] = t
        if not seen:
            return "None of the option colours was seen in the frames I have; I guess the first option.", "A"
        best = (max if last else min)(seen, key=seen.get)
        order = ", ".join(f"{c} at {t:.2f}s" for c, t in sorted(seen.items(), key=lambda kv: kv[1]))
        return f"Option colours as seen: {order}; so {best} comes {'last' if last else 'first'}.", "ABCDEFGH"[options.index(best)]

    # ---------------------------------------------------------- where: a box at a time
    def _where_time(self) -> float:
        m = TIME_IN_Q.search(self.c.question)
        return float(m.group(1) or m.group(2))

    def _zooms(self) -> list[Result]:
        return [r for r in self.c.results if r.name == "zoom_frame" and r.images]

    def _step_where(self) -> _Move:
        t = self.clamp(self._where_time())
        color, phrase = self._target()
        zooms = self._zooms()
        if not zooms:
            return _Move(f"The overview frames are not at t={t:.2f}s and the {phrase} moves; I look at the whole frame "
                         "at that time.", [ToolCall("zoom_frame", {"time": t, "box": [0.0, 0.0, 1.0, 1.0]})])
        if len(zooms) == 1 and self.stage <= 2 and (box := self._where_box()) and not self.p._skip_check(self.rng):
            pad = 0.06
            region = [round(max(0.0, box[0] - pad), 2), round(max(0.0, box[1] - pad), 2),
                      round(min(1.0, box[2] + pad), 2), round(min(1.0, box[3] + pad), 2)]
            return _Move(f"The {phrase} is near {fmt_box(box)}; I zoom in to measure its edges precisely.",
                         [ToolCall("zoom_frame", {"time": t, "box": region})])
        return self.conclude("where")

    def _where_box(self) -> list[float] | None:
        color, _ = self._target()
        best = None
        for r in self._zooms():
            region = r.arguments.get("box") or [0.0, 0.0, 1.0, 1.0]
            local = object_box(r.images[0][1], color)
            if local is None:
                continue
            w, h = region[2] - region[0], region[3] - region[1]
            best = [region[0] + local[0] * w, region[1] + local[1] * h, region[0] + local[2] * w, region[1] + local[3] * h]
        return best

    def _answer_where(self) -> tuple[str, str]:
        _, phrase = self._target()
        box = self._where_box()
        if box is None:
            return f"I could not find the {phrase}; I guess the centre.", fmt_box([0.4, 0.4, 0.6, 0.6])
        return f"The {phrase} occupies {fmt_box(box)} of the frame at t={self._where_time():.2f}s.", fmt_box(box)

    # ---------------------------------------------------------- general questions
    def _step_general(self) -> _Move:
        phrase = key_phrase(self.c.question)
        spans = self.evidence()
        if self.stage == 0:
            calls = [ToolCall("search_clips", {"query": phrase, "top_k": 5}), ToolCall("detect_scenes", {})]
            return _Move(f'I search for the moments matching "{phrase}" and list the scenes to know the structure.', calls)
        if self.stage == 1:
            if spans:
                a, b = spans[0]
                why = f"The relevant moment should be {a:.2f}s-{b:.2f}s"
            else:
                hits = self.hits(phrase)
                a, b = (hits[0][0], hits[0][1]) if hits else (0.0, self.c.duration)
                why = (f"The best match is {a:.2f}s-{b:.2f}s" if hits else
                       "Search gave no match" + ("" if self.ok("search_clips") or not self.tried("search_clips") else
                                                 " (visual search is not available)") + ", so I take the whole video")
            t = (a + b) / 2
            calls = [self.crop(a - 1, b + 1, 6), ToolCall("read_text", {"time": self.clamp(t)})]
            calls += [ToolCall("search_clips", {"query": o[:200], "top_k": 1}) for o in self.c.options[:6]]
            return _Move(f"{why}; I look at frames there and read any text" +
                         ("; I also search each option to compare how well it matches." if self.c.options else "."), calls)
        return self.conclude("general")

    def _answer_general(self) -> tuple[str, str]:
        ocr_text = " ".join(text for text, _ in self.ocr()).lower()
        if self.c.options:
            for i, option in enumerate(self.c.options):
                if option.lower() in ocr_text:
                    return f'The text in the frame mentions "{option}".', "ABCDEFGH"[i]
            if not self.ok("search_clips"):
                why = ("visual search gave no result" if self.tried("search_clips") else "I did not search")
                return (f"No option is written in the text I read (if any), and {why}; with no evidence for any option "
                        "I guess the first one.", "A")
            scores = [(self.hits(o[:200]) or [(0, 0, -1.0, 0)])[0][2] for o in self.c.options]
            best = max(range(len(scores)), key=lambda i: scores[i])
            if self.rng is not None:
                near = [i for i, s in enumerate(scores) if s >= scores[best] - 0.01 * self.p.temperature]
                best = self.rng.choice(near)
            return f"No option is written on screen; option {'ABCDEFGH'[best]} matches the video best in search.", "ABCDEFGH"[best]
        q = self.c.question.lower()
        hits = self.hits(key_phrase(self.c.question))
        if re.search(r"\bwhen\b|what time", q):
            if hits:
                return "The best search match is where I place it.", fmt_spans([hits[0][:2]])
            return "Search gave me no match, so I cannot place it; I answer the whole video.", fmt_spans([(0.0, self.c.duration)])
        if re.search(r"\bhow many\b", q):
            numbers = re.findall(r"\d+", ocr_text)
            return ("The text read on screen gives the number." if numbers else "No tool gave me a count; I guess 1."), (numbers[0] if numbers else "1")
        words = [text for text, _ in sorted(self.ocr(), key=lambda x: -x[1])]
        return ("The text read in the frame answers it." if words else "No tool result answers it; I answer unknown."), (words[0] if words else "unknown")
