"""The regular-expression detectors: the exact-phrase rules, and the whole detector when the model is missing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import signals
from signals import OfferPolicy, OfferTerm, SignalKind, detect


@pytest.fixture(autouse=True)
def rules_only() -> Iterator[None]:
    """Every test here runs the fallback (the semantic layer has its own tests in test_meaning.py)."""
    signals.use_rules_only(True)
    yield
    signals.use_rules_only(False)

K = SignalKind
POLICY = OfferPolicy(
    (OfferTerm("refund", ("refund",), True, True), OfferTerm("cash", ("cash", "compensation"), False)),
    max_discount_percent=15,
)


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("I'm so sorry we let you down.", {K.APOLOGY}, {K.NON_APOLOGY}),
        ("I'm sorry you feel that way.", {K.NON_APOLOGY}, {K.APOLOGY}),
        ("Sorry if that upset you.", {K.NON_APOLOGY}, {K.APOLOGY}),
        ("Please calm down, sir.", {K.CALM_DOWN}, set()),
        ("I understand.", {K.CANNED}, set()),
        ("We value your business.", {K.CANNED}, set()),
        ("You should have read the manual.", {K.BLAME}, set()),
        ("It's our policy, there's nothing I can do.", {K.POLICY_HIDING}, set()),
        ("I can tell this matters a lot to you.", {K.ACKNOWLEDGEMENT}, {K.NO_PROGRESS}),
        ("So what you're saying is the parcel never came.", {K.PARAPHRASE}, set()),
        ("I'll personally chase the courier and call you back within 2 hours.",
         {K.OWNERSHIP, K.NEXT_STEP_TIME}, set()),
        ("What is your order number?", {K.QUESTION}, {K.NO_PROGRESS}),
        ("Instead, what I can offer is a repair.", {K.ALTERNATIVE}, set()),
        ("Does that make sense?", {K.CHECK_UNDERSTANDING, K.QUESTION}, set()),
        ("Don't be stupid.", {K.INSULT}, set()),
        ("Oh great, another one of these.", {K.SARCASM}, set()),
        ("Your RMA ticket will be escalated per our SLA.", {K.JARGON}, set()),
        ("ok", {K.NO_PROGRESS}, set()),
    ],
)
def test_detects(text: str, present: set[SignalKind], absent: set[SignalKind]) -> None:
    kinds = detect(text).kinds
    assert present <= kinds, f"{text!r}: missing {present - kinds}, got {sorted(kinds)}"
    assert not (absent & kinds), f"{text!r}: unexpected {absent & kinds}"


def test_signal_quotes_are_verbatim_spans() -> None:
    text = "Hello. I'm so sorry about that! Could you tell me your order number?"
    for signal in detect(text).signals:
        assert text[signal.start:signal.end].strip() == signal.quote


def test_policy_with_reason_and_alternative_is_not_hiding() -> None:
    text = "It's our policy because the item was used, but what I can do instead is a free repair."
    assert K.POLICY_HIDING not in detect(text).kinds


def test_offers_respect_limits_and_refusals() -> None:
    fair = detect("I can refund the delivery fee today.", policy=POLICY)
    assert fair.offer_ids == ["refund"] and K.CONCESSION_BEYOND_LIMITS not in fair.kinds
    beyond = detect("I'll give you cash compensation and a 40% discount.", policy=POLICY)
    assert K.CONCESSION_BEYOND_LIMITS in beyond.kinds
    assert {s.detail for s in beyond.of(K.CONCESSION_BEYOND_LIMITS)} == {"cash", "discount:40>15"}
    within = detect("I can offer a 10% discount.", policy=POLICY)
    assert K.OFFER in within.kinds and K.CONCESSION_BEYOND_LIMITS not in within.kinds
    refused = detect("I can't pay cash compensation because it's not something we do, but I can refund the fee.",
                     policy=POLICY)
    assert refused.offer_ids == ["refund"]
    assert K.LIMIT_WITH_REASON in refused.kinds and K.CONCESSION_BEYOND_LIMITS not in refused.kinds


def test_paraphrase_by_overlap_with_the_customer() -> None:
    customer = "My washing machine delivery was missed twice and nobody called me."
    agent = "You had two missed deliveries of your washing machine and no call, that's not right."
    assert K.PARAPHRASE in detect(agent, previous_customer=customer).kinds
    assert K.PARAPHRASE not in detect(agent).kinds


def test_long_sentences_depend_on_the_limit() -> None:
    text = ("Once the billing department has verified the duplicate transaction and the refund request has been "
            "approved by a supervisor the money will be returned to the account you used.")
    assert K.LONG_SENTENCE in detect(text, max_sentence_words=14).kinds
    assert K.LONG_SENTENCE not in detect(text, max_sentence_words=60).kinds


def test_detection_is_deterministic() -> None:
    text = "I'm sorry. Calm down. What's your order number? I'll call you by 5pm."
    assert detect(text, policy=POLICY) == detect(text, policy=POLICY)
