"""A trainee is told about new trainer comments until they open the report (both databases)."""

from __future__ import annotations

import pytest

from services import AccessDenied, build_services
from settings import Settings
from tests.conftest import make_people


def test_new_comments_are_noticed_until_the_trainee_opens_the_report(settings: Settings) -> None:
    services = build_services(settings)
    people = make_people(services)
    ann, bob, tina, root = people["ann"], people["bob"], people["tina"], people["root"]
    review = services.review
    chats = []
    for _ in range(2):
        view = services.practice.start(ann, persona_slug="discount-demander", difficulty="normal", seed=1).finish()
        assert view is not None
        view = services.practice.send(ann, view.id, "I'm sorry your price went up.").finish()
        assert view is not None
        chats.append(view.id)
    first, second = chats
    assert review.new_comments(ann) == []

    review.comment(tina, first, turn=2, body="Good apology.")
    review.comment(tina, first, turn=2, body="Now ask what she uses the line for.")
    review.comment(root, second, turn=2, body="Try the 200 plan.")
    notices = review.new_comments(ann)
    assert [(n.session_id, n.count) for n in notices] == [(second, 1), (first, 2)]
    assert notices[1].notice == f"2 new comments from your trainer on chat #{first} (Patricia Hale)"
    assert notices[0].notice.startswith(f"1 new comment from your trainer on chat #{second}")
    assert review.new_comments(bob) == [] and review.new_comments(tina) == []

    # Reading is not seeing: listing the notices or the comments changes nothing.
    review.comments(ann, first)
    assert len(review.new_comments(ann)) == 2
    # A trainer or admin opening the report does not clear the trainee's notice.
    assert review.mark_comments_seen(tina, first) == 0
    assert review.mark_comments_seen(root, first) == 0
    with pytest.raises(AccessDenied):
        review.mark_comments_seen(bob, first)
    assert len(review.new_comments(ann)) == 2

    assert review.mark_comments_seen(ann, first) == 2
    assert [n.session_id for n in review.new_comments(ann)] == [second]
    assert review.mark_comments_seen(ann, first) == 0
    review.comment(tina, first, turn=2, body="One more thing.")
    assert [(n.session_id, n.count) for n in review.new_comments(ann)] == [(second, 1), (first, 1)]
