"""The customer state machine: agent message -> detectors -> persona triggers -> new state.

Pure and deterministic: no I/O, no randomness, no Streamlit.  Backends turn the
resulting :class:`TurnOutcome` into words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from customer.state import CustomerState, Stage
from personas.schema import DifficultyName, HiddenFact, Persona
from signals import Detection, OfferPolicy, OfferTerm, SignalKind, detect

OfferEvent = Literal["none", "rejected", "accepted", "insufficient"]
MAX_FRUSTRATION = 10.0
#: Above this the customer turns down even a fair offer.
ACCEPT_CEILING = 7.5
#: The customer closes a resolved chat only once this calm.
RESOLVE_CEILING = 4.5
#: Which signal the customer reacts to first when several are present.
REACTION_PRIORITY: tuple[SignalKind, ...] = (
    SignalKind.INSULT, SignalKind.CALM_DOWN, SignalKind.BLAME, SignalKind.NON_APOLOGY,
    SignalKind.SARCASM, SignalKind.CONCESSION_BEYOND_LIMITS, SignalKind.POLICY_HIDING,
    SignalKind.CANNED, SignalKind.JARGON, SignalKind.LONG_SENTENCE, SignalKind.PARAPHRASE,
    SignalKind.APOLOGY, SignalKind.ACKNOWLEDGEMENT, SignalKind.NEXT_STEP_TIME,
    SignalKind.LIMIT_WITH_REASON, SignalKind.NO_PROGRESS,
)
HEARD_KINDS = frozenset({SignalKind.APOLOGY, SignalKind.ACKNOWLEDGEMENT, SignalKind.PARAPHRASE})
CONFUSING_KINDS = frozenset({SignalKind.JARGON, SignalKind.LONG_SENTENCE})


@dataclass(frozen=True)
class TriggerHit:
    kind: SignalKind
    delta: float


@dataclass(frozen=True)
class TurnOutcome:
    """Everything one agent message changed, for backends and for the record."""

    state: CustomerState
    detection: Detection
    hits: tuple[TriggerHit, ...] = ()
    revealed: tuple[HiddenFact, ...] = ()
    offer_event: OfferEvent = "none"
    reaction: SignalKind | None = None
    confused: bool = False


def offer_policy(persona: Persona) -> OfferPolicy:
    terms = [OfferTerm(o.id, tuple(o.keywords), True, o.fair, o.text) for o in persona.company.can_offer]
    terms += [OfferTerm(o.id, tuple(o.keywords), False, text=o.text) for o in persona.company.cannot_offer]
    return OfferPolicy(tuple(terms), persona.company.max_discount_percent)


class CustomerEngine:
    """One persona at one difficulty; holds no per-session data (that is the state)."""

    def __init__(self, persona: Persona, difficulty: DifficultyName, *, max_turns: int = 30) -> None:
        self.persona = persona
        self.difficulty = difficulty
        self.level = persona.difficulty.level(difficulty)
        self.max_turns = max_turns
        self.policy = offer_policy(persona)
        #: A more sensitive customer also calms more slowly (capped for easy levels).
        self.calming = min(1.25, 1 / self.level.sensitivity)

    def initial_state(self) -> CustomerState:
        return CustomerState(
            frustration=self.level.start_frustration,
            outstanding_demands=[d.id for d in self.persona.demands],
        )

    def react(self, state: CustomerState, agent_text: str, *, previous_customer: str | None) -> TurnOutcome:
        """Apply one agent message to ``state`` and return the outcome (``state`` is not modified)."""
        if state.ended:
            raise ValueError("the conversation has already ended")
        detection = detect(
            agent_text, previous_customer=previous_customer, policy=self.policy,
            max_sentence_words=self.persona.style.max_sentence_words,
        )
        new = state.model_copy(deep=True)
        new.turn += 1
        hits = self._hits(detection)
        delta = sum(h.delta for h in hits)
        confused = bool(detection.kinds & CONFUSING_KINDS) and any(h.kind in CONFUSING_KINDS for h in hits)
        offer_event = self._offer(new, detection, state.frustration + delta)
        if offer_event == "accepted":
            delta -= 1.5
        elif offer_event == "rejected":
            delta -= 0.5
        new.frustration = round(min(MAX_FRUSTRATION, max(0.0, state.frustration + delta)), 2)
        new.heard = new.heard or bool(detection.kinds & HEARD_KINDS)
        revealed = () if confused else self._reveal(new, detection)
        self._advance(new, detection, offer_event, was_resolving=state.stage == Stage.RESOLVING)
        reaction = next((k for k in REACTION_PRIORITY if detection.has(k) and k in self.persona.reactions), None)
        return TurnOutcome(new, detection, hits, revealed, offer_event, reaction, confused)

    def end_by_agent(self, state: CustomerState) -> CustomerState:
        new = state.model_copy(deep=True)
        new.stage, new.ended_reason = Stage.CLOSED, "agent_ended"
        return new

    def _hits(self, detection: Detection) -> tuple[TriggerHit, ...]:
        hits = []
        for trigger in self.persona.triggers.escalation:
            if detection.has(trigger.when):
                hits.append(TriggerHit(trigger.when, trigger.delta * self.level.sensitivity))
        for trigger in self.persona.triggers.de_escalation:
            if detection.has(trigger.when):
                hits.append(TriggerHit(trigger.when, trigger.delta * self.calming))
        return tuple(hits)

    def _offer(self, new: CustomerState, detection: Detection, frustration: float) -> OfferEvent:
        offered = set(detection.offer_ids)
        if not offered or new.stage == Stage.RESOLVING:
            return "none"
        fair = [o for o in self.persona.company.can_offer if o.fair and o.id in offered]
        if not fair:
            return "insufficient"
        if new.offers_rejected < self.level.rejects_before_accepting or frustration > ACCEPT_CEILING:
            new.offers_rejected += 1
            return "rejected"
        resolved = {d for o in fair for d in o.resolves} or set(new.outstanding_demands[:1])
        new.outstanding_demands = [d for d in new.outstanding_demands if d not in resolved]
        return "accepted"

    def _reveal(self, new: CustomerState, detection: Detection) -> tuple[HiddenFact, ...]:
        asked = " ".join(detection.questions).lower()
        if not asked:
            return ()
        revealed = tuple(
            f for f in self.persona.scenario.hidden_facts
            if f.id not in new.revealed_facts and any(k.lower() in asked for k in f.asked_by)
        )
        new.revealed_facts += [f.id for f in revealed]
        return revealed

    def _advance(
        self, new: CustomerState, detection: Detection, offer_event: OfferEvent, *, was_resolving: bool
    ) -> None:
        kinds = detection.kinds
        if new.frustration >= MAX_FRUSTRATION:
            new.strikes_at_max += 1
        else:
            new.strikes_at_max = 0
        if new.strikes_at_max >= self.persona.walk_away_after:
            new.stage, new.ended_reason = Stage.CLOSED, "walked_away"
            return
        confirms = kinds & {SignalKind.NEXT_STEP_TIME, SignalKind.CLOSING, SignalKind.OWNERSHIP}
        if was_resolving and confirms and new.frustration <= RESOLVE_CEILING:
            new.stage, new.ended_reason = Stage.CLOSED, "resolved"
            return
        if new.turn >= self.max_turns:
            new.stage, new.ended_reason = Stage.CLOSED, "time"
            return
        if offer_event == "accepted":
            new.stage = Stage.RESOLVING
        elif new.stage == Stage.RESOLVING and new.frustration > 6.5:
            new.stage = Stage.NEGOTIATING
        elif new.stage in (Stage.OPENING, Stage.VENTING):
            new.stage = Stage.DEMANDING if (new.heard or new.turn >= 2) else Stage.VENTING
        if new.stage == Stage.DEMANDING and (offer_event != "none" or SignalKind.ALTERNATIVE in kinds):
            new.stage = Stage.NEGOTIATING
