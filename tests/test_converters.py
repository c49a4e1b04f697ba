"""Converters on small sample files in the benchmarks' own formats."""

from __future__ import annotations

import json

import pytest

from vagent.env.converters import CONVERTERS, convert_charades_sta, convert_mvbench, convert_nextgqa, convert_videomme
from vagent.env.tasks import load_tasks
from vagent.errors import ConfigError

VIDEOMME_ROW = {
    "video_id": "001", "duration": "short", "domain": "Knowledge", "sub_category": "Humanity & History",
    "url": "https://www.youtube.com/watch?v=fFjv93ACGo8", "videoID": "fFjv93ACGo8", "question_id": "001-1",
    "task_type": "Counting Problem", "question": "How many red socks are above the fireplace?",
    "options": ["A. 0.", "B. 1.", "C. 2.", "D. 3."], "answer": "C",
}


def test_videomme_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    second = {**VIDEOMME_ROW, "question_id": "001-2", "answer": "A", "options": ["A. yes", "B. no", "C. maybe", "D. never"]}
    pq.write_table(pa.Table.from_pylist([VIDEOMME_ROW, second]), tmp_path / "test.parquet")
    tasks = convert_videomme(tmp_path / "test.parquet", tmp_path / "videos", tmp_path / "out" / "videomme.jsonl")
    assert [t.id for t in tasks] == ["videomme/001-1", "videomme/001-2"]
    assert tasks[0].options == ["0.", "1.", "2.", "3."] and tasks[0].answer == "C"
    assert tasks[0].video == str(tmp_path / "videos" / "fFjv93ACGo8.mp4")
    assert tasks[0].metadata["duration"] == "short"
    assert load_tasks(tmp_path / "out" / "videomme.jsonl") == tasks


def test_videomme_nested_json_and_url_fallback(tmp_path):
    video = {k: VIDEOMME_ROW[k] for k in ("video_id", "duration", "domain", "url")}
    question = {k: VIDEOMME_ROW[k] for k in ("question_id", "task_type", "question", "options", "answer")}
    (tmp_path / "vmme.json").write_text(json.dumps([{**video, "questions": [question]}]))
    tasks = convert_videomme(tmp_path / "vmme.json", tmp_path, tmp_path / "out.jsonl")
    assert tasks[0].video.endswith("fFjv93ACGo8.mp4") and tasks[0].answer == "C"


def test_mvbench(tmp_path):
    rows = [
        {"video": "166583.webm", "question": "What is the action?", "candidates": ["Pushing", "Pulling", "Lifting"],
         "answer": "Pulling"},
        {"video": "3MSZA.mp4", "question": "What happened after?", "candidates": ["Sat.", "Stood."], "answer": "stood.",
         "start": 11.1, "end": 19.5},
    ]
    (tmp_path / "action_antonym.json").write_text(json.dumps(rows))
    tasks = convert_mvbench(tmp_path / "action_antonym.json", tmp_path / "v", tmp_path / "mv.jsonl")
    assert [(t.id, t.answer) for t in tasks] == [("mvbench/action_antonym/1", "B"), ("mvbench/action_antonym/2", "B")]
    assert tasks[1].metadata["clip"] == [11.1, 19.5]
    assert tasks[0].video == str(tmp_path / "v" / "166583.webm")


def test_charades_sta(tmp_path):
    (tmp_path / "charades_sta_test.txt").write_text(
        "3MSZA 24.3 30.4##person turn a light on.\n3MSZA 0.0 5.2##a person opens a door\n\nAO8RW 1 2##x\n"
    )
    tasks = convert_charades_sta(tmp_path / "charades_sta_test.txt", tmp_path / "videos", tmp_path / "sta.jsonl")
    assert [t.id for t in tasks] == ["charades_sta/3MSZA/1", "charades_sta/3MSZA/2", "charades_sta/AO8RW/1"]
    assert tasks[0].answer == [[24.3, 30.4]] and tasks[0].evidence == [[24.3, 30.4]]
    assert '"person turn a light on"' in tasks[0].question
    assert tasks[0].video.endswith("videos/3MSZA.mp4")


