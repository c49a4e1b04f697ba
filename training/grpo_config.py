"""Configuration of :mod:`vagent.training.grpo`: TRL's ``GRPOConfig`` plus vagent's fields."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from trl import GRPOConfig

from vagent.errors import ConfigError
from vagent.training._config import LoraFields

__all__ = ["VagentGRPOConfig", "load_config"]


@dataclass
class VagentGRPOConfig(GRPOConfig, LoraFields):
    r"""GRPO of a video tool-using VLM in the vagent environment (TRL ``environment_factory``).

    Every :class:`trl.GRPOConfig` field is accepted: ``num_generations``, ``beta`` (KL),
    ``max_completion_length`` (covers the WHOLE multi-turn completion, tool results included),
    ``max_tool_calling_iterations`` (tool rounds per rollout), ``temperature``, ``use_vllm`` /
    ``vllm_mode`` (``"colocate"`` or ``"server"``), ``save_steps``, ``resume_from_checkpoint``
    (here also ``"last"``: newest checkpoint in ``output_dir``), ``deepspeed``, ... The
    ``reward_weights`` default to the weights of ``reward`` (one reward function per component).

    Parameters that pick the model and data:
        model (`str`, defaults to `"tiny"`):
            Hub id or local folder (e.g. an SFT output) of an image-text-to-text model whose chat
            template TRL recognises for tool calling (Qwen3-VL); `"tiny"` is the random tiny model.
        tasks (`str`, defaults to `""`):
            Task file (JSONL, docs/tasks.md) to train on (required).
        limit (`int` or `None`, defaults to `None`): use only the first `limit` tasks.

    Parameters of the environment (see ``EnvConfig``):
        reward (`str`, defaults to `"default"`): reward spec, a preset or `"accuracy:1,format:0.2"`.
        max_frames (`int`, defaults to `32`): images tools may return per rollout.
        max_seconds (`float` or `None`, defaults to `None`): wall-clock budget per rollout.
        overview_frames (`int`, defaults to `4`): frames shown with the question.
        index (`dict`, defaults to `{}`): how each video is indexed (once per video and process), a
            mapping of :class:`~vagent.tools.index.IndexSettings` fields spelled as in the collect
            config: `clip_model`, `clip_pretrained` (`null` = random weights, which also needs
            `allow_random_clip: true`), `embed_fps`, ... The flat `clip_model` / `clip_pretrained` /
            `embed_fps` fields of vagent 0.1 are still read, with a `FutureWarning`.

    Parameters that control LoRA (peft): ``use_peft`` (defaults to `False`), ``lora_r`` (16),
    ``lora_alpha`` (32), ``lora_dropout`` (0.05), ``lora_target_modules`` (`"all-linear"`),
    ``merge_adapter`` (`True`: save the merged model in ``output_dir`` and the adapter alone in
    ``output_dir/adapter``; `False`: only the adapter, in ``output_dir``).

    Outputs: ``reward_curve`` (`bool`, defaults to `True`) writes ``reward_curve.png`` (total and
    per-component reward, accuracy per step) into ``output_dir`` at the end.

    Defaults that differ from TRL's: ``max_tool_calling_iterations=6``, ``num_generations=4``,
    ``beta=0.04``, ``report_to="none"``, ``output_dir="runs/grpo"``, ``logging_steps=1``.
    """

    model: str = field(default="tiny", metadata={"help": "Hub id, local folder (e.g. SFT output), or 'tiny'."})
    tasks: str = field(default="", metadata={"help": "Task file (JSONL)."})
    limit: int | None = field(default=None, metadata={"help": "Use only the first N tasks."})
    reward: str = field(default="default", metadata={"help": "Reward spec (preset or name:weight,...)."})
    max_frames: int = field(default=32, metadata={"help": "Images tools may return per rollout."})
    max_seconds: float | None = field(default=None, metadata={"help": "Wall-clock budget per rollout."})
    overview_frames: int = field(default=4, metadata={"help": "Frames shown with the question."})
    index: dict[str, Any] = field(default_factory=dict, metadata={"help": "IndexSettings fields (as in collect)."})
    reward_curve: bool = field(default=True, metadata={"help": "Write reward_curve.png into output_dir."})

    # Defaults that differ from TRL's.
    output_dir: str | None = field(default="runs/grpo", metadata={"help": "Checkpoints and logs."})
    max_tool_calling_iterations: int | None = field(default=6, metadata={"help": "Tool rounds per rollout."})
    num_generations: int | None = field(default=4, metadata={"help": "Rollouts per task (the GRPO group)."})
    beta: float = field(default=0.04, metadata={"help": "KL coefficient (0 drops the reference model)."})
    report_to: Any = field(default="none", metadata={"help": "Trackers (tensorboard, wandb, ...)."})
    activation_checkpointing: bool | None = field(default=None, metadata={"help": "Trade compute for memory (None: on, as in TRL)."})
    gradient_checkpointing: bool | None = field(default=None, metadata={"help": "Deprecated name of activation_checkpointing."})
    logging_steps: float = field(default=1, metadata={"help": "Log every N steps."})

    def __post_init__(self) -> None:
        from vagent.env.rewards import RewardSpec
        from vagent.training._config import checkpointing_default, cpu_precision

        spec = RewardSpec.parse(self.reward)  # raises ConfigError naming the bad component
        if self.reward_weights is None:
            self.reward_weights = [float(w) for w in spec.weights.values()]
        elif len(self.reward_weights) != len(spec.weights):
            raise ConfigError(
                f"reward_weights has {len(self.reward_weights)} values but reward={self.reward!r} has "
                f"{len(spec.weights)} components ({', '.join(spec.weights)}); drop reward_weights or match them"
            )
        if self.max_frames < 0 or self.overview_frames < 0:
            raise ConfigError(f"max_frames and overview_frames must be >= 0, got {self.max_frames}, {self.overview_frames}")
        if self.max_tool_calling_iterations is not None and self.max_tool_calling_iterations < 1:
            raise ConfigError(f"max_tool_calling_iterations={self.max_tool_calling_iterations}: the agent needs >= 1 tool round")
        if self.use_peft and self.lora_r < 1:
            raise ConfigError(f"lora_r must be >= 1 with use_peft, got {self.lora_r}")
        self.index_settings()  # unknown or invalid index fields fail at start-up
        checkpointing_default(self)
        cpu_precision(self)
        super().__post_init__()

    def index_settings(self) -> Any:
        """The :class:`~vagent.tools.index.IndexSettings` of ``index``."""
        from vagent.tools.index import IndexSettings
        from vagent.training._config import build

        try:
            return build(IndexSettings, self.index or {}, "grpo config: index")
        except ValueError as exc:
            raise ConfigError(f"grpo config: index: {exc}") from None

    def env_config(self) -> Any:
        """The :class:`~vagent.env.environment.EnvConfig` of this run.

        The turn budget is ``max_tool_calling_iterations``: as at inference with ``--max-turns N``,
        N turns may call tools and one more, answer-only turn follows.
        """
        from vagent.agent.episode import Budget
        from vagent.env.environment import EnvConfig

        turns = self.max_tool_calling_iterations or 1_000_000
        return EnvConfig(
            budget=Budget(max_turns=turns, max_frames=self.max_frames, max_seconds=self.max_seconds),
            overview_frames=self.overview_frames,
            reward=self.reward,
            index=self.index_settings(),
            include_schemas=False,
        )


LEGACY_INDEX_FIELDS = ("clip_model", "clip_pretrained", "embed_fps")
"""Flat index fields of vagent 0.1, now under ``index:`` as in the collect config."""


def load_config(path: str | os.PathLike[str] | None = None, overrides: Any = None) -> VagentGRPOConfig:
    """A :class:`VagentGRPOConfig` from YAML (``None``: defaults) and ``key=value`` overrides."""
    import warnings

    from vagent.training._config import build, load_yaml

    data = load_yaml(path, overrides)
    legacy = [key for key in LEGACY_INDEX_FIELDS if key in data]
    if legacy:
        warnings.warn(f"grpo config: {', '.join(legacy)} moved under index: (as in collect configs); "
                      "the flat spelling will be removed in vagent 0.3", FutureWarning, stacklevel=2)
        index = dict(data.get("index") or {})
        for key in legacy:
            index.setdefault(key, data.pop(key))
        if "clip_pretrained" in legacy and index["clip_pretrained"] is None:
            index.setdefault("allow_random_clip", True)  # 0.1 implied it
        data["index"] = index
    return build(VagentGRPOConfig, data, str(path or "grpo config"))
