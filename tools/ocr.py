"""Text reading with RapidOCR (PP-OCR ONNX models shipped inside the ``rapidocr`` wheel).

The engine loads once per process, on first use (about 3 s), and is shared by threads.

Three settings differ from RapidOCR's defaults, for speed (bench/rollout.py measures both ways):

- text detection sees an image with its long side at most 736 pixels (RapidOCR scales the short
  side up to 736: a 720p frame at 1309x736); a small image (a box, a small video) is enlarged to
  that size. Lines are still recognised from the full-resolution frame. Measured on 52 frames of
  three real clips with text (PySceneDetect's counter 1080p, testvideo 720p, goldeneye 1280x544;
  ``bench/ocr_size.py``): the lines read at 736 equal those read at 960 on every counter and testvideo
  frame; on goldeneye 16 of 21 frames differ, all in small, already misread interface labels
  ("MESSHGE", "urrLINE"); over all 52 frames 736 reads 204 lines, 960 reads 214; its sentences ("Initiate
  Search Program", "Enter Possword") are read the same. Text under about 13 pixels tall in a 720p
  frame (7-8 pixels once scaled for detection) may be missed: read a ``box`` around it, which is
  enlarged. A frame's OCR at 736 took 0.53x-0.73x the time of 960 (two runs, busy machine).
- the 180-degree line classifier is off: text in video is upright, so an upside-down line is
  read as it stands.
- onnxruntime's memory arena is on (RapidOCR turns it off): the same results, about 1.3x faster
  detection, at the cost of the arena's peak memory staying allocated.

``VAGENT_OCR_THREADS`` sets onnxruntime's threads (tool workers set one per core they own).
"""

from __future__ import annotations

import logging
import os
import threading

import numpy as np
from PIL import Image

_engine = None
_lock = threading.Lock()

DETECT_SIDE = 736
"""Text detection sees the image with its long side at most this (a smaller image enlarged to it)."""
ENGINE_PARAMS = {"Det.limit_type": "max", "Det.limit_side_len": DETECT_SIDE, "Global.use_cls": False,
                 "EngineConfig.onnxruntime.enable_cpu_mem_arena": True}
"""What vagent changes in RapidOCR's configuration (see the module docstring)."""
MIN_SCORE = 0.5
"""Lines read with a lower confidence are dropped."""


def _threads() -> dict[str, int]:
    threads = os.environ.get("VAGENT_OCR_THREADS", "")
    return {"EngineConfig.onnxruntime.intra_op_num_threads": int(threads)} if threads.isdigit() else {}


TextLine = tuple[str, float, list[list[float]]]
"""One detected line: text, confidence in [0, 1], and its 4 corner points ``[[x, y], ...]``."""


def get_engine():
    """The shared ``RapidOCR`` engine (created on first call)."""
    global _engine
    with _lock:
        if _engine is None:
            from rapidocr import RapidOCR

            _engine = RapidOCR(params=ENGINE_PARAMS | _threads())
            # "text detection result is empty" is an answer here, not a warning worth printing
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return _engine


def read_text(image: Image.Image, min_score: float = MIN_SCORE) -> list[TextLine]:
    """Lines of text in ``image``, top to bottom then left to right, with score >= ``min_score``."""
    engine = get_engine()
    rgb = image.convert("RGB")
    # RapidOCR itself shrinks a large image for detection (ENGINE_PARAMS); a small one is enlarged here
    scale = DETECT_SIDE / max(rgb.size)
    if scale > 1.0:
        rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.BICUBIC)
    scale = max(scale, 1.0)
    with _lock:  # onnxruntime sessions are thread-safe, but RapidOCR keeps per-call state
        result = engine(rgb)
    if result is None or not result.txts:
        return []
    lines = [
        (str(text), float(score), [[float(x) / scale, float(y) / scale] for x, y in box])
        for text, score, box in zip(result.txts, result.scores, result.boxes)
        if float(score) >= min_score and str(text).strip()
    ]
    return sorted(lines, key=lambda line: (round(line[2][0][1] / 10), line[2][0][0]))


def text_colour(image: Image.Image, box: list[list[float]]) -> list[int]:
    """The colour of a line's letters, as ``[r, g, b]``: the median of the tenth of the pixels in its box
    farthest from the box's border colour (the background around the letters). "What do the red words
    say?" is answered from it."""
    xs, ys = [x for x, _ in box], [y for _, y in box]
    left, top = max(0, int(min(xs))), max(0, int(min(ys)))
    right, bottom = min(image.width, int(max(xs)) + 1), min(image.height, int(max(ys)) + 1)
    if right - left < 2 or bottom - top < 2:
        return [int(v) for v in image.convert("RGB").getpixel((min(left, image.width - 1), min(top, image.height - 1)))]
    pixels = np.asarray(image.convert("RGB").crop((left, top, right, bottom)), dtype=np.float32)
    background = np.median(np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]]), axis=0)
    flat = pixels.reshape(-1, 3)
    far = np.linalg.norm(flat - background, axis=1)
    return [int(v) for v in np.median(flat[far >= np.quantile(far, 0.9)], axis=0)]


def line_box(image: Image.Image, box: list[list[float]]) -> list[float]:
    """A line's corner points as a box ``[x1, y1, x2, y2]`` in fractions of ``image`` (what was read:
    the frame, or the region asked), so "the line under X" can be told from its position."""
    xs, ys = [x for x, _ in box], [y for _, y in box]
    return [round(min(max(v / size, 0.0), 1.0), 4) for v, size in
            ((min(xs), image.width), (min(ys), image.height), (max(xs), image.width), (max(ys), image.height))]
