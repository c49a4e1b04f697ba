"""Routing coverage of the scripted policy on real benchmark question strings (issue 25).

    OMP_NUM_THREADS=1 python bench/question_coverage.py [--show]

``bench/benchmark_questions.jsonl`` holds 200 question strings with their options, each naming its
source file: 80 from Video-MME's test annotations, 60 from MVBench's task files (both as copied in
OpenGVLab/VideoChat-Flash ``lmms-eval_videochat/eval_annotations/``) and 60 from NExT-GQA's
``datasets/nextgqa/test.csv`` (doc-doc/NExT-GQA), drawn at random (seed 25). No video is needed:
this counts, per source, the share routed to a specific plan (not ``general``), the plans chosen,
and, among the questions that name a time (a clock time, seconds or minutes, the beginning, middle
or end), the share whose time :func:`~vagent.agent.scripted.timeexpr.time_ref` parses.
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
        kinds[source][kind] += 1
        if args.show:
            print(f"{source:9} {kind:10} {ref.words if ref else '-':24} {row['question'][:110]}")
    print("| source | questions | specific plan | name a time | time parsed | plans |")
    print("|---|---|---|---|---|---|")
    for source, s in stats.items():
        plans = ", ".join(f"{k} {v}" for k, v in kinds[source].most_common())
        print(f"| {source} | {s['n']} | {s['specific'] / s['n']:.2f} | {s['names_time']} | "
              f"{s['parsed'] / max(1, s['names_time']):.2f} | {plans} |")


if __name__ == "__main__":
    main()
