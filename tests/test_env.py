"""The RL environment: VideoEnv reset/step, terminated vs truncated, rewards, Gymnasium checks, index sharing."""

from __future__ import annotations

import dataclasses
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from gymnasium.utils.env_checker import check_env
from PIL import Image

from vagent.agent.episode import Budget
from vagent.agent.scripted import ScriptedPolicy
from vagent.env.environment import EnvConfig, VideoEnv, tools_for
from vagent.faces.gymnasium_env import MAX_TEXT, GymnasiumTextEnv, render_messages
from vagent.env.rewards import PRESETS, RewardSpec
from vagent.env.synthetic import FAMILIES, make_task
from vagent.tools.index import IndexSettings, build_count, clear_memo
from vagent.tools.registry import VideoTools
from tests.test_episode import RANDOM_CLIP, ReplayPolicy, answer, call


@pytest.fixture(scope="module")
def family_tasks(tmp_path_factory):
    """One synthetic task per family."""
    out = tmp_path_factory.mktemp("env-tasks")
    return {family: make_task(family, 1, out) for family in FAMILIES}


def config(**budget) -> EnvConfig:
    return EnvConfig(budget=Budget(**budget), index=RANDOM_CLIP, overview_frames=2)


def drive(env: VideoEnv, task, policy):
    """Run one episode the way an RL loop does; returns the conversation and each step's outputs."""
    messages, info = env.reset(task)
    assert info["task_id"] == task.id and {s["function"]["name"] for s in info["tools"]} == set(VideoTools.names)
    history, steps = list(messages), []
    while True:
        generation = policy.generate(history, info["tools"])
        new, reward, terminated, truncated, step_info = env.step(generation.text, generation)
        history += [{"role": "assistant", "content": generation.text}, *new]
        steps.append((reward, terminated, truncated, step_info))
        if terminated or truncated:
            return history, steps


@pytest.mark.parametrize("family", ["where_at", "count_cuts"])
def test_scripted_policy_drives_an_episode_to_a_terminal_answer(family_tasks, family):
    task = family_tasks[family]
    env = VideoEnv(config())
    history, steps = drive(env, task, ScriptedPolicy())
    assert history == env.trajectory.messages, "step() returns exactly the messages added after the model's"
    *middle, (reward, terminated, truncated, info) = steps
    assert all(r == 0.0 and not te and not tr and s["reward_components"] == {} for r, te, tr, s in middle)
    assert terminated and not truncated and info["end_reason"] == "answered"
    assert set(info["reward_components"]) == set(PRESETS["default"])
    total, components = RewardSpec.parse("default").score(env.trajectory, task)
    assert reward == pytest.approx(total) and info["reward_components"] == components
    assert info["reward_components"]["accuracy"] > 0.5 and info["action"]["kind"] == "answer"
    env.close()
    env.close()  # twice is fine


def test_exhausted_budget_truncates_and_still_scores(family_tasks):
    task = family_tasks["count_cuts"]
    env = VideoEnv(config(max_turns=2))
    policy = ReplayPolicy([call("detect_scenes"), call("detect_scenes"), call("detect_scenes")])
    _, steps = drive(env, task, policy)
    assert [(te, tr) for _, te, tr, _ in steps] == [(False, False), (False, False), (False, True)]
    reward, _, _, info = steps[-1]
    assert info["end_reason"] == "max_turns" and env.trajectory.answer is None
    components = info["reward_components"]
    assert components["accuracy"] == 0.0 and components["format"] == 0.0 and components["repeated_calls"] == -1.0
    assert reward == pytest.approx(sum(PRESETS["default"][k] * v for k, v in components.items())) and reward < 0


def test_answer_on_the_final_turn_terminates(family_tasks):
    env = VideoEnv(config(max_turns=1))
    _, steps = drive(env, family_tasks["count_cuts"], ReplayPolicy([call("detect_scenes"), answer("4")]))
    assert [(te, tr) for _, te, tr, _ in steps] == [(False, False), (True, False)]


