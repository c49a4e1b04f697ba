"""`vagent` as a hostile user and a degenerate model would drive it.

Every bad value exits 2 with one line naming the rule, before any indexing; user, model and tool
text is printed literally; the answer is printed even when the trace cannot be written; and each
row of the README's exit-code table is reached. Model turns come from a real local HTTP server
speaking the OpenAI chat API (a script of completions), so the CLI runs its real server path.
"""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from vagent.cli import app
from vagent.tools import index as index_module

runner = CliRunner()
CLIP = ["--clip-pretrained", "random", "--clip-model", "ViT-S-32"]
MARKUP = "[/] [/b] [/INST] [bold red]not red[/bold red] [link=x]"


@pytest.fixture(scope="module")
def clip(test_videos) -> Path:
    return test_videos["cfr_mp4"].path  # 3 s, 30 frames: indexes in about a second


def ask(video: Path, question: str, *args: str):
    return runner.invoke(app, ["ask", str(video), question, *CLIP, *args])


class ChatServer:
    """A local OpenAI-compatible server answering each completion from ``script`` (then repeating the last)."""

    def __init__(self, script: list[str], on_request=None):
        self.script, self.on_request, self.requests = list(script), on_request, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send({"object": "list", "data": [{"id": "m", "object": "model"}]})

            def do_POST(self):
                server.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                if server.on_request:
                    server.on_request()
                text = server.script.pop(0) if len(server.script) > 1 else server.script[0]
                self._send({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
                            "usage": {"prompt_tokens": 10, "completion_tokens": 5}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat_server():
    servers: list[ChatServer] = []

    def start(script: list[str], on_request=None) -> ChatServer:
        servers.append(ChatServer(script, on_request))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


# ----------------------------------------------------------------------------- bad options: exit 2, up front
BAD = [
    (["--temperature", "-1"], "--temperature must be at least 0 (got -1)"),
    (["--temperature", "nan"], "--temperature must be a finite number"),
    (["--embed-fps", "0"], "--embed-fps must be greater than 0 (got 0)"),
    (["--embed-fps", "inf"], "--embed-fps must be a finite number"),
    (["--max-turns", "0"], "--max-turns must be at least 1 (got 0)"),
    (["--max-turns", "-1"], "--max-turns must be at least 1 (got -1)"),
    (["--max-frames", "0"], "--max-frames must be at least 1 (got 0)"),
    (["--max-seconds", "0"], "--max-seconds must be greater than 0"),
    (["--seed", "-1"], "--seed must be between 0 and 4294967295"),
    (["--seed", str(2**32)], "--seed must be between 0 and 4294967295"),
    (["--samples", "0"], "--samples must be at least 1"),
    (["--agree", "0"], "--agree must be at least 1"),
    (["--connect-timeout", "0"], "--connect-timeout must be greater than 0"),
    (["--read-timeout", "-5"], "--read-timeout must be greater than 0"),
    (["--model", ""], "--model is empty"),
    (["--model", "   "], "--model is empty"),
    (["--model", "http://"], "--model 'http://' is not a server URL: it names no host"),
    (["--model", "http://localhost:99999/v1"], "the port must be a number from 1 to 65535"),
    (["--model", "localhost:8000/v1"], "looks like a server address: write it as http://localhost:8000/v1"),
    (["--model", "HTTP://localhost:8000/v1"], "write the scheme in lower case"),
    (["--model", "scripted", "--server-model", "m"], "--server-model only applies when --model is a server URL"),
    (["--model", "scripted", "--clip-model", ""], "--clip-model is empty"),
    (["--model", "scripted", "--strategy", "magic"], "unknown strategy"),
    (["--model", "scripted", *[a for i in range(27) for a in ("-o", f"choice {i}")]], "--options: at most 26 options"),
    (["--model", "scripted", "-o", "A) yes", "-o", "  "], "--options: option 2 is empty"),
]


@pytest.mark.parametrize("args, rule", BAD, ids=[" ".join(a)[:40] for a, _ in BAD])
def test_bad_option_exits_2_with_the_rule_before_any_work(clip, args, rule):
    before = index_module.build_count()
    result = ask(clip, "How many scenes are there?", *args)
    assert result.exit_code == 2, result.output
    assert error_lines(result.output) == [f"error: {error_lines(result.output)[0][7:]}"] and rule in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert index_module.build_count() == before  # rejected before indexing


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_exits_2(clip, question):
    result = ask(clip, question, "--model", "scripted")
    assert result.exit_code == 2 and "the question is empty" in result.output


INVALID = {
    "--max-turns": st.integers(max_value=0),
    "--max-frames": st.integers(max_value=0),
    "--samples": st.integers(max_value=0),
    "--agree": st.integers(max_value=0),
    "--seed": st.one_of(st.integers(max_value=-1), st.integers(min_value=2**32, max_value=2**70)),
    "--temperature": st.one_of(st.floats(max_value=-1e-9, allow_infinity=True), st.just(float("nan")), st.just(float("inf"))),
    "--embed-fps": st.one_of(st.floats(max_value=0.0), st.just(float("nan")), st.just(float("inf"))),
    "--max-seconds": st.one_of(st.floats(max_value=0.0), st.just(float("nan"))),
    "--connect-timeout": st.one_of(st.floats(max_value=0.0), st.just(float("nan"))),
    "--read-timeout": st.one_of(st.floats(max_value=0.0), st.just(float("inf"))),
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(INVALID)).flatmap(lambda name: st.tuples(st.just(name), INVALID[name])))
def test_fuzz_bad_numbers_exit_2_naming_the_option(clip, option_value):
    option, value = option_value
    result = ask(clip, "What happens?", "--model", "scripted", option, repr(value) if isinstance(value, float) else str(value))
    assert result.exit_code == 2, result.output
    lines = error_lines(result.output)
    assert len(lines) == 1 and option in lines[0], result.output
    assert "Traceback" not in result.output


def test_other_commands_check_their_values(tmp_path, clip):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    cases = [
        (["index", str(clip), "--embed-fps", "0", *CLIP], "--embed-fps must be greater than 0"),
        (["index", str(clip), "--cache-dir", str(a_file), *CLIP], "is a file; give a folder"),
        (["eval", str(tmp_path / "none.jsonl"), "--model", "scripted"], "no such file"),
        (["eval", str(a_file), "--model", "scripted", "--limit", "0"], "--limit must be at least 1"),
        (["eval", str(a_file), "--model", "scripted", "--out", str(a_file / "o")], "is under"),
        (["gym", "make", "--n", "0", "--out", str(tmp_path / "g")], "--n must be at least 1"),
        (["gym", "make", "--out", str(tmp_path / "g"), "--duration", "-1"], "--duration must be greater than 0"),
        (["gym", "make", "--out", str(a_file)], "is a file; give a folder"),
        (["trace", "show", str(tmp_path)], "is not a file"),
        (["trace", "show", str(a_file), "--out", str(a_file / "page.html")], "its folder"),
    ]
    for args, rule in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and rule in result.output and "Traceback" not in result.output, (args, result.output)


# ----------------------------------------------------------------------------- paths
def test_cache_dir_that_is_a_file_or_under_one(clip, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for cache, rule in [(a_file, f"--cache-dir {a_file} is a file"), (a_file / "sub", f"is under {a_file}, which is a file")]:
        result = ask(clip, "What?", "--model", "scripted", "--cache-dir", str(cache))
        assert result.exit_code == 2 and rule in result.output, result.output


def _immutable(folder: Path) -> bool:
    if not shutil.which("chattr"):
        return False
    return subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0


def test_cache_dir_and_trace_folder_that_cannot_be_written(clip, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    if _immutable(locked):  # root ignores permission bits; the immutable flag stops even root
        cleanup = ["chattr", "-i", str(locked)]
    else:
        locked.chmod(0o555)
        cleanup = None
        if (locked / "probe").touch() is None and (locked / "probe").exists():
            pytest.skip("this user can write in a read-only folder (root without chattr)")
    try:
        for args, rule in [(["--cache-dir", str(locked)], "--cache-dir: cannot write in"),
                           (["--cache-dir", str(locked / "new")], "--cache-dir: cannot write in"),
                           (["--trace-out", str(locked / "t.jsonl")], "cannot write in")]:
            result = ask(clip, "What?", "--model", "scripted", *args)
            assert result.exit_code == 2 and rule in result.output and str(locked) in result.output, result.output
    finally:
        subprocess.run(cleanup) if cleanup else locked.chmod(0o755)


def test_trace_out_under_a_file_or_a_folder_exits_2_before_indexing(clip, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    before = index_module.build_count()
    for trace, rule in [(a_file / "t.jsonl", "its folder"), (tmp_path, "is a folder; give a file name")]:
        result = ask(clip, "What?", "--model", "scripted", "--trace-out", str(trace))
        assert result.exit_code == 2 and rule in result.output, result.output
    assert index_module.build_count() == before


# ----------------------------------------------------------------------------- text is printed literally
def test_markup_in_question_options_path_and_model_text_is_printed_literally(clip, tmp_path, chat_server):
    video = tmp_path / "[b]clip[i].mp4"
    shutil.copy(clip, video)
    think = f"I see {MARKUP}"
    server = chat_server([f"<think>{think} \ud800</think><answer>B [/INST]</answer>"])  # and a lone surrogate
    trace = tmp_path / "t.jsonl"
    result = runner.invoke(app, ["ask", str(video), f"Which? {MARKUP}", "-o", "A) [/]", "-o", "B) [/b]", "--model", server.url,
                                 "--trace-out", str(trace), *CLIP, "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    output = result.output
    assert f"Which? {MARKUP}" in output and f"{think} \\ud800" in output and "B [/INST]" in output
    header = json.loads(trace.read_text().splitlines()[0])
    assert header["answer"] == "B [/INST]" and header["question"] == f"Which? {MARKUP}"
    assert trace.with_suffix(".html").is_file()


def test_a_huge_question_is_shortened_on_screen_and_kept_whole_in_the_trace(clip, tmp_path):
    question = ("How many scenes [/b] are there? " * 4000)[:100_000]
    trace = tmp_path / "t.jsonl"
    result = ask(clip, question, "--model", "scripted", "--trace-out", str(trace))
    assert result.exit_code in (0, 1), result.output
    assert len(result.output) < 20_000 and "more characters in the trace" in result.output
    assert json.loads(trace.read_text().splitlines()[0])["question"] == question


def test_printing_untrusted_text_costs_little():
    """The old path ran rich's highlighter over the whole text: 65 s for a 100 KB question."""
    from rich.console import Console

    from vagent import cli

    sink = Console(file=io.StringIO(), highlight=False, width=80)
    started = time.perf_counter()
    cli.say(("question: ", "bold"), ("[/b] 1.5 http://x " * 6000), to=sink)
    assert time.perf_counter() - started < 5  # measured: about 0.01 s
    assert len(sink.file.getvalue()) < 3000


# ----------------------------------------------------------------------------- the answer is never lost
def test_answer_is_printed_when_the_trace_cannot_be_written(clip, tmp_path, chat_server):
    folder = tmp_path / "traces"

    def sabotage():  # while the model thinks, the trace folder turns into a file
        if folder.is_dir():
            shutil.rmtree(folder)
        folder.write_text("not a folder any more")

    folder.mkdir()
    server = chat_server(["<think>easy</think><answer>C</answer>"], on_request=sabotage)
    result = ask(clip, "Which?", "--model", server.url, "--trace-out", str(folder / "t.jsonl"))
    assert result.exit_code == 0, result.output
    output = result.output
    assert "C" in output.split("answer", 1)[1] and "warning: the trace could not be written" in output
    assert output.index("answer") < output.index("warning: the trace")


# ----------------------------------------------------------------------------- the README's exit codes, row by row
def test_exit_0_answered(clip, tmp_path):
    result = ask(clip, "How many scenes are in this video?", "--model", "scripted", "--trace-out", str(tmp_path / "t.jsonl"))
    assert result.exit_code == 0, result.output


def test_exit_1_no_answer_within_budget(clip, tmp_path, chat_server):
    server = chat_server(['<think>look</think><tool_call>{"name": "detect_scenes", "arguments": {}}</tool_call>'])
    result = ask(clip, "Which?", "--model", server.url, "--max-turns", "1", "--trace-out", str(tmp_path / "t.jsonl"))
    assert result.exit_code == 1, result.output
    assert "no answer" in result.output and (tmp_path / "t.jsonl").is_file()


@pytest.mark.parametrize("video", ["missing", "not_a_video", "a_folder"])
def test_exit_2_bad_video(tmp_path, video):
    path = {"missing": tmp_path / "nope.mp4", "not_a_video": tmp_path / "notes.mp4", "a_folder": tmp_path}[video]
    if video == "not_a_video":
        path.write_text("not a video\n" * 50)
    result = ask(path, "What?", "--model", "scripted", "--trace-out", str(tmp_path / "t.jsonl"))
    assert result.exit_code == 2 and error_lines(result.output) and "Traceback" not in result.output, result.output


def test_exit_3_unloadable_model(clip, tmp_path):
    result = ask(clip, "What?", "--model", str(tmp_path / "no-such-model"), "--trace-out", str(tmp_path / "t.jsonl"))
    assert result.exit_code == 3 and "no-such-model" in result.output, result.output


def test_exit_3_unreachable_server_before_indexing(clip, tmp_path):
    before = index_module.build_count()
    result = ask(clip, "What?", "--model", f"http://127.0.0.1:{free_port()}/v1", "--cache-dir", str(tmp_path / "c"))
    assert result.exit_code == 3, result.output
    assert "cannot reach the server" in result.output and "Connection refused" in result.output
    assert index_module.build_count() == before


def test_exit_3_server_that_never_answers_within_seconds(clip, tmp_path):
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        started = time.perf_counter()
        result = ask(clip, "What?", "--model", url, "--connect-timeout", "1", "--read-timeout", "1")
        elapsed = time.perf_counter() - started
    assert result.exit_code == 3, result.output
    assert "accepts connections but sent no answer within 1s" in result.output
    assert elapsed < 60  # the old client took 4 x 60 s, after indexing


@pytest.mark.parametrize("name", ["vagent._checks", "vagent.agent.openai_policy"])
def test_doctests_of_the_checks(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
