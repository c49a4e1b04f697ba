"""Every notebook executes top to bottom (CI fails if one errors)."""

import importlib.util
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
spec = importlib.util.spec_from_file_location("execute_notebooks", NOTEBOOKS / "execute.py")
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)


def test_there_are_notebooks():
    assert {p.stem for p in runner.notebooks()} >= {"quickstart", "environment", "training_and_scaling"}


@pytest.mark.slow
@pytest.mark.parametrize("notebook", runner.notebooks(), ids=lambda p: p.stem)
def test_notebook_executes(notebook):
    book = runner.execute(notebook)
    outputs = [output for cell in book.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert outputs, "a notebook that shows nothing"
