"""GRPO in the video tool environment (TRL ``GRPOTrainer`` with ``environment_factory``).

Each task is rolled out ``num_generations`` times; in every rollout the model calls the real
tools (:class:`vagent.faces.trl_rollout.TRLRolloutEnv`, the same registry and Episode code as
inference), sees their images, and answers. The reward spec's components are separate TRL
reward functions (logged as ``rewards/<name>/mean``, weighted by ``reward_weights``); episode
statistics (accuracy, turns, tool calls per tool, frames) are logged through ``log_metric``.
Tool-result tokens are masked out of the loss; tool images go into the loss forward pass.

    vagent train grpo --config training/configs/grpo_tiny.yaml
    accelerate launch --config_file training/configs/accelerate_zero3.yaml -m vagent.training.grpo \
        --config training/configs/grpo_qwen3vl_8b.yaml
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trl import GRPOTrainer

from vagent.training.grpo_config import VagentGRPOConfig, load_config

__all__ = ["GRPOResult", "VagentGRPOTrainer", "build_trainer", "load_config", "plot_rewards", "run"]


@dataclass
class GRPOResult:
    """What :func:`run` produced."""

    output_dir: Path
    steps: int
    log_history: list[dict[str, Any]] = field(default_factory=list)
    reward_curve: Path | None = None
    resumed_from: Path | None = None
    """The checkpoint training continued from (``resume_from_checkpoint``), if any."""

    def last(self, key: str) -> float:
        """The last logged value of ``key`` (NaN if never logged)."""
        values = [row[key] for row in self.log_history if key in row]
        return float(values[-1]) if values else math.nan


class VagentGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` that tells each environment when a new model turn starts, and runs all
    rollouts' tool calls of a turn at once.

    TRL runs one turn's tool calls back to back and never tells an environment where a turn ends;
    :class:`~vagent.faces.trl_rollout.TRLRolloutEnv` needs that for the turn budget and its notice.
    TRL's tool loop also calls the rollouts' tools one after another; when TRL asks for the first
    call of a turn, every rollout's calls of that turn are started in the tool workers
    (``env.tool_workers``), and TRL's calls then take their results in its own order.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from vagent.training._config import quiet_library_deprecations

        quiet_library_deprecations()
        super().__init__(*args, **kwargs)

    def _tool_call_loop(self, prompts: Any, prompt_ids: Any, completion_ids: Any, completions: Any,
                        *args: Any, **kwargs: Any) -> Any:
        started: set[int] = set()  # the assistant messages whose calls were started

        def start_turn() -> None:
            for rollout, environment in zip(completions, self.environments or ()):
                last = rollout[-1] if rollout else None
                if isinstance(last, dict) and last.get("tool_calls") and id(last) not in started:
                    started.add(id(last))
                    calls = [(c["function"]["name"], c["function"].get("arguments") or {})
                             for c in last["tool_calls"] if c.get("type") == "function"]
                    getattr(environment, "_start_calls", lambda calls: None)(calls)

        def starting(tool: Callable[..., Any]) -> Callable[..., Any]:
            def call(*call_args: Any, **call_kwargs: Any) -> Any:
                start_turn()
                return tool(*call_args, **call_kwargs)
            return call

        own = self._sync_tool_dicts
        self._sync_tool_dicts = [{name: starting(tool) for name, tool in tools.items()} for tools in own]
        try:
            return super()._tool_call_loop(prompts, prompt_ids, completion_ids, completions, *args, **kwargs)
        finally:
            self._sync_tool_dicts = own

    def _generate_single_turn(self, *args: Any, **kwargs: Any) -> Any:
        for environment in self.environments or ():
            next_turn = getattr(environment, "_next_turn", None)
            if next_turn is not None:
                next_turn()
        return super()._generate_single_turn(*args, **kwargs)


def build_trainer(config: VagentGRPOConfig) -> Any:
    """The :class:`trl.GRPOTrainer` for ``config``: tasks, environment, rewards, optional LoRA."""
    import os

    from transformers import AutoProcessor, AutoTokenizer

    from vagent.agent.hf_loading import model_kind
    from vagent.env.environment import batch_config
    from vagent.env.tasks import load_tasks
    from vagent.faces.trl_dataset import training_dataset
    from vagent.faces.trl_rewards import check_task_specs, reward_funcs
    from vagent.faces.trl_rollout import make_environment_factory
    from vagent.training._config import lora_config, model_path, trl_tool_template

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # environment_factory is experimental in TRL
    if not config.tasks:
        raise ValueError("grpo: set tasks (a tasks.jsonl file)")
    tasks = load_tasks(config.tasks, check_videos=True)[: config.limit]
    check_task_specs(tasks, config.env.reward)
    model = model_path(config.model)
    # loaded as TRL would load it, once: the placeholder ids come from its tokenizer
    text_only = model_kind(model) == "text"
    auto = AutoTokenizer if text_only else AutoProcessor  # a causal LM: its tokenizer is the processing class
    processor = auto.from_pretrained(model, truncation_side="left", padding_side="left", trust_remote_code=config.trust_remote_code)
    if text_only:
        processor = trl_tool_template(processor)
    suppress_placeholders(config, getattr(processor, "tokenizer", processor))
    env_config = replace(batch_config(config.env_config()), text_only=text_only)
    return VagentGRPOTrainer(
        model=model,
        reward_funcs=reward_funcs(config.env.reward),
        args=config,
        processing_class=processor,
        train_dataset=training_dataset(tasks),
        environment_factory=make_environment_factory(env_config),
        peft_config=lora_config(config),
    )


def suppress_placeholders(config: VagentGRPOConfig, tokenizer: Any) -> None:
    """Never sample a vision placeholder token (image, video, vision start/end) in a rollout.

    TRL suppresses only the image token; a sampled ``<|video_pad|>`` makes the next forward pass
    look for video features that do not exist and crashes training (seen at temperature 1.0).
    Sets ``generation_kwargs["suppress_tokens"]`` unless the config sets it; not with vLLM, whose
    sampling parameters have no such option.
    """
    kwargs = dict(config.generation_kwargs or {})
    if config.use_vllm or "suppress_tokens" in kwargs:
        return
    from vagent.agent.messages import placeholder_token_ids

    kwargs["suppress_tokens"] = placeholder_token_ids(tokenizer)
    config.generation_kwargs = kwargs


def plot_rewards(log_history: list[dict[str, Any]], path: str | Path) -> Path | None:
    """Reward (total and per component) and answer accuracy per step, as a PNG; None if nothing logged."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [row for row in log_history if "reward" in row and "step" in row]
    if not rows:
        return None
    steps = [row["step"] for row in rows]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    top.plot(steps, [row["reward"] for row in rows], label="reward (weighted total)", linewidth=2)
    for key in sorted({k for row in rows for k in row if k.startswith("rewards/") and k.endswith("/mean")}):
        top.plot(steps, [row.get(key, math.nan) for row in rows], label=key, alpha=0.7)
    top.set_ylabel("reward")
    top.legend(fontsize=7)
    for key in ("episode/accuracy", "episode/answered", "tools/call_frequency"):
        if any(key in row for row in rows):
            bottom.plot(steps, [row.get(key, math.nan) for row in rows], label=key)
    bottom.set_xlabel("step")
    bottom.legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def run(config: VagentGRPOConfig) -> GRPOResult:
    """Train (resuming if asked), save model + processor + logs + reward curve to ``output_dir``."""
    from vagent.training._config import resume_path, save_outputs

    trainer = build_trainer(config)
    resume = resume_path(config.resume_from_checkpoint, config.output_dir)
    trainer.train(resume_from_checkpoint=resume)
    out = save_outputs(trainer, config.output_dir, config.merge_adapter)
    history = list(trainer.state.log_history)
    (out / "log_history.json").write_text(json.dumps(history, indent=1, default=str), encoding="utf-8")
    curve = plot_rewards(history, out / "reward_curve.png") if config.reward_curve else None
    return GRPOResult(out, int(trainer.state.global_step), history, curve, Path(resume) if resume else None)


def main(argv: list[str] | None = None) -> None:
    """``python -m vagent.training.grpo --config FILE [key=value ...]`` (for ``accelerate launch``)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None)
    parser.add_argument("overrides", nargs="*", help="key=value")
    args = parser.parse_args(argv)
    result = run(load_config(args.config, args.overrides))
    print(f"steps={result.steps} reward={result.last('reward'):.3f} output_dir={result.output_dir}")


if __name__ == "__main__":
    main()
