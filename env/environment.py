"""The RL environment: an episode over a task, stepped with model text, scored by a reward spec.

This is the plain face (``reset(task)`` / ``step(model_text)``) for custom loops; the
Gymnasium face (``faces.gymnasium_env``) and the TRL ``environment_factory`` face (``faces.trl_rollout``)
are thin adapters over it. Stepping goes through :class:`vagent.agent.episode.Episode`, the
same code the LangGraph agent runs, with the same parser and tool registry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vagent.agent.episode import Budget, Episode, EpisodeState, Generation
from vagent.env.rewards import RewardSpec, task_spec
from vagent.env.tasks import Task
from vagent.tools.index import IndexSettings
from vagent.tools.registry import VideoTools
from vagent.tools.timed_text import SpeechSettings
from vagent.tools.workers import PooledTools, default_tool_workers, shared_pool


@dataclass
class EnvConfig:
    """Everything that shapes an episode. Every field has a sensible default.

    The one environment config: evaluation (``EvalConfig.env``), collection (``CollectConfig.env``),
    GRPO (``VagentGRPOConfig.env``), ``vagent ask`` / ``eval`` (``RunOptions.environment()``) and the
    trainer faces embed it rather than repeating its fields; YAML configs spell it ``env:``."""

    budget: Budget = field(default_factory=Budget)
    """Turns, frames and seconds allowed per episode."""
    overview_frames: int = 4
    """Evenly spaced frames shown with the question (small on purpose: tools add detail)."""
    reward: str = "default"
    """Reward spec: a preset name or ``"accuracy:1.0,format:0.2,..."`` (see docs/rewards.md);
    a task's own ``reward`` field takes precedence (``rewards.task_spec``)."""
    index: IndexSettings = field(default_factory=IndexSettings)
    """How each video is indexed (shared by every env instance over the same video)."""
    include_schemas: bool = True
    """List the tool schemas in the system prompt (False when a chat template renders them). The TRL
    face always uses False: its system turn is the dataset prompt and TRL's template lists the tools."""
    text_only: bool = False
    """The model reads text only (a causal LM): the TRL face returns observations as text, each image
    as its timestamp line (``t=1.00s: [frame]``), as :class:`~vagent.agent.hf_policy.TransformersPolicy`
    renders them at inference. Set by GRPO from the model; inference policies render for themselves."""
    tool_workers: int | None = None
    """Worker processes that run the tools (:class:`~vagent.tools.workers.ToolPool`, each with its own
    decoders, OCR and CLIP), so a batch's calls run at once. ``None``: batch runs (GRPO, ``eval
    --concurrency`` > 1 with threads, parallel test-time samples) take
    :func:`~vagent.tools.workers.default_tool_workers` (one per core, at most 8, or
    ``$VAGENT_TOOL_WORKERS``) and a single episode runs its tools in-process; ``0``: in-process
    everywhere (debugging); ``N``: N workers. Observations are the same either way."""

    def __post_init__(self) -> None:
        workers = self.tool_workers
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
            raise ValueError(f"tool_workers must be a whole number >= 0 (0: tools in-process) or None, got {workers!r}")


_TOOLS_LOCK = threading.Lock()
_OPEN_TOOLS: OrderedDict[tuple[Any, ...], VideoTools] = OrderedDict()
MAX_OPEN_VIDEOS = 32
"""Registries kept open per process; older ones are dropped (and closed by the garbage
collector once no environment holds them), so long evaluations do not run out of files."""


def tools_for(video: str | Path, settings: IndexSettings, workers: int = 0) -> VideoTools | PooledTools:
    """The tool registry for a video, opened once per process (the index is built once too); with
    ``workers`` > 0 its calls run in this process's :func:`~vagent.tools.workers.shared_pool` of that size.

    Keyed by path, size and modification time, so a video rewritten in place is reopened.
    """
    path = Path(video).resolve()
    try:
        stat = path.stat()
        key: tuple[Any, ...] = (str(path), stat.st_size, stat.st_mtime_ns, repr(settings), workers)
    except OSError:
        key = (str(path), repr(settings), workers)  # missing: VideoTools.open raises the clear error
    with _TOOLS_LOCK:
        if key in _OPEN_TOOLS:
            _OPEN_TOOLS.move_to_end(key)
            return _OPEN_TOOLS[key]
        opened = shared_pool(workers).tools(path, settings) if workers > 0 else VideoTools.open(path, settings)
        tools = _OPEN_TOOLS[key] = opened
        while len(_OPEN_TOOLS) > MAX_OPEN_VIDEOS:
            _OPEN_TOOLS.popitem(last=False)
        return tools


