"""The TRL face's dataset: tasks as rows TRL hands to ``reset(**row)``, and rows back to tasks.

:func:`training_dataset` is what :class:`trl.GRPOTrainer` gets as ``train_dataset``; its
``prompt`` column is :func:`trl_prompt` (the rollout's system turn), the other columns encode the
task so that :class:`~vagent.faces.trl_rollout.TRLRolloutEnv` (and the reward functions) can
rebuild it with :func:`task_from_row`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from vagent.agent.prompts import SYSTEM_INSTRUCTIONS
from vagent.env.tasks import Task

__all__ = ["task_from_row", "tasks_to_dataset", "training_dataset", "trl_prompt"]


def trl_prompt(task: Task) -> list[dict[str, Any]]:
    """The ``prompt`` column for GRPO: the system instructions and an empty user turn.

    ``reset()`` fills the user turn with the question and the overview frames, so the rollout
    starts from exactly the messages :meth:`Episode.start` builds (the chat template renders the
    tool schemas itself, from the environment's methods).
    """
    return [{"role": "system", "content": SYSTEM_INSTRUCTIONS}, {"role": "user", "content": ""}]


def training_dataset(tasks: list[Task]) -> Any:
    """A :class:`datasets.Dataset` of ``tasks`` with the GRPO prompt (:func:`trl_prompt`)."""
    return tasks_to_dataset(tasks, prompt=trl_prompt)


def tasks_to_dataset(tasks: Iterable[Task], prompt: Callable[[Task], Any] | None = None) -> Any:
    """A :class:`datasets.Dataset` with one row per task, for TRL (``reset(**row)``).

    Columns: ``prompt`` (from ``prompt(task)``; left out when ``prompt`` is None), ``id``,
    ``video``, ``question``, ``answer_type``, ``answer`` (JSON text: Arrow cannot hold a column
    mixing letters, floats and lists; decode with ``json.loads``), ``options`` (list or null),
    ``evidence`` (list of pairs or null), ``metadata`` (JSON text), ``reward`` (string or null).
    :func:`task_from_row` turns a row back into a :class:`Task`.
    """
    import datasets

    tasks = list(tasks)
    rows = {
        "id": [task.id for task in tasks],
        "video": [task.video for task in tasks],
        "question": [task.question for task in tasks],
        "answer_type": [task.answer_type for task in tasks],
        "answer": [json.dumps(task.answer, ensure_ascii=False) for task in tasks],
        "options": [task.options for task in tasks],
        "evidence": [task.evidence for task in tasks],
        "metadata": [json.dumps(task.metadata, ensure_ascii=False) for task in tasks],
        "reward": [task.reward for task in tasks],
    }
    string_column = datasets.Value("string")
    features = datasets.Features(
        {
            **{name: string_column for name in ("id", "video", "question", "answer_type", "answer")},
            "options": datasets.List(string_column),
            "evidence": datasets.List(datasets.List(datasets.Value("float64"))),
            "metadata": string_column,
            "reward": string_column,
        }
    )
    dataset = datasets.Dataset.from_dict(rows, features=features)
    if prompt is not None:
        dataset = dataset.add_column("prompt", [prompt(task) for task in tasks])
    return dataset


def task_from_row(row: dict[str, Any]) -> Task:
    """The :class:`Task` of one :func:`tasks_to_dataset` row (or ``reset(**row)`` kwargs)."""

    def decoded(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    return Task.from_dict(
        {
            "id": row["id"],
            "video": row["video"],
            "question": row["question"],
            "answer_type": row["answer_type"],
            "answer": decoded(row["answer"]),
            "options": row.get("options"),
            "evidence": row.get("evidence"),
            "metadata": decoded(row.get("metadata")) or {},
            "reward": row.get("reward"),
        }
    )
