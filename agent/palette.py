"""The colour names and frame corners the scripted policy understands, in one place.

The policy reads a colour back from pixels by hue (:data:`COLOR_HUES`) and looks for small text in
:data:`CORNER_BOXES`; the synthetic generator (:mod:`vagent.env.synthetic`) names its corners from
:data:`CORNERS` and paints its objects in colours whose hues sit at :data:`COLOR_HUES` (a test checks
its palette against this table). Pure constants: importing this module imports nothing else.
"""

from __future__ import annotations

COLOR_HUES: dict[str, float] = {
    "red": 0, "orange": 30, "yellow": 55, "green": 125, "cyan": 185, "blue": 225, "purple": 270, "magenta": 312,
}
"""Saturated colours by name, with the hue (degrees) each is read back at."""
NEUTRAL_COLORS: tuple[str, ...] = ("white", "black", "gray", "grey")
"""Unsaturated colour names, told apart by saturation and value."""
CORNERS: tuple[str, ...] = ("top-left", "top-right", "bottom-left", "bottom-right")
CORNER_BOXES: dict[str, list[float]] = {
    "top-left": [0.0, 0.0, 0.4, 0.3], "top-right": [0.6, 0.0, 1.0, 0.3],
    "bottom-left": [0.0, 0.7, 0.4, 1.0], "bottom-right": [0.6, 0.7, 1.0, 1.0],
}
"""Where to look for a caption in each corner (normalised ``[x1, y1, x2, y2]``), in :data:`CORNERS` order."""

__all__ = ["COLOR_HUES", "CORNERS", "CORNER_BOXES", "NEUTRAL_COLORS"]
