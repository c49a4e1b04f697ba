"""The oracle: "active annotation" for training data (``ScriptedPolicy(oracle=task)``, used by
:mod:`vagent.training.collect`).

The plan goes straight to the task's evidence spans (no scene list or search first) and the think
text reasons toward them, but the answer is always the one the tool evidence supports, in the words
the think text uses: the oracle never replaces it with the gold answer (an SFT example whose
reasoning argues for one answer and ends with another teaches the model to ignore its own
evidence). Wrong answers are left to the collector's reward filter.

:class:`Oracle` overrides the two hooks :class:`~vagent.agent.scripted.evidence.Evidence` leaves
empty; the plans consult them where the oracle steers.
"""

from __future__ import annotations

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.evidence import MAX_CROP_FRAMES, Evidence


class Oracle(Evidence):
    def evidence(self) -> list[list[float]]:
        """The annotated task's evidence spans (``Task.evidence``), if any."""
        return list(getattr(self.oracle, "evidence", None) or [])

    def evidence_scan(self) -> tuple[str, list[ToolCall]] | None:
        """crop_clip calls over the evidence windows and a little around them (up to four)."""
        spans = self.evidence()
        if not spans:
            return None
        calls = [self.crop(a - 0.5, b + 0.5, min(MAX_CROP_FRAMES, 4 + int((b - a + 1) * 3))) for a, b in spans[:4]]
        where = ", ".join(f"{a:.2f}s-{b:.2f}s" for a, b in spans[:4])
        return f"The evidence should be in {where}; I look at frames there and just around it.", calls
