"""The command line: help for every command, the main job on a real clip, clear errors."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from vagent.cli import app

runner = CliRunner()
COMMANDS = [[], ["ask"], ["index"], ["eval"], ["example"], ["trace", "show"], ["gym", "make"], ["data", "convert"],
            ["train", "collect"], ["train", "sft"], ["train", "grpo"], ["train", "merge"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "root")
def test_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "vagent", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "ask" in result.stdout


def test_example_prints_a_real_clip():
    result = runner.invoke(app, ["example", "bikes"])
    assert result.exit_code == 0
    assert result.output.strip().endswith("bikes.mp4")
    assert runner.invoke(app, ["example", "nope"]).exit_code == 2


@pytest.mark.slow
def test_ask_on_a_real_clip_writes_trace_and_page(bikes, tmp_path):
    trace = tmp_path / "t.jsonl"
    result = runner.invoke(
        app,
        ["ask", str(bikes), "How many scenes are in this video?", "--model", "scripted", "--trace-out", str(trace),
         "--clip-pretrained", "random", "--clip-model", "ViT-S-32"],
    )
    assert result.exit_code == 0, result.output
    assert "detect_scenes" in result.output and "answer" in result.output
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert lines[0]["kind"] == "header" and lines[0]["answer"]
    steps = lines[1]["episode"]["steps"]
    assert any(call["tool"] == "detect_scenes" and not call["error"] for step in steps for call in step["calls"])
    page = trace.with_suffix(".html").read_text()
    assert page.count("<img src=\"data:image/jpeg;base64,") >= 4

    rerender = runner.invoke(app, ["trace", "show", str(trace), "--out", str(tmp_path / "again.html")])
    assert rerender.exit_code == 0 and (tmp_path / "again.html").is_file()


def test_ask_missing_video_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["ask", str(tmp_path / "nope.mp4"), "What?", "--model", "scripted"])
    assert result.exit_code == 2
    assert "error" in result.output and "Traceback" not in result.output


def test_ask_not_a_video_is_a_clear_error(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 50)
    result = runner.invoke(app, ["ask", str(fake), "What?", "--model", "scripted"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_ask_unloadable_model_exits_3(bikes, tmp_path):
    result = runner.invoke(
        app,
        ["ask", str(bikes), "What?", "--model", str(tmp_path / "no-such-model"), "--clip-pretrained", "random",
         "--clip-model", "ViT-S-32", "--trace-out", str(tmp_path / "t.jsonl")],
    )
    assert result.exit_code == 3, result.output
    assert "no-such-model" in result.output


def test_bad_strategy_is_rejected(bikes):
    result = runner.invoke(app, ["ask", str(bikes), "What?", "--strategy", "magic"])
    assert result.exit_code == 2 and "unknown strategy" in result.output


def test_trace_show_rejects_garbage(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    result = runner.invoke(app, ["trace", "show", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:1" in result.output


@pytest.mark.slow
def test_gym_make_then_eval_then_resume(tmp_path):
    tasks_dir = tmp_path / "gym"
    made = runner.invoke(app, ["gym", "make", "--n", "4", "--out", str(tasks_dir), "--duration", "8"])
    assert made.exit_code == 0, made.output
    out = tmp_path / "eval"
    args = ["eval", str(tasks_dir / "tasks.jsonl"), "--model", "scripted", "--out", str(out),
            "--clip-pretrained", "random", "--clip-model", "ViT-S-32"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n"] == 4 and 0.0 <= summary["accuracy"] <= 1.0
    assert len((out / "results.jsonl").read_text().splitlines()) == 4
    again = runner.invoke(app, args)  # everything finished: nothing is redone
    assert again.exit_code == 0
    assert len((out / "results.jsonl").read_text().splitlines()) == 4


def test_data_convert_error_names_the_line(tmp_path):
    annotations = tmp_path / "charades.txt"
    annotations.write_text("vid1 0.0 3.0##a person opens a door\nvid2 oops##broken line\n")
    out = tmp_path / "tasks.jsonl"
    args = ["data", "convert", "charades_sta", str(annotations), "--video-dir", str(tmp_path), "--out", str(out)]
    result = runner.invoke(app, [*args, "--strict"])
    assert result.exit_code == 2
    assert "charades.txt:2" in result.output
    assert not out.exists()
    result = runner.invoke(app, args)  # without --strict the bad line is skipped and named
    assert result.exit_code == 0 and "charades.txt:2" in result.output and len(out.read_text().splitlines()) == 1


def test_cli_reference_is_current():
    """docs/cli.md is generated from the code: `python docs/generate_cli_docs.py` (typer's own generator,
    HTML entities turned back into characters, so the file reads the same raw and rendered)."""
    import doctest
    import importlib.util
    import re
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "docs" / "generate_cli_docs.py"
    spec = importlib.util.spec_from_file_location("generate_cli_docs", script)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    committed = script.with_name("cli.md").read_text(encoding="utf-8")
    assert generator.generate() == committed, "docs/cli.md is stale: regenerate it (see this test's docstring)"
    assert not re.search(r"&(#x?[0-9a-f]+|[a-z]+);", committed, re.I), "docs/cli.md has HTML entities"
    assert doctest.testmod(generator).failed == 0


def test_train_config_errors_are_clear(tmp_path):
    config = tmp_path / "collect.yaml"
    config.write_text("tasks: t.jsonl\nlearning_rat: 3\n")
    result = runner.invoke(app, ["train", "collect", "--config", str(config)])
    assert result.exit_code == 2 and "learning_rat" in result.output and "Traceback" not in result.output
    missing = runner.invoke(app, ["train", "sft", "model=tiny", f"dataset={tmp_path / 'none.jsonl'}", f"output_dir={tmp_path / 'o'}"])
    assert missing.exit_code == 2 and "none.jsonl" in missing.output and "Traceback" not in missing.output


@pytest.mark.slow
def test_ask_without_model_falls_back_to_scripted_offline(bikes, tmp_path):
    result = runner.invoke(
        app,
        ["ask", str(bikes), "How many scenes are in this video?", "--clip-pretrained", "random", "--clip-model", "ViT-S-32",
         "--trace-out", str(tmp_path / "t.jsonl")],
    )
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "Qwen/Qwen3-VL-2B-Instruct" in output and "Falling back to the scripted policy" in output
    assert "model: scripted" in output


@pytest.mark.slow
def test_ask_with_the_tiny_model_ends_within_budget(bikes, tmp_path, tiny_model_dir):
    """The tiny random model writes garbage: the agent tells it so, and stops at the budget."""
    trace = tmp_path / "t.jsonl"
    result = runner.invoke(
        app,
        ["ask", str(bikes), "What happens?", "--model", str(tiny_model_dir), "--max-turns", "2", "--seed", "0",
         "--clip-pretrained", "random", "--clip-model", "ViT-S-32", "--trace-out", str(trace)],
    )
    assert result.exit_code in (0, 1), result.output  # answered by chance, or no answer within budget
    episode = json.loads(trace.read_text().splitlines()[1])["episode"]
    assert episode["turns"] <= 3 and episode["end_reason"] in ("answered", "max_turns")
