"""How the scripted policy looks at pixels: colour masks, a coloured blob's box, text-like corners,
colour shares and brightness of the frames the tools returned."""

from __future__ import annotations

import numpy as np
from PIL import Image

from vagent.agent.palette import COLOR_HUES, NEUTRAL_COLORS

_NEUTRAL = tuple(c for c in NEUTRAL_COLORS if c != "grey")  # grey is read as gray


def _hsv(image: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hsv = np.asarray(image.convert("RGB").convert("HSV"), dtype=np.float32)
    return hsv[..., 0] * (360.0 / 255.0), hsv[..., 1] / 255.0, hsv[..., 2] / 255.0


def color_mask(image: Image.Image, color: str) -> np.ndarray:
    """Pixels of a named colour: hue nearest to ``color`` for saturated colours, else by S/V."""
    h, s, v = _hsv(image)
    if color == "white":
        return (s < 0.2) & (v > 0.82)
    if color == "black":
        return v < 0.12
    if color in ("gray", "grey"):
        return (s < 0.15) & (v >= 0.25) & (v <= 0.8)
    hues = np.array(list(COLOR_HUES.values()), dtype=np.float32)
    dist = np.abs((h[..., None] - hues + 180.0) % 360.0 - 180.0)
    nearest = np.argmin(dist, axis=-1)
    index = list(COLOR_HUES).index(color)
    return (s > 0.5) & (v > 0.36) & (nearest == index) & (dist[..., index] <= 25.0)


def contains(image: Image.Image, color: str) -> bool:
    """Whether a blob of ``color`` covers at least ~0.2% of the image."""
    return int(color_mask(image, color).sum()) >= max(12, int(0.002 * image.width * image.height))


def dominant_color(image: Image.Image) -> str | None:
    """The saturated colour covering most of the image (None when no colour covers 30%)."""
    counts = {name: int(color_mask(image, name).sum()) for name in COLOR_HUES}
    name = max(counts, key=counts.get)
    return name if counts[name] >= 0.3 * image.width * image.height else None


def object_box(image: Image.Image, color: str) -> list[float] | None:
    """Normalised bounding box of the main ``color`` blob (rows/columns with >= 3 such pixels)."""
    mask = color_mask(image, color)
    rows, cols = np.where(mask.sum(1) >= 3)[0], np.where(mask.sum(0) >= 3)[0]
    if len(rows) < 3 or len(cols) < 3:
        return None
    # keep the largest contiguous run of rows / columns (drops stray pixels elsewhere)
    rows, cols = _largest_run(rows), _largest_run(cols)
    w, h = image.size
    return [cols[0] / w, rows[0] / h, (cols[-1] + 1) / w, (rows[-1] + 1) / h]


def _largest_run(indices: np.ndarray) -> np.ndarray:
    runs = np.split(indices, np.where(np.diff(indices) > 2)[0] + 1)
    return max(runs, key=len)


def text_likeness(image: Image.Image, box: list[float]) -> int:
    """Bright pixels next to near-black ones inside ``box``: a caption label scores high."""
    w, h = image.size
    crop = image.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    _, s, v = _hsv(crop)
    dark, bright = v < 0.12, (v > 0.7) & (s < 0.3)
    near = dark.copy()
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0), (0, 2), (0, -2), (2, 0), (-2, 0)):
        near |= np.roll(np.roll(dark, dy, 0), dx, 1)
    return int((bright & near).sum())


def colour_shares(image: Image.Image) -> dict[str, float]:
    """Share of the picture in each named colour (saturated hues, then white / black / gray)."""
    small = image.convert("RGB").resize((64, max(1, round(64 * image.height / max(1, image.width)))))
    total = small.width * small.height
    return {name: float(color_mask(small, name).sum()) / total for name in (*COLOR_HUES, *_NEUTRAL)}


def brightness(image: Image.Image) -> float:
    """Mean luminance, 0 (black) to 1 (white)."""
    return float(np.asarray(image.convert("L"), dtype=np.float32).mean() / 255.0)


def median_colour(image: Image.Image) -> tuple[float, float, float]:
    """The median pixel's hue (degrees), saturation and value: the colour of the background."""
    small = image.convert("RGB").resize((48, max(1, round(48 * image.height / max(1, image.width)))))
    rgb = np.median(np.asarray(small, dtype=np.float32).reshape(-1, 3), axis=0).astype(np.uint8)
    h, s, v = _hsv(Image.fromarray(rgb.reshape(1, 1, 3)))
    return float(h[0, 0]), float(s[0, 0]), float(v[0, 0])


