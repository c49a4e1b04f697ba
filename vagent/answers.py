"""Answer matching: read an answer written by a model and compare it with another (pure, never raises).

One small library that everything scoring or combining answers uses: rewards and evaluation
(:mod:`vagent.env.rewards`, :mod:`vagent.env.metrics`), test-time voting
(:mod:`vagent.agent.scaling`), the scripted policy and the reasoning-consistency check. It
imports nothing from the rest of vagent.

>>> extract_choice("The answer is (b)", ["red", "blue"]), parse_spans("from 12s to 15.5s")
('B', [(12.0, 15.5)])
>>> temporal_iou([(0, 2)], [(1, 3)]), answer_key("[12.0, 15.5]")
(0.3333333333333333, ('span', ((12.0, 15.5),)))
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass
from typing import Any

LETTERS = string.ascii_uppercase
"""Option letters, in order: a task has at most 26 options."""
MRA_THRESHOLDS: tuple[float, ...] = tuple(round(0.50 + 0.05 * i, 2) for i in range(10))
"""VSI-Bench confidence thresholds 0.50, 0.55, ..., 0.95."""

_LETTER_PREFIX = re.compile(r"^\s*[\(\[]?([A-Za-z])[\)\]\.:]\s*")
_CUE = re.compile(r"\b(?:answer|option|choice)\b\s*(?:is|would be|:|=)?\s*[\(\[]?([A-Za-z])(?![A-Za-z])(?:[\)\]\.:,]|\s*$)?")
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d{1,3})?|[-+]?\.\d+")
_WORDS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
# the unit's optional space lives inside its optional group: two adjacent \s* made spans quadratic
_TIME = r"(?<![\d.:])(\d{1,6}(?::\d{1,2}){0,2}(?:\.\d+)?)(?:\s*(?:s|secs?|seconds?))?"
_SPAN = re.compile(_TIME + r"\s*(?:,|-|–|—|~|\bto\b|\band\b|\buntil\b)\s*" + _TIME, re.I)
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _strip_letter(option: str) -> str:
    return _LETTER_PREFIX.sub("", option, count=1) if re.match(r"^\s*[\(\[]?[A-Z][\)\]\.:]\s", option + " ") else option


def normalize_text(text: str) -> str:
    """Lowercase, drop punctuation and articles, collapse spaces.

    >>> normalize_text("The  Red car!")
    'red car'
    """
    text = str(text).lower().translate(str.maketrans({c: " " for c in string.punctuation}))
    return " ".join(_ARTICLES.sub(" ", text).split())


def extract_choice(text: str | None, options: list[str] | None = None) -> str | None:
    """The option letter a free-form answer picks, or ``None``.

    >>> [extract_choice(t, ["red", "blue", "green"]) for t in ["B", "(B)", "B) blue", "b. blue"]]
    ['B', 'B', 'B', 'B']
    >>> extract_choice("The answer is C", ["x", "y", "z"]), extract_choice("answer: b", ["x", "y"])
    ('C', 'B')
    >>> extract_choice("I think it is green.", ["red", "blue", "green"])
    'C'
    >>> extract_choice("D", ["red", "blue"]) is None
    True
    """
    if not isinstance(text, str) or not text.strip():
        return None
    letters = LETTERS[: len(options)] if options else LETTERS
    bare = text.strip().strip("()[]{}.:*\"' ")
    if len(bare) == 1 and bare.upper() in letters:
        return bare.upper()
    leading = _LETTER_PREFIX.match(text)
    if leading and leading.group(1).upper() in letters:
        return leading.group(1).upper()
    for cue in _CUE.finditer(text):
        letter, closed = cue.group(1), cue.group(0)[-1:] in ")].:," or cue.end() == len(text.rstrip())
        if letter.upper() in letters and (letter.isupper() or closed):
            return letter.upper()
    if options:
        said = f" {normalize_text(text)} "
        found = {}
        for letter, option in zip(letters, options):
            wanted = normalize_text(_strip_letter(option))
            if wanted and said.strip() == wanted:
                return letter
            if wanted and f" {wanted} " in said:
                found[letter] = wanted
        kept = [k for k, v in found.items() if not any(v != w and v in w for w in found.values())]
        if len(kept) == 1:
            return kept[0]
    standalone = {  # single capitals, except "A"/"I" used as words ("A dog", "I think")
        m.group(1) for m in re.finditer(r"(?<![\w'])([A-Z])(?![\w'])", text)
        if m.group(1) not in "AI" or not re.match(r" [a-z]", text[m.end():])
    }
    standalone &= set(letters)
    return standalone.pop() if len(standalone) == 1 else None


def parse_number(text: str | None) -> float | None:
    """The first number in ``text`` (digits, ``1,234``, ``3.5e2`` or a word up to twenty).

    >>> parse_number("about 1,250.5 cm"), parse_number("three chairs"), parse_number("none")
    (1250.5, 3.0, None)
    """
    if not isinstance(text, str):
        return None
    match = _NUMBER.search(text)
    if match:
        return _finite(float(match.group(0).replace(",", "")))
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _WORDS:
            return float(_WORDS.index(word))
    return None


def _seconds(token: str) -> float | None:
    value = 0.0
    for part in token.split(":"):
        value = value * 60 + float(part)
    return _finite(value)


def parse_spans(text: str | None) -> list[tuple[float, float]]:
    """All ``(start, end)`` intervals in seconds written in ``text`` (each pair sorted).

    >>> parse_spans("[12.0, 15.5]"), parse_spans("12.0-15.5"), parse_spans("from 12s to 15.5s")
    ([(12.0, 15.5)], [(12.0, 15.5)], [(12.0, 15.5)])
    >>> parse_spans("[[0, 2], [4, 6]]"), parse_spans("01:05 - 01:10")
    ([(0.0, 2.0), (4.0, 6.0)], [(65.0, 70.0)])
    """
    if not isinstance(text, str):
        return []
    spans = []
    for match in _SPAN.finditer(text):
        start, end = _seconds(match.group(1)), _seconds(match.group(2))
        if start is not None and end is not None:
            spans.append((min(start, end), max(start, end)))
    return spans


def parse_box(text: str | None) -> tuple[float, float, float, float] | None:
    """The first four numbers as a normalised ``(x1, y1, x2, y2)`` box, or ``None``.

    Values must lie in 0..1; the corners are sorted per axis.

    >>> parse_box("[0.1, 0.2, 0.5, 0.6]"), parse_box("[10, 20, 50, 60]")
    ((0.1, 0.2, 0.5, 0.6), None)
    """
    if not isinstance(text, str):
        return None
    values = [_finite(float(v)) for v in _NUMBER.findall(text.replace(",", " , "))[:4]]
    if len(values) < 4 or any(v is None or not 0.0 <= v <= 1.0 for v in values):
        return None
    x1, y1, x2, y2 = values
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def format_box(box: Any, digits: int = 3) -> str:
    """A box ``[x1, y1, x2, y2]`` written with ``digits`` decimals: how answers and tool results show
    boxes (and :func:`parse_box` reads them back).

    >>> format_box([0.1, 0.25, 1.0, 0.5]), format_box([0.1, 0.2, 0.3, 0.4], 2)
    ('[0.100, 0.250, 1.000, 0.500]', '[0.10, 0.20, 0.30, 0.40]')
    """
    return "[" + ", ".join(f"{v:.{digits}f}" for v in box) + "]"


def merge_spans(spans: Any) -> list[tuple[float, float]]:
    """Overlapping or touching ``(start, end)`` spans merged into their union, sorted (each pair sorted first)."""
    merged: list[list[float]] = []
    for start, end in sorted((min(s, e), max(s, e)) for s, e in spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def temporal_iou(pred_spans: Any, gt_spans: Any) -> float:
    """IoU of the union of predicted intervals with the union of ground-truth intervals.

    >>> temporal_iou([[0, 2], [4, 6]], [[1, 5]])  # intersection 2, union 6
    0.3333333333333333
    >>> temporal_iou([(3, 5)], [(3, 5)]), temporal_iou([], [(1, 2)])
    (1.0, 0.0)
    """
    try:
        pred, gt = merge_spans(pred_spans or []), merge_spans(gt_spans or [])
    except (TypeError, ValueError):
        return 0.0
    inter, i, j = 0.0, 0, 0
    while i < len(pred) and j < len(gt):
        inter += max(0.0, min(pred[i][1], gt[j][1]) - max(pred[i][0], gt[j][0]))
        if pred[i][1] < gt[j][1]:
            i += 1
        else:
            j += 1
    union = sum(e - s for s, e in pred) + sum(e - s for s, e in gt) - inter
    return (_finite(inter / union) or 0.0) if union > 0 else 0.0


def box_iou(a: Any, b: Any) -> float:
    """IoU of two ``(x1, y1, x2, y2)`` boxes; 0 for empty or missing boxes.

    >>> box_iou((0, 0, 0.5, 0.5), (0.25, 0.25, 0.75, 0.75))  # 0.0625 / 0.4375
    0.14285714285714285
    """
    if a is None or b is None:
        return 0.0
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b
    inter = max(0.0, min(ax2, bx2) - max(ax1, bx1)) * max(0.0, min(ay2, by2) - max(ay1, by1))
    union = max(0.0, ax2 - ax1) * max(0.0, ay2 - ay1) + max(0.0, bx2 - bx1) * max(0.0, by2 - by1) - inter
    return (_finite(inter / union) or 0.0) if union > 0 else 0.0


def mean_relative_accuracy(pred: float | None, gt: float) -> float:
    """VSI-Bench MRA: the share of thresholds θ in 0.50:0.95:0.05 with ``|pred-gt|/|gt| <= 1-θ``.

    >>> mean_relative_accuracy(11, 10), mean_relative_accuracy(10, 10), mean_relative_accuracy(30, 10)
    (0.9, 1.0, 0.0)
    """
    if pred is None or not math.isfinite(pred) or not math.isfinite(gt):
        return 0.0
    error = abs(pred - gt) / abs(gt) if gt else (0.0 if pred == gt else math.inf)
    return sum(error <= round(1 - t, 10) for t in MRA_THRESHOLDS) / len(MRA_THRESHOLDS)


def token_f1(pred: str | None, gt: str) -> float:
    """SQuAD-style token F1 of normalised texts.

    >>> token_f1("a red car", "the red truck")
    0.5
    """
    pred_tokens, gt_tokens = normalize_text(pred or "").split(), normalize_text(gt).split()
    common = sum(min(pred_tokens.count(t), gt_tokens.count(t)) for t in set(pred_tokens))
    if not common:
        return 0.0
    precision, recall = common / len(pred_tokens), common / len(gt_tokens)
    return 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------- answer keys and votes

OVERLAP = 0.5
"""Spans or boxes with IoU at least this much count as the same answer."""
_FLAT_BOX = re.compile(r"\[\s*[-+]?[\d.]+(?:\s*,\s*[-+]?[\d.]+){3}\s*\]")
"""One flat list of four numbers: a box (two spans ``[[a, b], [c, d]]`` also have 3 commas)."""


@dataclass
class Vote:
    """One cluster of equivalent answers."""

    answer: str
    count: int
    members: list[int]


def answer_key(answer: str, options: list[str] | None = None) -> tuple[str, Any]:
    """A comparable form of an answer: its kind and normalised value.

    >>> answer_key("The answer is (b)", ["red", "blue"])
    ('choice', 'B')
    >>> answer_key("[12.0, 15.5]")
    ('span', ((12.0, 15.5),))
    """
    if options:
        letter = extract_choice(answer, options)
        if letter:
            return "choice", letter
    if _FLAT_BOX.fullmatch(answer.strip()):
        box = parse_box(answer)
        if box is not None:
            return "box", tuple(box)
    spans = parse_spans(answer)
    if spans:
        return "span", tuple(tuple(span) for span in spans)
    number = parse_number(answer)
    if number is not None and normalize_text(answer).replace(" ", "").replace(".", "").isdigit():
        return "number", round(number, 6)
    return "text", normalize_text(answer)


def same_answer(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    """Whether two :func:`answer_key` results name the same answer (spans and boxes: IoU >= :data:`OVERLAP`)."""
    if a[0] != b[0]:
        return False
    if a[0] == "span":
        return temporal_iou(list(a[1]), list(b[1])) >= OVERLAP
    if a[0] == "box":
        return box_iou(a[1], b[1]) >= OVERLAP
    return a[1] == b[1]


def vote(answers: list[str | None], options: list[str] | None = None) -> tuple[list[Vote], bool]:
    """Clusters of equivalent answers, largest first (ties keep first-seen order), and whether the top tied.

    >>> votes, tie = vote(["B", "(B) blue", "A", None], ["red", "blue"])
    >>> [(v.answer, v.count) for v in votes], tie
    ([('B', 2), ('A', 1)], False)
    """
    clusters: list[tuple[tuple[str, Any], Vote]] = []
    for index, answer in enumerate(answers):
        if answer is None:
            continue
        key = answer_key(answer, options)
        for cluster_key, cluster in clusters:
            if same_answer(cluster_key, key):
                cluster.count += 1
                cluster.members.append(index)
                break
        else:
            clusters.append((key, Vote(answer=answer, count=1, members=[index])))
    votes = sorted((cluster for _, cluster in clusters), key=lambda v: -v.count)
    return votes, len(votes) > 1 and votes[0].count == votes[1].count
