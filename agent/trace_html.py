"""HTML views of a :class:`~vagent.agent.trace.Trace`: the self-contained page ``vagent ask`` writes
beside its trace, and the inline view a notebook shows (``Trace._repr_html_``).

Both open with a summary (question, final answer, votes, cost) and a timeline of the video
(:mod:`vagent.agent.trace_timeline`: where each call looked, what ``listen`` heard, the answer's and
the ground truth's spans). Then every trajectory, message by message: think text, tool calls, tool
results with their frames and timestamps.

Everything written comes from the trace and is escaped; images are shown only as ``data:image/``
URLs (anything else becomes a placeholder), so a page loads nothing from outside and a trace file
cannot inject markup.
"""

from __future__ import annotations

import base64
import io
import json
from typing import TYPE_CHECKING, Any

from vagent.agent.protocol import parse_action
from vagent.agent.trace_timeline import ShownTrace, esc, num, timeline_svg

if TYPE_CHECKING:
    from vagent.agent.episode import EpisodeState


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

_SHOWN_KEYS = {"question", "answer", "votes", "cost", "model", "strategy", "video", "task_id", "chosen", "tie", "scores",
               "evidence", "truth", "answer_type"}


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
            f" · turns {episode.turns} · tool calls {episode.tool_calls} · frames {episode.frames_shown}"
            f"{f' · audio {num(episode.audio_seconds):g}s' if num(episode.audio_seconds) else ''}</div>"]
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
            meta = (f'<div class="meta">turn {esc(step.get("turn"))} · policy {num(step.get("policy_seconds")):.2f}s · tools '
                    f'{num(step.get("tool_seconds")):.2f}s · tokens {esc(step.get("prompt_tokens", 0))}+{esc(step.get("completion_tokens", 0))}'
                    f' · budget left {esc(step.get("budget_left", {}))}</div>')
        rows.append(f'<div class="msg {esc(role)}"><div class="role">{esc(label)}</div>{body}{meta}</div>')
    return f'<div class="run">{"".join(rows)}</div>'


# ------------------------------------------------------------------------------ summary
def cost(trace: ShownTrace) -> dict[str, float]:
    """The header's cost, else one summed from the trajectories (turns always from them)."""
    episodes = trace.episodes
    steps = [step for e in episodes for step in e.steps]
    summed = {
        "trajectories": len(episodes),
        "tool_calls": sum(e.tool_calls for e in episodes),
        "frames": sum(e.frames_shown for e in episodes),
        "audio_seconds": round(sum(num(e.audio_seconds) for e in episodes), 3),
        "tokens": sum(int(num(s.get("prompt_tokens"))) + int(num(s.get("completion_tokens"))) for s in steps),
        "seconds": round(sum(num(s.get("policy_seconds")) + num(s.get("tool_seconds")) for s in steps), 3),
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
    line = " · ".join(f"<b>{esc(int(num(spent[k])))}</b> {label}" for k, label in names)
    seconds = num(spent["seconds"])
    line += f" · <b>{seconds:.{2 if seconds < 10 else 1}f}</b> s"
    if num(spent["audio_seconds"]):
        line += f" · <b>{num(spent['audio_seconds']):g}</b> s of audio heard"
    if spent["trajectories"] != 1:
        line = f"<b>{esc(int(num(spent['trajectories'])))}</b> trajectories · " + line
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
            members = ", ".join(str(int(num(m)) + 1) for m in vote.get("members", []) if isinstance(m, (int, float)))
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
