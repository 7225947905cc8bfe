"""What the grader needs to know about the customer (offer limits, language needs) and which judge grades, built
from a persona and the settings: shared by the grading service and ``python -m grading FILE`` (which needs no
database)."""

from __future__ import annotations

from customer.engine import offer_policy
from grading.judge import Judge
from grading.transcript import GradingContext
from llm.models import chat_model
from personas.schema import Persona
from settings import Settings


def grading_context(persona: Persona | None, hint: str) -> GradingContext:
    """Offer limits and language needs from ``persona``; without one, what a free-text ``hint`` gives."""
    if persona is not None:
        parties = (persona.name, persona.dispute.second.name) if persona.dispute else ()
        return GradingContext(offer_policy(persona), persona.style.confused_by_jargon, persona.style.max_sentence_words,
                              parties)
    language = any(w in hint.lower() for w in ("language", "english", "esl", "translat"))
    return GradingContext(None, language, 14 if language else 20)


def make_judge(settings: Settings, mode: str | None = None, backend: str | None = None) -> Judge | None:
    """The judge for ``mode`` (``none`` or ``llm``; the settings' by default) on ``backend`` (``local`` or
    ``openai``). ``ValueError`` or ``llm.models.ModelUnavailable`` says why it cannot run."""
    mode = mode or settings.judge
    backend = backend or settings.judge_backend
    if mode == "none":
        return None
    if mode != "llm":
        raise ValueError(f"Unknown judge '{mode}' (choose none or llm).")
    # The judge answers one long structured request: the local model gets at least two minutes, once.
    local = backend == "local"
    return Judge(chat_model(settings, "judge", backend, timeout=max(settings.request_timeout, 120) if local else None,
                            max_retries=0 if local else None))