def batch_config(config: EnvConfig) -> EnvConfig:
    """``config`` for a batch run: ``tool_workers=None`` becomes the default worker count (see the field)."""
    return config if config.tool_workers is not None else replace(config, tool_workers=default_tool_workers())


def start_episode(task: Task, config: EnvConfig, budget: Budget | None = None, scale: int = 1) -> Episode:
    """The episode of ``task`` under ``config``: its video's tools, question, options, overview and budget.

    The one task -> episode constructor of every face and command (``VideoEnv``, the TRL and
    Gymnasium faces, evaluation, collection). ``budget`` and ``scale`` are test-time scaling's
    per-round budget and overview multiplier (``run_scaled`` calls ``start(budget, scale)``).
    """
    tools = tools_for(task.video, task_index_settings(task, config.index), config.tool_workers or 0)
    return start_question(tools, task.question, task.options, config, budget, scale, task.id)


def task_index_settings(task: Task, settings: IndexSettings) -> IndexSettings:
    """``settings`` with the task's own subtitle file (``metadata.subtitles``: absolute, or relative to the
    video's folder; Video-MME's converter writes it) as its video's timed text (docs/tasks.md)."""
    given = task.metadata.get("subtitles")
    if not isinstance(given, str) or not given.strip():
        return settings
    path = Path(task.video).parent / given  # an absolute path stays itself
    return replace(settings, speech=replace(settings.speech or SpeechSettings.from_env(), subtitle_file=str(path)))


def start_question(tools: VideoTools | PooledTools, question: str, options: list[str] | None, config: EnvConfig,
                   budget: Budget | None = None, scale: int = 1, task_id: str | None = None) -> Episode:
    """The episode of a question with no task around it (``vagent ask``), by the same rule as
    :func:`start_episode`: ``config``'s budget (or ``budget``), ``overview_frames * scale`` and schemas."""
    return Episode.start(tools, question, options, budget or config.budget, overview_frames=config.overview_frames * scale,
                         include_schemas=config.include_schemas, task_id=task_id)


class VideoEnv:
    """``reset(task) -> (messages, info)``; ``step(text) -> (new messages, reward, terminated, truncated, info)``.

    An answer *terminates* the episode; an exhausted budget (after the final answer-only
    turn) *truncates* it. The reward is 0 until the episode ends, then the reward spec's
    total; ``info["reward_components"]`` has each component.
    """

    def __init__(self, config: EnvConfig | None = None):
        self.config = config or EnvConfig()
        self.reward_spec = RewardSpec.parse(self.config.reward)
        self.task: Task | None = None
        self.episode: Episode | None = None

    def reset(self, task: Task) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Start an episode on ``task``; returns the initial messages (system + question + overview)."""
        self.task = task
        self.episode = start_episode(task, self.config)
        return list(self.episode.state.messages), {"task_id": task.id, "tools": self.episode.tools.schemas()}

    def step(self, text: str, generation: Generation | None = None):
        if self.episode is None or self.task is None:
            raise RuntimeError("call reset(task) before step()")
        before = len(self.episode.state.messages) + 1  # +1: the assistant message itself
        result = self.episode.step(text, generation)
        reward, components = 0.0, {}
        if result.done:
            reward, components = task_spec(self.task, self.reward_spec).score(self.episode.state, self.task)
        info = {
            "action": result.action.to_dict(),
            "end_reason": self.episode.state.end_reason,
            "reward_components": components,
        }
        new_messages = self.episode.state.messages[before:]
        terminated = result.done and not result.truncated
        return new_messages, float(reward), terminated, result.truncated, info

    @property
    def trajectory(self) -> EpisodeState:
        if self.episode is None:
            raise RuntimeError("no episode yet")
        return self.episode.state

    def close(self) -> None:
        self.episode = None
