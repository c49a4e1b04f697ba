"""The survey's answers about people, measured around the faces a detector finds
(:mod:`~vagent.agent.scripted.face_detector`): how many people are on screen, and the colour of what a
person wears at the neck (a tie, bow tie, scarf, collar) or on the body (a coat, jacket, shirt), one
person picked by place ("the one on the left") where several are in the frame.

The regions are set by the face's box: at the neck, a face-wide strip just under the chin, where a
small item's colour is that of its clearly coloured pixels when there are enough of them; on the body,
a wider block below the neck, whose median colour is the garment's. A frame with several people and
no place asked measures nobody, and nothing is said of hair, faces or what a person does. Word
parsing is pure (doctested).
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from vagent.agent.scripted.areas import frame_area
from vagent.agent.scripted.face_detector import INSTALL, Face, face_detector
from vagent.agent.scripted.picture import asks_for_colour
from vagent.agent.scripted.pixels import median_colour, nearest_colour, rgb_hsv
from vagent.agent.scripted.tone import colourful_share

_NECK = re.compile(r"\b(?:bow[- ]?ties?|neck[- ]?ties?|ties?|cravats?|scarf|scarves|collars?|necklaces?|necks?)\b", re.I)
_BODY = re.compile(r"\b(?:coats?|jackets?|blazers?|(?:t-?)?shirts?|sweaters?|jumpers?|hoodies?|blouses?|dress(?:es)?|suits?|"
                   r"vests?|cardigans?|uniforms?|clothes|clothing|outfits?|overalls?)\b", re.I)
_PEOPLE = (r"people|persons?|individuals|men|man|women|woman|guys?|lad(?:y|ies)|girls?|boys?|kids?|child(?:ren)?|faces?|"
           r"presenters?|players?|riders?|cyclists?|drivers?")
_COUNT = re.compile(rf"\bhow many (?:\w+ ){{0,2}}?(?:{_PEOPLE})\b", re.I)

COLOURED = 0.15
"""A pixel is clearly coloured when its largest and smallest RGB channels differ by this share of the range
or more (a dark navy jacket or grey hair does not, a red bow tie does)."""
ITEM_SHARE = {"neck": 0.05, "body": 0.3}
"""What is worn is the clearly coloured pixels' colour when they are this share of the region or more (a
small item at the neck, a coloured garment under hair falling over it), else the region's median colour."""
SKIN = 0.5
"""The least share of skin-coloured pixels in the middle of a face's box, in a frame with colour (real faces
measured 0.6-1.0 on the clips here; a drawn face on a monitor, false boxes on leaves or captions 0.0-0.4)."""
PERSON_SCORE = 0.75
"""A face is a person at this detector score or more, or within 0.05 of the frame's best face (a lone
blurred face scores lower; tiles add weaker false ones beside real faces)."""


def worn_part(question: str) -> str | None:
    """Where the thing a colour question asks about is worn: ``neck`` or ``body``, else None.

    >>> worn_part("wat colour is the guys bow tie"), worn_part("what colour coat is the one on the left wearing")
    ('neck', 'body')
    >>> worn_part("What colour is the item at the man's collar?"), worn_part("what color tie is he wearing with his suit?")
    ('neck', 'neck')
    >>> worn_part("What colour is the background?") is None, worn_part("what colour is the car?") is None
    (True, True)
    """
    if not asks_for_colour(question):
        return None
    return "neck" if _NECK.search(question) else "body" if _BODY.search(question) else None


def asked_place(question: str) -> str | None:
    """Which person the question picks by place in the frame: ``left``, ``right``, ``middle``, else None.

    >>> asked_place("the two women at the table - what colour is the coat of the one on the left?")
    'left'
    >>> asked_place("what colour is the jacket of the woman on the right"), asked_place("what's he wearing right after the cut?")
    ('right', None)
    >>> asked_place("the man in the middle of the video") is None
    True
    """
    box = frame_area(question)
    return {(0.0, 0.0, 0.5, 1.0): "left", (0.5, 0.0, 1.0, 1.0): "right", (0.25, 0.25, 0.75, 0.75): "middle"}.get(tuple(box or ()))


def asks_people_count(question: str) -> bool:
    """Whether the question asks how many people there are.

    >>> asks_people_count("how many people are standing at the table"), asks_people_count("How many women are at the table?")
    (True, True)
    >>> asks_people_count("How many cuts are there?"), asks_people_count("how many times does the man wave?")
    (False, False)
    """
    return bool(_COUNT.search(question))


