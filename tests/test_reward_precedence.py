"""One precedence rule for reward specs in every face: the task's own spec, else the run's."""

from __future__ import annotations

import pytest

from vagent.env.rewards import RewardSpec, task_spec
from vagent.env.tasks import Task
from vagent.errors import ConfigError

RUN = "accuracy:1,format:0.2"


def _task(reward: str | None) -> Task:
    return Task(id="t", video="v.mp4", question="How many cuts?", answer_type="number", answer=3, reward=reward)


def test_task_spec_prefers_the_task():
    assert str(task_spec(_task("accuracy:2"), RUN)) == "accuracy:2"
    assert str(task_spec(_task(None), RUN)) == RUN
    assert str(task_spec(_task(None), None)) == str(RewardSpec.parse("default"))


@pytest.mark.parametrize("own", [None, "accuracy:2", "format:1"])
def test_trl_reward_functions_total_equals_the_task_spec_total(own):
    """TRL sums run-weighted components; for a task with its own spec the total is that spec's."""
    from vagent.faces.trl_dataset import tasks_to_dataset
    from vagent.faces.trl_rewards import reward_funcs, reward_weights

    task = _task(own)
    row = tasks_to_dataset([task])[0]
    text = "<think>counted</think><answer>4</answer>"  # a near miss: accuracy is partial credit, format 1
    columns = {key: [value] for key, value in row.items()}
    trl_total = sum(w * f(completions=[text], **columns)[0] for w, f in zip(reward_weights(RUN), reward_funcs(RUN, False)))
    expected, _ = task_spec(task, RUN).score(text, task)
    assert trl_total == pytest.approx(expected)
    assert own is None or trl_total != pytest.approx(RewardSpec.parse(RUN).score(text, task)[0])


@pytest.mark.parametrize("own", ["accuracy:1", "accuracy:2,format:0"])
def test_a_run_component_weighted_zero_with_a_task_spec_scores_without_dividing_by_zero(own):
    """``accuracy:1,format:0`` beside a task with its own spec raised ZeroDivisionError (task weight / run weight 0)."""
    from vagent.faces.trl_dataset import tasks_to_dataset
    from vagent.faces.trl_rewards import reward_funcs, reward_weights

    run, task, text = "accuracy:1,format:0", _task(own), "<think>counted</think><answer>4</answer>"
    columns = {key: [value] for key, value in tasks_to_dataset([task])[0].items()}
    values = [f(completions=[text], **columns)[0] for f in reward_funcs(run, False)]
    assert values[1] == 1.0  # format, unscaled: its run weight 0 leaves it out of the total
    assert sum(w * v for w, v in zip(reward_weights(run), values)) == pytest.approx(task_spec(task, run).score(text, task)[0])


def test_grpo_refuses_a_task_spec_the_run_cannot_express():
    from vagent.faces.trl_rewards import check_task_specs

    check_task_specs([_task("accuracy:3"), _task(None)], RUN)
    with pytest.raises(ConfigError, match="tool_cost"):
        check_task_specs([_task("accuracy:1,tool_cost:0.1")], RUN)


def test_video_env_uses_the_same_rule(tmp_path):
    """VideoEnv (under the Gymnasium face too) scores a task with its own spec by that spec."""
    from vagent.agent.episode import Budget
    from vagent.agent.scripted import ScriptedPolicy
    from vagent.env.environment import EnvConfig, VideoEnv
    from vagent.env.synthetic import make_suite
    from vagent.tools.index import IndexSettings

    task = make_suite(1, tmp_path, seed=0, families=["count_cuts"])[0]
    task.reward = "format:1"
    index = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True)
    env = VideoEnv(EnvConfig(budget=Budget(max_turns=4), reward=RUN, index=index, overview_frames=2))
    env.reset(task)
    policy, reward, done = ScriptedPolicy(), 0.0, False
    while not done:
        text = policy.generate(env.trajectory.messages, []).text
        _, reward, terminated, truncated, info = env.step(text)
        done = terminated or truncated
    assert set(info["reward_components"]) == {"format"} and reward == info["reward_components"]["format"]
