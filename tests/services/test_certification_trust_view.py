"""What a certification result says about trust in the grader, on both databases: why a person did or did not look,
in criterion names, including for results stored before their texts named criteria."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services import Actor, build_services
from settings import Settings
from tests.conftest import agent_lines, make_people, run_sql
from tests.services.test_certification import campaign, take

SYSTEM = Actor.system()


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, "people": make_people(services), "url": settings.database_url}


def test_a_result_decided_at_once_says_no_untrusted_criterion_could_move_it(world: dict[str, Any]) -> None:
    services, ann = world["services"], world["people"]["ann"]
    view = services.certification.attempt(ann, take(services, ann, campaign(services, review_margin=0),
                                                    agent_lines("hostile")))
    assert view.outcome == "passed" and not view.review_reasons and not view.reviews
    note = view.trust_note or ""
    assert note.startswith("Decided without a reviewer: no criterion the grader is not yet trusted on could move "
                           "the result across the pass mark"), note
    assert "so no person needed to look" in note and "a person checks" not in note
    assert "A sincere apology" in note and "no_canned" not in note and "acknowledge," not in note
    assert "apology" in view.untrusted and "A sincere apology" in view.untrusted_names
    assert "apology" not in view.untrusted_names


def test_texts_stored_with_criterion_ids_are_shown_with_names(world: dict[str, Any]) -> None:
    services, ann = world["services"], world["people"]["ann"]
    attempt_id = take(services, ann, campaign(services, review_margin=30), agent_lines("hostile"))
    old_reasons = ["untrusted criterion apology: one level less would make the score 61 (pass mark 70); the "
                   "grader's agreement with trainers on it is not yet established"]
    run_sql(world["url"], "update attempts set review_reasons = :r where id = :i",
            {"r": json.dumps(old_reasons), "i": attempt_id})
    view = services.certification.attempt(SYSTEM, attempt_id)
    assert view.review_reasons[0].startswith("untrusted criterion A sincere apology: one level less")
    [queued] = services.certification.review_queue(world["people"]["hazel"])
    assert queued.review_reasons == view.review_reasons
    assert "Listening and acknowledging" in (queued.trust_note or "")
