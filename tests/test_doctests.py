"""The doctests of the pure helpers (parser, prompts, answer matching and voting, trajectory measures, rewards, tasks) run with the suite."""

import doctest
import importlib

import pytest

MODULES = [
    "vagent.agent.protocol",
    "vagent.agent.prompts",
    "vagent.agent.measures",
    "vagent.agent.messages",
    "vagent.answers",
    "vagent.env.rewards",
    "vagent.env.tasks",
    "vagent.training._config",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no doctests"
    assert result.failed == 0
