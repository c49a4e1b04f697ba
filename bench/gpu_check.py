"""GPU check: what vagent does on one CUDA device, in one table, in under 8 minutes.

    python bench/gpu_check.py            # on a machine with a CUDA GPU; exits 2 without one

Rows: the tiny Qwen3-VL in bf16 through ``vagent ask`` (the CLI picks CUDA and bf16 by itself), one
GRPO step and one SFT step on CUDA (tiny model, real tools, a collected dataset), an index build of
a real clip with CLIP on CUDA against the same build on the CPU, and one GRPO step whose tools run
in two tool workers beside the CUDA trainer (the workers stay on the CPU). Every row says ok or
the error. Nothing else in vagent depends on a GPU; the tests never run this.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RANDOM_INDEX = {"clip_model": "ViT-B-32", "clip_pretrained": None, "allow_random_clip": True}


def row(name: str, run: Callable[[], str]) -> tuple[str, float, str]:
    started = time.perf_counter()
    try:
        detail = run()
    except Exception as err:  # noqa: BLE001 - a failing row is reported, the others still run
        detail = f"FAILED {type(err).__name__}: {err}"[:200]
    return name, time.perf_counter() - started, detail


def ask_bf16(work: Path) -> str:
    from vagent.tools.examples import example_video

    out = subprocess.run([sys.executable, "-m", "vagent", "ask", str(example_video("bikes")), "How many scenes are there?",
                          "--model", "tiny", "--max-turns", "2", "--max-new-tokens", "32", "--clip-pretrained", "random",
                          "--trace-out", str(work / "ask.jsonl")], capture_output=True, text=True, timeout=240,
                         env={**os.environ, "VAGENT_CACHE_DIR": str(work / "cache")})
    if out.returncode not in (0, 1):  # 1: no answer within the budget, normal for random weights
        raise RuntimeError(f"exit {out.returncode}: {out.stderr[-300:]}")
    from vagent.agent.loader import Sampling, load_policy

    policy = load_policy("tiny", Sampling(max_new_tokens=8))[0]
    model = policy.model
    return f"exit {out.returncode}; policy on {model.device} in {model.dtype}"


def grpo_step(work: Path, tool_workers: int) -> str:
    import torch

    from vagent.agent.tiny_model import tiny_model_path
    from vagent.env.synthetic import make_suite
    from vagent.training.grpo import build_trainer
    from vagent.training.grpo_config import VagentGRPOConfig

    make_suite(2, work / f"grpo{tool_workers}", seed=5, families=["count_cuts"], variant="number", duration=6.0)
    trainer = build_trainer(VagentGRPOConfig(
        model=str(tiny_model_path(work / "model")), tasks=str(work / f"grpo{tool_workers}" / "tasks.jsonl"),
        output_dir=str(work / f"grpo-out{tool_workers}"), max_steps=1, per_device_train_batch_size=8, num_generations=4,
        max_completion_length=256, max_tool_calling_iterations=2, beta=0.0, save_strategy="no", report_to="none", bf16=True,
        env={"reward": "accuracy", "overview_frames": 1, "tool_workers": tool_workers, "index": RANDOM_INDEX}))
    trainer.train()
    device = next(trainer.model.parameters()).device
    if device.type != "cuda":
        raise RuntimeError(f"the trainer ran on {device}")
    loss = [r["loss"] for r in trainer.state.log_history if "loss" in r]
    return f"on {device}, loss {loss[-1]:.4f}, peak {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB"


def sft_step(work: Path) -> str:
    from vagent.agent.tiny_model import tiny_model_path
    from vagent.env.environment import EnvConfig
    from vagent.env.synthetic import make_suite
    from vagent.tools.index import IndexSettings
    from vagent.training import collect, sft
    from vagent.training.sft_config import VagentSFTConfig

    make_suite(2, work / "sft", seed=6, families=["count_cuts"], variant="number", duration=6.0)
    data = collect.run(collect.CollectConfig(tasks=str(work / "sft" / "tasks.jsonl"), out=str(work / "sft.jsonl"),
                                             progress=False, env=EnvConfig(index=IndexSettings(**RANDOM_INDEX))))
    result = sft.run(VagentSFTConfig(model=str(tiny_model_path(work / "model")), dataset=str(data.path),
                                     output_dir=str(work / "sft-out"), max_steps=1, per_device_train_batch_size=1,
                                     bf16=True, save_strategy="no"))
    return f"{data.kept} trajectories, {result.steps} step, train loss {result.train_loss:.4f}"


def index_build(device: str, work: Path) -> str:
    from vagent.tools.clip import get_embedder
    from vagent.tools.examples import example_video
    from vagent.tools.index import IndexSettings, build_index

    os.environ["VAGENT_CLIP_DEVICE"] = device
    get_embedder("ViT-B-32", None, True)  # model creation is not part of the build
    index = build_index(example_video("bigbuckbunny"), IndexSettings(**RANDOM_INDEX, cache_dir=work / f"idx-{device}"))
    return f"CLIP {device}: {index.stats.get('embedded')} frames embedded"


def main() -> int:
    import torch

    if not torch.cuda.is_available():
        print("no CUDA device: bench/gpu_check.py needs one (nothing else in vagent does)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="vagent-gpu-"))
    os.environ.setdefault("VAGENT_CACHE_DIR", str(work / "cache"))
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}", flush=True)
    rows = [
        row("vagent ask --model tiny (bf16)", lambda: ask_bf16(work)),
        row("GRPO step (tiny, CUDA, tools in-process)", lambda: grpo_step(work, 0)),
        row("SFT step (tiny, CUDA)", lambda: sft_step(work)),
        row("index build, CLIP on CUDA", lambda: index_build("cuda", work)),
        row("index build, CLIP on CPU", lambda: index_build("cpu", work)),
        row("GRPO step, 2 tool workers beside CUDA", lambda: grpo_step(work, 2)),
    ]
    print(f"\n{'check':<44}{'seconds':>9}  result")
    for name, seconds, detail in rows:
        print(f"{name:<44}{seconds:>9.1f}  {detail}")
    (work / "gpu_check.json").write_text(json.dumps(rows, indent=1))
    return 1 if any(detail.startswith("FAILED") for _, _, detail in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
