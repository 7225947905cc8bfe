"""Two customers in one chat who argue with each other (workshop: resolving disputes between customers).

Each customer is an ordinary :class:`CustomerEngine` on a persona of its own (the file's first customer, or its
``dispute.second``, over the shared scenario and company). This module decides what each one hears, how taking
sides lands, who answers and in what order, and when the whole chat ends. Pure and deterministic, like the engine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from customer.backend import Cue, CueMode, Turn
from customer.engine import MAX_FRUSTRATION, CustomerEngine, TurnOutcome
from customer.state import CustomerState, EndReason, Stage, band
from personas.schema import Band, DifficultyName, Party, Persona
from signals.sides import TITLES, call_names, sides_with

#: Words a sentence may start with before the name it calls someone by ("Okay, Marcus, ...").
OPENERS = r"(?:hi|hello|ok|okay|so|and|now|look|right|thanks|sorry)"
TITLE = rf"(?:(?:{'|'.join(sorted(TITLES))})\.?\s+)?"
#: A customer this frustrated, who has nothing else to answer, turns on the other customer.
ARGUES_FROM = 4.0


def party(persona: Persona, index: int) -> Persona:
    """The persona of one customer of a dispute: 0 is the file's own customer, 1 its ``dispute.second``. Offers that
    resolve only the other customer's demands are not fair *to this one* (it will not accept them as its own)."""
    dispute = persona.dispute
    assert dispute is not None, f"'{persona.slug}' has one customer"
    if index == 0:
        own, update = persona.demands, {}
    else:
        second = dispute.second
        own = second.demands
        # Every field a Party shares with a Persona is the second customer's own; hidden facts live in the scenario.
        update = {name: getattr(second, name) for name in Party.model_fields
                  if name not in ("hidden_facts", "listening")}
        update |= {"scenario": persona.scenario.model_copy(update={"hidden_facts": second.hidden_facts}),
                   "listening": second.listening or persona.listening}
    ids = {d.id for d in own}
    offers = [o if not o.resolves or set(o.resolves) & ids else o.model_copy(update={"fair": False})
              for o in persona.company.can_offer]
    update |= {"company": persona.company.model_copy(update={"can_offer": offers}), "dispute": None}
    return persona.model_copy(update=update)


def addressed(text: str, names: Sequence[str]) -> frozenset[int]:
    """Whom the agent's message speaks to: the customers it calls by name at the start of a sentence or after a
    comma ("Elena, ...", "..., Marcus."); when it calls nobody that way, both."""
    called = set()
    for i, name in enumerate(names):
        for word in call_names(name):
            w = re.escape(word)
            if re.search(rf"(?:^|[.!?]\s+)(?:{OPENERS}[, ]+)?{TITLE}{w}\b\s*[,:!-]|,\s*{TITLE}{w}\s*(?:[.!?,:]|$)",
                         text, re.IGNORECASE | re.MULTILINE):
                called.add(i)
    return frozenset(called) if called else frozenset(range(len(names)))


def towards(text: str, names: Sequence[str], last_speaker: str | None) -> frozenset[int]:
    """Whom a side taken in ``text`` is measured against: the one customer it calls by name, else the customer who
    spoke last (the message answers them), else nobody known."""
    to = addressed(text, names)
    if len(to) == 1:
        return to
    return frozenset(i for i, n in enumerate(names) if n == last_speaker)


@dataclass(frozen=True)
class Speech:
    """One customer's part of the reply: who (0 or 1) and how they address the other (the backend's cue)."""

    index: int
    cue: Cue


@dataclass(frozen=True)
class DisputeOutcome:
    """What one agent message did to both customers.

    Attributes:
        state: the chat's state, each customer's own in ``parties``.
        outcomes: each customer's own outcome (``None`` when that customer had already ended).
        addressed: whom the message spoke to.
        sided_with: the customer the agent took the side of, if it did.
        speeches: who answers, in speaking order.
    """

    state: CustomerState
    outcomes: tuple[TurnOutcome | None, TurnOutcome | None]
    addressed: frozenset[int]
    sided_with: int | None
    speeches: tuple[Speech, ...]


def split(state: CustomerState) -> tuple[CustomerState, CustomerState]:
    """The two customers' own states in a dispute chat's state."""
    assert len(state.parties) == 2, "not a dispute state"
    return state.parties[0].model_copy(deep=True), state.parties[1].model_copy(deep=True)


