"""Converters on small generated files in the benchmarks' own layouts, with the dirty records the
real published files have (reversed and past-the-end Charades-STA spans, NExT-GQA spans starting
just below zero, MVBench questions with one candidate, Video-MME repeated options)."""

from __future__ import annotations

import csv
import json

import pytest

from vagent.env.converters.records import REPAIR_RULES
from vagent.env.converters import CONVERTERS, convert_charades_sta, convert_mvbench, convert_nextgqa, convert_videomme
from vagent.env.tasks import load_tasks
from vagent.errors import ConfigError

VIDEOMME_ROW = {
    "video_id": "001", "duration": "short", "domain": "Knowledge", "sub_category": "Humanity & History",
    "url": "https://www.youtube.com/watch?v=fFjv93ACGo8", "videoID": "fFjv93ACGo8", "question_id": "001-1",
    "task_type": "Counting Problem", "question": "How many red socks are above the fireplace?",
    "options": ["A. 0.", "B. 1.", "C. 2.", "D. 3."], "answer": "C",
}
CHARADES_HEADER = ["id", "subject", "scene", "quality", "relevance", "verified", "script", "objects", "descriptions", "actions", "length"]
NEXTGQA_HEADER = "video_id,frame_count,width,height,question,answer,qid,type,a0,a1,a2,a3,a4\n"


