"""A coach on demand: one short, concrete hint for the trainee's next message, chosen in code.

:func:`applicable` reads the conversation (:mod:`hints.reading`) and lists every kind of hint that fits the moment,
most pressing first; :func:`choose` turns the first into words from ``hints/hints.yaml``, each naming the workshop
passage it comes from. A model may rephrase the chosen hint (``services.hints``); it never chooses it.

The order is the workshop's: a threat on the table or a customer lost in the trainee's words comes first, then
H.E.A.R.D.'s *hear* before anything is solved, then a refusal left without an alternative, the time not given
and the question not answered yet; with none of these, the next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, StringConstraints

from hints.reading import Moment, read
from personas.schema import Persona
from signals.text import shorten

HINTS_FILE = Path(__file__).parent / "hints.yaml"
QUOTE = "{quote}"
#: A quote longer than this is cut (with an ellipsis) so the hint stays short.
QUOTE_CHARS = 120


class HintKind(StrEnum):
    THREAT = "threat"
    LOST = "lost"
    NOT_HEARD = "not_heard"
    NO_ALTERNATIVE = "no_alternative"
    NO_TIME = "no_time"
    OPEN_DEMAND = "open_demand"
    OPEN_QUESTION = "open_question"
    PROPOSE = "propose"
    NEXT_STEP = "next_step"


Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]


class HintText(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Line
    source: Line


class HintBook(BaseModel):
    """``hints/hints.yaml``: the words of every kind of hint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threat: HintText
    lost: HintText
    not_heard: HintText
    no_alternative: HintText
    open_question: HintText
    no_time: HintText
    open_demand: HintText
    propose: HintText
    next_step: HintText

    def of(self, kind: HintKind) -> HintText:
        text: HintText = getattr(self, kind.value)
        return text


@dataclass(frozen=True)
class Hint:
    """One hint: its kind, the words shown and the workshop passage (seed citation) it comes from."""

    kind: HintKind
    text: str
    source: str


@lru_cache(maxsize=1)
def hint_book(path: Path = HINTS_FILE) -> HintBook:
    return HintBook.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def kinds_of(moment: Moment) -> list[HintKind]:
    """Every kind of hint that fits ``moment``, most pressing first; when none does, ``next_step`` (sum up) if the
    customer accepted something and ``propose`` (put an option on the table) if nothing is agreed yet."""
    fits = [
        (HintKind.THREAT, moment.threat is not None),
        (HintKind.LOST, bool(moment.lost)),
        (HintKind.NOT_HEARD, not moment.heard and not (moment.agent_turns and moment.asks_now)),
        (HintKind.NO_ALTERNATIVE, moment.refusal is not None),
        (HintKind.NO_TIME, moment.when is not None),
        (HintKind.OPEN_DEMAND, moment.demand is not None),
        (HintKind.OPEN_QUESTION, moment.question is not None),
    ]
    return [kind for kind, applies in fits if applies] or [HintKind.NEXT_STEP if moment.agreed else HintKind.PROPOSE]


def applicable(turns: Sequence[tuple[str, str]], persona: Persona | None) -> list[HintKind]:
    """Every kind of hint that fits the conversation ``turns`` ((role, text), oldest first), most pressing first."""
    return kinds_of(read(turns, persona))


def words_for(kind: HintKind, moment: Moment) -> Hint:
    """The hint of ``kind`` in words, quoting what the moment holds for it."""
    entry = hint_book().of(kind)
    quote = {HintKind.THREAT: moment.threat, HintKind.LOST: moment.lost, HintKind.NO_ALTERNATIVE: moment.refusal,
             HintKind.OPEN_QUESTION: moment.question, HintKind.NO_TIME: moment.when,
             HintKind.OPEN_DEMAND: moment.demand}.get(kind)
    text = entry.text
    if QUOTE in text:
        text = text.replace(QUOTE, (quote or "") if kind == HintKind.LOST else shorten(quote or "", QUOTE_CHARS))
    return Hint(kind, text, entry.source)


def choose(turns: Sequence[tuple[str, str]], persona: Persona | None) -> Hint:
    """The one hint for the trainee's next message."""
    moment = read(turns, persona)
    return words_for(kinds_of(moment)[0], moment)


__all__ = ["Hint", "HintBook", "HintKind", "Moment", "applicable", "choose", "hint_book", "kinds_of", "read",
           "words_for"]