def _person(faces: list[Face], place: str | None) -> Face | None:
    """The face of the person asked: the one in the frame, or the one at the place asked among several."""
    if place is None:
        return faces[0] if len(faces) == 1 else None
    if len(faces) < 2 or place == "middle" and len(faces) < 3:
        return None
    ranked = sorted(faces, key=lambda f: f.centre_x)
    return ranked[0] if place == "left" else ranked[-1] if place == "right" else ranked[len(ranked) // 2]


def _region(image: Image.Image, face: Face, part: str) -> Image.Image | None:
    """The strip under the chin (``neck``) or the block below it (``body``), inside the frame; None when
    less than half of it is in the frame."""
    w, h, cx, bottom = face.width, face.height, face.centre_x, face.box[3]
    half, top, low = (0.3 * w, bottom + 0.1 * h, bottom + 0.5 * h) if part == "neck" else (0.8 * w, bottom + 0.6 * h, bottom + 2.2 * h)
    box = (max(0, round(cx - half)), max(0, round(top)), min(image.width, round(cx + half)), min(image.height, round(low)))
    inside = max(0, box[2] - box[0]) * max(0, box[3] - box[1])
    return image.crop(box) if inside >= 0.5 * (2 * half) * (low - top) and inside >= 16 else None


def _item_colour(region: Image.Image, part: str) -> tuple[tuple[float, float, float], bool]:
    """Hue, saturation and value of what is worn there, and whether it is clearly coloured: the clearly
    coloured pixels' median colour when they are :data:`ITEM_SHARE` of the region, else its median colour."""
    rgb = np.asarray(region.convert("RGB"), dtype=np.float32).reshape(-1, 3)
    coloured = rgb.max(axis=1) - rgb.min(axis=1) >= COLOURED * 255
    if coloured.mean() >= ITEM_SHARE[part]:
        return rgb_hsv(np.median(rgb[coloured], axis=0).tolist()), True
    return median_colour(region), False


def _skin_share(image: Image.Image, face: Face) -> float:
    """The share of the middle of a face's box with a skin colour (the YCbCr rule: Cr 133-180, Cb 70-130)."""
    w, h = face.width, face.height
    box = (max(0, round(face.box[0] + w / 4)), max(0, round(face.box[1] + h / 4)),
           min(image.width, round(face.box[2] - w / 4)), min(image.height, round(face.box[3] - h / 4)))
    if box[2] <= box[0] or box[3] <= box[1]:
        return 0.0
    ycbcr = np.asarray(image.crop(box).convert("YCbCr"), dtype=np.int16).reshape(-1, 3)
    return float(((ycbcr[:, 2] >= 133) & (ycbcr[:, 2] <= 180) & (ycbcr[:, 1] >= 70) & (ycbcr[:, 1] <= 130)).mean())


def people(faces: list[Face], image: Image.Image) -> list[Face]:
    """The faces that are people: :data:`PERSON_SCORE`, and in a frame with colour, skin in the middle of the
    box (:data:`SKIN`; a drawn face on a screen, a cartoon or a dark caption box has none)."""
    coloured = colourful_share(image) >= 0.02  # a grayscale frame has no skin colour to check
    found = [f for f in faces if not coloured or _skin_share(image, f) >= SKIN]
    best = max((f.score for f in found), default=0.0)
    return [f for f in found if f.score >= min(PERSON_SCORE, best - 0.05)]


class PeopleAnswers:
    """Mixed into :class:`~vagent.agent.scripted.survey.SurveyPlan` (``c``, ``frames``, ``colour_choices``,
    ``colour_answer``, ``unsure_choice``, ``_number_answer``); each answer returns ``(think, answer)`` or
    None when the question is not of its kind."""

    def _asks_about_people(self) -> bool:
        return asks_people_count(self.c.question) or worn_part(self.c.question) is not None

    def _faces(self) -> list[tuple[Image.Image, list[Face]]] | None:
        """Each frame seen with the people's faces in it; None without the detector."""
        detector = face_detector()
        return None if detector is None else [(im, people(detector.faces(im), im)) for _, im in self.frames()]

    def _frames_from(self) -> str:
        return "" if self.ok("crop_clip") else " (only the overview frames given with the question)"

    def _no_detector(self) -> tuple[str, str] | None:
        why = f"I have no face detector to find the person with (its weights come from `{INSTALL}`)"
        return self.unsure_choice(why) if self.c.options else None

    def _by_people_count(self) -> tuple[str, str] | None:
        """How many people: the most faces in one frame that at least two frames show."""
        if not asks_people_count(self.c.question):
            return None
        if (seen := self._faces()) is None:
            return self._no_detector()
        counts = [len(faces) for _, faces in seen]
        repeated = [n for n in set(counts) if n and counts.count(n) >= 2]
        if not repeated:
            return self.unsure_choice(f"The face detector finds no number of faces in two of the {len(seen)} frames I saw") \
                if self.c.options else None
        said = (f"Faces found in the {len(seen)} frames I saw{self._frames_from()}: " + ", ".join(f"{n} in {counts.count(n)}" for n in sorted(set(counts)))
                + f"; at most {max(repeated)} in one frame, in at least two frames.")
        return self._number_answer(said, float(max(repeated)))

    def _by_person_colour(self) -> tuple[str, str] | None:
        """The colour of what a person wears at the neck or on the body, measured under their face in every
        frame where the person asked is found, put to the colour options."""
        q = self.c.question
        part, colours = worn_part(q), self.colour_choices()
        if part is None or None in colours:
            return None
        if (seen := self._faces()) is None:
            return self._no_detector()
        place = asked_place(q)
        measured = [_item_colour(region, part) for im, faces in seen
                    if (face := _person(faces, place)) is not None and (region := _region(im, face, part)) is not None]
        found, coloured = len(measured), [hsv for hsv, clear in measured if clear]
        if len(coloured) >= max(2, found / 4):  # hidden or blurred in some frames, a colour cannot appear from nothing in others
            measured = [(hsv, True) for hsv in coloured]
        who = f"the person on the {place}" if place in ("left", "right") else "the person in the middle" if place else "the one person"
        if not measured:
            return self.unsure_choice(f"In none of the {len(seen)} frames I saw do I find {who} with the "
                                      f"{'neck' if part == 'neck' else 'body'} in the frame") if self.c.options else None
        colours_seen = [hsv for hsv, _ in measured]
        hue, sat, val = (float(np.median([m[i] for m in colours_seen])) for i in range(3))
        said = (f"I find {who} in {found} of the {len(seen)} frames I saw{self._frames_from()}"
                + (f"; {len(coloured)} of those show it clearly coloured" if measured[0][1] else "")
                + f"; what they wear {'at the neck' if part == 'neck' else 'on the body, under the face'} "
                f"has median hue {hue:.0f}°, saturation {sat:.2f}, value {val:.2f}")
        return self.colour_answer(said, nearest_colour(colours_seen, colours))
