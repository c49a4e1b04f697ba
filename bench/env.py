"""Environment throughput: steps per second for 1 and 8 envs over one video, and reset cost.

    OMP_NUM_THREADS=1 python bench/env.py                 # where_at task, 8 episodes per env
    python bench/env.py --family appear_when --episodes 4

The scripted policy drives every env (no model). CLIP weights are RANDOM (no download); the
index is built into a fresh cache. Columns: ``env s`` = time inside ``env.step`` (tools,
parsing, rewards), ``reset s`` = time inside ``env.reset`` (overview frames), ``policy s`` = time
inside the scripted policy (thread time summed, so it can exceed wall time with threads); ``env steps/s`` counts only
env time, ``loop steps/s`` the whole rollout loop. "8 threads" steps the 8 envs from a thread
pool (they share one tool registry, whose decoder is locked).

Reset rows: the first reset builds the index; later resets (same env, a new env instance) reuse
the process's tool registry; "disk cache" reopens the index after the in-process memo is cleared.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vagent.agent.episode import Budget  # noqa: E402
from vagent.agent.scripted import ScriptedPolicy  # noqa: E402
from vagent.env.environment import EnvConfig, VideoEnv  # noqa: E402
from vagent.env.synthetic import FAMILIES, make_task  # noqa: E402
from vagent.tools.clip import get_embedder  # noqa: E402
from vagent.tools.index import IndexSettings, build_count, clear_memo  # noqa: E402
from vagent.tools.registry import VideoTools  # noqa: E402


def rollout(env: VideoEnv, task, policy: ScriptedPolicy) -> tuple[int, float, float, float]:
    """One episode; returns (steps, seconds in env.step, seconds in the policy, seconds in reset)."""
    started = time.perf_counter()
    messages, info = env.reset(task)
    reset_s = time.perf_counter() - started
    history, steps, env_s, policy_s = list(messages), 0, 0.0, 0.0
    while True:
        started = time.perf_counter()
        generation = policy.generate(history, info["tools"])
        policy_s += time.perf_counter() - started
        started = time.perf_counter()
        new, _, terminated, truncated, _ = env.step(generation.text, generation)
        env_s += time.perf_counter() - started
        history += [{"role": "assistant", "content": generation.text}, *new]
        steps += 1
        if terminated or truncated:
            return steps, env_s, policy_s, reset_s


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="where_at", choices=FAMILIES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--episodes", type=int, default=8, help="episodes per env")
    parser.add_argument("--model", default="ViT-S-32", help="open_clip config (random weights)")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="vagent-bench-env-")  # removed when the script ends
    tmp = Path(scratch.name)
    task = make_task(args.family, args.seed, tmp / "videos")
    settings = IndexSettings(clip_model=args.model, clip_pretrained=None, allow_random_clip=True, cache_dir=tmp / "cache")
    config = EnvConfig(budget=Budget(), index=settings)
    model_s, _ = timed(lambda: get_embedder(args.model, None, True))
    print(f"task {task.id} ({task.metadata['duration']:.0f} s video), CLIP {args.model} random weights "
          f"(model creation {model_s:.2f} s, not counted below)\n")

    # ---------------------------------------------------------------- resets
    builds = build_count()
    env = VideoEnv(config)
    first, _ = timed(lambda: env.reset(task))
    again = min(timed(lambda: env.reset(task))[0] for _ in range(5))
    other = min(timed(lambda: VideoEnv(config).reset(task))[0] for _ in range(5))
    clear_memo()
    disk, tools = timed(lambda: VideoTools.open(task.video, settings))
    tools.close()
    rows = [("first reset (builds the index)", first), ("later reset, same env", again),
            ("first reset of another env", other), ("reopen from disk cache (memo cleared)", disk)]
    print(f"{'reset':<40}{'seconds':>9}")
    print("-" * 49)
    for name, seconds in rows:
        print(f"{name:<40}{seconds:>9.3f}")
    print(f"index builds: {build_count() - builds}\n")

    # ---------------------------------------------------------------- steps per second
    header = f"{'envs':<12}{'episodes':>9}{'steps':>7}{'reset s':>9}{'env s':>8}{'policy s':>9}{'wall s':>8}{'env steps/s':>12}{'loop steps/s':>13}"
    print(header)
    print("-" * len(header))
    policy = ScriptedPolicy()
    for label, count, threads in (("1", 1, False), ("8", 8, False), ("8 threads", 8, True)):
        envs = [VideoEnv(config) for _ in range(count)]

        def run_env(e: VideoEnv) -> list[tuple[int, float, float, float]]:
            return [rollout(e, task, policy) for _ in range(args.episodes)]

        started = time.perf_counter()
        if threads:  # one thread per env; an env is never stepped from two threads
            with ThreadPoolExecutor(count) as pool:
                results = [r for rs in pool.map(run_env, envs) for r in rs]
        else:  # round-robin over the envs, as a batched rollout loop does
            results = [rollout(e, task, policy) for _ in range(args.episodes) for e in envs]
        wall = time.perf_counter() - started
        steps = sum(r[0] for r in results)
        env_s, policy_s, reset_s = (sum(r[i] for r in results) for i in (1, 2, 3))
        print(f"{label:<12}{len(results):>9}{steps:>7}{reset_s:>9.2f}{env_s:>8.2f}{policy_s:>9.2f}{wall:>8.2f}"
              f"{steps / env_s:>12.1f}{steps / wall:>13.1f}")
    print(f"\nindex builds in total: {build_count() - builds} (one video, every env shares it)")


if __name__ == "__main__":
    main()
