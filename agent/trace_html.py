"""HTML views of a :class:`~vagent.agent.trace.Trace`: the self-contained page ``vagent ask`` writes
beside its trace, and the inline view a notebook shows (``Trace._repr_html_``).

Both open with a summary (question, final answer, votes, cost) and a timeline of the video: one
lane per tool each trajectory used, with the windows and frames every call touched, the overview
frames, the answer's spans and the ground-truth span when the trace header has one (``evidence``, or
``truth`` of a ``span`` task). Then every trajectory, message by message: think text, tool calls,
tool results with their frames and timestamps.

Everything written comes from the trace and is escaped; images are shown only as ``data:image/``
URLs (anything else becomes a placeholder), so a page loads nothing from outside and a trace file
cannot inject markup.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from typing import TYPE_CHECKING, Any, Protocol

from vagent.agent.protocol import parse_action

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

_CSS = """
.vt{font-family:system-ui,sans-serif;color:#222;line-height:1.35}
.vt h1{font-size:1.25rem;margin:.2rem 0 .4rem} .vt h2{font-size:1.05rem;margin:.2rem 0}
.vt .options{margin:.2rem 0 .6rem;padding-left:0;list-style:none} .vt .options li.chosen{font-weight:700}
.vt .answer{font-size:1.15rem;background:#e8f5e9;padding:.45rem .9rem;border-radius:6px;display:inline-block;margin:.2rem 0}
.vt .noanswer{background:#fdecea}
.vt .facts{display:flex;flex-wrap:wrap;gap:1.2rem;align-items:flex-start;margin:.6rem 0}
.vt .facts>div{min-width:12rem} .vt .label{font-size:.75rem;text-transform:uppercase;color:#666;font-weight:600}
.vt .cost{font-size:.95rem} .vt .cost b{font-size:1.05rem}
.vt table{border-collapse:collapse} .vt td,.vt th{border:1px solid #ccc;padding:.15rem .5rem;font-size:.85rem;text-align:left}
.vt th{background:#f0f0f0} .vt tr.chosen td{background:#e8f5e9}
.vt .timeline{margin:.6rem 0;max-width:64rem} .vt .timeline svg{width:100%;height:auto;background:#fff;border:1px solid #ddd;border-radius:6px}
.vt .runs{display:flex;gap:1rem;align-items:flex-start;overflow-x:auto}
.vt .run{flex:1 0 30rem;max-width:60rem;background:#fff;border:1px solid #ddd;border-radius:8px;padding:.8rem}
.vt .msg{margin:.5rem 0;padding:.45rem .7rem;border-radius:6px;border-left:4px solid #bbb}
.vt .user{border-color:#1976d2;background:#f3f8fd} .vt .assistant{border-color:#7b1fa2;background:#faf5fc}
.vt .tool{border-color:#ef6c00;background:#fff8f1} .vt .system{border-color:#999;background:#f5f5f5}
.vt .error{border-color:#c62828;background:#fdecea}
.vt .role{font-weight:600;font-size:.75rem;text-transform:uppercase;color:#555}
.vt .think{color:#444;font-style:italic;white-space:pre-wrap;margin:.2rem 0} .vt pre{white-space:pre-wrap;margin:.25rem 0;font-size:.85rem}
.vt .call{color:#7b1fa2}
.vt figure{display:inline-block;margin:.25rem;text-align:center;vertical-align:top}
.vt figure img{max-width:13rem;border:1px solid #ccc} .vt.inline figure img{max-width:9rem}
.vt figcaption{font-size:.75rem;color:#333} .vt .meta{font-size:.78rem;color:#666}
.vt details.all{margin:.4rem 0;font-size:.85rem}
"""

# one colour per tool in the timeline
TOOL_COLOURS = {"crop_clip": "#1976d2", "zoom_frame": "#7b1fa2", "read_text": "#ef6c00", "detect_scenes": "#00897b",
                "search_clips": "#c2185b"}
_DURATION = re.compile(r"Video duration: ([\d.]+)s")
_SPAN_TEXT = re.compile(r"(\d+(?:\.\d+)?)s-(\d+(?:\.\d+)?)s")
_SPANS = re.compile(r"\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\]")
_SHOWN_KEYS = {"question", "answer", "votes", "cost", "model", "strategy", "video", "task_id", "chosen", "tie", "scores",
               "evidence", "truth", "answer_type"}


def esc(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))


# ------------------------------------------------------------------------------ frames
def _thumbnail(src: str, width: int | None) -> str:
    """The image itself when it is a data URL (re-encoded smaller when ``width`` is set), else ''."""
    if not src.startswith("data:image/"):
        return ""
    if not width:
        return src
    try:
        from PIL import Image

        image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB")
        if image.width > width:
            image = image.resize((width, max(1, round(image.height * width / image.width))))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80)
        return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    except Exception:
        return src


def _blocks_html(content: Any, thumb: int | None) -> str:
    if isinstance(content, str):
        return f"<pre>{esc(content)}</pre>"
    parts, caption = [], ""
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "image":
            src = _thumbnail(str(block.get("image", "")), thumb)
            img = f'<img src="{esc(src)}" alt="frame {esc(caption)}">' if src else "<pre>[image not embedded]</pre>"
            parts.append(f"<figure>{img}<figcaption>{esc(caption)}</figcaption></figure>")
            caption = ""
        elif block.get("type") == "text":
            text = str(block.get("text", ""))
            if text.strip().startswith("t=") and len(text) < 60:
                caption = text.strip().rstrip(":")  # the timestamp label of the next image
            else:
                parts.append(f"<pre>{esc(text)}</pre>")
    return "".join(parts)


# ------------------------------------------------------------------------------ trajectories
def _assistant_html(text: Any) -> str:
    text = text if isinstance(text, str) else json.dumps(text, ensure_ascii=False, default=str)
    action = parse_action(text)
    parts = []
    if action.think:
        parts.append(f'<div class="think">{esc(action.think)}</div>')
    for call in action.tool_calls:
        parts.append(f'<pre class="call">→ {esc(call.name)}({esc(json.dumps(call.arguments, ensure_ascii=False))})</pre>')
    if action.answer is not None:
        parts.append(f"<pre><b>answer:</b> {esc(action.answer)}</pre>")
    if action.errors:
        parts.append(f"<pre>malformed ({esc('; '.join(action.errors))}):\n{esc(text)}</pre>")
    return "".join(parts)


def _episode_html(index: int, episode: EpisodeState, thumb: int | None) -> str:
    steps_by_message = {step.get("message_index"): step for step in episode.steps}
    rows = [f"<h2>Trajectory {index + 1}</h2>",
            f'<div class="meta">answer: <b>{esc(str(episode.answer))}</b> · end: {esc(str(episode.end_reason))}'
            f" · turns {episode.turns} · tool calls {episode.tool_calls} · frames {episode.frames_shown}</div>"]
    if episode.error:
        rows.append(f'<div class="msg error">{esc(episode.error)}</div>')
    for position, message in enumerate(episode.messages):
        role, content = str(message.get("role", "?")), message.get("content")
        if role == "system":
            rows.append(f'<details class="msg system"><summary class="role">system prompt</summary>{_blocks_html(content, thumb)}</details>')
            continue
        body = _assistant_html(content) if role == "assistant" else _blocks_html(content, thumb)
        label = role + (f" · {message['name']}" if message.get("name") else "")
        meta = ""
        step = steps_by_message.get(position)
        if step:
            meta = (f'<div class="meta">turn {esc(step.get("turn"))} · policy {_num(step.get("policy_seconds")):.2f}s · tools '
                    f'{_num(step.get("tool_seconds")):.2f}s · tokens {esc(step.get("prompt_tokens", 0))}+{esc(step.get("completion_tokens", 0))}'
                    f' · budget left {esc(step.get("budget_left", {}))}</div>')
        rows.append(f'<div class="msg {esc(role)}"><div class="role">{esc(label)}</div>{body}{meta}</div>')
    return f'<div class="run">{"".join(rows)}</div>'


# ------------------------------------------------------------------------------ summary
def _num(value: Any, default: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) and not isinstance(value, bool) else default


def cost(trace: ShownTrace) -> dict[str, float]:
    """The header's cost, else one summed from the trajectories (turns always from them)."""
    episodes = trace.episodes
    steps = [step for e in episodes for step in e.steps]
    summed = {
        "trajectories": len(episodes),
        "tool_calls": sum(e.tool_calls for e in episodes),
        "frames": sum(e.frames_shown for e in episodes),
        "tokens": sum(int(_num(s.get("prompt_tokens"))) + int(_num(s.get("completion_tokens"))) for s in steps),
        "seconds": round(sum(_num(s.get("policy_seconds")) + _num(s.get("tool_seconds")) for s in steps), 3),
    }
    given = trace.meta.get("cost") if isinstance(trace.meta.get("cost"), dict) else {}
    return {"turns": sum(e.turns for e in episodes), **summed, **{k: v for k, v in given.items() if k in summed}}


def _summary_html(trace: ShownTrace) -> str:
    first = trace.episodes[0] if trace.episodes else None
    question = first.question if first else str(trace.meta.get("question", ""))
    options = (first.options if first else trace.meta.get("options")) or []
    answer = trace.answer
    letter = answer.strip().upper() if isinstance(answer, str) else ""
    items = "".join(f'<li{" class=chosen" if letter == chr(65 + i) else ""}>{chr(65 + i)}) {esc(str(o))}</li>'
                    for i, o in enumerate(options[:26]))
    parts = [f"<h1>{esc(question)}</h1>", f'<ul class="options">{items}</ul>' if items else ""]
    if answer is None:
        reasons = ", ".join(sorted({str(e.end_reason) for e in trace.episodes})) or "no trajectory"
        parts.append(f'<div class="answer noanswer">Final answer: <b>none</b> ({esc(reasons)})</div>')
    else:
        parts.append(f'<div class="answer">Final answer: <b>{esc(answer)}</b></div>')
    if trace.meta.get("truth") is not None:
        parts.append(f' <span class="meta">ground truth: <b>{esc(trace.meta["truth"])}</b></span>')
    spent = cost(trace)
    names = [("turns", "turns"), ("tool_calls", "tool calls"), ("frames", "frames"), ("tokens", "tokens")]
    line = " · ".join(f"<b>{esc(int(_num(spent[k])))}</b> {label}" for k, label in names)
    seconds = _num(spent["seconds"])
    line += f" · <b>{seconds:.{2 if seconds < 10 else 1}f}</b> s"
    if spent["trajectories"] != 1:
        line = f"<b>{esc(int(_num(spent['trajectories'])))}</b> trajectories · " + line
    facts = [f'<div><div class="label">cost</div><div class="cost">{line}</div></div>']
    run = [(k, trace.meta.get(k)) for k in ("model", "strategy", "task_id", "video") if trace.meta.get(k) not in (None, "")]
    if run:
        rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in run)
        facts.append(f'<div><div class="label">run</div><table>{rows}</table></div>')
    votes = trace.meta.get("votes")
    if isinstance(votes, list) and votes and (len(votes) > 1 or len(trace.episodes) > 1):  # one vote of one says nothing
        rows = []
        for vote in votes:
            vote = vote if isinstance(vote, dict) else {"answer": vote}
            members = ", ".join(str(int(_num(m)) + 1) for m in vote.get("members", []) if isinstance(m, (int, float)))
            chosen = " class=chosen" if vote.get("answer") == answer else ""
            rows.append(f"<tr{chosen}><td>{esc(str(vote.get('answer')))}</td><td>{esc(vote.get('count', ''))}</td><td>{esc(members)}</td></tr>")
        tie = " (tie)" if trace.meta.get("tie") else ""
        facts.append(f'<div><div class="label">votes{tie}</div><table><tr><th>answer</th><th>votes</th><th>trajectories</th></tr>'
                     f'{"".join(rows)}</table></div>')
    parts.append(f'<div class="facts">{"".join(facts)}</div>')
    rest = {k: v for k, v in trace.meta.items() if k not in _SHOWN_KEYS}
    if rest:
        rows = "".join(f"<tr><th>{esc(str(k))}</th><td>{esc(v)}</td></tr>" for k, v in rest.items())
        parts.append(f'<details class="all"><summary>other header fields</summary><table>{rows}</table></details>')
    return "".join(parts)


# ------------------------------------------------------------------------------ timeline
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
                    return max(_num(m.group(1)), 1e-3)
    times = [_num(t) for e in trace.episodes for s in e.steps for c in s.get("calls", []) for t in c.get("image_times", [])]
    return max([*times, _num(trace.meta.get("duration")), 1.0])


def _tool_message(episode: EpisodeState, step: dict[str, Any], k: int) -> dict[str, Any]:
    """The ``k``-th tool message after the step's assistant message (empty when there is none)."""
    start = int(_num(step.get("message_index"), -1)) + 1
    tools = [m for m in episode.messages[start:start + 64] if m.get("role") == "tool"]
    return tools[k] if k < len(tools) else {}


def _found_windows(message: dict[str, Any]) -> list[tuple[float, float]]:
    """The scenes or search hits a result listed: from its structured data, or (traces written
    before messages carried data) from its text."""
    data = message.get("data") if isinstance(message.get("data"), dict) else None
    if data is not None and ("scenes" in data or "hits" in data):
        rows = data.get("scenes") or data.get("hits") or []
        return [(_num(row[0]), _num(row[1])) for row in rows if isinstance(row, (list, tuple)) and len(row) >= 2]
    content = message.get("content")
    text = content if isinstance(content, str) else " ".join(str(b.get("text", "")) for b in content or [] if isinstance(b, dict))
    return [(_num(a), _num(b)) for a, b in _SPAN_TEXT.findall(text)]


def _marks(episode: EpisodeState, step: dict[str, Any], k: int, call: dict[str, Any]) -> tuple[list[tuple[float, float]], list[float]]:
    """The windows (start, end) and the moments (frames, read or zoomed times) a call touched."""
    args = call.get("arguments") if isinstance(call.get("arguments"), dict) else {}
    times = [_num(t) for t in call.get("image_times", []) if isinstance(t, (int, float))]
    tool, windows = call.get("tool"), []
    start, end, moment = (_num(args.get(k), math.nan) for k in ("start", "end", "time"))
    if tool == "crop_clip" and math.isfinite(start) and math.isfinite(end):
        windows = [(start, end)]
    elif tool in ("zoom_frame", "read_text") and math.isfinite(moment):
        times = [moment]
    elif tool in ("detect_scenes", "search_clips") and not call.get("error"):
        windows = _found_windows(_tool_message(episode, step, k))
    return windows, times


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
        overview = [_num(b.get("time")) for b in first_user.get("content") or [] if isinstance(b, dict) and b.get("type") == "image"]
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


# ------------------------------------------------------------------------------ the two views
def body_html(trace: ShownTrace, thumb: int | None = None, inline: bool = False) -> str:
    runs = "".join(_episode_html(i, episode, thumb) for i, episode in enumerate(trace.episodes))
    return (f'<div class="vt{" inline" if inline else ""}"><style>{_CSS}</style>{_summary_html(trace)}{timeline_svg(trace)}'
            f'<div class="runs">{runs}</div></div>')


def render_page(trace: ShownTrace) -> str:
    """One self-contained page (frames inline as data URLs), readable top to bottom."""
    return ("<!doctype html><html><head><meta charset='utf-8'><title>vagent trace</title></head>"
            f"<body style='margin:1.2rem;background:#fafafa'>{body_html(trace)}</body></html>")


def render_inline(trace: ShownTrace, thumb: int = 192) -> str:
    """The notebook view: the same content, frames re-encoded at most ``thumb`` pixels wide."""
    return body_html(trace, thumb=thumb, inline=True)
