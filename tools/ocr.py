"""Text reading with RapidOCR (PP-OCR ONNX models shipped inside the ``rapidocr`` wheel).

The engine loads once per process, on first use (about 3 s), and is shared by threads.
"""

from __future__ import annotations

import logging
import threading

from PIL import Image

_engine = None
_lock = threading.Lock()

TextLine = tuple[str, float, list[list[float]]]
"""One detected line: text, confidence in [0, 1], and its 4 corner points ``[[x, y], ...]``."""


def get_engine():
    """The shared ``RapidOCR`` engine (created on first call)."""
    global _engine
    with _lock:
        if _engine is None:
            from rapidocr import RapidOCR

            _engine = RapidOCR()
            # "text detection result is empty" is an answer here, not a warning worth printing
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return _engine


def read_text(image: Image.Image, min_score: float = 0.5) -> list[TextLine]:
    """Lines of text in ``image``, top to bottom then left to right, with score >= ``min_score``."""
    engine = get_engine()
    with _lock:  # onnxruntime sessions are thread-safe, but RapidOCR keeps per-call state
        result = engine(image.convert("RGB"))
    if result is None or not result.txts:
        return []
    lines = [
        (str(text), float(score), [[float(x), float(y)] for x, y in box])
        for text, score, box in zip(result.txts, result.scores, result.boxes)
        if float(score) >= min_score and str(text).strip()
    ]
    return sorted(lines, key=lambda line: (round(line[2][0][1] / 10), line[2][0][0]))
