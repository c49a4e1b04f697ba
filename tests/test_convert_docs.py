"""Every `vagent data convert` example in the docs runs as written, on small generated files."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vagent.cli import app
from vagent.env.tasks import load_tasks

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def examples() -> list[tuple[str, str]]:
    """(file, command line) for each `vagent data convert` line inside a code block (not the
    synopsis with its NAME / ANNOTATIONS placeholders, nor the generated docs/cli.md)."""
    found = []
    for doc in DOCS:
        if doc.name == "cli.md":
            continue
        blocks = re.findall(r"```[a-z]*\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.S)
        for block in blocks:
            for line in block.splitlines():
                line = line.strip().removeprefix("$ ")
                if line.startswith("vagent data convert") and not re.search(r"\b(NAME|ANNOTATIONS)\b|\[options\]", line):
                    found.append((doc.name, line))
    return found


def write_annotations(name: str, path: Path) -> None:
    """A two-record file in the benchmark's own layout at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if name == "videomme":
        rows = [{"video_id": "001", "duration": "short", "domain": "Knowledge", "sub_category": "Astronomy",
                 "url": "https://www.youtube.com/watch?v=fFjv93ACGo8", "videoID": "fFjv93ACGo8", "question_id": f"001-{i}",
                 "task_type": "OCR Problems", "question": "Which?", "options": ["A. a", "B. b", "C. c", "D. d"], "answer": "B"}
                for i in (1, 2)]
        if path.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(rows), path)
        else:
            path.write_text(json.dumps(rows))
    elif name == "mvbench":
        path.write_text(json.dumps([{"video": f"{i}.webm", "question": "What?", "candidates": ["x", "y"], "answer": "y"} for i in (1, 2)]))
    elif name == "charades_sta":
        path.write_text("3MSZA 24.3 30.4##person turn a light on.\nAO8RW 0.0 6.9##a person reads.\n")
    elif name == "nextgqa":
        path.write_text("video_id,frame_count,width,height,question,answer,qid,type,a0,a1,a2,a3,a4\n"
                        "100,10,1,1,why,sat,1,CW,ran,sat,ate,slept,hid\n100,10,1,1,how,0,2,CH,ran,sat,ate,slept,hid\n")
        path.with_name(f"gsub_{path.stem}.json").write_text(json.dumps({"100": {"duration": 9, "location": {"1": [[1, 2]]}, "fps": 30}}))
    else:
        raise AssertionError(f"docs show an unknown format {name!r}")


def test_the_docs_have_examples_of_every_format():
    names = {shlex.split(line)[3] for _, line in examples()}
    assert names == {"videomme", "mvbench", "charades_sta", "nextgqa"}, examples()


@pytest.mark.parametrize("doc,line", examples(), ids=lambda value: value if len(value) < 40 else value.split()[3])
def test_docs_example_runs_as_written(tmp_path, monkeypatch, doc, line):
    args = shlex.split(line)[1:]
    name, annotations = args[2], Path(args[3])
    out = Path(args[args.index("--out") + 1])
    monkeypatch.chdir(tmp_path)
    write_annotations(name, annotations)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, f"{doc}: {line}\n{result.output}"
    assert "2 records read, 2 tasks written" in result.output
    assert len(load_tasks(out)) == 2
