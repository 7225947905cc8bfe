"""Fair mediation between two customers (workshop: resolving disputes between customers): both sides heard, no
sides taken, and a resolution both accept. Scored from the transcript's speakers, the detectors and the customers'
own end states."""

from __future__ import annotations

from customer.dispute import addressed, towards
from grading.evidence import AgentTurn, Evidence, sentence_around
from grading.rubric import MAX_LEVEL
from grading.transcript import GradingContext, Transcript
from signals import SignalKind
from signals.sides import taking_sides
from signals.text import shorten

HEARING = (SignalKind.ACKNOWLEDGEMENT, SignalKind.PARAPHRASE, SignalKind.APOLOGY)
PROPOSING = frozenset({SignalKind.OFFER, SignalKind.ALTERNATIVE})


def _first(name: str) -> str:
    return name.split()[0]


def _last_speaker(transcript: Transcript, position: int) -> str | None:
    return next((m.speaker for m in reversed(transcript.messages[: position - 1]) if m.role == "customer"), None)


def score_mediation(turns: list[AgentTurn], transcript: Transcript, context: GradingContext
                    ) -> tuple[int, list[Evidence]]:
    """One point each for: every customer heard (acknowledged, apologised to or recapped in a message to them), no
    side taken, and a resolution both customers accepted. Taking a side caps the level at 1 however well the rest
    went: a mediator who picks a winner has stopped mediating."""
    names = context.parties
    heard: dict[int, Evidence] = {}
    sides: list[Evidence] = []
    proposal: Evidence | None = None
    for turn in turns:
        to = addressed(turn.text, names)
        for kind in HEARING:
            for signal in turn.detection.of(kind):
                for i in to:
                    heard.setdefault(i, Evidence(turn.turn, sentence_around(turn.text, signal.start), kind.value,
                                                 True, f"hears {_first(names[i])}", signal.source, signal.confidence))
        found = taking_sides(turn.text, names, towards(turn.text, names, _last_speaker(transcript, turn.turn)))
        if found is not None:
            whose = "one customer" if found.favours is None else _first(names[found.favours])
            sides.append(Evidence(turn.turn, found.quote, "takes_sides", False, f"takes {whose}'s side",
                                  found.source, round(found.confidence, 2)))
        if proposal is None and len(to) == 2 and turn.detection.kinds & PROPOSING:
            signal = next(s for s in turn.detection.signals if s.kind in PROPOSING)
            proposal = Evidence(turn.turn, sentence_around(turn.text, signal.start), signal.kind.value, True,
                                "proposes a resolution to both", signal.source, signal.confidence)
    evidence = sorted(heard.values(), key=lambda e: e.turn) + sides
    both_heard = len(heard) == len(names)
    if transcript.accepted_by is None:
        resolved = proposal is not None
        if proposal is not None:
            evidence.append(proposal)
    else:
        resolved = len(transcript.accepted_by) == len(names)
        note = ("both customers accepted the resolution" if resolved else
                "no resolution both accepted" + (f" (only {_first(transcript.accepted_by[0])} did)"
                                                 if transcript.accepted_by else ""))
        at, quote = (proposal.turn, proposal.quote) if proposal else (turns[-1].turn, shorten(turns[-1].text, 160))
        evidence.append(Evidence(at, quote, "resolution", resolved, note, "context"))
    for i, name in enumerate(names):
        if i not in heard:
            evidence.append(Evidence(turns[0].turn if turns else 1, "(no message to them)", "not_heard", False,
                                     f"{_first(name)} was never acknowledged", "context"))
    level = int(both_heard) + int(resolved) + int(not sides)
    if sides:
        level = min(level, 1)
    return min(MAX_LEVEL, level), sorted(evidence, key=lambda e: e.turn)
