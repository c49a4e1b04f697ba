"""Per-record problems of a conversion: repaired by a documented rule, or skipped with a reason.

Every converter in :mod:`vagent.env.converters` reads its records through a
:class:`Conversion`. A problem that one of :data:`REPAIR_RULES` covers is repaired and counted
under that rule; any other problem skips the record, counted under a short reason with its
place (``file:line`` or ``file: record N``). With ``strict=True`` the first problem of either
kind raises :class:`~vagent.errors.ConfigError` instead.

>>> conv = Conversion("sta.txt")
>>> with conv.record("sta.txt:1") as rec:
...     conv.append(span(rec, 9.0, 3.0, "span"))
>>> with conv.record("sta.txt:2") as rec:
...     span(rec, -5.0, 3.0, "span")
>>> list(conv), sorted(conv.repaired), sorted(conv.skipped)
([[3.0, 9.0]], ['reversed_span'], ['time before the video starts'])
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from vagent.errors import ConfigError

REPAIR_RULES: dict[str, str] = {
    "reversed_span": "a span written end-first ([9, 3]) is swapped to [3, 9]",
    "negative_time": "a time below zero by at most 1 s (a rounding slip) is set to 0",
    "past_end": "a span ending after the video's known duration is cut at the duration",
    "duplicate_options": "an option repeating an earlier one (same text, ignoring case, spaces and a final period) "
    "is dropped; the answer letter moves with its text, and metadata keeps the original options and answer",
}
"""The repair rules, the same in every converter: name → what it does."""

NEGATIVE_TOLERANCE = 1.0
"""Seconds below zero that ``negative_time`` repairs; an earlier time skips the record."""

__all__ = ["Conversion", "NEGATIVE_TOLERANCE", "REPAIR_RULES", "Skip", "dedupe_options", "span"]


class Skip(Exception):
    """A record that no rule repairs: ``reason`` groups it in the summary, ``detail`` explains it."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


class Record:
    """One input record being converted: collects its repairs until it is accepted."""

    def __init__(self, conversion: "Conversion", where: str):
        self.conversion, self.where = conversion, where
        self.repairs: list[tuple[str, str]] = []

    def repair(self, rule: str, detail: str) -> None:
        if rule not in REPAIR_RULES:
            raise ValueError(f"unknown repair rule {rule!r}")
        if self.conversion.strict:
            raise ConfigError(f"{self.where}: {detail} (--strict stops here; without it rule {rule} repairs this)")
        self.repairs.append((rule, detail))

    def skip(self, reason: str, detail: str) -> NoReturn:
        raise Skip(reason, detail)


class Conversion(list):
    """The tasks a converter wrote (this list), with what happened to the input records.

    Attributes:
        source: the annotation file.
        rows: input records read (a question of a per-video record counts as one).
        repaired: rule → places (``"file:7: what was repaired"``) of the records it repaired.
        skipped: reason → places (``"file:7: field ...: why"``) of the records left out.
        warnings: auxiliary-file coverage and other notes that skip nothing.
        strict: stop at the first problem (:class:`ConfigError`) instead of repairing or skipping.
    """

    def __init__(self, source: Any, *, strict: bool = False):
        super().__init__()
        self.source = str(source)
        self.strict = strict
        self.rows = 0
        self.repaired: dict[str, list[str]] = {}
        self.skipped: dict[str, list[str]] = {}
        self.warnings: list[str] = []

    @contextmanager
    def record(self, where: Any) -> Iterator[Record]:
        """Convert one record inside ``with``: a :class:`Skip` raised there skips it."""
        self.rows += 1
        rec = Record(self, str(where))
        try:
            yield rec
        except Skip as skip:
            if self.strict:
                raise ConfigError(f"{where}: {skip.detail} (--strict stops here; without it this record is skipped)") from None
            self.skipped.setdefault(skip.reason, []).append(f"{where}: {skip.detail}")
            return
        for rule in dict.fromkeys(rule for rule, _ in rec.repairs):
            details = "; ".join(detail for r, detail in rec.repairs if r == rule)
            self.repaired.setdefault(rule, []).append(f"{where}: {details}")

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    @property
    def n_repaired(self) -> int:
        """Records repaired by at least one rule."""
        return len({place.split(": ", 1)[0] for places in self.repaired.values() for place in places})

    @property
    def n_skipped(self) -> int:
        return sum(len(places) for places in self.skipped.values())

    def summary(self, examples: int = 3) -> list[str]:
        """Lines for the CLI: counts, then each rule and reason with its first ``examples`` places."""
        lines = [f"{self.rows} records read, {len(self)} tasks written, {self.n_repaired} repaired, {self.n_skipped} skipped"]
        for rule, places in self.repaired.items():
            lines.append(f"repaired by {rule} ({REPAIR_RULES[rule]}): {len(places)}")
            lines += [f"    {place}" for place in places[:examples]]
        for reason, places in self.skipped.items():
            lines.append(f"skipped, {reason}: {len(places)}")
            lines += [f"    {place}" for place in places[:examples]]
        lines += [f"warning: {message}" for message in self.warnings]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "tasks": len(self),
            "repaired": {rule: len(places) for rule, places in self.repaired.items()},
            "skipped": {reason: len(places) for reason, places in self.skipped.items()},
            "warnings": list(self.warnings),
        }


