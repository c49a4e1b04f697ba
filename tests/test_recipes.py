"""The shipped recipes run as shipped, with the tiny model standing in and GPU-only switches off.

Each chain follows the configs' own comments: collect -> SFT -> GRPO from the SFT output ->
``vagent ask`` / ``vagent eval`` on the GRPO output, through the CLI, from a working folder that
holds ``runs/synthetic`` (the path every shipped config names). The only overrides are the model
(``model=tiny``; offline CLIP: ``env.index.clip_pretrained=null``), the GPU switches (``bf16``,
``use_vllm``, ``activation_checkpointing``) and the run length (steps; for the teacher collect one
attempt of two 128-token turns on one task); the 2B and 8B SFT and GRPO steps also get no accumulation, every GRPO
step a shorter completion budget, and ``vagent ask`` / ``eval`` a shorter turn, which only change how long CPU
training and generation take.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from vagent.cli import app
from vagent.env.tasks import load_tasks

CONFIGS = Path(__file__).resolve().parents[1] / "training" / "configs"
NO_GPU = ["bf16=false", "activation_checkpointing=false", "gradient_accumulation_steps=1"]
OFFLINE_CLIP = ["env.index.clip_pretrained=null", "env.index.allow_random_clip=true"]
SHORT_GRPO_STEP = ["max_steps=1", "max_completion_length=64"]
"""One GRPO step of a random tiny model, which writes every token it may: a CPU-sized step."""
runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, f"vagent {' '.join(map(str, args))} -> {result.exit_code}\n{result.output}"
    return result.output


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A working folder with ``runs/synthetic`` (two tasks of every family) and the collected data."""
    import os

    from vagent.env.synthetic import make_suite

    root = tmp_path_factory.mktemp("recipes")
    make_suite(6, root / "runs" / "synthetic", seed=7)
    before = os.getcwd()
    os.chdir(root)
    try:
        out = cli("train", "collect", "--config", CONFIGS / "collect_scripted.yaml", *OFFLINE_CLIP)
        assert "kept" in out
        yield root
    finally:
        os.chdir(before)


@pytest.mark.slow
def test_2b_recipe_chain_collect_lora_sft_grpo_ask_eval(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    cli("train", "sft", "--config", CONFIGS / "sft_qwen3vl_2b.yaml", "model=tiny", *NO_GPU, "max_steps=2")
    sft_out = workdir / "runs" / "sft-qwen3vl-2b"
    # LoRA output: a merged, full model folder where the GRPO config looks for it, the adapter beside it
    assert (sft_out / "config.json").is_file() and (sft_out / "adapter" / "adapter_config.json").is_file()
    cli("train", "grpo", "--config", CONFIGS / "grpo_qwen3vl_2b.yaml", *NO_GPU, "use_vllm=false", *OFFLINE_CLIP,
        *SHORT_GRPO_STEP)
    grpo_out = workdir / "runs" / "grpo-qwen3vl-2b"
    assert (grpo_out / "config.json").is_file() and (grpo_out / "log_history.json").is_file()

    task = load_tasks(workdir / "runs" / "synthetic" / "tasks.jsonl")[0]
    for model in (grpo_out, grpo_out / "adapter"):  # the merged model, and base + adapter loaded together
        result = runner.invoke(app, ["ask", task.video, task.question, "--model", str(model), "--max-turns", "2",
                                     "--max-new-tokens", "64", "--clip-pretrained", "random", "--trace-out", str(workdir / "ask.jsonl")])
        assert result.exit_code in (0, 1), result.output  # answered, or "no answer"; never 3 (model not loaded)
    cli("eval", workdir / "runs" / "synthetic" / "tasks.jsonl", "--model", grpo_out, "--limit", "1", "--max-turns", "2",
        "--max-new-tokens", "64", "--clip-pretrained", "random", "--out", workdir / "eval")
    assert (workdir / "eval" / "results.jsonl").read_text().strip()


@pytest.mark.slow
def test_8b_recipe_chain_full_sft_then_grpo(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    cli("train", "sft", "--config", CONFIGS / "sft_qwen3vl_8b.yaml", "model=tiny", *NO_GPU, "max_steps=1")
    assert (workdir / "runs" / "sft-qwen3vl-8b" / "config.json").is_file()
    cli("train", "grpo", "--config", CONFIGS / "grpo_qwen3vl_8b.yaml", *NO_GPU, "use_vllm=false", *OFFLINE_CLIP,
        *SHORT_GRPO_STEP)
    assert (workdir / "runs" / "grpo-qwen3vl-8b" / "config.json").is_file()


@pytest.mark.slow
def test_tiny_recipe_chain(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    cli("train", "sft", "--config", CONFIGS / "sft_tiny.yaml", "max_steps=2")
    cli("train", "grpo", "--config", CONFIGS / "grpo_tiny.yaml", *SHORT_GRPO_STEP)
    assert (workdir / "runs" / "grpo-tiny" / "config.json").is_file()


@pytest.mark.slow
def test_teacher_collect_config_with_a_local_model(workdir, monkeypatch):
    """collect_teacher.yaml with the server URL swapped for a local model folder (the tiny one); one
    attempt of two turns of at most 128 tokens on one task, since a random model writes every token a turn allows."""
    monkeypatch.chdir(workdir)
    out = cli("train", "collect", "--config", CONFIGS / "collect_teacher.yaml", "policy=tiny", "limit=1", "attempts=1",
              "keep=1", "env.budget.max_turns=2", "max_new_tokens=128", *OFFLINE_CLIP)
    kept, episodes = map(int, out.split("kept ")[1].split(" ")[0].split("/"))
    assert episodes == 1 and kept + int(out.split("dropped ")[1].split(" ")[0]) + int(out.split("reward, ")[1].split(" ")[0]) == 1
    assert (workdir / "runs" / "collect" / "teacher.jsonl").is_file()


def test_every_shipped_training_config_is_covered():
    """A new sft_/grpo_/collect_ config must join a chain above."""
    covered = {"collect_scripted", "collect_teacher", "sft_qwen3vl_2b", "grpo_qwen3vl_2b", "sft_qwen3vl_8b",
               "grpo_qwen3vl_8b", "sft_tiny", "grpo_tiny"}
    shipped = {p.stem for p in CONFIGS.glob("*.yaml") if p.stem.startswith(("sft_", "grpo_", "collect_"))}
    assert shipped == covered


@pytest.mark.parametrize("name", sorted(p.name for p in CONFIGS.glob("accelerate_*.yaml")))
def test_accelerate_files_parse_with_accelerate(name):
    """accelerate's own loader reads each launch file (the check `accelerate launch --config_file` does)."""
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(CONFIGS / name))
    assert config.num_processes == 8 and config.mixed_precision == "bf16"
    kind = config.distributed_type.value if hasattr(config.distributed_type, "value") else str(config.distributed_type)
    assert kind in ("DEEPSPEED", "FSDP")
    if kind == "DEEPSPEED":
        assert config.deepspeed_config["zero_stage"] == 3
    else:
        assert config.fsdp_config["fsdp_version"] == 2
