"""Routing coverage of the scripted policy on real benchmark question strings (issue 25).

    OMP_NUM_THREADS=1 python bench/question_coverage.py [--show]

``bench/benchmark_questions.jsonl`` holds 200 question strings with their options, each naming its
source file: 80 from Video-MME's test annotations, 60 from MVBench's task files (both as copied in
OpenGVLab/VideoChat-Flash ``lmms-eval_videochat/eval_annotations/``) and 60 from NExT-GQA's
``datasets/nextgqa/test.csv`` (doc-doc/NExT-GQA), drawn at random (seed 25). No video is needed:
this counts, per source, the share routed to a specific plan (not ``general``), the plans chosen,
and, among the questions that name a time (a clock time, seconds or minutes, the beginning, middle
or end), the share whose time :func:`~vagent.agent.scripted.timeexpr.time_ref` parses.

A specific plan is only a gain where it fits: the plans measure the picture (cuts, colours,
brightness), read text on screen and place coloured objects; a question about what people do is
``general``. :data:`FITS` names, by hand, the questions among the 200 that one of the plans can
answer (labelled once, after looking at every question; all others fit ``general``), so the table
also gives how many specific routes fit and how many questions are routed as labelled.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vagent.agent.scripted import classify_question, time_ref  # noqa: E402

QUESTIONS = Path(__file__).with_name("benchmark_questions.jsonl")
NAMES_TIME = re.compile(r"\d+:\d\d|\d\s*(?:s|sec|secs|seconds?|min|minutes?)\b|\b(?:beginning|start|middle|end)\b", re.I)
"""A question that names a time (independent of the parser it checks)."""
FITS = {"132-1": "read", "174-2": "read", "character_order.json#60": "read"}
"""The questions (by id) that a specific plan can answer: text written on screen or on paper."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print each question with its plan and time")
    args = parser.parse_args()
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    stats: dict[str, Counter] = defaultdict(Counter)
    kinds: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        source = "Video-MME" if "Video-MME" in row["source"] else "MVBench" if "MVBench" in row["source"] else "NExT-GQA"
        options = [re.sub(r"^\(?[A-E][.)]\s*", "", o) for o in row.get("options") or []] or None
        kind = classify_question(row["question"], options)
        ref = time_ref(row["question"], 600.0)
        names_time = bool(NAMES_TIME.search(row["question"]))
        s = stats[source]
        s["n"] += 1
        s["specific"] += kind != "general"
        s["names_time"] += names_time
        s["parsed"] += names_time and ref is not None
        s["fits"] += kind != "general" and FITS.get(row["id"]) == kind
        s["as_labelled"] += kind == FITS.get(row["id"], "general")
        kinds[source][kind] += 1
        if args.show:
            print(f"{source:9} {kind:10} {ref.words if ref else '-':24} {row['question'][:110]}")
    print("| source | questions | specific plan | of which fit | routed as labelled | name a time | time parsed | plans |")
    print("|---|---|---|---|---|---|---|---|")
    for source, s in stats.items():
        plans = ", ".join(f"{k} {v}" for k, v in kinds[source].most_common())
        print(f"| {source} | {s['n']} | {s['specific'] / s['n']:.2f} ({s['specific']}) | {s['fits']} | "
              f"{s['as_labelled'] / s['n']:.2f} | {s['names_time']} | {s['parsed']} of {s['names_time']} | {plans} |")


if __name__ == "__main__":
    main()
