"""``where``: the box a coloured object occupies at a given time.

zoom_frame on the whole frame at t -> zoom_frame on the object (to measure its edges) -> box.
"""

from __future__ import annotations

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.chat import Result
from vagent.agent.scripted.evidence import Evidence, Move, fmt_box
from vagent.agent.scripted.pixels import object_box
from vagent.agent.scripted.question import where_time


class WherePlan(Evidence):
    def _zooms(self) -> list[Result]:
        return [r for r in self.c.results if r.name == "zoom_frame" and r.images]

    def _step_where(self) -> Move:
        t = self.clamp(where_time(self.c.question))
        _, phrase = self.target()
        zooms = self._zooms()
        if not zooms:
            return Move(f"The overview frames are not at t={t:.2f}s and the {phrase} moves; I look at the whole frame "
                        "at that time.", [ToolCall("zoom_frame", {"time": t, "box": [0.0, 0.0, 1.0, 1.0]})])
        if len(zooms) == 1 and self.stage <= 2 and (box := self._where_box()) and not self.skip_check():
            pad = 0.06
            region = [round(max(0.0, box[0] - pad), 2), round(max(0.0, box[1] - pad), 2),
                      round(min(1.0, box[2] + pad), 2), round(min(1.0, box[3] + pad), 2)]
            return Move(f"The {phrase} is near {fmt_box(box)}; I zoom in to measure its edges precisely.",
                        [ToolCall("zoom_frame", {"time": t, "box": region})])
        return self.conclude("where")

    def _where_box(self) -> list[float] | None:
        """The object's box in frame coordinates, from the latest zoom that shows it."""
        color, _ = self.target()
        best = None
        for r in self._zooms():
            region = r.data.get("box") or r.arguments.get("box") or [0.0, 0.0, 1.0, 1.0]
            local = object_box(r.images[0][1], color)
            if local is None:
                continue
            w, h = region[2] - region[0], region[3] - region[1]
            best = [region[0] + local[0] * w, region[1] + local[1] * h, region[0] + local[2] * w, region[1] + local[3] * h]
        return best

    def _answer_where(self) -> tuple[str, str]:
        _, phrase = self.target()
        box = self._where_box()
        if box is None:
            return f"I could not find the {phrase}; I guess the centre.", fmt_box([0.4, 0.4, 0.6, 0.6])
        return f"The {phrase} occupies {fmt_box(box)} of the frame at t={where_time(self.c.question):.2f}s.", fmt_box(box)
