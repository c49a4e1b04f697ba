"""Small test videos made with PyAV whose frames show their own index.

Each frame (as a viewer sees it, i.e. after rotation) is ``width x height`` pixels:

- the top 60 % holds ``BITS`` vertical cells, white where the frame index has a 1 bit
  (most significant bit on the left) and a dark shade of the scene colour elsewhere, so
  ``read_index`` recovers the index from pixels;
- the bottom 40 % is filled with the frame's scene colour, with a white marker square at
  the bottom left and a black one at the bottom right (an upside-down or mirrored frame
  fails ``read_index``);
- ``text`` (optional) is drawn in large black letters on a white band in the middle.

``make_video`` writes any of: constant or variable frame rate (``times``), a late first
frame (``times[0] > 0``), a display rotation (written as the container's display matrix with
``VideoStream.set_display_rotation``, so the stored pixels are sideways and only a decoder
that applies the rotation gets upright frames), an extra audio stream starting at 0, MP4 or
MKV (chosen by the suffix), and scene changes (``scene_every`` frames).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

BITS = 10
SCENE_COLOURS = [(220, 40, 40), (30, 40, 150), (240, 230, 60), (20, 110, 20), (210, 70, 230)]
_TIME_BASE = Fraction(1, 1000)


def frame_image(
    index: int,
    width: int = 160,
    height: int = 96,
    scene: int = 0,
    text: str | None = None,
) -> np.ndarray:
    """The upright RGB picture of frame ``index`` (``height x width x 3`` uint8)."""
    colour = np.array(SCENE_COLOURS[scene % len(SCENE_COLOURS)], np.uint8)
    img = np.zeros((height, width, 3), np.uint8)
    top = int(height * 0.6)
    img[:top] = (colour * 0.4).astype(np.uint8)
    cell = width / BITS
    value = index % (1 << BITS)
    for bit in range(BITS):
        if value >> (BITS - 1 - bit) & 1:
            img[:top, int(bit * cell) : int((bit + 1) * cell)] = 255
    img[top:] = colour
    side = max(4, (height - top) // 2)
    img[height - side :, :side] = 255
    img[height - side :, width - side :] = 0
    if text:
        pil = Image.fromarray(img)
        draw = ImageDraw.Draw(pil)
        font = ImageFont.load_default(size=max(12, height // 8))
        band = (0, height // 4, width, height // 4 + height // 5)
        draw.rectangle(band, fill="white")
        draw.text((width // 20, band[1] + height // 60), text, fill="black", font=font)
        img = np.asarray(pil).copy()
    return img


def read_index(rgb: np.ndarray) -> int | None:
    """The index shown by an upright frame, or None if the picture is not one of ours.

    Works on resized frames (cells are sampled at their centres).
    """
    height, width = rgb.shape[:2]
    gray = rgb.astype(np.float32).mean(axis=2)
    top = int(height * 0.6)
    side = max(1, (height - top) // 2)
    corner = max(1, side // 2)
    if gray[height - corner :, :corner].mean() < 180 or gray[height - corner :, width - corner :].mean() > 75:
        return None
    value = 0
    cell = width / BITS
    band = gray[int(top * 0.2) : int(top * 0.8)]
    for bit in range(BITS):
        x0, x1 = int((bit + 0.3) * cell), max(int((bit + 0.7) * cell), int((bit + 0.3) * cell) + 1)
        value = value << 1 | int(band[:, x0:x1].mean() > 128)
    return value


def make_video(
    path: str | Path,
    *,
    num_frames: int = 30,
    fps: float = 10.0,
    times: list[float] | None = None,
    width: int = 160,
    height: int = 96,
    rotation: int = 0,
    scene_every: int | None = None,
    text: str | None = None,
    audio: bool = False,
    gop: int = 10,
    codec: str = "libx264",
    hold: int = 1,
    container_options: dict[str, str] | None = None,
) -> list[float]:
    """Write a test video and return the true presentation time (seconds) of each frame.

    Args:
        path: output file; ``.mp4`` or ``.mkv`` picks the container.
        num_frames: frames to write (ignored when ``times`` is given).
        fps: nominal rate; frame ``i`` is at ``i / fps`` unless ``times`` is given.
        times: explicit presentation times (seconds, increasing): variable frame rate
            and/or a late first frame.
        width, height: size of the upright picture.
        rotation: display rotation in degrees counter-clockwise (PyAV's ``frame.rotation``
            convention: a decoder must rotate the stored picture by this much).
        scene_every: change the scene colour every this many frames.
        text: text drawn on every frame.
        audio: add a silent audio stream that starts at 0 s (AAC in MP4, PCM in MKV).
        gop: keyframe interval in frames.
        codec: video encoder.
        hold: each picture is held for this many frames (frame i shows index i // hold):
            static stretches for near-duplicate skipping.
        container_options: muxer options, e.g. ``{"movflags": "faststart"}`` (MP4 index first).
    """
    path = Path(path)
    if times is None:
        times = [i / fps for i in range(num_frames)]
    k = (rotation // 90) % 4
    stored_w, stored_h = (height, width) if k % 2 else (width, height)
    out = av.open(str(path), "w", options=container_options or {})
    try:
        stream = out.add_stream(codec, rate=round(fps))
        stream.width, stream.height, stream.pix_fmt = stored_w, stored_h, "yuv420p"
        stream.time_base = _TIME_BASE
        stream.codec_context.time_base = _TIME_BASE
        stream.options = {"g": str(gop), "keyint_min": str(gop)} if codec == "libx264" else {}
        if rotation:
            stream.set_display_rotation(rotation)
        audio_stream = None
        if audio:
            audio_codec = "aac" if path.suffix == ".mp4" else "pcm_s16le"
            audio_stream = out.add_stream(audio_codec, rate=16000, layout="mono")
        for i, t in enumerate(times):
            scene = i // scene_every if scene_every else 0
            picture = np.rot90(frame_image(i // hold, width, height, scene, text), -k)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
            frame.pts, frame.time_base = int(round(t * 1000)), _TIME_BASE
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
        if audio_stream is not None:
            _write_silence(out, audio_stream, times[-1] + 1 / fps)
    finally:
        out.close()
    return list(times)


def _write_silence(out: av.container.OutputContainer, stream, seconds: float) -> None:
    samples_per_frame = 1024
    fmt = stream.codec_context.format.name if stream.codec_context.format else "fltp"
    dtype = np.int16 if fmt.startswith("s16") else np.float32
    for start in range(0, int(seconds * stream.rate), samples_per_frame):
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, samples_per_frame), dtype), format=fmt, layout="mono"
        )
        frame.sample_rate, frame.pts = stream.rate, start
        out.mux(stream.encode(frame))
    out.mux(stream.encode())


def truncate(src: str | Path, dst: str | Path, keep: float) -> Path:
    """Copy the first ``keep`` fraction of ``src`` to ``dst`` (a file cut off mid-write)."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * keep)])
    return Path(dst)


def frame_interval(times: list[float], i: int) -> float:
    """The gap around frame ``i`` (the smaller neighbouring gap) of a list of true times."""
    gaps = [b - a for a, b in zip(times, times[1:])]
    if not gaps:
        return 1.0
    near = [gaps[j] for j in (i - 1, i) if 0 <= j < len(gaps)]
    return min(near)
