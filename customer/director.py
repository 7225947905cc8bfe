"""The per-turn director note and the persona system prompt, both rendered from data files."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

import yaml

from customer.backend import ReplyContext
from customer.state import band
from personas.schema import Persona

PROMPTS = Path(__file__).parent / "prompts"


@lru_cache(maxsize=1)
def _director_phrases() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROMPTS / "director.yaml").read_text(encoding="utf-8"))
    return loaded


def system_prompt(persona: Persona) -> str:
    template = Template((PROMPTS / "system.txt").read_text(encoding="utf-8"))
    scenario = persona.scenario
    return template.substitute(
        name=persona.name, backstory=persona.backstory, style=persona.style.description,
        product=scenario.product, problem=scenario.problem,
        known_facts=" ".join(scenario.known_facts), demands="; ".join(d.text for d in persona.demands),
    )


def director_note(ctx: ReplyContext) -> str:
    """A short stage direction for the next customer line, built from the state."""
    phrases = _director_phrases()
    state, outcome = ctx.state, ctx.outcome
    parts = [f"Director note: frustration {state.frustration:.0f}/10 ({phrases['bands'][band(state.frustration)]});"
             f" stage: {state.stage.value}."]
    if outcome is None:
        parts.append(phrases["opening"])
    else:
        did = [phrases["signals"][k.value] for k in sorted(outcome.detection.kinds, key=str)
               if k.value in phrases["signals"]]
        if did:
            parts.append("The agent just " + "; ".join(did) + ".")
        if outcome.revealed:
            parts.append("You may now reveal: " + " ".join(f.fact for f in outcome.revealed))
        if outcome.offer_event in phrases["offer_events"]:
            parts.append(phrases["offer_events"][outcome.offer_event])
    if state.ended_reason in phrases["ended"]:
        parts.append(phrases["ended"][state.ended_reason])
    elif state.outstanding_demands:
        wanted = [d.text for d in ctx.persona.demands if d.id in state.outstanding_demands]
        parts.append("Still outstanding: " + "; ".join(wanted) + ".")
    parts.append("Reply as the customer in 1-3 sentences.")
    return " ".join(parts)
