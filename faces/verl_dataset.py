"""The verl face's dataset: tasks as the parquet rows verl's ``RLHFDataset`` reads.

Each row has ``prompt`` (chat messages: the system instructions and the question with its
lettered options; :class:`~vagent.faces.verl_agent_loop.VagentAgentLoop` rebuilds the first turn
with the overview frames itself), ``agent_name`` (the agent loop verl runs for the row: ``vagent``,
or ``tool_agent`` for verl's own ``ToolAgentLoop`` with :mod:`vagent.faces.verl_tools`),
``data_source``, ``reward_model`` (the answer, for verl's rule rewards) and ``extra_info``: the
task as JSON (``task``, read back by :func:`task_of_row`), ``index`` and ``tools_kwargs`` (each
tool's ``create_kwargs``: the task's video).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from vagent.agent.prompts import SYSTEM_INSTRUCTIONS, letter_options
from vagent.env.tasks import Task
from vagent.errors import ConfigError
from vagent.tools.registry import TOOL_NAMES

__all__ = ["AGENT_NAMES", "export_parquet", "task_of_row", "verl_rows"]

AGENT_NAMES = ("vagent", "tool_agent")
"""The agent loops a row may name: vagent's own loop, or verl's ``ToolAgentLoop`` with vagent's tools."""


def verl_rows(tasks: list[Task], agent_name: str = "vagent") -> list[dict[str, Any]]:
    """One verl dataset row per task (see the module docstring)."""
    if agent_name not in AGENT_NAMES:
        raise ConfigError(f"agent name {agent_name!r}: one of {', '.join(AGENT_NAMES)}")
    rows = []
    for index, task in enumerate(tasks):
        question = "\n".join([f"Question: {task.question.strip()}", *letter_options(task.options)])
        rows.append({
            "data_source": f"vagent/{task.metadata.get('source', 'tasks')}",
            "agent_name": agent_name,
            "prompt": [{"role": "system", "content": SYSTEM_INSTRUCTIONS}, {"role": "user", "content": question}],
            "ability": "video",
            "reward_model": {"style": "rule", "ground_truth": json.dumps(task.answer, ensure_ascii=False)},
            "extra_info": {
                "index": index,
                "task": json.dumps(task.to_dict(), ensure_ascii=False),
                "tools_kwargs": {name: {"create_kwargs": {"video": task.video}} for name in TOOL_NAMES},
            },
        })
    return rows


def export_parquet(tasks: list[Task], out: str | os.PathLike[str], agent_name: str = "vagent") -> Path:
    """Write :func:`verl_rows` of ``tasks`` to a parquet file (the ``data.train_files`` of a verl run)."""
    import datasets

    if not tasks:
        raise ConfigError("no tasks to export")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_list(verl_rows(tasks, agent_name)).to_parquet(str(out))
    return out


def task_of_row(extra_info: dict[str, Any] | None) -> Task:
    """The :class:`Task` a row carries in ``extra_info["task"]`` (what the agent loop and rewards score against)."""
    if not extra_info or "task" not in extra_info:
        raise ConfigError("the row has no extra_info.task: export the data with `vagent data export verl`")
    data = extra_info["task"]
    return Task.from_dict(json.loads(data) if isinstance(data, str) else data)
