"""What an episode's audio budget counts: seconds of audio whose words the model is given.

Two results carry what was said: ``listen`` (its window, ``data["audio_seconds"]``, whether or not
anything was said in it: the window was listened to) and ``search_clips``' spoken matches (each
line shown costs its duration; the sum is ``data["audio_seconds"]``). Like images under the frame
budget, what does not fit the seconds left is not given: a ``listen`` window is shortened before the
call (:func:`fit_listen`) and spoken matches past the budget are dropped (:func:`fit_said`).
"""

from __future__ import annotations

from numbers import Real
from typing import Any

from vagent.types import Observation


def heard_seconds(observation: Observation) -> float:
    """Seconds of audio ``observation`` gives the model (0 for errors and for tools that hear nothing)."""
    seconds = observation.data.get("audio_seconds") if not observation.error else None
    return float(seconds) if isinstance(seconds, Real) and seconds > 0 else 0.0


def fit_listen(name: str, arguments: Any, seconds_left: float | None) -> tuple[Any, bool]:
    """``listen``'s arguments with the window cut to its first ``seconds_left`` seconds, and whether it was cut.

    Other tools, unlimited budgets and arguments the tool will refuse anyway are returned unchanged.
    """
    if name != "listen" or seconds_left is None or not isinstance(arguments, dict):
        return arguments, False
    start, end = arguments.get("start"), arguments.get("end")
    numbers = all(isinstance(v, Real) and not isinstance(v, bool) for v in (start, end))
    if not numbers or end - start <= seconds_left:
        return arguments, False
    return {**arguments, "end": round(start + seconds_left, 3)}, True


def shortened_note(seconds_left: float) -> str:
    """What a shortened ``listen`` result says under its lines."""
    return f"(Only the first {seconds_left:.1f}s of the window heard: the audio budget is nearly spent.)"


def fit_said(observation: Observation, seconds_left: float | None) -> None:
    """Drop ``search_clips``' spoken matches past ``seconds_left`` (best first, as ranked), in place."""
    rows = observation.data.get("said")
    if seconds_left is None or observation.error or not rows:
        return
    kept, total = [], 0.0
    for row in rows:
        length = max(0.0, float(row[1]) - float(row[0]))
        if total + length > seconds_left + 1e-9:
            break
        kept.append(row)
        total += length
    if len(kept) == len(rows):
        return
    dropped = {f"said {i}. " for i in range(len(kept) + 1, len(rows) + 1)}
    text = [line for line in observation.text.split("\n") if not any(line.startswith(d) for d in dropped)]
    text.append(f"(Only {len(kept)} spoken match(es) shown: the audio budget is nearly spent.)")
    observation.text = "\n".join(text)
    observation.data = {**observation.data, "said": kept, "audio_seconds": round(total, 3)}