def test_the_tasks_own_reward_spec_wins(family_tasks):
    task = dataclasses.replace(family_tasks["count_cuts"], reward="accuracy_only")
    env = VideoEnv(config())
    _, steps = drive(env, task, ReplayPolicy([answer(str(int(task.answer)))]))
    reward, terminated, _, info = steps[-1]
    assert terminated and info["reward_components"] == {"accuracy": 1.0} and reward == 1.0


def test_step_before_reset_raises():
    env = VideoEnv(config())
    with pytest.raises(RuntimeError, match="reset"):
        env.step(answer("1"))
    with pytest.raises(RuntimeError, match="no episode"):
        env.trajectory


# ----------------------------------------------------------------------------- Gymnasium face
def test_gymnasium_check_env_passes_on_every_family(family_tasks):
    env = GymnasiumTextEnv(list(family_tasks.values()), config(max_turns=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the passive checker's warnings fail the test
        check_env(env, skip_render_check=True)
    env.close()
    env.close()


def test_same_seed_same_episode(family_tasks):
    tasks = list(family_tasks.values())
    env, other = GymnasiumTextEnv(tasks, config()), GymnasiumTextEnv(tasks, config())
    picked = set()
    for seed in range(8):
        first, info = env.reset(seed=seed)
        again, info_again = other.reset(seed=seed)
        assert first == again and info["task_index"] == info_again["task_index"]
        assert [im.tobytes() for im in info["images"]] == [im.tobytes() for im in info_again["images"]]
        picked.add(info["task_index"])
    assert len(picked) > 1, "different seeds pick different tasks"
    obs, info = env.reset(options={"task_index": 2})
    assert info["task_index"] == 2 and tasks[2].question.encode("ascii", "backslashreplace").decode() in obs


def test_gym_observations_text_images_and_rewards(family_tasks):
    tasks = [family_tasks["where_at"]]
    env = GymnasiumTextEnv(tasks, config())
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs) and len(info["images"]) == 2
    assert obs.count("<image t=") == 2 and all(isinstance(im, Image.Image) for im in info["images"])
    obs, reward, terminated, truncated, info = env.step(call("crop_clip", start=0.0, end=4.0, num_frames=3))
    assert env.observation_space.contains(obs) and obs.startswith("[tool crop_clip]")
    assert obs.count("<image t=") == len(info["images"]) == 3 and reward == 0.0 and not (terminated or truncated)
    obs, reward, terminated, truncated, info = env.step("<answer>[0.41, 0.16, 0.5, 0.28]</answer>")
    assert obs == "" and terminated and not truncated and reward > 0.5 and info["reward_components"]["accuracy"] > 0.5


def test_render_messages_is_ascii_and_bounded():
    text, images = render_messages([{"role": "user", "content": "caf\u00e9 \u2192 " + "x" * (MAX_TEXT + 10)}])
    assert text.startswith("[user]\ncaf\\xe9 \\u2192 ") and len(text) == MAX_TEXT and images == []


def test_gym_env_needs_tasks():
    with pytest.raises(ValueError, match="at least one task"):
        GymnasiumTextEnv([], config())


# ----------------------------------------------------------------------------- one index per video
def test_eight_envs_over_one_video_build_one_index(tmp_path):
    task = make_task("where_at", 7, tmp_path / "video")  # a video no other test has opened
    settings = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True, cache_dir=tmp_path / "cache")
    clear_memo()
    before = build_count()
    envs = [VideoEnv(EnvConfig(index=settings, overview_frames=2)) for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        firsts = list(pool.map(lambda env: env.reset(task)[0], envs))
    assert build_count() - before == 1
    assert len({id(env.episode.tools) for env in envs}) == 1, "one tool registry (and decoder) per video"
    assert all(first == firsts[0] for first in firsts)
    # a fresh config with equal settings reuses it too; so does a rebuilt process memo (disk cache)
    VideoEnv(EnvConfig(index=dataclasses.replace(settings), overview_frames=2)).reset(task)
    clear_memo()
    reopened = VideoTools.open(task.video, settings)
    assert reopened.index.from_cache and build_count() - before == 1
    reopened.close()
    for env in envs:
        env.step(answer("[0.1, 0.1, 0.2, 0.2]"))
    assert tools_for(task.video, settings) is envs[0].episode.tools