def write_charades(folder, lines, lengths, split="train"):
    """charades_sta_<split>.txt plus Charades_v1_<split>.csv (video lengths) beside it, as in 2D-TAN's data/."""
    (folder / f"charades_sta_{split}.txt").write_text("".join(line + "\n" for line in lines))
    with (folder / f"Charades_v1_{split}.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CHARADES_HEADER)
        for vid, length in lengths.items():
            writer.writerow([vid, "P1", "Kitchen", 6, 7, "Yes", "a script", "cup", "a description", "c001 0.0 3.0", length])
    return folder / f"charades_sta_{split}.txt"


def test_videomme_parquet_with_repeated_options(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    repeated = {**VIDEOMME_ROW, "question_id": "001-2", "answer": "D",
                "options": ["A. The shortest man.", "B. the shortest man", "C. Life in the US.", "D. Care in the US."]}
    all_same = {**VIDEOMME_ROW, "question_id": "001-3", "answer": "B", "options": ["A. x.", "B. x", "C. X.", "D. x"]}
    pq.write_table(pa.Table.from_pylist([VIDEOMME_ROW, repeated, all_same]), tmp_path / "test.parquet")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "fFjv93ACGo8.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nhello\n")
    conv = convert_videomme(tmp_path / "test.parquet", tmp_path / "videos", tmp_path / "out" / "videomme.jsonl",
                            subtitle_dir=tmp_path / "subs")
    assert [t.id for t in conv] == ["videomme/001-1", "videomme/001-2"]
    assert conv[0].options == ["0.", "1.", "2.", "3."] and conv[0].answer == "C"
    assert conv[0].video == str(tmp_path / "videos" / "fFjv93ACGo8.mp4")
    assert {k: conv[0].metadata[k] for k in ("duration", "task_type", "domain", "sub_category")} == {
        "duration": "short", "task_type": "Counting Problem", "domain": "Knowledge", "sub_category": "Humanity & History"}
    assert conv[0].metadata["subtitles"] == str(tmp_path / "subs" / "fFjv93ACGo8.srt")
    # B repeats A: dropped, and the answer D (its text) becomes C
    assert conv[1].options == ["The shortest man.", "Life in the US.", "Care in the US."] and conv[1].answer == "C"
    assert conv[1].metadata["original_answer"] == "D" and len(conv[1].metadata["original_options"]) == 4
    assert (conv.rows, len(conv), conv.n_repaired, conv.n_skipped) == (3, 2, 1, 1)
    assert list(conv.repaired) == ["duplicate_options"] and conv.repaired["duplicate_options"][0].startswith(f"{tmp_path / 'test.parquet'}: row 2")
    assert list(conv.skipped) == ["fewer than 2 options"] and ": row 3: " in conv.skipped["fewer than 2 options"][0]
    assert load_tasks(tmp_path / "out" / "videomme.jsonl") == list(conv)


def test_videomme_nested_json_url_fallback_and_missing_subtitles_warned(tmp_path):
    video = {k: VIDEOMME_ROW[k] for k in ("video_id", "duration", "domain", "url")}
    question = {k: VIDEOMME_ROW[k] for k in ("question_id", "task_type", "question", "options", "answer")}
    (tmp_path / "vmme.json").write_text(json.dumps([{**video, "questions": [question]}]))
    conv = convert_videomme(tmp_path / "vmme.json", tmp_path, tmp_path / "out.jsonl", subtitle_dir=tmp_path / "none")
    assert conv[0].video.endswith("fFjv93ACGo8.mp4") and conv[0].answer == "C"
    assert "subtitles" not in conv[0].metadata
    assert len(conv.warnings) == 1 and "no subtitles for 1 video(s)" in conv.warnings[0]


def test_mvbench_single_candidates_are_skipped_and_moments_kept(tmp_path):
    counterfactual = [
        {"video": "video_10000.mp4", "question": "What will happen if the cube is removed?",
         "candidates": ["The sphere collides with the cylinder", "Nothing collides"], "answer": "Nothing collides"},
        {"video": "video_10001.mp4", "question": "Which will happen if the sphere is removed?",
         "candidates": ["The cube collides with the gray cylinder"], "answer": "The cube collides with the gray cylinder"},
        {"video": "video_10002.mp4", "question": "What will happen?", "candidates": ["Stood.", "Sat."], "answer": "stood."},
    ]
    (tmp_path / "counterfactual_inference.json").write_text(json.dumps(counterfactual))
    conv = convert_mvbench(tmp_path / "counterfactual_inference.json", tmp_path / "v", tmp_path / "mv.jsonl")
    assert [(t.id, t.answer) for t in conv] == [("mvbench/counterfactual_inference/1", "B"), ("mvbench/counterfactual_inference/3", "A")]
    assert conv[0].metadata["task"] == "counterfactual_inference" and conv[0].video == str(tmp_path / "v" / "video_10000.mp4")
    assert (conv.rows, len(conv), conv.n_skipped) == (3, 2, 1)
    assert conv.skipped["fewer than 2 options"] == [
        f"{tmp_path / 'counterfactual_inference.json'}: record 2: field \"candidates\": 1 candidate(s) "
        "['The cube collides with the gray cylinder'], a choice needs 2"]

    localization = [{"video": "J84TZ.mp4", "question": "Which object was taken by the person?",
                     "candidates": ["The dish.", "The box.", "The blanket."], "answer": "The blanket.",
                     "start": 5.08, "end": 19.9, "accurate_start": 11.8, "accurate_end": 21.0}]
    (tmp_path / "object_interaction.json").write_text(json.dumps(localization))
    task = convert_mvbench(tmp_path / "object_interaction.json", tmp_path, tmp_path / "oi.jsonl")[0]
    assert task.evidence == [[11.8, 21.0]] and task.metadata["moment"] == [11.8, 21.0] and task.metadata["clip"] == [5.08, 19.9]


def test_mvbench_frame_folders_are_reported_not_written(tmp_path):
    rows = [{"video": "castle_s07e04_seg02_clip_14", "question": "Why did Castle dress like a fairy?",
             "candidates": ["To get her to trust him", "He lost a bet"], "answer": "To get her to trust him",
             "subtitle": "(Castle:) Okay?", "show_name": "Castle", "start": 0.0, "end": 38.32, "fps": 3},
            {"video": "castle_s07e04_seg02_clip_15.mp4", "question": "Who speaks first?",
             "candidates": ["Castle", "Emily"], "answer": "Emily", "subtitle": "(Emily:) Hi", "fps": 3}]
    (tmp_path / "episodic_reasoning.json").write_text(json.dumps(rows))
    (tmp_path / "frames" / "castle_s07e04_seg02_clip_14").mkdir(parents=True)
    conv = convert_mvbench(tmp_path / "episodic_reasoning.json", tmp_path / "frames", tmp_path / "er.jsonl")
    assert [t.id for t in conv] == ["mvbench/episodic_reasoning/2"]
    assert conv[0].metadata["subtitle"] == "(Emily:) Hi" and conv[0].metadata["fps"] == 3
    (place,) = conv.skipped["video is a folder of frames"]
    assert "record 1" in place and "folder of frames at 3 fps; tools.video reads video files only" in place
    # a file of only frame folders converts nothing: a clear error, no output
    (tmp_path / "only_frames.json").write_text(json.dumps(rows[:1]))
    with pytest.raises(ConfigError, match=r"only_frames\.json: no task could be converted from 1 record\(s\) \(video is a folder of frames: 1"):
        convert_mvbench(tmp_path / "only_frames.json", tmp_path / "frames", tmp_path / "none.jsonl")
    assert not (tmp_path / "none.jsonl").exists()


def test_charades_sta_train_dirty_spans(tmp_path):
    lines = [
        "AO8RW 0.0 6.9##a person is putting a book on a shelf.",
        "IOL8Q 20.9 12.0##a person is throwing a bag out of the room.",  # reversed
        "Y6R7T 20.8 30.0##person begins to play on a phone.",  # past the end (29.42 s)
        "LEOL6 8.0 7.0##person is holding medicine.",  # reversed, and then after the end (6.25 s)
        "",
        "Y6R7T 1.0 abc##broken time",
        "Y6R7T 2.0 3.0##person sits.",
        "ZZZZZ 2.0 3.0##a video without a length",
    ]
    path = write_charades(tmp_path, lines, {"AO8RW": 33.67, "IOL8Q": 30.38, "Y6R7T": 29.42, "LEOL6": 6.25})
    conv = convert_charades_sta(path, tmp_path / "videos", tmp_path / "sta.jsonl")
    assert [t.id for t in conv] == ["charades_sta/AO8RW/1", "charades_sta/IOL8Q/1", "charades_sta/Y6R7T/1",
                                    "charades_sta/Y6R7T/2", "charades_sta/ZZZZZ/1"]
    assert conv[1].answer == [[12.0, 20.9]] and conv[2].answer == [[20.8, 29.42]] == conv[2].evidence
    assert conv[2].metadata == {"source": "charades_sta", "query": "person begins to play on a phone", "duration": 29.42}
    assert '"person begins to play on a phone"' in conv[2].question and conv[0].video.endswith("videos/AO8RW.mp4")
    assert (conv.rows, len(conv), conv.n_repaired, conv.n_skipped) == (7, 5, 2, 2)
    assert conv.repaired["reversed_span"] == [f"{path}:2: field \"start/end\": span [20.9, 12] swapped"]
    assert conv.repaired["past_end"] == [f"{path}:3: field \"start/end\": end 30 cut to the duration 29.42"]
    assert conv.skipped["span after the video's end"] == [
        f"{path}:4: field \"start/end\": span [8, 7] (read as [7, 8]) starts after the video ends (6.25 s)"]
    assert conv.skipped['bad "end"'] == [f"{path}:6: field \"end\": expected seconds, got 'abc'"]
    assert len(conv.warnings) == 1 and "no length for 1 video(s) (first: ZZZZZ)" in conv.warnings[0]
    summary = "\n".join(conv.summary())
    assert summary.startswith("7 records read, 5 tasks written, 2 repaired, 2 skipped")
    assert f"repaired by reversed_span ({REPAIR_RULES['reversed_span']}): 1\n    {path}:2:" in summary
    assert "skipped, span after the video's end: 1\n" in summary


def test_charades_sta_without_lengths_keeps_spans_past_the_end(tmp_path):
    (tmp_path / "charades_sta_test.txt").write_text("3MSZA 24.3 30.4##person turn a light on.\n3MSZA 0.0 5.2##a person opens a door\n")
    conv = convert_charades_sta(tmp_path / "charades_sta_test.txt", tmp_path / "videos", tmp_path / "sta.jsonl")
    assert [t.answer for t in conv] == [[[24.3, 30.4]], [[0.0, 5.2]]] and "duration" not in conv[0].metadata
    assert conv.n_repaired == conv.n_skipped == 0 and conv.warnings == []


def write_nextgqa(folder, gsub, split="test"):
    (folder / f"{split}.csv").write_text(
        NEXTGQA_HEADER
        + "10001787725,1000,640,480,why did the boy fall,tripped over toy,1,CW,slipped,pushed,tripped over toy,jumped,sat\n"
        + "10001787725,1000,640,480,what did the girl do after,1,3,TN,cry,hug the boy,run,eat,sleep\n"
        + "3305288577,750,640,480,why is the man smiling,0,0,CW,happy,sad,happy,tired,bored\n"
        + "3305288577,750,640,480,what does the man hold,2,2,DO,cup,ball,pen,hat,bag\n"
        + "3305288577,750,640,480,how does the man leave,4,4,CH,walks,runs,drives,rides,flies\n"
    )
    (folder / f"gsub_{split}.json").write_text(json.dumps(gsub))
    (folder / "map_vid_vidorID.json").write_text(json.dumps({"10001787725": "1025/10001787725", "3305288577": "0000/3305288577"}))
    return folder / f"{split}.csv"


def test_nextgqa_test_split_dirty_spans(tmp_path):
    gsub = {
        "10001787725": {"duration": 34, "location": {"1": [[1.2, 5.8]], "3": [[12.1, 17.1], [20.0, 23.5]]}, "fps": 29.97},
        "3305288577": {"duration": 25, "location": {"0": [[-0.1, 25.1]], "2": [[-3.0, 4.0]]}, "fps": 29.97},
    }
    path = write_nextgqa(tmp_path, gsub)
    conv = convert_nextgqa(path, tmp_path / "videos", tmp_path / "gqa.jsonl")
    assert [(t.id, t.answer) for t in conv] == [("nextgqa/10001787725/1", "C"), ("nextgqa/10001787725/3", "B"),
                                                ("nextgqa/3305288577/0", "A"), ("nextgqa/3305288577/4", "E")]
    assert conv[0].evidence == [[1.2, 5.8]] and conv[1].evidence == [[12.1, 17.1], [20.0, 23.5]]
    assert conv[0].video.endswith("videos/1025/10001787725.mp4") and conv[0].question == "why did the boy fall?"
    assert conv[0].metadata == {"source": "nextgqa", "qid": "1", "frame_count": "1000", "width": "640", "height": "480",
                                "type": "CW", "duration": 34.0, "fps": 29.97}
    # qid 0: start -0.1 -> 0, end past 25 s -> 25, and "happy" twice -> four options
    assert conv[2].evidence == [[0.0, 25.0]] and conv[2].options == ["happy", "sad", "tired", "bored"]
    assert sorted(conv.repaired) == ["duplicate_options", "negative_time", "past_end"]
    assert conv.repaired["negative_time"] == [f"{path}:4: field \"location.0\": start -0.1 set to 0"]
    assert conv.skipped == {"time before the video starts": [
        f"{path}:5: field \"location.2\": span [-3, 4] starts 3 s before the video"]}
    assert conv[3].evidence is None
    (warning,) = conv.warnings
    assert "has spans for 4 of 5 of the questions: 1 task(s) have no evidence" in warning and f"{path}:6" in warning


def test_nextgqa_grounding_file_of_another_split_is_warned(tmp_path):
    path = write_nextgqa(tmp_path, {"999": {"duration": 10, "location": {"0": [[1.0, 2.0]]}, "fps": 30}}, split="val")
    conv = convert_nextgqa(path, tmp_path, tmp_path / "gqa.jsonl")
    assert len(conv) == 5 and all(t.evidence is None for t in conv)
    assert conv.warnings[0].startswith(f"{tmp_path / 'gsub_val.json'} has spans for none of the questions: 5 task(s) have no evidence")


STRICT = [
    ("charades_sta", "charades_sta_train.txt", "AO8RW 0.0 6.9##ok\nIOL8Q 20.9 12.0##reversed\n",
     r'charades_sta_train\.txt:2: field "start/end": span \[20\.9, 12\] swapped \(--strict stops here; without it rule reversed_span repairs this\)',
     2),
    ("charades_sta", "sta.txt", "3MSZA 24.3 30.4##ok\n3MSZA 24.3 abc##bad\n",
     r'sta\.txt:2: field "end": expected seconds, got \'abc\' \(--strict stops here; without it this record is skipped\)', 1),
    ("mvbench", "mv.json", json.dumps([{"video": "a.mp4", "question": "q", "candidates": ["x", "y"], "answer": "x"},
                                       {"video": "b.mp4", "question": "q", "candidates": ["x"], "answer": "x"}]),
     r'mv\.json: record 2: field "candidates": 1 candidate\(s\)', 1),
    ("videomme", "v.jsonl", json.dumps(VIDEOMME_ROW) + "\n" + json.dumps({**VIDEOMME_ROW, "question_id": "2", "question": ""}),
     r'v\.jsonl:2: field "question": expected a non-empty string', 1),
]


@pytest.mark.parametrize("name,filename,content,pattern,converted", STRICT)
def test_strict_stops_at_the_first_problem_and_writes_nothing(tmp_path, name, filename, content, pattern, converted):
    (tmp_path / filename).write_text(content)
    out = tmp_path / "out" / "tasks.jsonl"
    assert len(CONVERTERS[name](tmp_path / filename, tmp_path / "videos", out)) == converted, "without --strict it converts"
    out.unlink()
    with pytest.raises(ConfigError, match=pattern):
        CONVERTERS[name](tmp_path / filename, tmp_path / "videos", out, strict=True)
    assert not out.exists()


def test_file_level_problems_still_fail_and_keep_an_existing_output(tmp_path):
    (tmp_path / "mv.json").write_text('[{"video": "a.mp4",\n "question": }]')
    with pytest.raises(ConfigError, match=r"mv\.json:2: not valid JSON"):
        convert_mvbench(tmp_path / "mv.json", tmp_path, tmp_path / "out.jsonl")
    (tmp_path / "val.csv").write_text("video_id,qid,question,answer,a0,a1\n1,1,why,ok,yes,no\n1,2,why,7,yes,no\n")
    (tmp_path / "gsub_val.json").write_text("{}")
    out = tmp_path / "gqa.jsonl"
    out.write_text("previous\n")
    with pytest.raises(ConfigError, match=r'val\.csv: no task could be converted from 2 record\(s\) \(answer not among the options: 2 '
                                          r'\(first: .*val\.csv:2: field "answer": expected an index 0-1'):
        convert_nextgqa(tmp_path / "val.csv", tmp_path, out)
    assert out.read_text() == "previous\n"


def test_check_videos_skips_records_whose_video_is_missing(tmp_path):
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "AO8RW.mp4").write_bytes(b"")
    (tmp_path / "sta.txt").write_text("AO8RW 0.0 6.9##a person reads\nMISSING 1.0 2.0##a person sits\n")
    conv = convert_charades_sta(tmp_path / "sta.txt", tmp_path / "videos", tmp_path / "out.jsonl", check_videos=True)
    assert [t.id for t in conv] == ["charades_sta/AO8RW/1"] and list(conv.skipped) == ["video not found"]


