"""Text reading with RapidOCR (PP-OCR ONNX models shipped inside the ``rapidocr`` wheel).

The engine loads once per process, on first use (about 3 s), and is shared by threads.

Two settings differ from RapidOCR's defaults, for speed (bench/rollout.py measures both ways):

- text detection runs at RapidOCR's size (the short side scaled up to 736 pixels) but with the
  long side at most 960: a 720p frame is searched for text at 960x540, not 1309x736, four
  times fewer pixels at the rate CPU inference pays for them; lines are still recognised from
  the full-resolution frame. Scores may move in the second decimal; text under about 10 pixels
  tall in a 720p frame may be missed. A small image (a box) is enlarged as before.
- the 180-degree line classifier is off: text in video is upright, so an upside-down line is
  read as it stands.

``VAGENT_OCR_THREADS`` sets onnxruntime's threads (tool workers set one per core they own).
"""

from __future__ import annotations

import logging
import os
import threading

from PIL import Image

_engine = None
_lock = threading.Lock()

DETECT_SHORT_SIDE, DETECT_LONG_SIDE = 736, 960
"""Text detection sees the image with its short side enlarged to 736 pixels, its long side at most 960."""
ENGINE_PARAMS = {"Det.limit_type": "max", "Det.limit_side_len": DETECT_LONG_SIDE, "Global.use_cls": False}
"""What vagent changes in RapidOCR's configuration (see the module docstring)."""


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


def read_text(image: Image.Image, min_score: float = 0.5) -> list[TextLine]:
    """Lines of text in ``image``, top to bottom then left to right, with score >= ``min_score``."""
    engine = get_engine()
    rgb = image.convert("RGB")
    # RapidOCR itself shrinks a large image for detection (ENGINE_PARAMS); a small one is enlarged here
    scale = min(DETECT_SHORT_SIDE / min(rgb.size), DETECT_LONG_SIDE / max(rgb.size))
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