def colour_distance(hsv: tuple[float, float, float], name: str) -> float:
    """How far a measured colour is from a colour name (0 is a perfect fit; names of
    :data:`COLOR_HUES` by hue and saturation, white / black / gray by saturation and value)."""
    h, s, v = hsv
    if name.startswith(("light ", "dark ")):  # a shade of a colour: its hue, and a high (low) value
        shade, base = name.split(" ", 1)
        return colour_distance(hsv, base) + (max(0.0, 0.65 - v) * 2 if shade == "light" else max(0.0, v - 0.55) * 2)
    if name == "white":
        return s + (1.0 - v)
    if name == "black":
        return v
    if name in ("gray", "grey"):
        return s + 0.5 * abs(v - 0.5)
    if name == "brown":  # a dark, muted orange-red
        return abs((h - 20.0 + 180.0) % 360.0 - 180.0) / 90.0 + max(0.0, v - 0.65) * 2 + max(0.0, 0.2 - s) * 3
    hue = COLOR_HUES[name]
    return abs((h - hue + 180.0) % 360.0 - 180.0) / 90.0 + max(0.0, 0.2 - s) * 3 + max(0.0, 0.15 - v) * 3


def colour_name(image: Image.Image) -> str:
    """The colour name (a hue of :data:`COLOR_HUES`, white, black or gray) nearest the background's."""
    hsv = median_colour(image)
    return min((*COLOR_HUES, *_NEUTRAL), key=lambda name: colour_distance(hsv, name))


def rgb_name(rgb: list[int] | tuple[int, int, int]) -> str:
    """The colour name nearest one ``[r, g, b]`` colour (a line's letters: ``read_text``'s ``colours``)."""
    return colour_name(Image.new("RGB", (1, 1), tuple(int(v) for v in rgb)))


def rgb_hsv(rgb: list[float] | tuple[float, float, float]) -> tuple[float, float, float]:
    """Hue (degrees), saturation and value of one ``[r, g, b]`` colour."""
    return median_colour(Image.new("RGB", (1, 1), tuple(int(round(v)) for v in rgb)))


def nearest_colour(measured: list[tuple[float, float, float]], names: list[str], margin: float = 0.1) -> int | None:
    """The index of the colour name nearest the measured colours (hue, saturation, value; the mean
    :func:`colour_distance` over them), when it is nearer than every other name by ``margin``; None
    when it is not, or nothing was measured. A name no measure knows ("beige") is never nearest; a
    clearly saturated colour (saturation 0.3 or more, not dark) is no white, black or gray (an olive
    green is green among "green, blue, gray, purple"); beside brown, a dark orange is brown.

    >>> nearest_colour([rgb_hsv((174, 168, 108))], ["white", "yellow", "red", "green"])
    1
    >>> nearest_colour([rgb_hsv((122, 135, 68))], ["green", "blue", "gray", "purple"])
    0
    >>> nearest_colour([rgb_hsv((143, 94, 88))], ["yellow", "green", "black", "brown", "white"])
    3
    >>> nearest_colour([rgb_hsv((92, 62, 38))], ["orange", "brown"]), nearest_colour([rgb_hsv((250, 140, 20))], ["orange", "brown"])
    (1, 0)
    """
    known = {*COLOR_HUES, "white", "black", "gray", "grey", "brown"}
    if not measured:
        return None
    def distance(m: tuple[float, float, float], name: str) -> float:
        neutral = name in ("white", "black", "gray", "grey")
        dark = max(0.0, 0.55 - m[2]) * 1.5 if name == "orange" and any(n.split(" ")[-1] == "brown" for n in names) else 0.0  # the same hue: a dark one is brown
        return colour_distance(m, name) + (1.0 if neutral and m[1] >= 0.3 and m[2] >= 0.25 else 0.0) + dark

    far = [float(np.mean([distance(m, n) for m in measured])) if n.split(" ")[-1] in known else float("inf") for n in names]
    order = sorted(range(len(names)), key=far.__getitem__)
    if far[order[0]] == float("inf") or len(order) > 1 and far[order[1]] - far[order[0]] < margin:
        return None
    return order[0]


def looks(image: Image.Image, colour: str) -> bool:
    """Whether the picture as a whole is ``colour``: ``bright`` / ``dark`` by mean luminance; a colour by
    its background's nearest name, or, for white / black / gray, a grayish background close to it (a
    bluish gray is what a viewer calls gray)."""
    if colour in ("bright", "dark"):
        return (brightness(image) >= 0.5) == (colour == "bright")
    if colour_name(image) == colour:
        return True
    hsv = median_colour(image)
    return colour in _NEUTRAL and hsv[1] < 0.25 and colour_distance(hsv, colour) <= 0.3
