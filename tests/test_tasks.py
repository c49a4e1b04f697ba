"""Task schema: validation, load/save, dataset columns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vagent.env.tasks import Task, load_tasks, save_tasks
from vagent.faces.trl_dataset import task_from_row, tasks_to_dataset
from vagent.errors import ConfigError

GOOD = [
    {"id": "c1", "video": "videos/a.mp4", "question": "Colour?", "answer_type": "choice", "answer": "b",
     "options": ["red", "blue"], "reward": "accuracy_only"},
    {"id": "n1", "video": "/abs/b.mp4", "question": "How many?", "answer_type": "number", "answer": 3},
    {"id": "t1", "video": "b.mp4", "question": "What?", "answer_type": "text", "answer": ["a dog", "dog"]},
    {"id": "s1", "video": "b.mp4", "question": "When?", "answer_type": "span", "answer": [[1, 2], [4.5, 6]],
     "evidence": [[1, 2]], "metadata": {"source": "x"}},
    {"id": "b1", "video": "b.mp4", "question": "Where?", "answer_type": "box", "answer": [0.1, 0.2, 0.5, 0.6],
     "metadata": {"time": 3.0}, "reward": "accuracy:1,format:0.2"},
]


def write(path: Path, lines: list) -> Path:
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    return path


def test_load_normalises_and_resolves_relative_videos(tmp_path):
    tasks = load_tasks(write(tmp_path / "tasks.jsonl", GOOD))
    assert [t.id for t in tasks] == ["c1", "n1", "t1", "s1", "b1"]
    assert tasks[0].video == str((tmp_path / "videos" / "a.mp4").resolve())
    assert tasks[1].video == "/abs/b.mp4"
    assert tasks[0].answer == "B" and tasks[1].answer == 3.0
    assert tasks[3].answer == [[1.0, 2.0], [4.5, 6.0]]


def test_save_is_a_round_trip_and_keeps_folder_relative_paths(tmp_path):
    tasks = load_tasks(write(tmp_path / "tasks.jsonl", GOOD))
    out = save_tasks(tasks, tmp_path / "copy.jsonl")
    first = json.loads(out.read_text().splitlines()[0])
    assert first["video"] == "videos/a.mp4"
    assert [t.to_dict() for t in load_tasks(out)] == [t.to_dict() for t in tasks]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_save_failure_leaves_old_file(tmp_path):
    target = tmp_path / "tasks.jsonl"
    target.write_text("old\n")

    class Boom(Task):
        def to_dict(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        save_tasks([Boom("x", "/v.mp4", "q", "number", 1)], target)
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]


def test_dict_round_trip():
    for data in GOOD:
        task = Task.from_dict(data)
        assert Task.from_dict(task.to_dict()) == task


BAD = [
    ("{not json", r"tasks\.jsonl:2: not valid JSON"),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "choice"}, r':2: field "answer": missing'),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "essay", "answer": "1"},
     r':2: field "answer_type": unknown "essay"'),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "span", "answer": "12"},
     r':2: field "answer": expected a list of \[start, end\] pairs for answer_type "span", got "12"'),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "span", "answer": [[5, 3]]},
     r':2: field "answer": span \[5, 3\] needs 0 <= start <= end'),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "choice", "answer": "C", "options": ["a", "b"]},
     r':2: field "answer": expected an option letter A-B'),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "choice", "answer": "A"}, r':2: field "options": required'),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "box", "answer": [0.1, 0.2, 1.5, 0.6]},
     r':2: field "answer": box .* normalised'),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "box", "answer": [0.5, 0.2, 0.1, 0.6]},
     r':2: field "answer": box .* inverted'),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "number", "answer": "7"}, r':2: field "answer": expected a finite number'),
    ({"id": "x", "video": "", "question": "q", "answer_type": "number", "answer": 7}, r':2: field "video": expected a non-empty'),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "number", "answer": 7, "extra": 1}, r':2: field "extra": unknown field'),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "number", "answer": 7, "reward": "acuracy:1"},
     r':2: field "reward": .*unknown reward "acuracy"'),
    ({"id": "x", "video": "v", "question": "q", "answer_type": "number", "answer": 7, "evidence": [[1]]},
     r':2: field "evidence": expected a list of \[start, end\] pairs'),
    ({"id": "c1", "video": "v", "question": "q", "answer_type": "number", "answer": 7}, r':2: field "id": duplicate id "c1" \(first on line 1\)'),
]


@pytest.mark.parametrize("line,pattern", BAD)
def test_load_errors_name_file_line_and_field(tmp_path, line, pattern):
    path = write(tmp_path / "tasks.jsonl", [GOOD[0], line])
    with pytest.raises(ConfigError, match=pattern) as info:
        load_tasks(path)
    assert str(path) in str(info.value)


def test_check_videos(tmp_path):
    (tmp_path / "videos").mkdir()
    path = write(tmp_path / "tasks.jsonl", [GOOD[0]])
    with pytest.raises(ConfigError, match=re.escape(f'{path}:1: field "video": no such file')):
        load_tasks(path, check_videos=True)
    (tmp_path / "videos" / "a.mp4").write_bytes(b"")
    assert len(load_tasks(path, check_videos=True)) == 1


def test_direct_construction_validates():
    with pytest.raises(ConfigError, match='field "answer"'):
        Task("x", "v", "q", "span", [[3, 1]])


def test_dataset_columns_and_row_round_trip(tmp_path):
    tasks = load_tasks(write(tmp_path / "tasks.jsonl", GOOD))
    data = tasks_to_dataset(tasks, prompt=lambda task: [{"role": "user", "content": task.question}])
    assert set(data.column_names) == {
        "prompt", "id", "video", "question", "answer_type", "answer", "options", "evidence", "metadata", "reward"
    }
    assert data[0]["prompt"] == [{"role": "user", "content": "Colour?"}]
    assert json.loads(data[3]["answer"]) == [[1.0, 2.0], [4.5, 6.0]]
    assert data[1]["options"] is None and data[1]["reward"] is None
    assert [task_from_row(row) for row in data] == tasks
    assert "prompt" not in tasks_to_dataset(tasks, prompt=None).column_names
