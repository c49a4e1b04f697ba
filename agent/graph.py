"""The agent loop as an explicit LangGraph graph.

::

    START ──► policy ──► act ──► (policy | END)

``policy`` asks the policy for the next turn; ``act`` advances the :class:`Episode` with
that text (runs the tools, or records the answer, or tells the model what was malformed).
The router ends the run when the episode is done. Graph state is only the JSON episode
state; the policy, the tool registry (with the decoded video and its index) and the budget
live in the run context, so state can be checkpointed.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from vagent.agent.episode import Budget, Episode, EpisodeState, Generation
from vagent.agent.policy import Policy


class AgentState(TypedDict, total=False):
    episode: dict[str, Any]
    """The :class:`EpisodeState` as a dict."""
    pending: dict[str, Any] | None
    """The policy's latest :class:`Generation`, waiting for ``act``."""


@dataclass
class AgentContext:
    """Per-run objects that must not live in graph state."""

    policy: Policy
    tools: Any
    budget: Budget


def policy_node(state: AgentState, runtime: Runtime[AgentContext]) -> AgentState:
    context = runtime.context
    episode = state["episode"]
    started = time.perf_counter()
    try:
        generation = context.policy.generate(episode["messages"], context.tools.schemas())
    except Exception as exc:  # a failing backend ends the episode with its reason, not a traceback
        generation = Generation(text="", error=f"{exc.__class__.__name__}: {exc}")
    if not generation.seconds:
        generation.seconds = time.perf_counter() - started
    return {"pending": asdict(generation)}


def act_node(state: AgentState, runtime: Runtime[AgentContext]) -> AgentState:
    context = runtime.context
    episode = Episode.from_dict(state["episode"], context.tools, context.budget)
    generation = Generation(**state["pending"])
    if generation.error:
        episode.abort(f"policy failed: {generation.error}")
    else:
        episode.step(generation.text, generation)
    return {"episode": episode.to_dict(), "pending": None}


def route_after_act(state: AgentState) -> Literal["policy", "__end__"]:
    """Loop until the episode has an end reason (answered or out of budget)."""
    return END if state["episode"].get("end_reason") else "policy"


@functools.lru_cache(maxsize=1)
def build_graph():
    """The compiled agent graph, built once per process (draw it with ``build_graph().get_graph().draw_mermaid()``)."""
    graph = StateGraph(AgentState, context_schema=AgentContext)
    graph.add_node("policy", policy_node)
    graph.add_node("act", act_node)
    graph.add_edge(START, "policy")
    graph.add_edge("policy", "act")
    graph.add_conditional_edges("act", route_after_act, {"policy": "policy", END: END})
    return graph.compile()


def recursion_limit(budget: Budget) -> int:
    """Two graph steps per turn, plus the final answer-only turn and a margin."""
    return 2 * (budget.max_turns + 2) + 4


def run_episode(
    episode: Episode,
    policy: Policy,
    on_update: Callable[[str, dict[str, Any]], None] | None = None,
) -> EpisodeState:
    """Run the graph from a started episode to its end; ``on_update(node, update)`` streams."""
    context = AgentContext(policy=policy, tools=episode.tools, budget=episode.budget)
    final: dict[str, Any] = {"episode": episode.to_dict()}
    for chunk in build_graph().stream(
        {"episode": final["episode"], "pending": None},
        context=context,
        stream_mode="updates",
        config={"recursion_limit": recursion_limit(episode.budget)},
    ):
        for node, update in chunk.items():
            final.update(update)
            if on_update is not None:
                on_update(node, update)
    return EpisodeState(**final["episode"])
