"""The persona file format: a pydantic schema with ``extra="forbid"``.

A persona is data, not code: who the customer is, what happened, what it
knows and reveals only when asked, what it wants and what the company may
offer, how it reacts to what the agent does (frustration deltas per detector
signal), how difficulty shapes it, and banks of lines per stage and
frustration band for the scripted customer.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from signals import SignalKind

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Lines3 = Annotated[list[Text], Field(min_length=3)]
#: A keyword that finds an offer or a fact in a message; one character would match almost anything.
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=80)]
DifficultyName = Literal["easy", "normal", "hard"]
Band = Literal["low", "medium", "high"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class Window(Strict):
    """When the customer can be there: these days, from ``start`` to ``end`` o'clock (24-hour)."""

    days: Annotated[list[Weekday], Field(min_length=1)]
    start: Annotated[int, Field(ge=0, le=23)]
    end: Annotated[int, Field(ge=1, le=24)]

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"a window ends after it starts ({self.start} to {self.end})")
        return self


class Availability(Strict):
    """The times a customer can make (a delivery, a visit, a call back), and what it says to a time the agent offers.

    Attributes:
        windows: when the customer can be there.
        fits: the offered time falls inside a window (the customer says it can make it).
        clashes: the offered time falls outside every window on a day the customer has one.
        takes_a_workday: the offered day has no window at all, or the time is in office hours (8 to 17) on a day
            the customer is free only outside them (for a worker: another day off).
    """

    windows: Annotated[list[Window], Field(min_length=1)]
    fits: Lines3
    clashes: Lines3
    takes_a_workday: Lines3


class HiddenFact(Strict):
    """A fact the customer gives only when asked about it.

    A question asks for the fact when it is close in meaning to one of ``examples`` (questions that ask for it) or
    names one of the ``asked_by`` words; ``line`` answers it the first time, ``again`` (short, impatient) the second.
    ``available`` makes the fact a schedule: a time the agent offers is checked against it, and the customer answers
    that time (it fits, it clashes) instead of repeating the fact.
    """

    id: Id
    fact: Text
    asked_by: Annotated[list[Keyword], Field(min_length=1)]
    line: Text
    examples: list[Text] = []
    again: Text | None = None
    available: Availability | None = None


class Scenario(Strict):
    product: Text
    problem: Text
    known_facts: Annotated[list[Text], Field(min_length=1)]
    hidden_facts: Annotated[list[HiddenFact], Field(min_length=1)]


class Demand(Strict):
    id: Id
    text: Text


class OfferOption(Strict):
    """Something an agent might offer: found in a message by ``keywords``, or by meaning (``text`` and ``examples``,
    ways an agent might say it)."""

    id: Id
    text: Text
    keywords: Annotated[list[Keyword], Field(min_length=1)]
    examples: list[Text] = []
    fair: bool = False
    resolves: list[Id] = []


class Company(Strict):
    """What the company can and cannot offer: the limits a good agent keeps."""

    can_offer: Annotated[list[OfferOption], Field(min_length=1)]
    cannot_offer: Annotated[list[OfferOption], Field(min_length=1)]
    max_discount_percent: Annotated[int, Field(ge=0, le=100)] = 0


class Trigger(Strict):
    when: SignalKind
    delta: Annotated[float, Field(ge=-5, le=5)]


class Triggers(Strict):
    escalation: Annotated[list[Trigger], Field(min_length=1)]
    de_escalation: Annotated[list[Trigger], Field(min_length=1)]

    @model_validator(mode="after")
    def _signs(self) -> Triggers:
        for t in self.escalation:
            if t.delta <= 0:
                raise ValueError(f"escalation trigger '{t.when}' needs a positive delta, got {t.delta}")
        for t in self.de_escalation:
            if t.delta >= 0:
                raise ValueError(f"de_escalation trigger '{t.when}' needs a negative delta, got {t.delta}")
        return self


class DifficultyLevel(Strict):
    start_frustration: Annotated[float, Field(ge=0, le=10)]
    sensitivity: Annotated[float, Field(ge=0.25, le=3)]
    rejects_before_accepting: Annotated[int, Field(ge=0, le=5)]


