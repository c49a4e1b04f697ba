"""Spoken synthetic videos: speech from ``espeak-ng`` over a still picture, no text on screen.

The answer to a spoken question is only in the audio, so a policy must ``listen``. The phrases the
spoken family uses were synthesised once by the ``espeak-ng`` program (Debian's ``espeak-ng``
package) into ``spoken_phrases.m4a`` beside this module (``python -m vagent.env.synthetic_speech``
writes it again), so making tasks needs no speech synthesiser; :func:`speak` synthesises new
text where espeak-ng is installed (the WER benchmark). Videos are an H.264 still with AAC sound;
``audio_start`` delays the audio stream's first timestamp, the case of a video whose sound starts
late (its times must still come out on the video's clock).
"""

from __future__ import annotations

import functools
import io
import json
import shutil
import subprocess
import wave
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

SAMPLE_RATE = 22050
"""espeak-ng's output rate; the AAC stream keeps it."""

CODE_WORDS = ("pineapple", "umbrella", "volcano", "lantern", "penguin", "marble", "tiger", "rocket",
              "violin", "garden", "basket", "castle", "dolphin", "orange", "pencil")
"""Common English words Whisper tiny.en transcribes reliably from espeak-ng's voice."""


FILLERS = ("Hello and welcome to this short video.", "Please listen carefully.", "Thank you for watching.",
           "That is all for today.")
"""Sentences said around the code word (none of them holds a code word)."""
PHRASE_BANK = Path(__file__).with_name("spoken_phrases.m4a")
GAP_SECONDS = 1.0


def code_phrase(word: str) -> str:
    return f"The code word is {word}."


def all_phrases() -> list[str]:
    return [code_phrase(word) for word in CODE_WORDS] + list(FILLERS)


class SpeechUnavailable(RuntimeError):
    """``espeak-ng`` is not installed (``apt-get install espeak-ng``)."""


def speak(text: str, words_per_minute: int = 160, voice: str = "en") -> np.ndarray:
    """``text`` spoken by espeak-ng as float32 mono samples at :data:`SAMPLE_RATE`."""
    program = shutil.which("espeak-ng")
    if program is None:
        raise SpeechUnavailable("espeak-ng is not installed: apt-get install espeak-ng")
    wav = subprocess.run([program, "--stdout", "-s", str(words_per_minute), "-v", voice, text],
                         capture_output=True, check=True, timeout=60).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        if reader.getframerate() != SAMPLE_RATE or reader.getsampwidth() != 2:
            raise SpeechUnavailable(f"espeak-ng wrote {reader.getframerate()} Hz, {8 * reader.getsampwidth()}-bit audio")
        pcm = np.frombuffer(reader.readframes(reader.getnframes()), np.int16)
    return pcm.astype(np.float32) / 32768.0


def mix(utterances: list[tuple[float, np.ndarray]], duration: float) -> np.ndarray:
    """One track of ``duration`` seconds with each ``(start_seconds, samples)`` placed at its time."""
    track = np.zeros(int(round(duration * SAMPLE_RATE)), np.float32)
    for start, samples in utterances:
        at = int(round(start * SAMPLE_RATE))
        piece = samples[: max(0, len(track) - at)]
        track[at : at + len(piece)] += piece
    return np.clip(track, -1.0, 1.0)


def write_talk_video(path: str | Path, picture: np.ndarray, audio: np.ndarray | None, duration: float,
                     fps: int = 5, audio_start: float = 0.0) -> Path:
    """Encode ``picture`` (H x W x 3 uint8, shown throughout) with ``audio`` (mono float32 at
    :data:`SAMPLE_RATE`, or None for a silent video without an audio stream) into an MP4."""
    path = Path(path)
    height, width = picture.shape[:2]
    with av.open(str(path), mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width - width % 2, height - height % 2, "yuv420p"
        sound = None
        if audio is not None:
            sound = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture[: video.height, : video.width]), format="rgb24")
        for i in range(int(round(duration * fps))):
            frame.pts, frame.time_base = i, Fraction(1, fps)
            container.mux(video.encode(frame))
        if sound is not None:
            offset = int(round(audio_start * SAMPLE_RATE))
            for at in range(0, len(audio), 1024):
                chunk = av.AudioFrame.from_ndarray(audio[None, at : at + 1024], format="fltp", layout="mono")
                chunk.sample_rate, chunk.pts, chunk.time_base = SAMPLE_RATE, offset + at, Fraction(1, SAMPLE_RATE)
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
        container.mux(video.encode(None))
    return path


