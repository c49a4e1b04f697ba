"""``vagent train``: collect, SFT, GRPO and merge, each a thin call into :mod:`vagent.training`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from vagent._terminal import fail, say
from vagent.errors import VagentError

train_app = typer.Typer(help="Post-training: collect trajectories, SFT, GRPO (docs/training.md).", no_args_is_help=True)
CONFIG_ARGUMENT = typer.Option(None, "--config", "-c", help="YAML config (training/configs/ has examples).")
OVERRIDES_ARGUMENT = typer.Argument(None, help="Overrides as key=value (values read as YAML), applied after the config.")


def _training(module_name: str, config: Optional[Path], overrides: Optional[list[str]]):
    """Load a training entry point's config (clear errors), run it, return its result."""
    import importlib

    module = importlib.import_module(f"vagent.training.{module_name}")
    try:
        settings = module.load_config(str(config) if config else None, overrides or [])
    except (VagentError, ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    try:
        return module.run(settings)
    except (VagentError, FileNotFoundError) as exc:
        fail(str(exc))


@train_app.command("collect")
def train_collect(config: Optional[Path] = CONFIG_ARGUMENT, overrides: Optional[list[str]] = OVERRIDES_ARGUMENT) -> None:
    """Run a policy over tasks and keep the trajectories the reward accepts, as an SFT dataset."""
    result = _training("collect", config, overrides)
    say(f"kept {result.kept}/{result.episodes} trajectories covering {result.tasks_covered}/{result.tasks} tasks; "
        f"dropped {result.dropped_reward} for reward, {result.dropped_inconsistent} for reasoning that names another answer "
        f"(mean reward {result.mean_reward:.3f}, accuracy {result.mean_accuracy:.3f}; {result.concurrency} at once)"
        f"\ndataset: {result.path}")


@train_app.command("sft")
def train_sft(config: Optional[Path] = CONFIG_ARGUMENT, overrides: Optional[list[str]] = OVERRIDES_ARGUMENT) -> None:
    """Supervised fine-tuning on collected trajectories (TRL SFTTrainer, assistant tokens only)."""
    result = _training("sft", config, overrides)
    resumed = f" (resumed from {result.resumed_from})" if result.resumed_from else ""
    say(f"{result.steps} steps on {result.examples} examples{resumed}, train loss {result.train_loss:.4f}\nmodel: {result.output_dir}")


@train_app.command("grpo")
def train_grpo(config: Optional[Path] = CONFIG_ARGUMENT, overrides: Optional[list[str]] = OVERRIDES_ARGUMENT) -> None:
    """GRPO in the tool environment with verifiable rewards (TRL GRPOTrainer, environment_factory)."""
    result = _training("grpo", config, overrides)
    resumed = f" (resumed from {result.resumed_from})" if result.resumed_from else ""
    say(f"{result.steps} steps{resumed}, last reward {result.last('reward'):.3f}\nmodel: {result.output_dir}  curve: {result.reward_curve}")


@train_app.command("merge")
def train_merge(
    adapter: Path = typer.Argument(..., help="A LoRA adapter folder (adapter_config.json), e.g. OUTPUT_DIR/adapter."),
    out: Path = typer.Option(..., "--out", help="Folder for the merged model + processor."),
) -> None:
    """Merge a LoRA adapter into its base model (training runs with use_peft already save merged models)."""
    from vagent.training._config import merge_adapter

    try:
        folder = merge_adapter(adapter, out)
    except (VagentError, OSError) as exc:
        fail(str(exc))
    say(f"merged model: {folder}")