class Difficulty(Strict):
    easy: DifficultyLevel
    normal: DifficultyLevel
    hard: DifficultyLevel

    def level(self, name: DifficultyName) -> DifficultyLevel:
        return {"easy": self.easy, "normal": self.normal, "hard": self.hard}[name]


class LineBank(Strict):
    """Lines for one stage, by frustration band (low 0-3, medium 4-6, high 7-10)."""

    low: Lines3
    medium: Lines3
    high: Lines3

    def band(self, name: Band) -> list[str]:
        return {"low": self.low, "medium": self.medium, "high": self.high}[name]


class StageLines(Strict):
    venting: LineBank
    demanding: LineBank
    negotiating: LineBank
    resolving: LineBank


class Closing(Strict):
    resolved: Lines3
    walked_away: Lines3
    time: Annotated[list[Text], Field(min_length=1)]


PROMISE = "{promise}"


def _one_promise(lines: list[str] | None, field: str) -> None:
    for line in lines or []:
        rest = line.replace(PROMISE, "")
        if line.count(PROMISE) != 1 or "{" in rest or "}" in rest:
            raise ValueError(f"every line of '{field}' needs the placeholder {PROMISE} exactly once (and no other "
                             f"braces): {line!r}")


class Listening(Strict):
    """How the customer shows it listened: answers, memory of what the agent said, pushback.

    Every bank is optional: a persona without one uses the customer's generic lines.  Lines of ``holds_to_promise``,
    ``promise_changed`` and ``accept_with_time`` hold ``{promise}`` once: the time the agent committed to.

    Attributes:
        pushes_before_taking: concessions beyond the company's limits the customer pushes back on (asks for more,
            raises the stakes, mocks) before it takes one.
        unknown_answer: asked something it does not know ("no idea, you tell me").
        asked_again: asked again what it already answered, with nothing new to say.
        pushback: right after a concession beyond the limits.
        wants_specifics: accepted an offer but no time or next step was given yet ("and when exactly?").
        already_refused: the agent says no again to what it already refused.
        rejecting_again: an offer falls short once the persona's ``rejecting_offer`` lines are all spoken.
        holds_to_promise / promise_changed / accept_with_time: the agent's promised time, held to, changed, agreed.
    """

    pushes_before_taking: Annotated[int, Field(ge=0, le=5)] = 1
    unknown_answer: Lines3 | None = None
    asked_again: Lines3 | None = None
    pushback: Lines3 | None = None
    wants_specifics: Lines3 | None = None
    already_refused: Lines3 | None = None
    rejecting_again: Lines3 | None = None
    holds_to_promise: Lines3 | None = None
    promise_changed: Lines3 | None = None
    accept_with_time: Lines3 | None = None

    @model_validator(mode="after")
    def _placeholders(self) -> Listening:
        for field in ("holds_to_promise", "promise_changed", "accept_with_time"):
            _one_promise(getattr(self, field), field)
        for field in ("unknown_answer", "asked_again", "pushback", "wants_specifics", "already_refused"):
            for line in getattr(self, field) or []:
                if "{" in line or "}" in line:
                    raise ValueError(f"'{field}' lines take no placeholder: {line!r}")
        return self


class Style(Strict):
    """How the customer talks; ``max_sentence_words`` is what it can follow."""

    description: Text
    max_sentence_words: Annotated[int, Field(ge=6, le=60)] = 20
    confused_by_jargon: bool = False


class Party(Strict):
    """The second customer of a dispute: who they are, what they want and know, and how they talk. The persona's
    own fields describe the first customer; the scenario, the company and the triggers are shared."""

    name: Text
    backstory: Text
    hidden_facts: Annotated[list[HiddenFact], Field(min_length=1)]
    demands: Annotated[list[Demand], Field(min_length=1)]
    difficulty: Difficulty
    opening_lines: Lines3
    lines: StageLines
    reactions: dict[SignalKind, Lines3]
    rejecting_offer: Lines3
    accepting_offer: Lines3
    closing: Closing
    style: Style
    #: Their own listening lines; the persona's (shared) when not given.
    listening: Listening | None = None


