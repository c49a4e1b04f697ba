"""lmms-eval scores the vagent agent end to end, offline: its own evaluator on a local task.

The task is a YAML in a temporary folder (lmms-eval's ``include_path``) over a local JSONL of
generated videos with multiple-choice questions; ``--model vagent`` is found through the
``lmms_eval.models`` entry point. Never skipped: the README's set-up command (what CI runs) installs
lmms-eval (``vagent[lmms]`` plus ``pip install --no-deps lmms-eval==0.7.3``, docs/lmms.md), so a
missing install fails this test with that command rather than hiding it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vagent.agent.trace import Trace
from vagent.env.synthetic import make_suite

INSTALL = "pip install -e '.[lmms]' && pip install --no-deps lmms-eval==0.7.3  (docs/lmms.md)"

TASK_YAML = """task: vagent_local_choice
dataset_path: json
dataset_kwargs:
  data_files:
    test: {docs}
  cache_dir: {cache}
test_split: test
output_type: generate_until
doc_to_visual: !function utils.doc_to_visual
doc_to_text: !function utils.doc_to_text
doc_to_target: answer
process_results: !function utils.process_results
generation_kwargs:
  max_new_tokens: 16
metric_list:
  - metric: accuracy
    aggregation: mean
    higher_is_better: true
"""

TASK_UTILS = '''
def doc_to_visual(doc):
    return [doc["video"]]


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    options = [f"{chr(65 + i)}. {option}" for i, option in enumerate(doc["options"])]
    return "\\n".join([doc["question"], *options, "Answer with the option's letter from the given choices directly."])


def process_results(doc, results):
    return {"accuracy": float(results[0].strip().upper()[:1] == doc["answer"])}
'''


def test_lmms_eval_runs_the_agent_on_a_local_video_task(tmp_path: Path):
    try:
        from lmms_eval.evaluator import simple_evaluate
        from lmms_eval.tasks import TaskManager
    except ImportError as error:  # fail, never skip: CI installs lmms-eval through the README
        pytest.fail(f"lmms-eval is not importable ({error}); install it: {INSTALL}")

    tasks = [t for t in make_suite(2, tmp_path / "gym", seed=0, duration=6.0, families=["count_cuts"], variant="choice") if t.options]
    assert len(tasks) == 2
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"video": t.video, "question": t.question, "options": t.options, "answer": t.answer}) + "\n"
                            for t in tasks))
    task_dir = tmp_path / "task"
    task_dir.mkdir()
    (task_dir / "vagent_local.yaml").write_text(TASK_YAML.format(docs=docs, cache=tmp_path / "hf"))
    (task_dir / "utils.py").write_text(TASK_UTILS)
    traces = tmp_path / "traces"

    results = simple_evaluate(
        model="vagent", tasks=["vagent_local_choice"], batch_size=1, log_samples=True,
        model_args=f"policy=scripted,max_turns=6,clip_pretrained=random,clip_model=ViT-S-32,trace_dir={traces}",
        task_manager=TaskManager(include_path=str(task_dir), include_defaults=False),
    )

    samples = results["samples"]["vagent_local_choice"]
    answers = [sample["filtered_resps"][0] for sample in samples]
    assert len(answers) == 2 and all(answers), answers
    expected = sum(a.strip().upper()[:1] == t.answer for a, t in zip(answers, tasks)) / 2
    assert results["results"]["vagent_local_choice"]["accuracy,none"] == pytest.approx(expected)
    assert "policy=scripted" in results["config"]["model_args"]
    settings = json.loads((traces / "settings.json").read_text())
    assert settings["policy_name"] == "scripted" and settings["max_turns"] == 6 and settings["max_frames"] == 64
    assert settings["tool_limits"]["frame_side"] == 384
    assert sorted(p.name for p in traces.glob("vagent_local_choice-*.jsonl")) == ["vagent_local_choice-0.jsonl",
                                                                                   "vagent_local_choice-1.jsonl"]
    trace = Trace.load(traces / "vagent_local_choice-0.jsonl")
    assert "\nA. " not in trace.meta["question"] and trace.meta["settings"]["max_turns"] == 6
    question = trace.episodes[0].messages[1]["data"]
    assert question["options"] == tasks[0].options, "the lettered lines became the agent's options"


def test_the_model_is_found_when_vagent_lmms_is_imported_first():
    """Importing vagent.lmms before anything else of lmms-eval builds lmms-eval's registry from inside
    that import; the entry point must still name the model (a fresh interpreter: import order matters)."""
    import subprocess
    import sys

    code = "import vagent.lmms\nfrom lmms_eval.models import get_model\nprint(get_model('vagent').__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("VagentLMM"), done.stderr[-2000:]
