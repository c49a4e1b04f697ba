"""One GRPO step on a fixed group of rollouts moves the policy toward the rewarded one.

The real training path: :func:`vagent.training.grpo.build_trainer` (``VagentGRPOTrainer``, TRL's
multi-turn rollout loop, the vagent tool environment and reward functions); only the model's
sampled turns are replaced by a fixed script (``_scripted_generation``). The group is two
rollouts of one ``count_cuts`` task: both call ``detect_scenes`` and read its result; rollout 0
then answers right (accuracy 1), rollout 1 answers wrong (accuracy 0). After one optimizer step the
log-probability of rollout 0's own tokens rises and that of rollout 1's falls, and the loss has no
gradient on the tool-result tokens (the environment's text between the two model turns, found
here from the scripted token ids, not from TRL's mask).

Seen failing (a temporary patch, not kept): with TRL's tool mask dropped (``inputs["tool_mask"]`` set
to ones before the loss) the tool-result tokens get a gradient; with the advantages negated before
the loss the model tokens are pushed the wrong way. A reward that pays the wrong rollout fails the
advantage check. About 20 s on one CPU core.
"""

from __future__ import annotations

import pytest

from tests.test_trl_env import RANDOM_INDEX, _scripted_generation

SCENES = '<think>The scene detector lists every cut.</think>\n<tool_call>\n{"name": "detect_scenes", "arguments": {}}\n</tool_call>'
LOSS_KWARGS = ("pixel_values", "image_grid_thw", "num_images", "pixel_attention_mask", "spatial_shapes", "num_tiles",
               "image_sizes", "token_type_ids", "mm_token_type_ids", "image_position_ids")


def _answer(value: int) -> str:
    return f"<think>The detector lists the scenes; so the answer is {value}.</think><answer>{value}</answer>"


@pytest.fixture(scope="module")
def count_task(tmp_path_factory):
    from vagent.env.synthetic import make_suite

    out = tmp_path_factory.mktemp("grpo_step")
    tasks = make_suite(1, out, seed=7, families=["count_cuts"], variant="number", duration=6.0)
    return tasks[0], out / "tasks.jsonl"


def _per_token_logps(trainer, inputs):
    """TRL's per-token log-probabilities of ``inputs``' completions (the loss's own forward pass)."""
    import torch

    input_ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], dim=1)
    attention_mask = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], dim=1)
    extra = {k: inputs.get(k) for k in LOSS_KWARGS}
    logps, _, _ = trainer._get_per_token_logps_and_entropies(
        trainer.model, input_ids, attention_mask, inputs["completion_ids"].size(1), compute_entropy=False, **extra)
    return logps


def _segments(completion_ids, length: int, first: list[int], last: list[int]) -> tuple[range, range, range]:
    """Positions of the model's first turn, the environment's tool result, the model's last turn."""
    assert completion_ids[: len(first)] == first, "the first model turn is not where the script put it"
    assert completion_ids[length - len(last) : length] == last, "the last model turn is not where the script put it"
    return range(len(first)), range(len(first), length - len(last)), range(length - len(last), length)


def test_one_grpo_step_raises_the_rewarded_rollout_and_ignores_tool_results(count_task, tiny_model_dir, tmp_path):
    import torch

    from vagent.training.grpo import build_trainer
    from vagent.training.grpo_config import VagentGRPOConfig

    task, tasks_file = count_task
    right, wrong = int(task.answer), int(task.answer) + 50
    trainer = build_trainer(VagentGRPOConfig(
        model=str(tiny_model_dir), tasks=str(tasks_file), output_dir=str(tmp_path), max_steps=1,
        per_device_train_batch_size=2, num_generations=2, max_completion_length=1024, max_tool_calling_iterations=2,
        learning_rate=1e-3, beta=0.0, env={"reward": "accuracy", "overview_frames": 2, "budget": {"max_frames": 8}, "index": RANDOM_INDEX},
        activation_checkpointing=False, save_strategy="no", report_to="none", logging_steps=1, seed=0))
    answers = {0: _answer(right), 1: _answer(wrong)}
    _scripted_generation(trainer, [SCENES, lambda row: answers[row]])

    seen: dict = {}
    compute_loss, per_token = trainer._compute_loss, trainer._get_per_token_logps_and_entropies

    def capture_inputs(model, inputs):
        seen["inputs"] = inputs
        return compute_loss(model, inputs)

    def capture_logps(*args, **kwargs):
        logps, entropies, aux = per_token(*args, **kwargs)
        if torch.is_grad_enabled() and logps.requires_grad:  # the loss pass: keep d(loss)/d(logp) per token
            logps.retain_grad()
            seen["logps"] = logps
        return logps, entropies, aux

    trainer._compute_loss, trainer._get_per_token_logps_and_entropies = capture_inputs, capture_logps
    trainer.train()
    trainer._get_per_token_logps_and_entropies = per_token

    inputs, before = seen["inputs"], seen["logps"]
    rewards = [row["reward"] for row in trainer.state.log_history if "reward" in row]
    assert rewards == [pytest.approx(0.5)], rewards  # one right (1), one far off (0)

    # TRL shuffles the group before the loss: find each rollout by its last turn
    tokenizer = trainer.processing_class.tokenizer
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    tokens = lambda text: tokenizer.encode(text, add_special_tokens=False) + [end]  # noqa: E731
    lengths = [int(n) for n in inputs["completion_mask"].sum(1).tolist()]
    ids = [inputs["completion_ids"][row, : lengths[row]].tolist() for row in range(2)]
    rewarded = next(row for row in range(2) if ids[row][-len(tokens(answers[0])):] == tokens(answers[0]))
    order = [rewarded, 1 - rewarded]  # order[k]: the row of rollout k
    advantages = [float(inputs["advantages"][row]) for row in order]
    assert advantages[0] > 0 > advantages[1], advantages
    segments = [_segments(ids[row], lengths[row], tokens(SCENES), tokens(answers[k])) for k, row in enumerate(order)]
    response = tokenizer.convert_tokens_to_ids("<tool_response>")
    for k, (_, tool, _) in enumerate(segments):
        assert response in ids[order[k]][tool.start : tool.stop], "no tool result between the two model turns"

    # the loss's gradient per token: none on the tool result, toward the rewarded rollout elsewhere
    grad = before.grad
    for k, (call, tool, answer) in enumerate(segments):
        row = order[k]
        assert torch.all(grad[row, list(tool)] == 0), f"rollout {k}: tool-result tokens are in the loss"
        sign = -1.0 if k == 0 else 1.0  # descent raises logp where d(loss)/d(logp) < 0
        assert torch.all(grad[row, [*call, *answer]] * sign > 0), f"rollout {k}: a model token pushed the wrong way"

    # and the step did it: the rewarded answer turn is likelier, the unrewarded one less likely
    with torch.no_grad():
        after = _per_token_logps(trainer, inputs)
    delta = after - before.detach()
    change = [float(delta[order[k], list(answer)].sum()) for k, (_, _, answer) in enumerate(segments)]
    whole = [float(delta[order[k], [*call, *answer]].sum()) for k, (call, _, answer) in enumerate(segments)]
    assert change[0] > 0 > change[1], change
    assert whole[0] > 0 > whole[1], whole  # both model turns together, too