class PartyLines(Strict):
    """Lines for each customer of a dispute: ``first`` (the persona's own customer) and ``second``."""

    first: Lines3
    second: Lines3


class Dispute(Strict):
    """Two customers in one chat who argue with each other (workshop: resolving disputes between customers).

    Attributes:
        second: the other customer.
        to_other: what each says to the other when the argument heats up (low, medium and high frustration).
        sided_against: what each says when the agent takes the other's side.
        side_delta: frustration added to the customer the agent sided against.
    """

    second: Party
    to_other: dict[Band, PartyLines]
    sided_against: PartyLines
    side_delta: Annotated[float, Field(gt=0, le=5)] = 2.0

    @model_validator(mode="after")
    def _bands(self) -> Dispute:
        missing = {"low", "medium", "high"} - set(self.to_other)
        if missing:
            raise ValueError(f"to_other needs lines for every band; missing: {sorted(missing)}")
        return self


#: Words that take an agreement back: a line spoken once the customer has accepted must not say them.
WITHHOLDING = re.compile(r"\bbefore (?:i|we) (?:agree|accept|say yes|sign)\b|\bnot (?:accepting|agreeing)\b|"
                         r"\bno deal\b|\b(?:won'?t|will not|don'?t|do not|can'?t|cannot) (?:agree|accept)\b", re.I)


def _never_withhold(persona: Persona) -> None:
    """Lines said right after accepting an offer (and at the close) never take the agreement back."""
    banks: list[tuple[str, list[str] | None]] = [("accepting_offer", persona.accepting_offer)]
    second = persona.dispute.second.listening if persona.dispute else None
    for name, listening in (("listening", persona.listening), ("dispute.second.listening", second)):
        if listening is not None:
            banks += [(f"{name}.{field}", getattr(listening, field))
                      for field in ("wants_specifics", "holds_to_promise", "accept_with_time")]
    if persona.dispute is not None:
        banks.append(("dispute.second.accepting_offer", persona.dispute.second.accepting_offer))
    for field, lines in banks:
        for line in lines or []:
            if WITHHOLDING.search(line):
                raise ValueError(f"'{field}' is said after the customer accepted, but this line withholds the "
                                 f"agreement: {line!r}")


class Persona(Strict):
    slug: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=40)]
    name: Text
    title: Text
    summary: Text
    backstory: Text
    scenario: Scenario
    demands: Annotated[list[Demand], Field(min_length=1)]
    company: Company
    triggers: Triggers
    difficulty: Difficulty
    walk_away_after: Annotated[int, Field(ge=1, le=5)] = 2
    opening_lines: Lines3
    lines: StageLines
    reactions: dict[SignalKind, Lines3]
    rejecting_offer: Lines3
    accepting_offer: Lines3
    closing: Closing
    style: Style
    listening: Listening = Listening()
    dispute: Dispute | None = None

    @model_validator(mode="after")
    def _references(self) -> Persona:
        demand_ids = {d.id for d in self.demands}
        if self.dispute is not None:
            second = {d.id for d in self.dispute.second.demands}
            if demand_ids & second:
                raise ValueError(f"dispute.second.demands reuse the first customer's ids: "
                                 f"{sorted(demand_ids & second)}")
            fair = [set(o.resolves) for o in self.company.can_offer if o.fair]
            if not any(r & demand_ids and r & second for r in fair):
                raise ValueError("a dispute needs a fair offer (fair: true) that resolves a demand of each customer")
            demand_ids |= second
        for option in self.company.can_offer + self.company.cannot_offer:
            unknown = set(option.resolves) - demand_ids
            if unknown:
                raise ValueError(f"offer '{option.id}' resolves unknown demand(s): {sorted(unknown)}")
        if not any(o.fair for o in self.company.can_offer):
            raise ValueError("company.can_offer needs at least one offer marked fair: true")
        _never_withhold(self)
        return self
