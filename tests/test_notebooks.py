"""Every notebook executes top to bottom (CI fails if one errors); committed outputs are clean and show
the trace inline."""

import importlib.util
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
spec = importlib.util.spec_from_file_location("execute_notebooks", NOTEBOOKS / "execute.py")
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)

CLEAN = ["quickstart", "environment", "training_and_scaling"]
"""Notebooks whose committed outputs are checked: no machine paths, no warnings."""
TRACE_INLINE = ["quickstart", "environment"]
"""Notebooks that show a reasoning trace inline (the training one shows results, not episodes)."""


def test_there_are_notebooks():
    assert {p.stem for p in runner.notebooks()} >= {"quickstart", "environment", "training_and_scaling"}


@pytest.mark.parametrize("name", CLEAN)
def test_committed_outputs_carry_no_machine_paths_or_warnings(name):
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert [cell.outputs for cell in book.cells if cell.cell_type == "code"], "not executed"
    assert runner.output_problems(book) == []


@pytest.mark.parametrize("name", TRACE_INLINE)
def test_committed_outputs_show_the_trace_inline(name):
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    views = [o.data["text/html"] for c in book.cells if c.cell_type == "code" for o in c.outputs
             if o.output_type in ("execute_result", "display_data") and "text/html" in o.get("data", {})]
    assert any(view.startswith('<div class="vt inline">') and '<div class="think">' in view and "<figcaption>t=" in view
               and "<svg" in view for view in views), "no Trace shown inline"


def test_the_checker_finds_paths_and_warnings():
    output = nbformat.v4.new_output("stream", name="stdout", text="VideoInfo(path='/work/x/.venv/lib/python3.11/site-packages/a.mp4')\n")
    warned = nbformat.v4.new_output("stream", name="stderr", text="tqdm/auto.py:21: TqdmWarning: IProgress not found\n")
    image = nbformat.v4.new_output("display_data", data={"text/html": '<img src="data:image/jpeg;base64,/tmp/work/AAAA">'})
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[output, warned, image])])
    problems = runner.output_problems(book)
    assert len(problems) == 3 and "machine path" in problems[0] and "stderr" in problems[1] and "warning" in problems[2]


@pytest.mark.slow
@pytest.mark.parametrize("notebook", runner.notebooks(), ids=lambda p: p.stem)
def test_notebook_executes(notebook):
    book = runner.execute(notebook)
    outputs = [output for cell in book.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert outputs, "a notebook that shows nothing"
    if notebook.stem in TRACE_INLINE:  # the training notebook's fresh outputs are checked when it is re-executed
        assert runner.output_problems(book) == []