def spoken_word(rng: np.random.Generator, path: Path, k: dict[str, Any]) -> dict[str, Any]:
    """The ``spoken_word`` family: a filler sentence, "The code word is X." at a random time, another
    filler, over a still noise picture. Variant ``when`` asks when the code word is said (a span)."""
    from vagent.env.synthetic_render import noise_background

    duration = float(k["duration"])
    word = str(rng.choice(CODE_WORDS))
    opening, closing = (str(x) for x in rng.choice(FILLERS, size=2, replace=False))
    first, code, last = phrase(opening), phrase(code_phrase(word)), phrase(closing)
    lengths = [len(x) / SAMPLE_RATE for x in (first, code, last)]
    if sum(lengths) + 1.5 > duration:
        raise ValueError(f"duration={duration} is too short for the spoken phrases ({sum(lengths):.1f}s of speech)")
    at = 0.5 + lengths[0] + 0.5 + float(rng.uniform(0, duration - sum(lengths) - 1.5))
    utterances = [(0.5, first), (at, code), (min(at + lengths[1] + 0.5, duration - lengths[2]), last)]
    write_talk_video(path, noise_background(rng, k["width"], k["height"]), mix(utterances, duration), duration,
                     fps=k["fps"], audio_start=0.0)
    span = [round(at, 3), round(at + lengths[1], 3)]
    if k["variant"] == "when":
        return {"question": "When does the speaker say the code word?", "answer_type": "span", "answer": [span],
                "evidence": [span], "metadata": {"word": word}}
    return {"question": "What is the code word the speaker says?", "answer_type": "text", "answer": word,
            "evidence": [span], "metadata": {"word": word}}


def write_phrase_bank(path: Path = PHRASE_BANK) -> Path:
    """Synthesise :func:`all_phrases` with espeak-ng into one AAC file, each phrase's span in its comment tag."""
    spans, pieces, at = {}, [], 0.0
    for text in all_phrases():
        samples = speak(text)
        spans[text] = [round(at, 4), round(at + len(samples) / SAMPLE_RATE, 4)]
        pieces += [samples, np.zeros(int(GAP_SECONDS * SAMPLE_RATE), np.float32)]
        at += len(samples) / SAMPLE_RATE + GAP_SECONDS
    audio = np.concatenate(pieces)
    with av.open(str(path), mode="w", format="ipod") as container:
        container.metadata["comment"] = json.dumps(spans)
        sound = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        sound.bit_rate = 32000
        for start in range(0, len(audio), 1024):
            chunk = av.AudioFrame.from_ndarray(audio[None, start : start + 1024], format="fltp", layout="mono")
            chunk.sample_rate, chunk.pts, chunk.time_base = SAMPLE_RATE, start, Fraction(1, SAMPLE_RATE)
            container.mux(sound.encode(chunk))
        container.mux(sound.encode(None))
    return path


@functools.lru_cache(maxsize=1)
def _bank() -> tuple[np.ndarray, dict[str, list[float]]]:
    with av.open(str(PHRASE_BANK)) as container:
        spans = json.loads(container.metadata["comment"])
        audio = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])
    return audio.astype(np.float32), spans


def phrase(text: str) -> np.ndarray:
    """The shipped espeak-ng recording of one of :func:`all_phrases` (mono float32 at :data:`SAMPLE_RATE`)."""
    audio, spans = _bank()
    if text not in spans:
        raise KeyError(f"no shipped recording of {text!r}; phrases: {', '.join(spans)}")
    start, end = spans[text]
    return audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE) + SAMPLE_RATE // 10]


if __name__ == "__main__":
    print(write_phrase_bank())
