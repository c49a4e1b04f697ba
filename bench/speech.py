"""Speech benchmark: word error rate of the offline model on generated speech, its speed, and what the
transcript adds to indexing a 10-minute video with speech.

Speech is made by espeak-ng (``apt-get install espeak-ng``), muxed as AAC under a still picture and
transcribed through the same path ``listen`` uses (:func:`vagent.tools.speech.transcribe_video`).
The baseline of the last table is the index build alone (scenes, thumbnails; CLIP as configured),
measured in the same run.

    python bench/speech.py [--minutes 10] [--out bench/results/speech.json]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from vagent.env.synthetic_speech import mix, speak, write_talk_video
from vagent.tools.index import IndexSettings, load_or_build
from vagent.tools.speech import transcribe_video
from vagent.tools.timed_text import SpeechSettings

SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Please turn off the lights before you leave the room.",
    "The meeting starts at nine in the morning on Tuesday.",
    "She bought three apples and a loaf of bread at the market.",
    "Our train was delayed by twenty minutes because of the snow.",
    "Remember to water the plants in the garden every evening.",
    "The museum opens its new exhibition about ancient Egypt next week.",
    "He parked the blue car next to the old church.",
    "Add two cups of flour and stir the mixture slowly.",
    "The weather will be sunny with a light wind from the north.",
)
PICTURE = np.full((192, 256, 3), 90, np.uint8)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def wer_table(folder: Path) -> dict[str, float]:
    errors = total = 0
    audio = seconds = 0.0
    for i, sentence in enumerate(SENTENCES):
        samples = speak(sentence)
        length = len(samples) / 22050 + 1.0
        video = write_talk_video(folder / f"s{i}.mp4", PICTURE, mix([(0.5, samples)], length), length)
        text = transcribe_video(video, SpeechSettings())
        heard = " ".join(line.text for line in text.lines)
        errors += Levenshtein.distance(words(sentence), words(heard))  # word edits
        total += len(words(sentence))
        audio += text.audio_seconds
        seconds += text.seconds
        print(f"  {sentence!r} -> {heard!r}")
    return {"sentences": len(SENTENCES), "words": total, "wer": errors / total, "audio_s": audio, "transcribe_s": seconds,
            "realtime_factor": seconds / audio}


def long_video(folder: Path, minutes: float) -> Path:
    """``minutes`` of video: the sentences said one after another with 3 s pauses, over and over."""
    duration = minutes * 60
    spoken = [speak(s) for s in SENTENCES]
    utterances, at, i = [], 1.0, 0
    while at + len(spoken[i % len(spoken)]) / 22050 < duration - 1:
        utterances.append((at, spoken[i % len(spoken)]))
        at += len(spoken[i % len(spoken)]) / 22050 + 3.0
        i += 1
    return write_talk_video(folder / "long.mp4", PICTURE, mix(utterances, duration), duration, fps=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("word error rate (espeak-ng speech, Whisper tiny.en int8, CPU):")
        wer = wer_table(folder)
        video = long_video(folder, args.minutes)
        started = time.perf_counter()
        index = load_or_build(video, IndexSettings(cache_dir=folder / "cache"))
        index_s = time.perf_counter() - started
        text = transcribe_video(video, SpeechSettings())
    result = {"wer": wer, "long": {"minutes": args.minutes, "index_s": index_s, "transcribe_s": text.seconds,
                                   "speech_lines": len(text.lines), "realtime_factor": text.seconds / (args.minutes * 60),
                                   "added": text.seconds / index_s, "visual_search": index.visual_search_error is None}}
    print(f"\n| measure | value |\n|---|---|\n| WER ({wer['words']} words, {wer['sentences']} sentences) | {wer['wer']:.3f} |"
          f"\n| transcription time / audio time (short clips) | {wer['realtime_factor']:.3f} |"
          f"\n| {args.minutes:g}-min video: index build alone (baseline) | {index_s:.1f} s |"
          f"\n| {args.minutes:g}-min video: transcript (VAD + Whisper) | {text.seconds:.1f} s ({len(text.lines)} lines) |"
          f"\n| {args.minutes:g}-min video: transcription time / audio time | {text.seconds / (args.minutes * 60):.3f} |"
          f"\n| added to the index build | x{1 + text.seconds / index_s:.2f} ({text.seconds / index_s:.2f} of the build) |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
