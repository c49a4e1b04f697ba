"""Reasoning traces: save episodes as JSONL, load them back, render one self-contained HTML page.

Format (one JSON object per line): a header ``{"kind": "header", ...}`` with the question,
model, strategy, final answer, vote and cost, then one ``{"kind": "trajectory", "index": i,
"episode": {...}}`` per trajectory, where ``episode`` is an :class:`EpisodeState` as a dict
(messages with images as data URLs, and one record per step: action, tool calls, timings,
token counts, budget left). A header may also carry the task's ground truth (``evidence`` spans,
or ``truth`` with ``answer_type`` ``"span"``), which the page draws on its timeline.

A :class:`Trace` shows itself inline in a notebook (``_repr_html_``); the HTML views live in
:mod:`vagent.agent.trace_html`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vagent.agent.episode import EpisodeState
from vagent.errors import ConfigError
from vagent.files import write_lines_atomic

TRACE_VERSION = 1


@dataclass
class Trace:
    """One question's trajectories plus how the final answer was reached."""

    episodes: list[EpisodeState]
    answer: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def save(self, path: str | Path) -> Path:
        """Write atomically (a reader never sees a half-written trace; a failed write leaves nothing).

        Text the model wrote may hold lone surrogates (``"\\ud800"`` in its JSON), which UTF-8
        cannot encode: they are written as JSON escapes and read back as they were.
        """
        header = {
            "kind": "header",
            "version": TRACE_VERSION,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "answer": self.answer,
            **self.meta,
        }
        records = [header, *({"kind": "trajectory", "index": i, "episode": asdict(e)} for i, e in enumerate(self.episodes))]
        # inside JSON strings, backslashreplace writes a lone surrogate as its own \uXXXX escape
        return write_lines_atomic(path, (json.dumps(r, ensure_ascii=False) + "\n" for r in records), errors="backslashreplace")

    @classmethod
    def load(cls, path: str | Path) -> "Trace":
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such trace file")
        header: dict[str, Any] = {}
        episodes = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if record.get("kind") == "header":
                    header = record
                else:
                    episodes.append(EpisodeState(**record["episode"]))
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise ConfigError(f"{path}:{number}: not a vagent trace line ({exc})") from None
        if not header:
            raise ConfigError(f"{path}: no header line; is this a vagent trace?")
        answer = header.pop("answer", None)
        for key in ("kind", "version", "created"):
            header.pop(key, None)
        return cls(episodes=episodes, answer=answer, meta=header)

    def render_html(self, path: str | Path) -> Path:
        """Write the self-contained HTML page (:mod:`vagent.agent.trace_html`) to ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_html(self), encoding="utf-8", errors="backslashreplace")
        return path

    def __repr__(self) -> str:
        question = self.episodes[0].question if self.episodes else self.meta.get("question", "")
        return f"<Trace: {len(self.episodes)} trajectory(ies), answer {self.answer!r}, question {str(question)[:80]!r}>"

    def _repr_html_(self) -> str:
        """Notebooks show a trace inline: summary, timeline, every turn with its frames (as thumbnails)."""
        from vagent.agent.trace_html import render_inline

        return render_inline(self)


def render_html(trace: Trace) -> str:
    """One self-contained page (frames inline as data URLs), readable top to bottom."""
    from vagent.agent.trace_html import render_page

    return render_page(trace)
