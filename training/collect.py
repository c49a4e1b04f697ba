"""Collect tool-using trajectories for SFT by rejection sampling.

Runs a policy (the scripted baseline with the task as ``oracle``, i.e. "active annotation"; a
teacher model by Hub id or path; or an OpenAI-compatible server URL) over tasks through the
agent graph, up to ``attempts`` times per task, scores each trajectory with the reward spec and
keeps those with ``reward >= min_reward`` (at most ``keep`` per task) whose final think text does
not name another answer than the one given (:mod:`vagent.training.consistency`; counted apart). The result is a chat
dataset that :mod:`vagent.training.sft` consumes::

    out.jsonl            one trajectory per line: {"id", "task_id", "reward", "components",
                         "messages": [...], "tools": [...schemas]}
    out.images/<id>/N.jpg  the images of the user and tool messages, referenced by relative path

Messages are vagent's chat format (system, user, assistant, tool); assistant content is the raw
model text (``<think>...</think>`` then ``<tool_call>...</tool_call>`` or ``<answer>...</answer>``);
the system message holds the instructions only (the chat template renders the tool schemas).

    vagent train collect --config training/configs/collect_scripted.yaml
"""

from __future__ import annotations

import base64
import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vagent.agent.episode import EpisodeState
from vagent.agent.prompts import SYSTEM_INSTRUCTIONS
from vagent.env.environment import EnvConfig, start_episode
from vagent.env.rewards import RewardSpec, accuracy, task_spec
from vagent.env.tasks import Task, load_tasks
from vagent.errors import ConfigError
from vagent.training.consistency import final_turn_contradiction

__all__ = ["CollectConfig", "CollectResult", "load_config", "run"]

LEGACY_ENV_FIELDS = ("reward", "max_turns", "max_frames", "overview_frames", "index")
"""The flat environment fields collect configs of vagent 0.1 had (now under ``env:``)."""


