"""Configuration of :mod:`vagent.training.grpo`: TRL's ``GRPOConfig`` plus vagent's fields."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from trl import GRPOConfig

from vagent.env.environment import EnvConfig
from vagent.errors import ConfigError
from vagent.training._config import LoraFields, build, load_yaml, nest_env_fields

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

    Parameters of the environment:
        env (`EnvConfig`, a YAML mapping of its fields): ``reward`` (`"default"`: a preset or
            `"accuracy:1,format:0.2"`), ``budget`` (``max_frames``: images tools may return per
            rollout, 64; ``max_seconds``: wall-clock budget per rollout; the turn budget is
            ``max_tool_calling_iterations``, so ``budget.max_turns`` is refused here),
            ``overview_frames`` (4: frames shown with the question), ``index`` (how each video is
            indexed, once per video and process: `clip_model`, `clip_pretrained` (`null` = random
            weights, which also needs `allow_random_clip: true`), `embed_fps`, ...). The flat
            `reward` / `max_frames` / `max_seconds` / `overview_frames` / `index` fields, and the flat
            `clip_model` / `clip_pretrained` / `embed_fps` of vagent 0.1, are still read, with a
            `FutureWarning`.

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
    env: EnvConfig = field(default_factory=EnvConfig, metadata={"help": "The environment (EnvConfig fields)."})
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

        if isinstance(self.env, Mapping):  # built from a mapping when constructed in Python
            self.env = build(EnvConfig, self.env, "grpo config: env")
        spec = RewardSpec.parse(self.env.reward)  # raises ConfigError naming the bad component
        if self.reward_weights is None:
            self.reward_weights = [float(w) for w in spec.weights.values()]
        elif len(self.reward_weights) != len(spec.weights):
            raise ConfigError(
                f"reward_weights has {len(self.reward_weights)} values but reward={self.env.reward!r} has "
                f"{len(spec.weights)} components ({', '.join(spec.weights)}); drop reward_weights or match them"
            )
        if self.env.overview_frames < 0:
            raise ConfigError(f"env.overview_frames must be >= 0, got {self.env.overview_frames}")
        if self.max_tool_calling_iterations is not None and self.max_tool_calling_iterations < 1:
            raise ConfigError(f"max_tool_calling_iterations={self.max_tool_calling_iterations}: the agent needs >= 1 tool round")
        if self.use_peft and self.lora_r < 1:
            raise ConfigError(f"lora_r must be >= 1 with use_peft, got {self.lora_r}")
        checkpointing_default(self)
        cpu_precision(self)
        super().__post_init__()

    def to_dict(self) -> dict[str, Any]:
        """TRL's dict of the fields, ``env`` as plain JSON values (trackers and checkpoints write it as JSON)."""
        import json
        from dataclasses import asdict

        data = super().to_dict()
        data["env"] = json.loads(json.dumps(asdict(self.env), default=str))
        return data

    def env_config(self) -> Any:
        """The :class:`~vagent.env.environment.EnvConfig` of this run.

        The turn budget is ``max_tool_calling_iterations``: as at inference with ``--max-turns N``,
        N turns may call tools and one more, answer-only turn follows.
        """
        turns = self.max_tool_calling_iterations or 1_000_000
        return replace(self.env, budget=replace(self.env.budget, max_turns=turns), include_schemas=False)


LEGACY_INDEX_FIELDS = ("clip_model", "clip_pretrained", "embed_fps")
"""Flat index fields of vagent 0.1, now under ``env.index:`` as in the collect config."""
LEGACY_ENV_FIELDS = ("reward", "max_frames", "max_seconds", "overview_frames", "index")
"""The flat environment fields GRPO configs of vagent 0.1 had (now under ``env:``)."""


def load_config(path: str | os.PathLike[str] | None = None, overrides: Any = None) -> VagentGRPOConfig:
    """A :class:`VagentGRPOConfig` from YAML (``None``: defaults) and ``key=value`` overrides."""
    where = str(path or "grpo config")
    data = nest_env_fields(load_yaml(path, overrides), where, LEGACY_ENV_FIELDS)
    env = data.get("env")
    if isinstance(env, Mapping) and "max_turns" in (env.get("budget") or {}):
        raise ConfigError(f"{where}: env.budget.max_turns: GRPO's turn budget is max_tool_calling_iterations; set that instead")
    legacy = [key for key in LEGACY_INDEX_FIELDS if key in data]
    if legacy:
        warnings.warn(f"{where}: {', '.join(legacy)} moved under env.index: (as in collect configs); "
                      "the flat spelling will be removed in vagent 0.3", FutureWarning, stacklevel=2)
        env = data["env"] = dict(data.get("env") or {})
        index = env["index"] = dict(env.get("index") or {})
        for key in legacy:
            index.setdefault(key, data.pop(key))
        if "clip_pretrained" in legacy and index["clip_pretrained"] is None:
            index.setdefault("allow_random_clip", True)  # 0.1 implied it
    return build(VagentGRPOConfig, data, where)
