"""The timeline of a trace page: the video's time axis with a lane per (trajectory, tool) marking where
each call looked, what ``listen`` heard (each line at its times, with its text), the overview frames,
the answer's spans and the ground truth; and what both trace views share (escaping, numbers, the
:class:`ShownTrace` protocol). :mod:`vagent.agent.trace_html` puts it on the page.
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from vagent.agent.episode import EpisodeState


class ShownTrace(Protocol):
    """What the views read of a trace; :class:`vagent.agent.trace.Trace` is one. This module never
    imports the trace module: ``Trace`` imports this one to render itself."""

    @property
    def episodes(self) -> list[EpisodeState]: ...
    @property
    def answer(self) -> str | None: ...
    @property
    def meta(self) -> dict[str, Any]: ...


# one colour per tool in the timeline
TOOL_COLOURS = {"crop_clip": "#1976d2", "zoom_frame": "#7b1fa2", "read_text": "#ef6c00", "detect_scenes": "#00897b",
                "search_clips": "#c2185b", "listen": "#6d4c41"}
_DURATION = re.compile(r"Video duration: ([\d.]+)s")
_SPAN_TEXT = re.compile(r"(\d+(?:\.\d+)?)s-(\d+(?:\.\d+)?)s")
_SPANS = re.compile(r"\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\]")


def esc(value: Any) -> str:
    """``value`` (text, else its JSON) escaped for HTML."""
    return html.escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))


def num(value: Any, default: float = 0.0) -> float:
    """``value`` as a finite float, else ``default`` (trace files are read as found)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) and not isinstance(value, bool) else default


def _spans(value: Any) -> list[tuple[float, float]]:
    """Spans from ``[[a, b], ...]``, ``[a, b]`` or text holding ``[a, b]`` pairs."""
    if isinstance(value, str):
        return [(float(a), float(b)) for a, b in _SPANS.findall(value)]
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return [(float(value[0]), float(value[1]))]
    if isinstance(value, (list, tuple)):
        return [span for item in value for span in _spans(item)]
    return []


def _duration(trace: ShownTrace) -> float:
    for episode in trace.episodes:
        for message in episode.messages[:3]:
            data = message.get("data") if isinstance(message.get("data"), dict) else {}
            if isinstance(data.get("duration"), (int, float)) and math.isfinite(data["duration"]):
                return max(float(data["duration"]), 1e-3)
            content = message.get("content")  # traces written before messages carried data
            texts = [content] if isinstance(content, str) else [b.get("text", "") for b in content or [] if isinstance(b, dict)]
            for text in texts:
                if m := _DURATION.search(str(text)):
                    return max(num(m.group(1)), 1e-3)
    times = [num(t) for e in trace.episodes for s in e.steps for c in s.get("calls", []) for t in c.get("image_times", [])]
    return max([*times, num(trace.meta.get("duration")), 1.0])


def _tool_message(episode: EpisodeState, step: dict[str, Any], k: int) -> dict[str, Any]:
    """The ``k``-th tool message after the step's assistant message (empty when there is none)."""
    start = int(num(step.get("message_index"), -1)) + 1
    tools = [m for m in episode.messages[start:start + 64] if m.get("role") == "tool"]
    return tools[k] if k < len(tools) else {}


def _found_windows(message: dict[str, Any]) -> list[tuple[float, float]]:
    """The scenes or search hits a result listed: from its structured data, or (traces written
    before messages carried data) from its text."""
    data = message.get("data") if isinstance(message.get("data"), dict) else None
    if data is not None and ("scenes" in data or "hits" in data):
        rows = data.get("scenes") or data.get("hits") or []
        return [(num(row[0]), num(row[1])) for row in rows if isinstance(row, (list, tuple)) and len(row) >= 2]
    content = message.get("content")
    text = content if isinstance(content, str) else " ".join(str(b.get("text", "")) for b in content or [] if isinstance(b, dict))
    return [(num(a), num(b)) for a, b in _SPAN_TEXT.findall(text)]


def _marks(episode: EpisodeState, step: dict[str, Any], k: int, call: dict[str, Any]) -> tuple[list[tuple[float, float]], list[float]]:
    """The windows (start, end) and the moments (frames, read or zoomed times) a call touched."""
    args = call.get("arguments") if isinstance(call.get("arguments"), dict) else {}
    times = [num(t) for t in call.get("image_times", []) if isinstance(t, (int, float))]
    tool, windows = call.get("tool"), []
    start, end, moment = (num(args.get(k), math.nan) for k in ("start", "end", "time"))
    if tool in ("crop_clip", "listen") and math.isfinite(start) and math.isfinite(end):
        windows = [(start, end)]
    elif tool in ("zoom_frame", "read_text") and math.isfinite(moment):
        times = [moment]
    elif tool in ("detect_scenes", "search_clips") and not call.get("error"):
        windows = _found_windows(_tool_message(episode, step, k))
    return windows, times


def _heard(episode: EpisodeState, x: Any, w: Any, row: int) -> list[str]:
    """What the model was given of the speech (``listen``'s lines, ``search_clips``' spoken matches): each line
    said at its times, its text inside as far as it fits and whole on hover."""
    shapes, seen = [], set()
    for message in episode.messages:
        data = message.get("data") if message.get("role") == "tool" and isinstance(message.get("data"), dict) else {}
        rows = [(row, 2) for row in data.get("lines") or []] if message.get("name") == "listen" else \
            [(row, 3) for row in data.get("said") or []] if message.get("name") == "search_clips" else []
        for line, at in rows:
            if not isinstance(line, (list, tuple)) or len(line) <= at or (said := (num(line[0]), num(line[1]), str(line[at]))) in seen:
                continue
            seen.add(said)
            a, b, text = said
            fits = int(w(a, b) / 5.6)
            shown = text if len(text) <= fits else text[: max(fits - 1, 0)] + "…" if fits > 1 else ""
            shapes.append(f'<rect x="{x(a)}" y="2" width="{w(a, b)}" height="{row - 4}" fill="#d7ccc8" stroke="#6d4c41">'
                          f'<title>heard {a:.2f}s-{b:.2f}s: {esc(text)}</title></rect><text x="{x(a) + 2}" y="{row - 6}" '
                          f'font-size="10" fill="#3e2723">{esc(shown)}</text>')
    return shapes


