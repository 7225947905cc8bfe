"""The customer state machine: agent message -> detectors -> persona triggers -> new state.

Pure and deterministic: no I/O, no randomness, no Streamlit.  Backends turn the
resulting :class:`TurnOutcome` into words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from customer.slots import Fit, about_a_message, fit, offered_slot, relative, schedule
from customer.state import CustomerState, Stage
from personas.schema import DifficultyName, HiddenFact, Persona
from signals import (
    Detection,
    Item,
    OfferPolicy,
    OfferTerm,
    SignalKind,
    agent_name,
    detect,
    match_item,
    promised_time,
    same_time,
)

#: What an offer in the agent's message did: nothing offered; a fair offer turned down (not ready yet) or accepted;
#: an offer that does not meet the demand; a concession beyond the company's limits pushed back on, or taken; a fair
#: offer at a time the customer cannot make.
OfferEvent = Literal["none", "rejected", "accepted", "insufficient", "pushback", "taken", "unavailable"]
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
#: A question in a sentence that also does one of these is not asking the customer for information.
NOT_ASKING_FOR_FACTS = frozenset({
    SignalKind.OFFER, SignalKind.ALTERNATIVE, SignalKind.CHECK_UNDERSTANDING, SignalKind.CLOSING,
    SignalKind.PARAPHRASE, SignalKind.SARCASM, SignalKind.BLAME, SignalKind.INSULT,
})
CONFUSING_KINDS = frozenset({SignalKind.JARGON, SignalKind.LONG_SENTENCE})


@dataclass(frozen=True)
class TriggerHit:
    kind: SignalKind
    delta: float


@dataclass(frozen=True)
class Questions:
    """What the agent's questions asked of the customer.

    Attributes:
        revealed: hidden facts asked for the first time (the customer now tells them).
        again: hidden facts asked for a second time (the customer says them again, impatiently).
        impatient: a fact was asked for a third time or more (the customer only says it already answered).
        unknown: a question about something the customer does not know, verbatim.
    """

    revealed: tuple[HiddenFact, ...] = ()
    again: tuple[HiddenFact, ...] = ()
    impatient: bool = False
    unknown: str | None = None

    @property
    def answered(self) -> bool:
        return bool(self.revealed or self.again or self.impatient or self.unknown)


@dataclass(frozen=True)
class Memory:
    """What the agent's message did to what the customer remembers.

    Attributes:
        promise: the time the agent committed to in this message.
        changed_from: an earlier promised time this message contradicts.
        refused_again: offer ids the agent said no to once already.
        slot: the time this message offers for a visit, as the agent said it (see :mod:`customer.slots`).
        fit: whether that time fits the customer's schedule (None: no schedule, no slot, or too vague to tell).
    """

    promise: str | None = None
    changed_from: str | None = None
    refused_again: tuple[str, ...] = ()
    slot: str | None = None
    fit: Fit | None = None


@dataclass(frozen=True)
class TurnOutcome:
    """Everything one agent message changed, for backends and for the record."""

    state: CustomerState
    detection: Detection
    hits: tuple[TriggerHit, ...] = ()
    questions: Questions = Questions()
    offer_event: OfferEvent = "none"
    reaction: SignalKind | None = None
    confused: bool = False
    memory: Memory = Memory()

    @property
    def missing_time(self) -> bool:
        """The customer has accepted but no time or next step was given yet ("and when exactly?")."""
        state = self.state
        return state.stage == Stage.RESOLVING and state.committed is None


def offer_policy(persona: Persona) -> OfferPolicy:
    terms = [OfferTerm(o.id, tuple(o.keywords), True, o.fair, o.text, tuple(o.examples))
             for o in persona.company.can_offer]
    terms += [OfferTerm(o.id, tuple(o.keywords), False, text=o.text, examples=tuple(o.examples))
              for o in persona.company.cannot_offer]
    return OfferPolicy(tuple(terms), persona.company.max_discount_percent)


def fact_items(persona: Persona) -> tuple[Item, ...]:
    """Each hidden fact as something a question can ask for: its example questions and ``asked_by`` words."""
    return tuple(Item(f.id, tuple(f.examples), tuple(f.asked_by)) for f in persona.scenario.hidden_facts)


def asks_for_information(question: str) -> bool:
    """An open or yes/no question about the customer ("what ...?", "do you ...?"), not "can I put you on hold?"."""
    return bool(re.match(r"\s*(?:\w+,\s*)?(?:what|when|where|which|who|whom|how|why|do|did|does|have|has|is|are|was|"
                         r"were|could you tell|can you tell)\b", question, re.IGNORECASE)) and bool(
        re.search(r"\b(?:you|your|yours)\b", question, re.IGNORECASE))


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
        self.facts = fact_items(persona)
        self.schedule = schedule(persona)

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
        new.agent_name = new.agent_name or (agent_name(agent_text) if state.turn < 3 else None)
        hits = self._hits(detection)
        delta = sum(h.delta for h in hits)
        confused = bool(detection.kinds & CONFUSING_KINDS) and any(h.kind in CONFUSING_KINDS for h in hits)
        memory = self._remember(new, detection, agent_text)
        offer_event = self._offer(new, detection, state.frustration + delta, memory.fit)
        if offer_event in ("accepted", "taken"):
            delta -= 1.5
            new.agreed_time = memory.slot or new.agreed_time or new.promise
        elif offer_event == "rejected":
            delta -= 0.5
        elif offer_event == "pushback":
            delta = max(delta, 0.0)  # giving in does not calm it: it smells weakness and pushes
        new.frustration = round(min(MAX_FRUSTRATION, max(0.0, state.frustration + delta)), 2)
        new.heard = new.heard or bool(detection.kinds & HEARD_KINDS)
        questions = Questions() if confused else self._questions(new, detection, proposing=memory.fit is not None)
        self._advance(new, detection, offer_event, was_resolving=state.stage == Stage.RESOLVING)
        reaction = next((k for k in REACTION_PRIORITY if detection.has(k) and k in self.persona.reactions), None)
        return TurnOutcome(new, detection, hits, questions, offer_event, reaction, confused, memory)

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

    def _remember(self, new: CustomerState, detection: Detection, agent_text: str) -> Memory:
        """Note the agent's promised time, refusals and offers; say what contradicts what it said before.

        A time for a message ("I'll email you the confirmation today") is kept apart from the time something happens
        ("Saturday between 8 and 10"): each is compared only with an earlier time of its own kind. Once a time is
        agreed, a time in a message that offers nothing is the next step's, not a change of the agreed one.
        """
        promise = callback = changed_from = None
        for signal in detection.of(SignalKind.NEXT_STEP_TIME):
            when = promised_time(signal.quote)
            if when and relative(when, signal.quote):
                continue
            if when and about_a_message(signal.quote):
                callback = when
            elif when:
                promise = when
        slot = offered_slot(agent_text) if self.schedule is not None else None
        slot_fit = fit(slot, self.schedule) if slot is not None and self.schedule is not None else None
        follow_up = new.agreed_time is not None and not detection.offer_ids
        for when, times in ((promise, new.promises), (callback, new.callbacks)):
            if when is None:
                continue
            earlier = times[-1] if times else None
            if times is new.promises and new.agreed_time is not None:
                earlier = None if follow_up else new.agreed_time
            changed = earlier is not None and not same_time(earlier, when)
            changed_from = changed_from or (earlier if changed else None)
            if not times or changed:
                times.append(when)
        refused = [s.detail for s in detection.of(SignalKind.REFUSAL) if s.detail]
        again = tuple(dict.fromkeys(r for r in refused if r in new.offers_refused))
        new.offers_refused += [r for r in dict.fromkeys(refused) if r not in new.offers_refused]
        offered = [o for o in detection.offer_ids if not o.startswith("generic:")]
        new.offers_made += [o for o in dict.fromkeys(offered) if o not in new.offers_made]
        words = (promise or slot.words) if slot is not None and slot_fit is not None else None  # the agent's words
        return Memory(promise or callback, changed_from, again, words, slot_fit)

    def _beyond(self, detection: Detection) -> bool:
        """The message offers what the company cannot (a forbidden offer, a discount over the limit), read exactly as
        the grader reads a concession beyond the limits, so the customer pushes back on what the grade will cap."""
        return detection.has(SignalKind.CONCESSION_BEYOND_LIMITS)

    def _offer(self, new: CustomerState, detection: Detection, frustration: float, slot_fit: Fit | None) -> OfferEvent:
        offered = set(detection.offer_ids)
        if not offered:
            return "none"
        if self._beyond(detection):  # even after accepting: "you can do that too? Then ..."
            new.concessions += 1
            if new.concessions <= self.persona.listening.pushes_before_taking:
                return "pushback"
            new.outstanding_demands = new.outstanding_demands[1:]
            return "taken"
        if new.stage == Stage.RESOLVING:
            return "none"
        fair = [o for o in self.persona.company.can_offer if o.fair and o.id in offered]
        if not fair:
            return "insufficient"
        if slot_fit in ("clashes", "takes_a_workday"):
            return "unavailable"  # a fair offer at a time the customer cannot make: not a refusal of the offer
        if new.offers_rejected < self.level.rejects_before_accepting or frustration > ACCEPT_CEILING:
            new.offers_rejected += 1
            return "rejected"
        resolved = {d for o in fair for d in o.resolves} or set(new.outstanding_demands[:1])
        new.outstanding_demands = [d for d in new.outstanding_demands if d not in resolved]
        new.offers_accepted += [o.id for o in fair if o.id not in new.offers_accepted]
        return "accepted"

    def _questions(self, new: CustomerState, detection: Detection, *, proposing: bool = False) -> Questions:
        """Match each question to a hidden fact by meaning: tell it, say it again impatiently, or say "no idea".

        A message ``proposing`` a time ("does Saturday 8 to 10 work?") asks nothing of the schedule: the customer
        answers that time instead (:attr:`Memory.fit`).
        """
        revealed: list[HiddenFact] = []
        again: list[HiddenFact] = []
        impatient = False
        unknown: str | None = None
        facts = {f.id: f for f in self.persona.scenario.hidden_facts}
        other = [s for s in detection.signals if s.kind in NOT_ASKING_FOR_FACTS]
        offers = [s for s in other if s.kind == SignalKind.ALTERNATIVE
                  or (s.kind == SignalKind.OFFER and s.detail and not s.detail.startswith("generic:"))]
        for question in detection.of(SignalKind.QUESTION):
            if any(o.start < question.end and question.start < o.end for o in offers):
                continue  # "how about 27 a month?" offers something; it asks for no fact
            match = match_item(question.quote, self.facts)
            if match is None:
                busy = any(o.start < question.end and question.start < o.end for o in other)
                if unknown is None and not busy and asks_for_information(question.quote):
                    unknown = question.quote
                continue
            fact = facts[match.id]
            if proposing and fact.available is not None:
                continue
            if fact.id not in new.revealed_facts:
                revealed.append(fact)
                new.revealed_facts.append(fact.id)
            elif fact in revealed or fact in again:
                continue
            elif fact.id not in new.facts_asked_again:
                again.append(fact)
                new.facts_asked_again.append(fact.id)
            else:
                impatient = True
        if revealed or again or impatient:
            unknown = None
        return Questions(tuple(revealed), tuple(again), impatient, unknown)

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
        if offer_event == "pushback":
            confirms = frozenset()  # it smells more on the table: the deal is open again
        if was_resolving and confirms and new.frustration <= RESOLVE_CEILING:
            new.stage, new.ended_reason = Stage.CLOSED, "resolved"
            return
        if offer_event in ("accepted", "taken") and new.committed is not None and new.frustration <= RESOLVE_CEILING \
                and SignalKind.NEXT_STEP_TIME in kinds:
            # The offer came with its next step and time: the customer agrees and closes ("Tomorrow then. Thanks.").
            new.stage, new.ended_reason = Stage.CLOSED, "resolved"
            return
        if new.turn >= self.max_turns:
            new.stage, new.ended_reason = Stage.CLOSED, "time"
            return
        if offer_event in ("accepted", "taken"):
            new.stage = Stage.RESOLVING
        elif new.stage == Stage.RESOLVING and (new.frustration > 6.5 or offer_event == "pushback"):
            new.stage = Stage.NEGOTIATING
        elif new.stage in (Stage.OPENING, Stage.VENTING):
            new.stage = Stage.DEMANDING if (new.heard or new.turn >= 2) else Stage.VENTING
        if new.stage == Stage.DEMANDING and (offer_event != "none" or SignalKind.ALTERNATIVE in kinds):
            new.stage = Stage.NEGOTIATING
