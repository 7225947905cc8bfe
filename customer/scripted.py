"""The scripted customer: lines picked from the persona's banks by state.

Seeded per session and turn (reproducible), never repeats a line verbatim
while an unused one exists, reveals hidden facts only when asked, and reacts
first to the most salient thing the agent just did.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence

from customer.backend import ReplyContext, ReplyStream
from customer.state import CustomerState, Stage, band
from personas.schema import Persona


def line_key(line: str) -> str:
    return hashlib.sha1(line.encode()).hexdigest()[:10]


class LinePicker:
    """Seeded choice among unused lines; falls back to other banks, never to a recent repeat."""

    def __init__(self, state: CustomerState, seed: int) -> None:
        self.used = set(state.used_lines)
        self.picked: list[str] = []
        self.rng = random.Random(f"{seed}:{state.turn}")

    def pick(self, *banks: Sequence[str]) -> str:
        for bank in banks:
            fresh = [line for line in bank if line_key(line) not in self.used]
            if fresh:
                return self._take(self.rng.choice(fresh))
        pool = [line for bank in banks for line in bank]
        return self._take(self.rng.choice(pool))

    def _take(self, line: str) -> str:
        key = line_key(line)
        self.used.add(key)
        self.picked.append(key)
        return line


def _stage_banks(persona: Persona, state: CustomerState) -> list[Sequence[str]]:
    stages = {
        Stage.OPENING: persona.lines.venting, Stage.VENTING: persona.lines.venting,
        Stage.DEMANDING: persona.lines.demanding, Stage.NEGOTIATING: persona.lines.negotiating,
        Stage.RESOLVING: persona.lines.resolving, Stage.CLOSED: persona.lines.resolving,
    }
    bank = stages[state.stage]
    current = band(state.frustration)
    order = [current] + [b for b in ("medium", "high", "low") if b != current]
    others = [persona.lines.demanding, persona.lines.negotiating, persona.lines.venting]
    banks: list[Sequence[str]] = [bank.band(b) for b in order]
    banks += [o.band(current) for o in others if o is not bank]
    return banks


def compose(ctx: ReplyContext, picker: LinePicker) -> str:
    """The scripted reply for ``ctx``: at most a reaction, the facts asked for, and one stage line."""
    persona, state, outcome = ctx.persona, ctx.state, ctx.outcome
    if outcome is None:
        return picker.pick(persona.opening_lines)
    if state.ended_reason in ("resolved", "walked_away", "time"):
        closing = persona.closing
        bank = {"resolved": closing.resolved, "walked_away": closing.walked_away, "time": closing.time}
        return picker.pick(bank[state.ended_reason])
    parts: list[str] = []
    if outcome.reaction is not None:
        parts.append(picker.pick(persona.reactions[outcome.reaction]))
    parts += [fact.line for fact in outcome.revealed]
    if outcome.offer_event == "accepted":
        parts.append(picker.pick(persona.accepting_offer))
    elif outcome.offer_event in ("rejected", "insufficient"):
        parts.append(picker.pick(persona.rejecting_offer))
    elif not outcome.revealed or len(parts) < 2:
        parts.append(picker.pick(*_stage_banks(persona, state)))
    return " ".join(parts[:3])


def _words(text: str) -> Iterator[str]:
    words = text.split(" ")
    for i, word in enumerate(words):
        yield word if i == len(words) - 1 else word + " "


class ScriptedBackend:
    """The embedded default: no model, no network."""

    name = "scripted"
    model: str | None = None

    def reply(self, ctx: ReplyContext) -> ReplyStream:
        picker = LinePicker(ctx.state, ctx.seed)
        text = compose(ctx, picker)
        return ReplyStream(chunks=iter(list(_words(text))), text=text, used_lines=picker.picked)
