"""The scripted customer: lines picked from the persona's banks by state.

Seeded per session and turn (reproducible), never repeats a line verbatim
while an unused one exists, reveals hidden facts only when asked, and reacts
first to the most salient thing the agent just did.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from functools import lru_cache

import yaml

from customer.backend import ReplyContext, ReplyStream
from customer.director import PROMPTS
from customer.slots import schedule
from customer.state import CustomerState, Stage, band
from personas.schema import PROMISE, Persona
from signals import NEGATIVE_KINDS, SignalKind

#: Reactions to a concession that the pushback (or the grudging acceptance) line already voices.
GIVING_IN = frozenset({SignalKind.CONCESSION_BEYOND_LIMITS, SignalKind.CAVED_TO_THREAT})


def line_key(line: str) -> str:
    return hashlib.sha1(line.encode()).hexdigest()[:10]


class LinePicker:
    """Seeded choice among unused lines; falls back to other banks, then to the line used longest ago (never to
    the most recent one)."""

    def __init__(self, state: CustomerState, seed: int) -> None:
        self.order = list(state.used_lines)  # oldest first
        self.used = set(self.order)
        self.picked: list[str] = []
        self.rng = random.Random(f"{seed}:{state.turn}")

    def pick(self, *banks: Sequence[str]) -> str:
        for bank in banks:
            fresh = [line for line in bank if line_key(line) not in self.used]
            if fresh:
                return self._take(self.rng.choice(fresh))
        pool = [line for bank in banks for line in bank]
        last_used = {key: i for i, key in enumerate(self.order)}
        return self._take(min(pool, key=lambda line: last_used.get(line_key(line), -1)))

    def _take(self, line: str) -> str:
        key = line_key(line)
        self.used.add(key)
        self.order.append(key)
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


@lru_cache(maxsize=1)
def generic_lines() -> dict[str, list[str]]:
    """The lines a persona without its own ``listening`` banks uses."""
    loaded: dict[str, list[str]] = yaml.safe_load((PROMPTS / "listening.yaml").read_text(encoding="utf-8"))
    return loaded


def listening(persona: Persona, bank: str) -> list[str]:
    own: list[str] | None = getattr(persona.listening, bank)
    return own if own else generic_lines()[bank]


def _promised(line: str, promise: str) -> str:
    return line.replace(PROMISE, promise)


def compose(ctx: ReplyContext, picker: LinePicker) -> str:
    """The scripted reply for ``ctx``: at most three parts, the most important kept, in speaking order.

    In order: a reaction to what the agent just did, what it contradicts (a changed time, a second no), the answer to
    its offer, the answers to its questions, and a stage line when nothing else was said.
    """
    persona, state, outcome = ctx.persona, ctx.state, ctx.outcome
    if ctx.cue is not None and ctx.cue.mode != "reply":
        return picker.pick(list(ctx.cue.lines))
    if outcome is None:
        return picker.pick(persona.opening_lines)
    if state.ended_reason in ("resolved", "walked_away", "time"):
        closing = persona.closing
        bank = {"resolved": closing.resolved, "walked_away": closing.walked_away, "time": closing.time}
        last = picker.pick(bank[state.ended_reason])
        agreed = state.committed
        if state.ended_reason == "resolved" and agreed:
            return _promised(picker.pick(listening(persona, "accept_with_time")), agreed) + " " + last
        return last
    # (priority, text): a lower number is kept first when there are more than three parts.
    parts: list[tuple[int, str]] = []
    event = outcome.offer_event
    reaction = outcome.reaction
    if reaction is not None and event != "none" and (reaction in GIVING_IN or reaction not in NEGATIVE_KINDS):
        # The answer to the offer says it: "what can we do instead?" before "that works for me" contradicts itself.
        reaction = None
    if reaction is not None:
        parts.append((3, picker.pick(persona.reactions[reaction])))
    memory = outcome.memory
    if memory.changed_from:
        parts.append((1, _promised(picker.pick(listening(persona, "promise_changed")), memory.changed_from)))
    elif memory.refused_again:
        parts.append((2, picker.pick(listening(persona, "already_refused"))))
    if event == "pushback":
        parts.append((1, picker.pick(listening(persona, "pushback"))))
    elif event in ("accepted", "taken"):
        parts.append((1, picker.pick(persona.accepting_offer)))
        agreed = state.committed
        if agreed:
            parts.append((2, _promised(picker.pick(listening(persona, "holds_to_promise")), agreed)))
        else:
            parts.append((2, picker.pick(listening(persona, "wants_specifics"))))
    elif event in ("rejected", "insufficient"):
        parts.append((2, picker.pick(persona.rejecting_offer, listening(persona, "rejecting_again"))))
    available = schedule(persona)
    if available is not None and memory.fit is not None:
        if memory.fit != "fits":
            parts.append((1, picker.pick(getattr(available, memory.fit))))
        elif event == "none":  # beside a yes or a no to the offer, "that time works" reads as the opposite
            parts.append((2, picker.pick(available.fits)))
    questions = outcome.questions
    parts += [(0, fact.line) for fact in questions.revealed]
    parts += [(0, fact.again or picker.pick(listening(persona, "asked_again"))) for fact in questions.again]
    if questions.impatient:
        parts.append((0, picker.pick(listening(persona, "asked_again"))))
    if questions.unknown:
        parts.append((1, picker.pick(listening(persona, "unknown_answer"))))
    if event == "none" and not questions.answered:
        if outcome.missing_time:
            parts.append((2, picker.pick(listening(persona, "wants_specifics"))))
        elif len(parts) < 2:
            parts.append((4, picker.pick(*_stage_banks(persona, state))))
    kept = sorted(sorted(range(len(parts)), key=lambda i: parts[i][0])[:3])
    return " ".join(parts[i][1] for i in kept)


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