def test_nextgqa(tmp_path):
    (tmp_path / "test.csv").write_text(
        "video_id,frame_count,width,height,question,answer,qid,type,a0,a1,a2,a3,a4\n"
        "10001787725,1000,640,480,why did the boy fall,2,1,CW,slipped,pushed,tripped over toy,jumped,sat\n"
        "10001787725,1000,640,480,what did the girl do after,hug the boy,3,TN,cry,hug the boy,run,eat,sleep\n"
    )
    gsub = {"10001787725": {"duration": 34, "location": {"1": [[1.2, 5.8]], "3": [[12.1, 17.1], [20.0, 23.5]]}, "fps": 29.97}}
    (tmp_path / "gsub_test.json").write_text(json.dumps(gsub))
    (tmp_path / "map_vid_vidorID.json").write_text(json.dumps({"10001787725": "1025/10001787725"}))
    tasks = convert_nextgqa(tmp_path / "test.csv", tmp_path / "videos", tmp_path / "gqa.jsonl")
    assert [(t.id, t.answer) for t in tasks] == [("nextgqa/10001787725/1", "C"), ("nextgqa/10001787725/3", "B")]
    assert tasks[0].evidence == [[1.2, 5.8]] and tasks[1].evidence == [[12.1, 17.1], [20.0, 23.5]]
    assert tasks[0].video.endswith("videos/1025/10001787725.mp4")
    assert tasks[0].question == "why did the boy fall?" and tasks[0].metadata["duration"] == 34


MALFORMED = [
    ("charades_sta", "sta.txt", "3MSZA 24.3 30.4##ok\n3MSZA 24.3 abc##bad\n", r'sta\.txt:2: field "end": expected seconds'),
    ("charades_sta", "sta.txt", "3MSZA 9 3##backwards\n", r'sta\.txt:1: field "start": start 9.0 is after end 3.0'),
    ("mvbench", "mv.json", json.dumps([{"video": "a.mp4", "question": "q", "candidates": ["x", "y"], "answer": "z"}]),
     r'mv\.json: record 1: field "answer": \'z\' is not one of the candidates'),
    ("mvbench", "mv.json", '[{"video": "a.mp4",\n "question": }]', r"mv\.json:2: not valid JSON"),
    ("videomme", "v.json", json.dumps([{**VIDEOMME_ROW, "answer": "F"}]), r'v\.json: record 1: field "answer": expected an option letter A-D'),
    ("videomme", "v.jsonl", json.dumps(VIDEOMME_ROW) + "\n" + json.dumps({**VIDEOMME_ROW, "question": ""}),
     r'v\.jsonl:2: field "question": expected a non-empty string'),
]


@pytest.mark.parametrize("name,filename,content,pattern", MALFORMED)
def test_malformed_input_names_place_and_writes_nothing(tmp_path, name, filename, content, pattern):
    (tmp_path / filename).write_text(content)
    out = tmp_path / "out" / "tasks.jsonl"
    with pytest.raises(ConfigError, match=pattern):
        CONVERTERS[name](tmp_path / filename, tmp_path / "videos", out)
    assert not out.exists()
    assert not (out.parent.exists() and any(out.parent.iterdir()))


def test_nextgqa_malformed_answer_and_existing_output_kept(tmp_path):
    (tmp_path / "val.csv").write_text("video_id,qid,question,answer,a0,a1\n1,1,why,ok,yes,no\n1,2,why,7,yes,no\n")
    (tmp_path / "gsub_val.json").write_text("{}")
    out = tmp_path / "gqa.jsonl"
    out.write_text("previous\n")
    with pytest.raises(ConfigError, match=r'val\.csv:2: field "answer": expected an index 0-1'):
        convert_nextgqa(tmp_path / "val.csv", tmp_path, out)
    assert out.read_text() == "previous\n"


def test_converters_registry():
    assert set(CONVERTERS) == {"videomme", "mvbench", "charades_sta", "nextgqa"}
