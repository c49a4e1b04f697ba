"""Reasoning traces: save episodes as JSONL, load them back, render one self-contained HTML page.

Format (one JSON object per line): a header ``{"kind": "header", ...}`` with the question,
model, strategy, final answer, vote and cost, then one ``{"kind": "trajectory", "index": i,
"episode": {...}}`` per trajectory, where ``episode`` is an :class:`EpisodeState` as a dict
(messages with images as data URLs, and one record per step: action, tool calls, timings,
token counts, budget left).
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vagent.agent.episode import EpisodeState
from vagent.agent.protocol import parse_action
from vagent.errors import ConfigError

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
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {
            "kind": "header",
            "version": TRACE_VERSION,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "answer": self.answer,
            **self.meta,
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            # inside JSON strings, backslashreplace writes a lone surrogate as its own \uXXXX escape
            with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(json.dumps(header, ensure_ascii=False) + "\n")
                for index, episode in enumerate(self.episodes):
                    line = {"kind": "trajectory", "index": index, "episode": asdict(episode)}
                    handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

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
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_html(self), encoding="utf-8", errors="backslashreplace")
        return path


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;background:#fafafa;color:#222}
h1{font-size:1.3rem} .answer{font-size:1.2rem;background:#e8f5e9;padding:.5rem 1rem;border-radius:6px}
.runs{display:flex;gap:1rem;align-items:flex-start;overflow-x:auto}
.run{flex:1 0 30rem;max-width:60rem;background:#fff;border:1px solid #ddd;border-radius:8px;padding:1rem}
.msg{margin:.6rem 0;padding:.5rem .7rem;border-radius:6px;border-left:4px solid #bbb}
.user{border-color:#1976d2;background:#f3f8fd} .assistant{border-color:#7b1fa2;background:#faf5fc}
.tool{border-color:#ef6c00;background:#fff8f1} .system{border-color:#999;background:#f5f5f5}
.error{border-color:#c62828;background:#fdecea}
.role{font-weight:600;font-size:.8rem;text-transform:uppercase;color:#555}
.think{color:#555;font-style:italic;white-space:pre-wrap} pre{white-space:pre-wrap;margin:.3rem 0}
figure{display:inline-block;margin:.3rem;text-align:center} figure img{max-width:14rem;border:1px solid #ccc}
figcaption{font-size:.75rem;color:#333} .meta{font-size:.8rem;color:#666}
table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:.2rem .5rem;font-size:.85rem}
"""


def _blocks_html(content: Any) -> str:
    if isinstance(content, str):
        return f"<pre>{html.escape(content)}</pre>"
    parts, caption = [], ""
    for block in content:
        if block.get("type") == "image":
            parts.append(
                f'<figure><img src="{html.escape(str(block["image"]))}" alt="frame {caption}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
            caption = ""
        elif block.get("type") == "text":
            text = block.get("text", "")
            if text.strip().startswith("t=") and len(text) < 60:
                caption = text.strip().rstrip(":")  # the timestamp label of the next image
            else:
                parts.append(f"<pre>{html.escape(text)}</pre>")
    return "".join(parts)


def _assistant_html(text: str) -> str:
    action = parse_action(text)
    parts = []
    if action.think:
        parts.append(f'<div class="think">{html.escape(action.think)}</div>')
    for call in action.tool_calls:
        parts.append(f"<pre>→ {html.escape(call.name)}({html.escape(json.dumps(call.arguments))})</pre>")
    if action.answer is not None:
        parts.append(f"<pre><b>answer:</b> {html.escape(action.answer)}</pre>")
    if action.errors:
        parts.append(f"<pre>malformed ({html.escape('; '.join(action.errors))}):\n{html.escape(text)}</pre>")
    return "".join(parts)


def _episode_html(index: int, episode: EpisodeState) -> str:
    steps_by_message = {step["message_index"]: step for step in episode.steps}
    rows = [f"<h2>Trajectory {index + 1}</h2>"]
    rows.append(
        f'<div class="meta">answer: <b>{html.escape(str(episode.answer))}</b> · end: {episode.end_reason}'
        f" · turns {episode.turns} · tool calls {episode.tool_calls} · frames {episode.frames_shown}</div>"
    )
    if episode.error:
        rows.append(f'<div class="msg error">{html.escape(episode.error)}</div>')
    for position, message in enumerate(episode.messages):
        role = message["role"]
        content = message["content"]
        if role == "system":
            rows.append(f'<details class="msg system"><summary class="role">system</summary>{_blocks_html(content)}</details>')
            continue
        body = _assistant_html(content) if role == "assistant" else _blocks_html(content)
        label = role + (f" · {message['name']}" if message.get("name") else "")
        meta = ""
        step = steps_by_message.get(position)
        if step:
            meta = (
                f'<div class="meta">turn {step["turn"]} · policy {step["policy_seconds"]:.2f}s · tools '
                f'{step.get("tool_seconds", 0):.2f}s · tokens {step["prompt_tokens"]}+{step["completion_tokens"]}'
                f' · budget left {html.escape(json.dumps(step.get("budget_left", {})))}</div>'
            )
        rows.append(f'<div class="msg {role}"><div class="role">{html.escape(label)}</div>{body}{meta}</div>')
    return f'<div class="run">{"".join(rows)}</div>'


def render_html(trace: Trace) -> str:
    """One self-contained page (frames inline as data URLs), readable top to bottom."""
    first = trace.episodes[0] if trace.episodes else None
    question = first.question if first else trace.meta.get("question", "")
    options = "".join(f"<li>{html.escape(option)}</li>" for option in (first.options or [])) if first else ""
    summary = "".join(
        f"<tr><th>{html.escape(str(key))}</th><td>{html.escape(json.dumps(value))}</td></tr>"
        for key, value in trace.meta.items()
    )
    runs = "".join(_episode_html(index, episode) for index, episode in enumerate(trace.episodes))
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>vagent trace</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(question)}</h1><ul>{options}</ul>"
        f'<p class="answer">Final answer: <b>{html.escape(str(trace.answer))}</b></p>'
        f"<table>{summary}</table><div class='runs'>{runs}</div></body></html>"
    )