def test_converters_registry():
    assert set(CONVERTERS) == {"videomme", "mvbench", "charades_sta", "nextgqa"}
    assert all("strict" in fn.__code__.co_varnames for fn in CONVERTERS.values())


def test_cli_prints_the_summary_and_exits_by_outcome(tmp_path):
    from typer.testing import CliRunner

    from vagent.cli import app

    path = write_charades(tmp_path, ["AO8RW 0.0 6.9##a person reads", "IOL8Q 20.9 12.0##reversed", "IOL8Q 1 x##bad"],
                          {"AO8RW": 33.67, "IOL8Q": 30.38})
    out = tmp_path / "sta.jsonl"
    args = ["data", "convert", "charades_sta", str(path), "--video-dir", str(tmp_path), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "3 records read, 2 tasks written, 1 repaired, 1 skipped" in result.output
    assert "repaired by reversed_span" in result.output and f"{path}:2" in result.output
    assert 'skipped, bad "end": 1' in result.output and f"{path}:3" in result.output
    assert len(load_tasks(out)) == 2
    path.write_text("IOL8Q 1 x##bad\n")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "no task could be converted from 1 record(s)" in result.output
    assert CliRunner().invoke(app, [*args, "--subtitle-dir", str(tmp_path)]).exit_code == 2  # not a charades option


def test_doctests_of_the_record_rules():
    import doctest

    import vagent.env.converters.records as records

    result = doctest.testmod(records)
    assert result.attempted > 0 and result.failed == 0
