"""Waiting in rush hour, as pure functions of a chat's messages and the time: waits, nudges, patience."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from customer.state import CustomerState
from customer.waiting import LEAVE_AT, Said, due, nudge, nudges, patience_now, waiting_since, waits

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_waits_run_from_a_customer_message_to_the_agents_next_one() -> None:
    chat = [Said("customer", at(0)), Said("customer", at(30)), Said("agent", at(50)), Said("customer", at(52))]
    assert waits(chat, at(100)) == [50.0, 48.0]  # the nudge at 30 s does not restart the first wait
    assert waiting_since(chat) == at(52)
    assert waiting_since(chat[:3]) is None  # the agent spoke last: the customer owes the reply
    assert nudges(chat[:2]) == 1 and nudges(chat) == 0


def test_a_customer_kept_posted_waits_twice_as_long() -> None:
    plain = [Said("customer", at(0)), Said("agent", at(5)), Said("customer", at(6))]
    posted = [Said("customer", at(0)), Said("agent", at(5), posted=True), Said("customer", at(6))]
    assert patience_now(plain, 40) == 40 and patience_now(posted, 40) == 80
    assert due(plain, at(46), 40) and not due(posted, at(46), 40) and due(posted, at(86), 40)
    assert not due(plain[:2], at(500), 40)  # the agent spoke last


def test_nudges_raise_frustration_and_the_third_is_leaving() -> None:
    state = CustomerState(frustration=6.0)
    chat = [Said("customer", at(0))]
    for count in range(1, LEAVE_AT + 1):
        result = nudge(state, chat, sensitivity=1.5, seed=1)
        assert result.count == count and result.state.frustration == min(10.0, state.frustration + 1.5)
        assert result.state.ended == (count == LEAVE_AT)
        state, chat = result.state, [*chat, Said("customer", at(60 * count))]
    assert state.ended_reason == "walked_away"
