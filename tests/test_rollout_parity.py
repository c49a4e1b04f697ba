"""A GRPO rollout is an inference episode: one script of model turns, two loops, the same observations
and reward. The script is replayed through ``vagent ask``'s loop (LangGraph + Episode) and through
the TRL face driven by a real ``GRPOTrainer`` step (the trainer samples the script's text instead of
its own). Where TRL's loop cannot do what inference does, the test asserts exactly the difference
that docs/training.md ("A GRPO rollout is an inference episode") writes down.
"""

from __future__ import annotations

import pytest

from tests.test_trl_env import RANDOM_INDEX, _scripted_generation, synthetic_tasks  # noqa: F401 (fixture)
from vagent.agent.episode import Generation

CROP = '<think>look</think>\n<tool_call>\n{{"name": "crop_clip", "arguments": {{"start": 0.0, "end": 4.0, "num_frames": {n}}}}}\n</tool_call>'
SCENES = '<think>cuts</think>\n<tool_call>\n{"name": "detect_scenes", "arguments": {}}\n</tool_call>'
MALFORMED = "<think>I will call a tool</think> crop_clip(start=0, end=4)"


def answer(task) -> str:
    return f"<think>counted</think><answer>{int(task.answer)}</answer>"


class Replay:
    """A policy that writes the script's turns in order (what a model with these outputs would do)."""

    name, include_schemas = "replay", False

    def __init__(self, script: list[str]):
        self.script, self.turn = script, 0

    def generate(self, messages, tools):
        text = self.script[min(self.turn, len(self.script) - 1)]
        self.turn += 1
        return Generation(text=text)


def tool_observations(messages) -> list[tuple[str, int]]:
    """Each tool message as (its text, its number of images): what the model was shown."""
    out = []
    for message in messages:
        if message.get("role") == "tool":
            content = message["content"] if isinstance(message["content"], list) else [{"type": "text", "text": message["content"]}]
            text = "".join(b.get("text", "") for b in content if b.get("type") == "text")
            out.append((text, sum(b.get("type") == "image" for b in content)))
    return out


def calls(state) -> list[list[dict]]:
    """Each turn's tool calls: name, arguments, result summary, error flag, image times (not seconds)."""
    return [[{k: v for k, v in call.items() if k != "seconds"} for call in step["calls"]] for step in state.steps]


def run_inference(task, config, script):
    from vagent.agent.graph import run_episode
    from vagent.env.environment import start_episode
    from vagent.env.rewards import RewardSpec

    state = run_episode(start_episode(task, config), Replay(script))
    return state, RewardSpec.parse(config.reward).score(state, task)[0]


def run_trl(tmp_path, tasks_file, script, max_frames=64, **settings):
    """One GRPO step of 2 rollouts that both write ``script``; returns (TRL's completions, env states, rewards, config)."""
    from vagent.training.grpo import build_trainer
    from vagent.training.grpo_config import VagentGRPOConfig

    config = VagentGRPOConfig(
        model=settings.pop("model"), tasks=str(tasks_file), limit=1, output_dir=str(tmp_path), max_steps=1,
        per_device_train_batch_size=2, num_generations=2, max_completion_length=3000, save_strategy="no", beta=0.0,
        activation_checkpointing=False, report_to="none", **settings,
        env={"index": RANDOM_INDEX, "reward": "accuracy:1,format:0.2,tool_cost:0.02", "overview_frames": 2,
             "budget": {"max_frames": max_frames}})
    trainer = build_trainer(config)
    _scripted_generation(trainer, script)
    seen: dict = {}
    first = trainer.reward_funcs[0]

    def capture(*args, **kwargs):
        seen.update(completions=kwargs["completions"], states=[e._trajectory(c) for e, c in
                                                               zip(kwargs["environments"], kwargs["completions"])])
        return first(*args, **kwargs)

    capture.__name__ = first.__name__
    trainer.reward_funcs[0] = capture
    trainer.train()
    rewards = [row["reward"] for row in trainer.state.log_history if "reward" in row]
    return seen["completions"], seen["states"], rewards[0], config


@pytest.fixture(scope="module")
def task(synthetic_tasks):  # noqa: F811
    tasks, path = synthetic_tasks
    return tasks[0], path


@pytest.mark.slow
def test_tool_turns_budget_notice_and_answer_only_turn_match(task, tiny_model_dir, tmp_path):
    """Two tool turns spend the turn budget: the notice ends the second result in both loops, the
    answer-only last turn answers, the reward is the same."""
    task, path = task
    script = [CROP.format(n=2), SCENES, answer(task)]
    completions, states, reward, config = run_trl(tmp_path, path, script, model=str(tiny_model_dir),
                                                  max_tool_calling_iterations=2, max_frames=16)
    state, expected = run_inference(task, config.env_config(), script)
    assert state.end_reason == "answered" and "turn budget is used up" in tool_observations(state.messages)[-1][0]
    for completion, trl_state in zip(completions, states):
        assert tool_observations(completion) == tool_observations(state.messages)
        assert trl_state.end_reason == state.end_reason and trl_state.answer == state.answer
        assert calls(trl_state) == calls(state)
    assert reward == pytest.approx(expected, abs=1e-6)


@pytest.mark.slow
def test_tool_call_after_the_frame_budget_ends_the_episode_in_both(task, tiny_model_dir, tmp_path):
    """Over budget: the first crop spends the frames (notice); the next tool call ends the inference
    episode. TRL's loop runs that call anyway: the environment answers "the episode is over" (one extra
    tool message, the documented difference) and ignores the later answer, so the reward is the same."""
    task, path = task
    script = [CROP.format(n=4), SCENES, answer(task)]
    completions, states, reward, config = run_trl(tmp_path, path, script, model=str(tiny_model_dir),
                                                  max_tool_calling_iterations=4, max_frames=3)
    state, expected = run_inference(task, config.env_config(), script)
    inference = tool_observations(state.messages)
    assert state.end_reason == "max_frames" and state.answer is None and "frame budget is used up" in inference[-1][0]
    for completion, trl_state in zip(completions, states):
        shown = tool_observations(completion)
        assert shown[:-1] == inference and shown[-1] == ("The episode is over: no more tools can be called.", 0)
        assert trl_state.end_reason == "max_frames" and trl_state.answer is None
    assert reward == pytest.approx(expected, abs=1e-6)


@pytest.mark.slow
def test_malformed_turn_is_corrected_at_inference_and_ends_a_trl_rollout(task, tiny_model_dir, tmp_path):
    """The one difference TRL's loop cannot avoid: a turn without a parseable tool call or answer ends
    the rollout (no correction turn exists), so inference answers after the correction and TRL does not."""
    task, path = task
    script = [CROP.format(n=2), MALFORMED, answer(task)]
    completions, states, reward, config = run_trl(tmp_path, path, script, model=str(tiny_model_dir),
                                                  max_tool_calling_iterations=4, max_frames=16)
    state, expected = run_inference(task, config.env_config(), script)
    correction = [m for m in state.messages if m["role"] == "user"][1:]
    assert state.end_reason == "answered" and correction  # inference told the model what was malformed
    for completion, trl_state in zip(completions, states):
        assert tool_observations(completion) == tool_observations(state.messages)  # same tool results before it
        assert trl_state.end_reason == "unanswered" and trl_state.answer is None
        assert [s["action"]["kind"] for s in trl_state.steps] == ["tool_calls", "invalid"]
    from vagent.env.rewards import RewardSpec

    assert reward == pytest.approx(RewardSpec.parse(config.env.reward).score(states[0], task)[0], abs=1e-6)
    assert reward < expected  # the rollout is scored as the unanswered episode it was
