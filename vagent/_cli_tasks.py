"""``vagent gym`` (synthetic tasks) and ``vagent data`` (benchmark converters)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from vagent import _checks as check
from vagent._terminal import checked, console, fail, progress_bar, say
from vagent.errors import VagentError

gym_app = typer.Typer(help="Synthetic video tasks that need the tools.", no_args_is_help=True)


@gym_app.command("make")
def gym_make(
    n: int = typer.Option(50, "--n", help="Number of tasks, at least 1 (families are cycled)."),
    out: Path = typer.Option(..., "--out", help="Folder for the videos and tasks.jsonl (must be writable)."),
    seed: int = typer.Option(0, "--seed", help="First seed; task i uses seed + i."),
    families: Optional[list[str]] = typer.Option(None, "--family", help="Restrict to a family (repeat): appear_when, corner_text, count_cuts, where_at."),
    duration: float = typer.Option(12.0, "--duration", help="Video length in seconds (> 0)."),
    distractors: int = typer.Option(3, "--distractors", help="Moving distractor shapes (at least 0)."),
    text_size: int = typer.Option(9, "--text-size", help="Corner text height in pixels (at least 1)."),
    event_duration: float = typer.Option(2.0, "--event-duration", help="Seconds an event (object, text) is visible (> 0)."),
) -> None:
    """Generate synthetic videos with questions and verifiable answers (docs/synthetic.md)."""
    from vagent.env.synthetic import make_suite

    checked((check.at_least, "--n", n, 1), (check.folder, "--out", out), (check.seed, "--seed", seed),
            (check.positive, "--duration", duration), (check.at_least, "--distractors", distractors, 0),
            (check.at_least, "--text-size", text_size, 1), (check.positive, "--event-duration", event_duration))
    with progress_bar("rendering") as progress:
        bar = progress.add_task("videos", total=n)
        try:
            tasks = make_suite(
                n, out, seed=seed, families=families, duration=duration, distractors=distractors,
                text_size=text_size, event_duration=event_duration,
                progress=lambda done, total, task: progress.update(bar, completed=done),
            )
        except (ValueError, VagentError) as exc:
            fail(str(exc))
    say(f"{len(tasks)} tasks: {out / 'tasks.jsonl'}")


data_app = typer.Typer(help="Task data: convert benchmark annotations to vagent tasks, export tasks for a trainer.", no_args_is_help=True)


@data_app.command("convert")
def data_convert(
    name: str = typer.Argument(..., help="Annotation format: videomme, mvbench, charades_sta, nextgqa."),
    annotations: Path = typer.Argument(..., help="The benchmark's local annotation file."),
    video_dir: Path = typer.Option(..., "--video-dir", help="Folder holding the benchmark's videos."),
    out: Path = typer.Option(..., "--out", help="Tasks JSONL to write (nothing is written if conversion fails)."),
    video_ext: Optional[str] = typer.Option(None, "--video-ext", help="Video file extension (videomme, charades_sta, nextgqa)."),
    task_name: Optional[str] = typer.Option(None, "--task-name", help="mvbench: the sub-task name."),
    gsub_path: Optional[Path] = typer.Option(None, "--gsub-path", help="nextgqa: gsub JSON with evidence spans."),
    video_map_path: Optional[Path] = typer.Option(None, "--video-map-path", help="nextgqa: video id map JSON."),
    durations_path: Optional[Path] = typer.Option(
        None, "--durations-path", help="charades_sta: Charades_v1_<split>.csv with video lengths (default: beside the annotations)."
    ),
    subtitle_dir: Optional[Path] = typer.Option(None, "--subtitle-dir", help="videomme: folder of <videoID>.srt subtitles (metadata.subtitles: what listen hears in those tasks; --speech off leaves them unused)."),
    check_videos: bool = typer.Option(False, "--check-videos", help="Skip records whose video file is missing."),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first problem record instead of repairing or skipping it."),
) -> None:
    """Convert Video-MME, MVBench, Charades-STA or NExT-GQA annotations (docs/tasks.md).

    Records a documented rule repairs are repaired and counted; other bad records are skipped
    with their line and reason. Exit 0 when tasks were written, 2 when none could be.
    """
    from vagent.env.converters import CONVERTERS

    if name not in CONVERTERS:
        fail(f"unknown format {name!r}; choose one of: {', '.join(CONVERTERS)}")
    extra = {"video_ext": video_ext, "task_name": task_name, "gsub_path": gsub_path, "video_map_path": video_map_path,
             "durations_path": durations_path, "subtitle_dir": subtitle_dir}
    accepted = CONVERTERS[name].__code__.co_varnames
    kwargs = {key: value for key, value in extra.items() if value is not None}
    unused = [key for key in kwargs if key not in accepted]
    if unused:
        fail(f"{name} does not take --{unused[0].replace('_', '-')}")
    try:
        conversion = CONVERTERS[name](annotations, video_dir, out, check_videos=check_videos, strict=strict, **kwargs)
    except VagentError as exc:
        fail(str(exc))
    for line in conversion.summary():
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    console.print(f"{len(conversion)} tasks written to {out}")


@data_app.command("export")
def data_export(
    trainer: str = typer.Argument(..., help="The trainer whose data format to write: verl."),
    tasks_file: Path = typer.Argument(..., help="Tasks JSONL (docs/tasks.md)."),
    out: Path = typer.Option(..., "--out", help="The file to write (verl: parquet, e.g. train.parquet); its folder must be writable."),
    agent: str = typer.Option("vagent", "--agent", help="verl: the agent loop each row names: vagent (vagent's loop) or tool_agent (verl's ToolAgentLoop)."),
) -> None:
    """Write tasks in a trainer's dataset format (verl: the parquet rows its RLHFDataset reads; docs/training.md)."""
    from vagent.env.tasks import load_tasks
    from vagent.faces.verl_dataset import AGENT_NAMES, export_parquet

    if trainer != "verl":
        fail(f"unknown trainer {trainer!r}; choose one of: verl")
    if agent not in AGENT_NAMES:
        fail(f"--agent {agent!r}: choose one of: {', '.join(AGENT_NAMES)}")
    checked((check.input_file, "tasks file", tasks_file), (check.output_file, "--out", out))
    try:
        tasks = load_tasks(tasks_file)
        path = export_parquet(tasks, out, agent)
    except VagentError as exc:
        fail(str(exc))
    say(f"{len(tasks)} rows (agent {agent}) written to {path}")
