"""Faces in a frame, found with MediaPipe's short-range face detector (BlazeFace, Apache-2.0), whose
weights ship in the ``mediapipe`` 0.10.14 wheel. The wheel is installed with ``--no-deps`` and never
imported (its own pins clash with ours): only the ``.tflite`` file is read from it, and OpenCV's DNN
module runs it. Nothing is downloaded. Loaded once per process, on first use.

The detector sees a 128 x 128 picture, so faces smaller than about a tenth of the frame are missed on
the whole frame; it also runs on overlapping 128-pixel tiles, and boxes of one face are merged.
"""

from __future__ import annotations

import functools
import importlib.metadata
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

MODEL = "mediapipe/modules/face_detection/face_detection_short_range.tflite"
"""The model file inside the ``mediapipe`` wheel."""
INSTALL = "pip install --no-deps mediapipe==0.10.14"
SIDE = 128
"""The detector's input side; also the tile side."""
MIN_SCORE = 0.6
"""Detections under this score are dropped (MediaPipe's own default is 0.5; tiles add false ones)."""


@dataclass(frozen=True)
class Face:
    """One face: its box in pixels of the image searched (x0, y0, x1, y1) and the detector's score."""

    box: tuple[float, float, float, float]
    score: float

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def centre_x(self) -> float:
        return (self.box[0] + self.box[2]) / 2


def _anchors() -> np.ndarray:
    """BlazeFace's 896 anchor centres: a 16 x 16 grid with 2 anchors a cell, then an 8 x 8 grid with 6."""
    centres = []
    for grid, per_cell in ((SIDE // 8, 2), (SIDE // 16, 6)):
        for y in range(grid):
            for x in range(grid):
                centres += [((x + 0.5) / grid, (y + 0.5) / grid)] * per_cell
    return np.array(centres, dtype=np.float32)


def model_path() -> Path | None:
    """The detector's file in the installed ``mediapipe`` wheel, or None when the wheel is not installed."""
    try:
        files = importlib.metadata.files("mediapipe") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    found = next((Path(str(f.locate())) for f in files if str(f) == MODEL), None)
    return found if found is not None and found.is_file() else None


class FaceDetector:
    """``faces(image)``: the faces in a PIL image, strongest first, one box a face."""

    def __init__(self, path: Path):
        import cv2

        self.net = cv2.dnn.readNetFromTFLite(str(path))
        self.anchors = _anchors()

    def _detect(self, rgb: np.ndarray) -> list[Face]:
        """One pass over one picture, letterboxed into the detector's square input."""
        import cv2

        h, w = rgb.shape[:2]
        side = max(h, w)
        square = np.zeros((side, side, 3), np.uint8)
        oy, ox = (side - h) // 2, (side - w) // 2
        square[oy:oy + h, ox:ox + w] = rgb
        x = cv2.resize(square, (SIDE, SIDE), interpolation=cv2.INTER_AREA).astype(np.float32) / 127.5 - 1.0
        self.net.setInput(np.ascontiguousarray(x.transpose(2, 0, 1)[None]))
        boxes, logits = self.net.forward(["regressors", "classificators"])
        boxes = boxes.reshape(-1, 16)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -100.0, 100.0)))
        found = []
        for i in np.flatnonzero(scores >= MIN_SCORE):
            cx, cy = boxes[i, 0] / SIDE + self.anchors[i, 0], boxes[i, 1] / SIDE + self.anchors[i, 1]
            bw, bh = boxes[i, 2] / SIDE, boxes[i, 3] / SIDE
            box = (np.array([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2]) * side - [ox, oy, ox, oy]).tolist()
            found.append(Face((box[0], box[1], box[2], box[3]), float(scores[i])))
        return found

    def faces(self, image: Image.Image) -> list[Face]:
        rgb = np.asarray(image.convert("RGB"))
        h, w = rgb.shape[:2]
        found = self._detect(rgb)
        step = SIDE // 2
        if max(h, w) > SIDE * 1.5:  # small faces: tiles at the detector's own scale
            for y in range(0, max(1, h - SIDE + step), step):
                for x in range(0, max(1, w - SIDE + step), step):
                    found += [Face((f.box[0] + x, f.box[1] + y, f.box[2] + x, f.box[3] + y), f.score)
                              for f in self._detect(rgb[y:y + SIDE, x:x + SIDE])]
        return _merged(found)


def _merged(faces: list[Face]) -> list[Face]:
    """One box a face: the strongest of boxes that overlap (a third of their union, or most of the smaller)."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: -f.score):
        if all(_overlap(face, k) < 0.3 for k in kept):
            kept.append(face)
    return kept


def _overlap(a: Face, b: Face) -> float:
    ix = max(0.0, min(a.box[2], b.box[2]) - max(a.box[0], b.box[0]))
    iy = max(0.0, min(a.box[3], b.box[3]) - max(a.box[1], b.box[1]))
    inter, area_a, area_b = ix * iy, a.width * a.height, b.width * b.height
    if inter <= 0:
        return 0.0
    return max(inter / (area_a + area_b - inter), 0.5 * inter / max(min(area_a, area_b), 1e-9))


@functools.lru_cache(maxsize=1)
def face_detector() -> FaceDetector | None:
    """The process's one detector (first call loads it), or None when the ``mediapipe`` wheel is absent or its
    model file does not load (a warning says which file and how to reinstall it)."""
    import cv2

    path = model_path()
    if path is None:
        return None
    try:
        return FaceDetector(path)
    except cv2.error as error:
        warnings.warn(f"the face detector {path} does not load ({str(error).strip()[:200]}); reinstall it: {INSTALL}",
                      stacklevel=2)
        return None
