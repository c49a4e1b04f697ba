"""Validation probe of bench/learn.py (how its GRPO lr was chosen): seed 0 SFT and a sampled
validation evaluation, then GRPO at the given learning rates in parallel, each evaluated on validation.

    python bench/learn_probe.py sft && python bench/learn_probe.py grpo 0.0001 0.0003
"""
import sys, json, time, multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import learn

def grpo_eval(args, seed, lr):
    import torch; torch.set_num_threads(1)
    from vagent.training import grpo
    run_dir = Path(args.out) / f"seed{seed}"
    t = time.time()
    result = grpo.run(grpo.load_config(None, {
        "model": str(run_dir / "sft"), "tasks": str(Path(args.out) / "rl" / "tasks.jsonl"), "output_dir": str(run_dir / f"grpo_lr{lr}"),
        "max_steps": args.grpo_steps, "per_device_train_batch_size": args.grpo_batch,
        "num_generations": args.num_generations, "max_completion_length": args.max_completion_length,
        "max_tool_calling_iterations": args.max_turns, "learning_rate": lr,
        "lr_scheduler_type": "constant", "beta": args.beta, "temperature": args.grpo_temperature,
        "reward": args.grpo_reward, "seed": seed, "max_frames": args.max_frames, "overview_frames": args.overview_frames,
        "index": {"clip_model": "ViT-S-32", "clip_pretrained": None, "allow_random_clip": True},
        "activation_checkpointing": False, "save_strategy": "no", "logging_steps": 1, "disable_tqdm": True}))
    g = time.time() - t
    val = learn.load_split(args, "val")
    ev = learn.evaluate_model(run_dir / f"grpo_lr{lr}", val, args, seed)
    return {"lr": lr, "grpo_s": g, "eval_s": time.time() - t - g, "val": ev, "curve": learn.grpo_curve(result.log_history)}

if __name__ == "__main__":
    stage = sys.argv[1]
    args = learn.Args(out="runs/probe_mixed", seeds=[0], workers=1)
    if stage == "sft":
        t0 = time.time()
        from vagent.env.environment import tools_for
        val = learn.suite(args, "val"); learn.suite(args, "test"); train = learn.suite(args, "train")
        for task in [*learn.suite(args, "rl"), *val]:
            tools_for(task.video, learn.index_settings())
        data = learn.collect_teacher(args, train)
        print("teacher", data["kept"], data["teacher"], flush=True)
        import torch; torch.set_num_threads(1)
        from vagent.agent.tiny_model import build_tiny_model
        from vagent.training import sft
        run_dir = Path(args.out) / "seed0"
        base = build_tiny_model(run_dir / "base", seed=0)
        sft.run(sft.load_config(None, {"model": str(base), "dataset": data["path"], "output_dir": str(run_dir / "sft"), "max_steps": args.sft_steps,
            "per_device_train_batch_size": 2, "learning_rate": args.sft_lr, "lr_scheduler_type": "cosine", "warmup_steps": args.sft_warmup_steps, "seed": 0,
            "activation_checkpointing": False, "save_strategy": "no", "logging_steps": 20, "max_image_side": 256, "disable_tqdm": True}))
        t1 = time.time(); print("sft_s", t1 - t0, flush=True)
        ev = learn.evaluate_model(run_dir / "sft", val, args, 0)
        print("SFTVAL", json.dumps(ev), "eval_s", time.time() - t1, flush=True)
    else:
        lrs = [float(x) for x in sys.argv[2:]]
        with ProcessPoolExecutor(len(lrs), mp_context=multiprocessing.get_context("spawn")) as pool:
            for r in pool.map(grpo_eval, [args] * len(lrs), [0] * len(lrs), lrs):
                print("GRPOVAL", json.dumps(r), flush=True)
