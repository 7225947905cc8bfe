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
        parts += _listening(ctx, phrases["listening"])
        if outcome.offer_event in phrases["offer_events"]:
            parts.append(phrases["offer_events"][outcome.offer_event])
    if state.agreed_time:
        parts.append(phrases["listening"]["agreed"].format(time=state.agreed_time))
    elif state.committed:
        parts.append(phrases["listening"]["promised"].format(promise=state.committed))
    if state.offers_refused:
        parts.append(phrases["listening"]["refused"].format(offers=_offer_texts(ctx, state.offers_refused)))
    if state.offers_accepted:
        parts.append(phrases["listening"]["accepted"].format(offers=_offer_texts(ctx, state.offers_accepted)))
    if state.agent_name:
        parts.append(phrases["listening"]["name"].format(name=state.agent_name))
    if state.ended_reason in phrases["ended"]:
        parts.append(phrases["ended"][state.ended_reason])
    elif state.outstanding_demands:
        wanted = [d.text for d in ctx.persona.demands if d.id in state.outstanding_demands]
        parts.append("Still outstanding: " + "; ".join(wanted) + ".")
    if ctx.cue is not None:
        parts.append(phrases["dispute"][ctx.cue.mode].format(other=ctx.cue.other, wants=ctx.cue.other_wants))
    parts.append("Reply as the customer in 1-3 sentences.")
    return " ".join(parts)


def _offer_texts(ctx: ReplyContext, ids: list[str]) -> str:
    company = ctx.persona.company
    texts = {o.id: o.text.rstrip(".") for o in company.can_offer + company.cannot_offer}
    return "; ".join(texts.get(i, i.replace("discount:", "a discount of ") + ("%" if i.startswith("discount:") else ""))
                     for i in ids)


def _listening(ctx: ReplyContext, phrases: dict[str, str]) -> list[str]:
    """What the agent asked that must be answered, and what it said that contradicts what it said before."""
    outcome = ctx.outcome
    assert outcome is not None
    questions, memory, out = outcome.questions, outcome.memory, []
    if questions.revealed:
        out.append(phrases["reveal"].format(facts=" ".join(f.fact for f in questions.revealed)))
    if questions.again:
        out.append(phrases["again"].format(facts=" ".join(f.fact for f in questions.again)))
    if questions.impatient:
        out.append(phrases["impatient"])
    if questions.unknown:
        out.append(phrases["unknown"].format(question=questions.unknown))
    if ctx.state.ended:
        return out
    if memory.changed_from:
        out.append(phrases["changed"].format(promise=memory.changed_from))
    if memory.refused_again:
        out.append(phrases["refused_again"])
    if memory.slot and memory.fit == "fits":
        out.append(phrases["fits"].format(slot=memory.slot))
    elif memory.slot and memory.fit is not None:
        fact = next((f.fact for f in ctx.persona.scenario.hidden_facts if f.available is not None), "")
        out.append(phrases["clashes"].format(slot=memory.slot, fact=fact.rstrip(".")))
    if outcome.missing_time:
        out.append(phrases["wants_specifics"])
    return out