def timeline_svg(trace: ShownTrace, width: int = 960) -> str:
    """The video's time axis with a lane per (trajectory, tool): where each call looked."""
    duration = _duration(trace)
    left, right, row = 170, 14, 20
    scale = (width - left - right) / duration

    def x(t: float) -> float:
        return round(left + min(max(t, 0.0), duration) * scale, 1)

    def w(a: float, b: float) -> float:
        return round(max(2.0, x(b) - x(a)), 1)

    lanes: list[tuple[str, str, list[str]]] = []  # label, colour, svg shapes
    truth = _spans(trace.meta.get("evidence")) or (_spans(trace.meta.get("truth")) if trace.meta.get("answer_type") == "span" else [])
    if truth:
        lanes.append(("ground truth", "#2e7d32", [f'<rect x="{x(a)}" y="3" width="{w(a, b)}" height="{row - 6}" '
                                                  f'fill="#66bb6a"><title>ground truth {a:.2f}s-{b:.2f}s</title></rect>' for a, b in truth]))
    answered = _spans(trace.answer) if isinstance(trace.answer, str) else []
    if answered:
        lanes.append(("answer", "#1b5e20", [f'<rect x="{x(a)}" y="5" width="{w(a, b)}" height="{row - 10}" fill="none" '
                                            f'stroke="#1b5e20" stroke-width="2"><title>answer {a:.2f}s-{b:.2f}s</title></rect>' for a, b in answered]))
    many = len(trace.episodes) > 1
    for number, episode in enumerate(trace.episodes, start=1):
        first_user = next((m for m in episode.messages if m.get("role") == "user"), {})
        overview = [num(b.get("time")) for b in first_user.get("content") or [] if isinstance(b, dict) and b.get("type") == "image"]
        prefix = f"T{number} " if many else ""
        if overview and number == 1:
            lanes.append(("overview frames", "#555", [f'<line x1="{x(t)}" x2="{x(t)}" y1="3" y2="{row - 3}" stroke="#555" stroke-width="2">'
                                                      f'<title>overview frame t={t:.2f}s</title></line>' for t in overview]))
        by_tool: dict[str, list[str]] = {}
        for step in episode.steps:
            for k, call in enumerate(step.get("calls", [])):
                tool = str(call.get("tool"))
                colour = "#c62828" if call.get("error") else TOOL_COLOURS.get(tool, "#455a64")
                label = (f"turn {step.get('turn')}: {tool}({json.dumps(call.get('arguments'), ensure_ascii=False, default=str)})"
                         f" → {call.get('summary', '')}")
                windows, times = _marks(episode, step, k, call)
                shapes = by_tool.setdefault(tool, [])
                for a, b in windows:
                    shapes.append(f'<rect x="{x(a)}" y="4" width="{w(a, b)}" height="{row - 8}" fill="{colour}" '
                                  f'fill-opacity="0.28" stroke="{colour}"><title>{esc(label)}</title></rect>')
                for t in times:
                    shapes.append(f'<circle cx="{x(t)}" cy="{row / 2}" r="3.2" fill="{colour}"><title>{esc(label)} · t={t:.2f}s</title></circle>')
                if not windows and not times:  # an error or a call with nothing to place: marks in a row at the axis start
                    unplaced = sum(1 for shape in shapes if shape.startswith("<text"))
                    shapes.append(f'<text x="{left + 2 + 11 * unplaced}" y="{row - 6}" font-size="10" fill="{colour}">✕'
                                  f'<title>{esc(label)}</title></text>')
        lanes += [(f"{prefix}{tool}", TOOL_COLOURS.get(tool, "#455a64"), shapes) for tool, shapes in by_tool.items()]
        if heard := _heard(episode, x, w, row):
            lanes.append((f"{prefix}heard", TOOL_COLOURS["listen"], heard))
    height = row * len(lanes) + 26
    body = []
    for i, (label, colour, shapes) in enumerate(lanes):
        body.append(f'<g transform="translate(0,{i * row})"><rect x="{left}" y="1" width="{width - left - right}" height="{row - 2}" fill="#f5f5f5"/>'
                    f'<text x="{left - 6}" y="{row - 6}" font-size="12" text-anchor="end" fill="{colour}">{esc(label)}</text>{"".join(shapes)}</g>')
    step = next(s for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 1e9) if duration / s <= 12)
    ticks = []
    for j in range(int(duration / step + 1e-9) + 1):
        t = j * step
        ticks.append(f'<line x1="{x(t)}" x2="{x(t)}" y1="0" y2="{height - 20}" stroke="#e0e0e0"/>'
                     f'<text x="{x(t)}" y="{height - 6}" font-size="11" text-anchor="middle" fill="#555">{t:g}s</text>')
    return (f'<div class="timeline"><div class="label">where the tools looked (video {duration:.2f}s; hover a mark for the call)</div>'
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="timeline">'
            f'{"".join(ticks)}{"".join(body)}</svg></div>')