def join(first: CustomerState, second: CustomerState) -> CustomerState:
    """One state for the chat, holding both: the higher frustration, heard once both were; ended when both have, or
    when either walked away (an argument one side leaves is over)."""
    reasons = (first.ended_reason, second.ended_reason)
    ended: EndReason | None = None
    if "walked_away" in reasons:
        ended = "walked_away"
    elif None not in reasons:
        ended = "resolved" if reasons == ("resolved", "resolved") else next(r for r in reasons if r != "resolved")
    hotter = max((first, second), key=lambda s: s.frustration)
    return CustomerState(
        frustration=hotter.frustration, stage=Stage.CLOSED if ended else hotter.stage,
        turn=max(first.turn, second.turn),
        heard=first.heard and second.heard, ended_reason=ended, parties=[first, second],
        outstanding_demands=first.outstanding_demands + second.outstanding_demands,
    )


class DisputeEngine:
    """Both customers of a dispute persona at one difficulty."""

    def __init__(self, persona: Persona, difficulty: DifficultyName, *, max_turns: int = 30) -> None:
        assert persona.dispute is not None
        self.persona = persona
        self.dispute = persona.dispute
        self.difficulty = difficulty
        self.people = (party(persona, 0), party(persona, 1))
        self.engines = tuple(CustomerEngine(p, difficulty, max_turns=max_turns) for p in self.people)
        self.names = tuple(p.name for p in self.people)

    def initial_state(self) -> CustomerState:
        return join(self.engines[0].initial_state(), self.engines[1].initial_state())

    def end_by_agent(self, state: CustomerState) -> CustomerState:
        first, second = split(state)
        return join(*(s if s.ended else e.end_by_agent(s) for e, s in zip(self.engines, (first, second), strict=True)))

    def opening(self) -> tuple[Speech, ...]:
        return tuple(Speech(i, self._cue(i)) for i in (0, 1))

    def react(self, state: CustomerState, agent_text: str, *, history: Sequence[Turn]) -> DisputeOutcome:
        """Apply one agent message to both customers (``state`` is not modified)."""
        if state.ended:
            raise ValueError("the conversation has already ended")
        to = addressed(agent_text, self.names)
        last = next((t.speaker for t in reversed(history) if t.role == "customer"), None)
        favoured = sides_with(agent_text, self.names, towards(agent_text, self.names, last))
        states = list(split(state))
        outcomes: list[TurnOutcome | None] = [None, None]
        for i, engine in enumerate(self.engines):
            before = states[i]
            if before.ended:
                continue
            previous = next((t.content for t in reversed(history)
                             if t.role == "customer" and t.speaker == self.names[i]), None)
            outcome = engine.react(before, agent_text, previous_customer=previous)
            after = outcome.state
            if i not in to:  # spoken about, not to: what it said to the other does not calm or anger this one
                after.frustration, after.heard = before.frustration, before.heard
            if favoured is not None and favoured != i:
                after.frustration = round(min(MAX_FRUSTRATION, after.frustration + self.dispute.side_delta
                                              * engine.level.sensitivity), 2)
            states[i] = after
            outcomes[i] = outcome
        both = join(*states)
        return DisputeOutcome(both, (outcomes[0], outcomes[1]), to, favoured, self._speeches(both, outcomes, to,
                                                                                              favoured))

    def _speeches(self, state: CustomerState, outcomes: list[TurnOutcome | None], to: frozenset[int],
                  favoured: int | None) -> tuple[Speech, ...]:
        """Who answers: whoever was spoken to, the one sided against (to say so), and, when the chat ends, whoever
        has a closing line; the more frustrated speaks first, and the second speaker turns on the first when upset
        and given nothing to answer."""
        states = split(state)
        speaking = [i for i in (0, 1) if outcomes[i] is not None
                    and (i in to or (favoured is not None and favoured != i) or state.ended)]
        speaking.sort(key=lambda i: -states[i].frustration)
        speeches = []
        for order, i in enumerate(speaking):
            outcome = outcomes[i]
            assert outcome is not None
            if favoured is not None and favoured != i and not states[i].ended:
                speeches.append(Speech(i, self._cue(i, "sided_against")))
            elif order == 1 and not state.ended and states[i].frustration >= ARGUES_FROM and not (
                    outcome.questions.answered or outcome.offer_event != "none" or outcome.reaction):
                speeches.append(Speech(i, self._cue(i, "to_other", band(states[i].frustration))))
            else:
                speeches.append(Speech(i, self._cue(i)))
        return tuple(speeches)

    def _cue(self, i: int, mode: CueMode = "reply", level: Band = "medium") -> Cue:
        other = self.people[1 - i]
        key = "first" if i == 0 else "second"
        if mode == "to_other":
            lines = getattr(self.dispute.to_other[level], key)
        elif mode == "sided_against":
            lines = getattr(self.dispute.sided_against, key)
        else:
            lines = []
        return Cue(other.name, "; ".join(d.text for d in other.demands), mode, tuple(lines))
