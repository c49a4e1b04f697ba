"""Answering from the overview frames alone (``ScriptedPolicy(use_tools=False)``): the baseline that
shows what the tools add. Every think sentence says that it only had the overview.
"""

from __future__ import annotations

from PIL import Image

from vagent.agent.palette import CORNER_BOXES
from vagent.agent.scripted.chat import Conversation
from vagent.agent.scripted.choice import guess_move
from vagent.agent.scripted.colour import ColourPlan
from vagent.agent.scripted.evidence import Move, clean_code, fmt_box, fmt_spans
from vagent.agent.scripted.pixels import contains, dominant_color, object_box, text_likeness
from vagent.agent.scripted.picture import OBJECT
from vagent.agent.scripted.question import where_time
from vagent.agent.scripted.timeexpr import time_ref
from vagent.answers import LETTERS, merge_spans


class Overview:
    """Answers from the overview frames only."""

    def __init__(self, convo: Conversation):
        self.c = convo

    def move(self, kind: str) -> Move:
        c, frames = self.c, self.c.overview
        spacing = c.duration / max(1, len(frames))
        if kind == "when":
            color = OBJECT.search(c.question).group(1).lower()
            hits = [t for t, im in frames if contains(im, color)]
            if hits:
                # rounded so that the spans of neighbouring frames touch exactly and merge
                spans = merge_spans([(round(max(0.0, t - spacing / 2), 6), round(min(c.duration, t + spacing / 2), 6)) for t in hits])
                return Move(f"Without tools I only have the overview; the {color} object shows at "
                            f"{', '.join(f'{t:.2f}s' for t in hits)}, so I answer the time around those frames.",
                            answer=fmt_spans(spans))
            mid = c.duration / 2
            return Move(f"The {color} object is in none of the overview frames; I guess the middle of the video.",
                        answer=fmt_spans([(max(0.0, mid - 1), min(c.duration, mid + 1))]))
        if kind == "read":
            for t, im in frames:
                best = max(CORNER_BOXES, key=lambda k: text_likeness(im, CORNER_BOXES[k]))
                if text_likeness(im, CORNER_BOXES[best]) >= 20:
                    words = [clean_code(line) for line in _ocr_lines(im)]
                    words = [w for w in words if len(w) >= 2]
                    if words:
                        return Move(f"The overview frame at t={t:.2f}s shows text I can make out.", answer=words[0])
            return Move("No legible text in the overview frames; I cannot read it without tools.", answer="unknown")
        if kind == "count":
            colors = [dominant_color(im) for _, im in frames]
            changes = sum(1 for a, b in zip(colors, colors[1:]) if a != b)
            return Move(f"The overview background colours are {colors}; I count {changes} change(s).", answer=str(changes))
        if kind == "first":
            options = [o.lower() for o in c.options]
            for t, im in frames:
                color = dominant_color(im)
                if color in options:
                    return Move(f"The earliest overview frame showing an option colour is {color} at t={t:.2f}s.",
                                answer=LETTERS[options.index(color)])
            return _guessed("No option colour is visible in the overview", c)
        if kind == "where":
            target = where_time(c.question)
            color = OBJECT.search(c.question).group(1).lower()
            for t, im in sorted(frames, key=lambda f: abs(f[0] - target)):
                box = object_box(im, color)
                if box:
                    return Move(f"The nearest overview frame (t={t:.2f}s) shows the {color} object here; I assume it did not move far.",
                                answer=fmt_box(box))
            return Move("I cannot see the object in the overview; I guess the centre.", answer=fmt_box([0.4, 0.4, 0.6, 0.6]))
        if kind in ("look_at", "read_at") and frames:
            return self._near(kind)
        if c.options:
            return _guessed("Without tools I have no evidence beyond the overview", c)
        return Move("Without tools I cannot tell; I answer that I do not know.", answer="unknown")

    def _near(self, kind: str) -> Move:
        """The overview frame nearest the time asked stands in for a look at that time."""
        c = self.c
        ref = time_ref(c.question, c.duration)
        target = ref.t if ref.t is not None else (ref.start + ref.end) / 2
        t, image = min(c.overview, key=lambda f: abs(f[0] - target))
        look = _NearLook(c, [(t, image)])
        if kind == "look_at":
            think, answer = look._answer_look_at()
            return Move(f"Without tools I use the nearest overview frame (t={t:.2f}s). {think}", answer=answer)
        lines = _ocr_lines(image)
        if not lines:
            if c.options:
                return _guessed(f"Without tools I have only the overview; the frame nearest the time asked (t={t:.2f}s) "
                                "shows no text I can make out", c)
            return Move(f"The overview frame nearest the time asked (t={t:.2f}s) shows no text I can make out; I answer unknown.",
                        answer="unknown")
        think, answer = look.shaped(lines[0], f"In the overview frame nearest the time asked (t={t:.2f}s)")
        return Move(f"Without tools I use the overview. {think}", answer=answer)


def _guessed(why: str, convo: Conversation) -> Move:
    think, letter = guess_move(why, convo.question, convo.options)
    return Move(think, answer=letter)


class _NearLook(ColourPlan):
    """The colour plan measuring one overview frame instead of crop_clip frames."""

    def __init__(self, convo: Conversation, frames: list[tuple[float, Image.Image]]):
        super().__init__(convo)
        self._frames = frames

    def _window_frames(self) -> list[tuple[float, Image.Image]]:
        return self._frames


def _ocr_lines(image: Image.Image) -> list[str]:
    """Overview-only reading (a VLM can read large text in the frames it is shown)."""
    try:
        from vagent.tools.ocr import read_text
    except Exception:
        return []
    return [text for text, _, _ in read_text(image) if text.strip()]