def _show(value: float) -> str:
    return f"{value:g}"


def span(rec: Record, start: float, end: float, field: str, duration: float | None = None) -> list[float]:
    """``[start, end]`` after the time rules (reversed, slightly negative, past a known end).

    Skips the record when the span cannot be repaired: a time more than
    :data:`NEGATIVE_TOLERANCE` before zero, a span starting at or after the video's end, or
    an empty span (start == end).
    """
    shown, changed = f"[{_show(start)}, {_show(end)}]", False
    if start > end:
        rec.repair("reversed_span", f'field "{field}": span {shown} swapped')
        start, end, changed = end, start, True
    if start < 0:
        if start < -NEGATIVE_TOLERANCE:
            rec.skip("time before the video starts", f'field "{field}": span {shown} starts {_show(-start)} s before the video')
        rec.repair("negative_time", f'field "{field}": start {_show(start)} set to 0')
        start, end, changed = 0.0, max(end, 0.0), True
    if duration is not None and end > duration:
        if start >= duration:
            now = f" (read as [{_show(start)}, {_show(end)}])" if changed else ""
            rec.skip("span after the video's end",
                     f'field "{field}": span {shown}{now} starts after the video ends ({_show(duration)} s)')
        rec.repair("past_end", f'field "{field}": end {_show(end)} cut to the duration {_show(duration)}')
        end = float(duration)
    if end <= start:
        rec.skip("empty span", f'field "{field}": span {shown} has no length')
    return [float(start), float(end)]


def _option_key(option: str) -> str:
    return re.sub(r"\s+", " ", option.strip().rstrip(".").strip()).casefold()


def dedupe_options(rec: Record, options: list[str], answer: int, field: str = "options") -> tuple[list[str], int]:
    """Options without repeats and the answer's index among them (rule ``duplicate_options``).

    Skips the record when fewer than two distinct options remain.

    >>> conv = Conversion("v.json")
    >>> with conv.record("v.json: record 1") as rec:
    ...     conv.append(dedupe_options(rec, ["Apples.", "Pears", "apples"], 2))
    >>> conv[0], list(conv.repaired)
    ((['Apples.', 'Pears'], 0), ['duplicate_options'])
    """
    kept: list[str] = []
    position: dict[str, int] = {}
    moved: list[int] = []
    for option in options:
        key = _option_key(option)
        if key not in position:
            position[key] = len(kept)
            kept.append(option)
        moved.append(position[key])
    if len(kept) < 2:
        rec.skip("fewer than 2 options", f'field "{field}": {len(kept)} distinct option(s) {kept}, a choice needs 2')
    if len(kept) < len(options):
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        keys = [_option_key(o) for o in options]
        repeats = [letters[i] for i in range(len(options)) if keys[i] in keys[:i]]
        rec.repair(
            "duplicate_options",
            f'field "{field}": option(s) {", ".join(repeats)} repeat earlier ones; answer {letters[answer]} -> {letters[moved[answer]]}',
        )
    return kept, moved[answer]
