"""LoRA trains only adapter weights (SFT and GRPO); a stopped run resumed from its last checkpoint
reaches the state of an uninterrupted one."""

from __future__ import annotations

import pytest

from tests.test_trl_env import RANDOM_INDEX, _scripted_generation, synthetic_tasks  # noqa: F401 (fixture)

LORA = {"use_peft": True, "lora_r": 4, "lora_alpha": 8, "lora_dropout": 0.0}
FAST = {"activation_checkpointing": False, "per_device_train_batch_size": 2, "logging_steps": 1, "report_to": "none"}


@pytest.fixture(scope="module")
def sft_data(tmp_path_factory):
    from vagent.env.synthetic import make_suite
    from vagent.training import collect

    root = tmp_path_factory.mktemp("lora")
    make_suite(4, root / "suite", seed=5, families=["count_cuts", "where_at"])
    config = collect.load_config(None, {"tasks": str(root / "suite" / "tasks.jsonl"), "out": str(root / "sft.jsonl"),
                                        "env": {"index": RANDOM_INDEX}, "progress": False})
    result = collect.run(config)
    assert result.kept >= 2
    return result.path


def _split(model):
    base = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" not in n}
    lora = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" in n}
    return base, lora


def _assert_only_adapters_trained(model, base, lora):
    import torch

    assert lora and all(p.requires_grad == ("lora_" in n) for n, p in model.named_parameters())
    now = dict(model.named_parameters())
    assert all(torch.equal(now[n], value) for n, value in base.items()), "a base weight changed"
    changed = [n for n, value in lora.items() if not torch.equal(now[n], value)]
    assert changed and any("lora_B" in n for n in changed), "no adapter weight changed"


@pytest.mark.slow
def test_sft_lora_trains_only_the_adapter_and_saves_a_merged_model(sft_data, tiny_model_dir, tmp_path):
    import torch
    from transformers import AutoModelForImageTextToText

    from vagent.training import sft
    from vagent.training._config import save_outputs

    config = sft.load_config(None, {"model": str(tiny_model_dir), "dataset": str(sft_data), "output_dir": str(tmp_path),
                                    "max_steps": 2, "learning_rate": 1e-2, "save_strategy": "no", "max_image_side": 64,
                                    **FAST, **LORA})
    trainer = sft.build_trainer(config)
    base, lora = _split(trainer.model)
    trainer.train()
    _assert_only_adapters_trained(trainer.model, base, lora)

    save_outputs(trainer, tmp_path, merge_adapter=True)
    merged = AutoModelForImageTextToText.from_pretrained(tmp_path)
    original = AutoModelForImageTextToText.from_pretrained(tiny_model_dir)
    differs = [n for n, p in merged.state_dict().items() if not torch.equal(p, original.state_dict()[n])]
    assert differs, "the merged model equals the base model"
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()

    # `vagent train merge` on the adapter alone gives the same model; training refuses the adapter folder
    from vagent.errors import ModelLoadError
    from vagent.training._config import merge_adapter, model_path

    again = AutoModelForImageTextToText.from_pretrained(merge_adapter(tmp_path / "adapter", tmp_path / "merged"))
    assert all(torch.allclose(p, merged.state_dict()[n], atol=1e-6) for n, p in again.state_dict().items())
    with pytest.raises(ModelLoadError, match="vagent train merge"):
        model_path(str(tmp_path / "adapter"))


@pytest.mark.slow
def test_grpo_lora_trains_only_the_adapter(synthetic_tasks, tiny_model_dir, tmp_path):  # noqa: F811
    from vagent.training.grpo import build_trainer
    from vagent.training.grpo_config import VagentGRPOConfig

    trainer = build_trainer(VagentGRPOConfig(
        model=str(tiny_model_dir), tasks=str(synthetic_tasks[1]), output_dir=str(tmp_path), max_steps=1,
        num_generations=2, max_completion_length=400, max_tool_calling_iterations=1, save_strategy="no", beta=0.04,
        env={"index": RANDOM_INDEX, "reward": "format", "budget": {"max_frames": 8}}, learning_rate=1e-2, **FAST, **LORA))
    # rewards differ inside the group (one rollout answers, one does not), so the step has a gradient
    _scripted_generation(trainer, [lambda row: "<think>x</think><answer>3</answer>" if row % 2 == 0 else "<think>x</think>"])
    base, lora = _split(trainer.model)
    trainer.train()
    _assert_only_adapters_trained(trainer.model, base, lora)


class _StopAt:
    """A TrainerCallback that ends training after ``step`` (as a crash or a cancelled job would)."""

    def __init__(self, step: int):
        self.step = step

    def __getattr__(self, name):  # every other callback event: nothing to do
        return lambda *args, **kwargs: None

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            control.should_training_stop = True
        return control


def _losses(history):
    return {row["step"]: row["loss"] for row in history if "loss" in row}


@pytest.mark.slow
def test_sft_resume_from_last_checkpoint_matches_an_uninterrupted_run(sft_data, tiny_model_dir, tmp_path):
    import torch

    from vagent.training import sft

    def config(out, **extra):
        return sft.load_config(None, {"model": str(tiny_model_dir), "dataset": str(sft_data), "output_dir": str(out),
                                      "max_steps": 3, "save_steps": 2, "learning_rate": 5e-3, "seed": 3, "max_image_side": 64,
                                      **FAST, **extra})

    whole = sft.run(config(tmp_path / "whole"))
    whole_losses = _losses(whole_history := list(_history(tmp_path / "whole")))
    assert whole.steps == 3 and len(whole_losses) == 3, whole_history

    stopped = sft.build_trainer(config(tmp_path / "resumed"))
    stopped.add_callback(_StopAt(2))
    stopped.train()
    checkpoint = tmp_path / "resumed" / "checkpoint-2"
    assert stopped.state.global_step == 2 and checkpoint.is_dir()
    written = (checkpoint / "trainer_state.json").stat().st_mtime_ns

    resumed = sft.run(config(tmp_path / "resumed", resume_from_checkpoint="last"))
    # it continued from step 2 (a fresh start would have rewritten checkpoint-2)
    assert resumed.steps == 3 and resumed.resumed_from == checkpoint
    assert (checkpoint / "trainer_state.json").stat().st_mtime_ns == written
    resumed_losses = _losses(_history(tmp_path / "resumed"))
    for step in (1, 2, 3):  # same data order, same optimizer and schedule state
        assert resumed_losses[step] == pytest.approx(whole_losses[step], rel=1e-3, abs=1e-4)
    assert len(set(whole_losses.values())) > 1  # the steps saw different batches, so equal losses mean equal order
    from transformers import AutoModelForImageTextToText

    one = AutoModelForImageTextToText.from_pretrained(tmp_path / "whole").state_dict()
    two = AutoModelForImageTextToText.from_pretrained(tmp_path / "resumed").state_dict()
    assert all(torch.allclose(one[n], two[n], atol=1e-5) for n in one)


def _history(output_dir):
    """The log history saved with the newest checkpoint (every logged step up to it)."""
    import json

    from transformers.trainer_utils import get_last_checkpoint

    last = get_last_checkpoint(str(output_dir))
    state = json.loads((output_dir / last.split("/")[-1] / "trainer_state.json").read_text())
    return state["log_history"]
