"""What reading text at a smaller detection size changes: lines read and time, per clip, in one run.

    OMP_NUM_THREADS=1 python bench/ocr_size.py --psd-dir DIR [--sizes 960 736]

Reads every sampled frame of PySceneDetect's test clips that show text (``counter.mp4`` 1080p,
``testvideo.mp4`` 720p, ``goldeneye-vfr-drop3.mp4`` 1280x544: the ``tests/resources`` folder of
the ``resources`` branch of Breakthrough/PySceneDetect, given with ``--psd-dir``) with
``vagent.tools.ocr``'s engine settings at each detection size, and prints per clip: frames, frames
whose lines equal those of the first size, lines read, and the median seconds per frame.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vagent.tools import ocr  # noqa: E402
from vagent.tools.video import Video  # noqa: E402

CLIPS = (("counter.mp4", 0.5), ("testvideo.mp4", 1.0), ("goldeneye-vfr-drop3.mp4", 0.5))
"""Clip and seconds between sampled frames."""


def engine(side: int):
    from rapidocr import RapidOCR

    params = ocr.ENGINE_PARAMS | {"Det.limit_side_len": side, "Global.log_level": "error"}
    return RapidOCR(params=params)


def lines(read, array: np.ndarray) -> tuple[list[str], float]:
    started = time.perf_counter()
    result = read(array)
    seconds = time.perf_counter() - started
    return sorted(t for t, s in zip(result.txts or [], result.scores or []) if s >= 0.5 and t.strip()), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--psd-dir", type=Path, required=True, help="PySceneDetect's tests/resources folder")
    parser.add_argument("--sizes", type=int, nargs="+", default=[960, ocr.DETECT_SIDE])
    args = parser.parse_args()
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    engines = {side: engine(side) for side in args.sizes}
    first = args.sizes[0]
    print(f"| clip | size | frames | lines equal to {first} | lines read | s/frame (median) |")
    print("|---|---|---|---|---|---|")
    for name, step in CLIPS:
        video = Video(args.psd_dir / name)
        frames = [np.asarray(video.frame_at(t).image.convert("RGB"))
                  for t in np.arange(0.0, video.info.duration, step)]
        for read in engines.values():
            read(frames[0])  # warm
        seen = {side: [lines(read, f) for f in frames] for side, read in engines.items()}
        for side in args.sizes:
            equal = sum(a[0] == b[0] for a, b in zip(seen[side], seen[first]))
            print(f"| {name} | {side} | {len(frames)} | {equal} | {sum(len(x[0]) for x in seen[side])} | "
                  f"{statistics.median(x[1] for x in seen[side]):.3f} |", flush=True)
        video.close()


if __name__ == "__main__":
    main()