@dataclass
class CollectConfig:
    """What to run, over which tasks, and what to keep."""

    tasks: str = ""
    """Task file (JSONL, see docs/tasks.md). Required."""
    out: str = "runs/collect/trajectories.jsonl"
    """Dataset file to write; images go to ``<out without .jsonl>.images/``. Overwritten."""
    policy: str = "scripted"
    """``scripted`` (active annotation with the task as oracle), ``scripted-no-tools`` (a weak
    teacher that answers from the overview frames), ``tiny``, a Hub id / local path, or an
    ``http(s)://`` OpenAI-compatible server URL (see ``server_model``)."""
    server_model: str | None = None
    """Model name on the server for URL policies."""
    connect_timeout: float = 5.0
    """URL policies: seconds allowed to connect; the server is asked for ``/models`` before any
    task runs, so one that cannot be reached fails in seconds."""
    read_timeout: float = 60.0
    """URL policies: seconds allowed for one completion (not retried when it runs out)."""
    oracle: bool = True
    """Scripted policy only: give it the task (answer + evidence) so its think text explains a
    plan that reaches the right answer. False collects the plain baseline."""
    attempts: int = 1
    """Tries per task (rejection sampling); use > 1 with ``temperature > 0``."""
    keep: int = 1
    """Most trajectories kept per task."""
    min_reward: float = 0.5
    """Keep a trajectory when its total reward (``reward`` spec) is at least this."""
    min_accuracy: float | None = None
    """Also require the ``accuracy`` reward to be at least this (``None``: no requirement)."""
    temperature: float = 0.0
    """Sampling temperature (scripted: > 0 draws among near-ties and skips checks)."""
    max_new_tokens: int = 512
    """Cap on one model turn (model policies)."""
    seed: int = 0
    """Attempt ``k`` of a task uses seed ``seed + k``."""
    limit: int | None = None
    """Use only the first ``limit`` tasks (``None``: all)."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """The episodes' environment (a YAML mapping of ``EnvConfig`` fields): ``budget`` (``max_turns``,
    ``max_frames``, ``max_seconds``), ``overview_frames``, ``reward`` (the spec of the ``min_reward``
    threshold; a task's own ``reward`` field takes precedence, ``rewards.task_spec``) and ``index``
    (how videos are indexed). The flat ``reward`` / ``max_turns`` / ``max_frames`` /
    ``overview_frames`` / ``index`` of vagent 0.1 are still read, with a ``FutureWarning``."""
    progress: bool = True
    """Show a rich progress bar."""
    concurrency: int = 1
    """Tasks collected at once (:mod:`vagent.env.concurrency`): the scripted policy at temperature 0 in
    that many worker processes, a server URL in threads (its tools in tool workers); other policies
    one task at a time. The dataset is the same, in the same order, at any concurrency."""

    def __post_init__(self) -> None:
        if isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int) or self.concurrency < 1:
            raise ConfigError(f"concurrency must be a whole number >= 1, got {self.concurrency!r}")
        if self.attempts < 1 or self.keep < 1:
            raise ConfigError(f"attempts and keep must be >= 1, got attempts={self.attempts}, keep={self.keep}")
        if self.keep > self.attempts:
            raise ConfigError(f"keep={self.keep} > attempts={self.attempts}: at most one trajectory per attempt; raise attempts")
        if self.attempts > 1 and self.temperature <= 0:
            raise ConfigError(f"attempts={self.attempts} with temperature={self.temperature} repeats the same trajectory; "
                              "set temperature > 0 or attempts: 1")
        for label, value in (("connect_timeout", self.connect_timeout), ("read_timeout", self.read_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
                raise ConfigError(f"{label} must be a positive number of seconds, got {value!r}")
        RewardSpec.parse(self.env.reward)


@dataclass
class CollectResult:
    """What :func:`run` wrote."""

    path: Path
    tasks: int = 0
    episodes: int = 0
    kept: int = 0
    dropped_inconsistent: int = 0
    """Answered with enough reward, but the final think text names another answer (see consistency)."""
    dropped_reward: int = 0
    """Unanswered, or below ``min_reward`` / ``min_accuracy``."""
    tasks_covered: int = 0
    mean_reward: float = 0.0
    """Mean total reward over all episodes (kept or not)."""
    mean_accuracy: float = 0.0
    concurrency: int = 1
    """Tasks that ran at once (1 where the policy cannot run concurrently, see ``CollectConfig.concurrency``)."""


def load_config(path: str | os.PathLike[str] | None = None, overrides: Any = None) -> CollectConfig:
    """A :class:`CollectConfig` from YAML (``None``: defaults) and ``key=value`` overrides."""
    from vagent.training._config import build, load_yaml, nest_env_fields

    where = str(path or "collect config")
    return build(CollectConfig, nest_env_fields(load_yaml(path, overrides), where, LEGACY_ENV_FIELDS), where)


def _save_image(block: dict[str, Any], folder: Path, name: str, root: Path) -> dict[str, Any]:
    image = block["image"]
    path = folder / f"{name}.jpg"
    if isinstance(image, str) and image.startswith("data:image/jpeg;base64,"):
        path.write_bytes(base64.b64decode(image.split(",", 1)[1]))  # already JPEG: no re-encode
    else:
        from vagent.types import block_image

        block_image(block).convert("RGB").save(path, quality=90)
    out = {"type": "image", "image": path.relative_to(root).as_posix()}
    if "time" in block:
        out["time"] = block["time"]
    return out


def trajectory_record(state: EpisodeState, record_id: str, images_dir: Path, root: Path) -> dict[str, Any]:
    """One dataset line for ``state``: images written under ``images_dir``, paths relative to ``root``."""
    folder = images_dir / record_id
    folder.mkdir(parents=True, exist_ok=True)
    messages, count = [], 0
    for message in state.messages:
        content = message["content"]
        if message["role"] == "system":
            content = SYSTEM_INSTRUCTIONS  # the template renders the tool schemas
        elif isinstance(content, list):
            blocks = []
            for block in content:
                if block.get("type") == "image":
                    block = _save_image(block, folder, str(count), root)
                    count += 1
                blocks.append(block)
            content = blocks
        out = {"role": message["role"], "content": content}
        if message.get("name"):
            out["name"] = message["name"]
        messages.append(out)
    return {"id": record_id, "task_id": state.task_id, "messages": messages}


def _policy(config: CollectConfig, task: Task, attempt: int, shared: list[Any]) -> Any:
    seed = config.seed + attempt
    if config.policy in ("scripted", "scripted-no-tools"):
        from vagent.agent.scripted import ScriptedPolicy

        return ScriptedPolicy(oracle=task if config.oracle else None, seed=seed, temperature=config.temperature,
                              use_tools=config.policy == "scripted")
    if not shared:  # load a model once
        from vagent.agent.loader import Sampling, load_policy

        sampling = Sampling(temperature=config.temperature or 0.7, max_new_tokens=config.max_new_tokens, seed=seed)
        shared.append(load_policy(config.policy, sampling, config.server_model, connect_timeout=config.connect_timeout,
                                  read_timeout=config.read_timeout)[0])  # a server is asked for /models here, before any task runs
    return shared[0]


@dataclass
class TaskOutcome:
    """One task's attempts: the dataset lines kept and what every attempt scored."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    dropped_reward: int = 0
    dropped_inconsistent: int = 0


def collect_task(config: CollectConfig, task: Task, shared: list[Any]) -> TaskOutcome:
    """Run ``task`` up to ``attempts`` times and keep what passes (images written beside ``config.out``)."""
    from vagent.agent.graph import run_episode

    spec, out = RewardSpec.parse(config.env.reward), Path(config.out)
    images_dir = out.with_name(out.name.removesuffix(".jsonl") + ".images")
    outcome = TaskOutcome()
    for attempt in range(config.attempts):
        policy = _policy(config, task, attempt, shared)
        env = replace(config.env, include_schemas=getattr(policy, "include_schemas", True))
        episode = start_episode(task, env)
        state = run_episode(episode, policy)
        total, components = task_spec(task, spec).score(state, task)
        outcome.rewards.append(total)
        outcome.accuracies.append(accuracy(state, task))
        good = total >= config.min_reward and state.end_reason == "answered"
        if config.min_accuracy is not None:
            good = good and outcome.accuracies[-1] >= config.min_accuracy
        if not good:
            outcome.dropped_reward += 1
        elif final_turn_contradiction(state, task.answer_type) is not None:
            outcome.dropped_inconsistent += 1
        else:
            line = trajectory_record(state, f"{task.id}-{attempt}", images_dir, out.parent)
            line.update(reward=total, components=components, tools=episode.tools.schemas())
            outcome.lines.append(line)
            if len(outcome.lines) >= config.keep:
                break
    return outcome


def _collect_with(config: CollectConfig, task: Task) -> TaskOutcome:
    """:func:`collect_task` in a task process (the scripted policy: nothing shared to load)."""
    return collect_task(config, task, [])


def run(config: CollectConfig) -> CollectResult:
    """Collect, filter and write the dataset; returns counts and mean reward."""
    from concurrent.futures import ThreadPoolExecutor

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from vagent.env.concurrency import in_task_process, run_concurrently, task_processes, task_workers, threaded
    from vagent.env.environment import batch_config

    if not config.tasks:
        raise ConfigError("collect: set tasks (a tasks.jsonl file)")
    tasks = load_tasks(config.tasks, check_videos=True)[: config.limit]
    out = Path(config.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result = CollectResult(path=out, tasks=len(tasks))
    rewards, accuracies, shared = [], [], []
    probe = _policy(config, tasks[0], 0, shared) if tasks else None  # a model loads once, before any thread
    workers, notice = task_workers(probe, config.concurrency) if probe is not None else (1, None)
    if notice:
        logging.getLogger(__name__).warning(notice)
    result.concurrency = workers
    finished: dict[int, TaskOutcome] = {}
    unwritten = [0]  # the first task whose lines are not written yet
    columns = [TextColumn("[bold]collect[/] {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, disable=not config.progress) as bar, open(out, "w", encoding="utf-8") as sink:
        job = bar.add_task("", total=len(tasks))

        def keep(position: int, outcome: TaskOutcome) -> None:
            """Count a finished task; write the finished tasks' lines in task order."""
            finished[position] = outcome
            result.episodes += len(outcome.rewards)
            result.kept += len(outcome.lines)
            result.dropped_reward += outcome.dropped_reward
            result.dropped_inconsistent += outcome.dropped_inconsistent
            result.tasks_covered += bool(outcome.lines)
            rewards.extend(outcome.rewards)
            accuracies.extend(outcome.accuracies)
            while unwritten[0] in finished:
                for line in finished.pop(unwritten[0]).lines:
                    sink.write(json.dumps(line, ensure_ascii=False) + "\n")
                unwritten[0] += 1
            bar.update(job, advance=1, description=f"{tasks[position].id} kept {result.kept}/{result.episodes}")

        positions = list(range(len(tasks)))
        if workers == 1:
            for position in positions:
                keep(position, collect_task(config, tasks[position], shared))
        elif threaded(probe):
            threads_config = replace(config, env=batch_config(config.env))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vagent-collect") as pool:
                run_concurrently(positions, lambda p: pool.submit(collect_task, threads_config, tasks[p], shared),
                                 workers, keep)
        else:  # the scripted policy: whole tasks in task processes with in-process tools
            run_config = replace(config, env=replace(config.env, tool_workers=0), progress=False)
            with task_processes(workers, run_config, preload=(__name__, type(probe).__module__)) as pool:
                run_concurrently(positions, lambda p: pool.submit(in_task_process, _collect_with, tasks[p]),
                                 workers, keep)
    result.mean_reward = sum(rewards) / len(rewards) if rewards else 0.0
    if accuracies:
        result.mean_accuracy = sum(accuracies) / len(accuracies)
    return result
