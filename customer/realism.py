"""The realism suite: agent scripts written by people who never saw the persona files, played against the scripted
customer, measured the way a trainee would notice.

A suite file (``tests/realism/data/<slug>.yaml``) holds, for one persona, whole agent scripts by class (excellent,
stonewall, rude, caving) and phrasing style, and three questions per hidden fact.  Scripts are replayed message by
message whatever the customer answers, like a trainee who came with a plan.  ``python -m bench`` and
``tests/realism`` both read the figures from :func:`run_suite`.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from customer.backend import Turn
from customer.engine import CustomerEngine
from customer.scripted import ScriptedBackend
from customer.state import CustomerState, EndReason
from customer.turn import opening, step
from personas.schema import DifficultyName, Persona

SUITE = Path(__file__).resolve().parent.parent / "tests" / "realism" / "data"
ScriptClass = Literal["excellent", "stonewall", "rude", "caving"]
CLASSES: tuple[ScriptClass, ...] = ("excellent", "stonewall", "rude", "caving")
#: Personas whose customer pushes for more (or raises the stakes) when an agent gives in.
DEMANDING = frozenset({"discount-demander", "threatening", "provocateur", "negative-review"})


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    # "class" is a keyword in Python: the field is read as ``kind``.
    kind: ScriptClass = Field(alias="class")
    style: str
    turns: Annotated[list[str], Field(min_length=1)]


class FactQuestions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fact: str
    asks: Annotated[list[str], Field(min_length=1)]


class SuiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    persona: str
    author: str
    scripts: list[Script]
    questions: list[FactQuestions]


@dataclass(frozen=True)
class ChatResult:
    persona: str
    script: Script
    customer_lines: tuple[str, ...]
    frustrations: tuple[float, ...]
    final: CustomerState

    @property
    def ended_reason(self) -> EndReason | None:
        return self.final.ended_reason

    @property
    def resolved(self) -> bool:
        return self.final.ended_reason == "resolved"

    @property
    def turns_played(self) -> int:
        return self.final.turn

    @property
    def repeated_lines(self) -> list[str]:
        """Customer replies said word for word more than once in this chat."""
        return [line for line, n in Counter(self.customer_lines).items() if n > 1]


@dataclass(frozen=True)
class QuestionResult:
    persona: str
    fact: str
    question: str
    reply: str
    answered: bool


@dataclass(frozen=True)
class SuiteResult:
    chats: tuple[ChatResult, ...]
    questions: tuple[QuestionResult, ...]
    difficulty: DifficultyName

    def of(self, kind: ScriptClass) -> list[ChatResult]:
        return [c for c in self.chats if c.script.kind == kind]

    def resolved_personas(self, style: str) -> tuple[int, int]:
        """Excellent scripts in one style: personas resolved, personas with such a script."""
        chats = [c for c in self.of("excellent") if c.script.style == style]
        return sum(c.resolved for c in chats), len(chats)

    def mean_final(self, kind: ScriptClass) -> float:
        return round(statistics.fmean(c.final.frustration for c in self.of(kind)), 2)

    @property
    def answered(self) -> tuple[int, int]:
        return sum(q.answered for q in self.questions), len(self.questions)

    def turns_to_resolution(self) -> float | None:
        done = [c.turns_played for c in self.of("excellent") if c.resolved]
        return round(statistics.fmean(done), 2) if done else None

    def quick_satisfied_caving(self) -> list[ChatResult]:
        """Caving chats with a demanding customer that ended satisfied within two agent turns."""
        return [c for c in self.of("caving") if c.persona in DEMANDING and c.resolved and c.turns_played <= 2]

    def with_repeats(self) -> list[ChatResult]:
        return [c for c in self.chats if c.repeated_lines]

    @property
    def styles(self) -> list[str]:
        return sorted({c.script.style for c in self.of("excellent")})


def load_suite(directory: Path = SUITE) -> list[SuiteFile]:
    return [SuiteFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
            for path in sorted(directory.glob("*.yaml"))]


def play(persona: Persona, turns: Sequence[str], *, difficulty: DifficultyName = "normal",
         seed: int = 7) -> tuple[list[str], list[float], CustomerState]:
    """Replay agent ``turns`` against the scripted customer; stops when the customer ends the chat."""
    engine, backend = CustomerEngine(persona, difficulty), ScriptedBackend()
    first = opening(engine, backend, engine.initial_state(), seed)
    text, state = first.say(), first.state_after()
    history: list[Turn] = [Turn("customer", text)]
    lines, frustrations = [text], [state.frustration]
    for agent in turns:
        if state.ended:
            break
        turn = step(engine, backend, state, agent, history=history, seed=seed)
        reply, state = turn.say(), turn.state_after()
        history += [Turn("agent", agent), Turn("customer", reply)]
        lines.append(reply)
        frustrations.append(state.frustration)
    return lines, frustrations, state


def run_suite(personas: dict[str, Persona], suite: Sequence[SuiteFile] | None = None, *,
              difficulty: DifficultyName = "normal") -> SuiteResult:
    chats: list[ChatResult] = []
    questions: list[QuestionResult] = []
    for file in suite if suite is not None else load_suite():
        persona = personas[file.persona]
        for script in file.scripts:
            lines, frustrations, final = play(persona, script.turns, difficulty=difficulty)
            chats.append(ChatResult(file.persona, script, tuple(lines), tuple(frustrations), final))
        facts = {f.id: f for f in persona.scenario.hidden_facts}
        for group in file.questions:
            fact = facts[group.fact]
            for ask in group.asks:
                lines, _, _ = play(persona, [ask], difficulty=difficulty)
                reply = lines[-1]
                questions.append(QuestionResult(file.persona, fact.id, ask, reply, fact.line in reply))
    return SuiteResult(tuple(chats), tuple(questions), difficulty)


def summary_rows(result: SuiteResult) -> list[tuple[str, str]]:
    """The figures the issue asks for, as (measure, value) rows."""
    rows = []
    for style in result.styles:
        done, total = result.resolved_personas(style)
        rows.append((f"excellent ({style}) resolved", f"{done}/{total}"))
    for kind in CLASSES:
        rows.append((f"mean final frustration, {kind}", f"{result.mean_final(kind):.2f}"))
    answered, asked = result.answered
    rows.append(("hidden-fact questions answered", f"{answered}/{asked} ({answered / max(asked, 1):.0%})"))
    rows.append(("turns to resolution (excellent, resolved)", str(result.turns_to_resolution())))
    rows.append(("caving satisfied within 2 turns (demanding)", str(len(result.quick_satisfied_caving()))))
    rows.append(("chats with a verbatim repeated reply", str(len(result.with_repeats()))))
    return rows
