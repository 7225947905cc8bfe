"""Disguised insults and "calm down" are read as what they spell; numbers, codes, times, prices and emails are not.

A trainee can hide "you're an idiot" from a word-matching reader with digits ("1d10t"), symbols ("c@lm d0wn"),
look-alike letters (Cyrillic "іdіоt"), full-width or maths letters, spacing ("i d i o t") or invisible characters.
``signals.detect`` reads a normalised copy of the message (``signals.normalise``); the evidence still quotes the
message as written.

``tests/data/disguise/`` holds the measurement: ``tune.jsonl`` (looked at while building the normaliser) and
``heldout.jsonl`` (written before the normaliser, never tuned on).  Positives carry the plain message and the
signal it shows; negatives are ordinary agent messages full of numbers, codes, emails, emoticons, spelled-out
letters and words an over-eager normaliser would turn into insults.  ``python -m tests.signals.test_disguise``
prints the figures.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import signals
from grading.report import FlagKind, GradeReport
from grading.transcript import Line, Transcript
from signals import SignalKind, detect
from signals.normalise import normalise
from signals.rules import detect_rules
from signals.semantic import detect_semantic
from tests.grading.test_calibration import grading_service, transcript

DATA = Path(__file__).resolve().parents[1] / "data" / "disguise"
WATCHED = frozenset({SignalKind.INSULT, SignalKind.CALM_DOWN})
K = SignalKind


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    plain: str | None
    signal: str | None


def load(name: str) -> list[Row]:
    lines = (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [Row(r["id"], r["text"], r.get("plain"), r.get("signal")) for r in map(json.loads, filter(None, lines))]


def verbatim_reader(mode: str) -> Callable[[str], frozenset[SignalKind]]:
    """The detectors on the message exactly as written (what ``detect`` did before it normalised)."""
    if mode == "rules":
        return lambda text: detect_rules(text).kinds & WATCHED
    loaded = signals._semantic()
    assert loaded is not None, "the semantic layer must load for this measurement"
    encoder, classifiers = loaded
    return lambda text: detect_semantic(text, encoder=encoder, classifiers=classifiers).kinds & WATCHED


@dataclass(frozen=True)
class Figures:
    positives: int
    plain_read: int
    read_before: int
    read_after: int
    #: Positives read after normalisation among those whose plain version is read.
    read_after_of_plain: int
    negatives: int
    false_before: tuple[str, ...]
    false_after: tuple[str, ...]

    @property
    def recall_after(self) -> float:
        return self.read_after / self.positives

    def line(self, name: str, mode: str) -> str:
        return (f"{name:8} {mode:9} positives {self.positives}: plain read {self.plain_read}, disguised read before "
                f"{self.read_before} ({self.read_before / self.positives:.0%}), after {self.read_after} "
                f"({self.recall_after:.0%}; {self.read_after_of_plain}/{self.plain_read} of those whose plain "
                f"version is read); negatives {self.negatives}: false positives before "
                f"{len(self.false_before)}, after {len(self.false_after)}")


def measure(name: str, mode: str) -> Figures:
    """Recall on the positives and false positives on the negatives, before (verbatim) and after (``detect``)."""
    signals.use_rules_only(mode == "rules")
    try:
        before = verbatim_reader(mode)
        rows = load(name)
        positives = [r for r in rows if r.signal]
        negatives = [r for r in rows if not r.signal]

        def shows(reader: Callable[[str], frozenset[SignalKind]], text: str, signal: str) -> bool:
            return signal in {k.value for k in reader(text)}

        def after(text: str) -> frozenset[SignalKind]:
            return detect(text).kinds & WATCHED

        plain = [shows(after, r.plain or "", r.signal or "") for r in positives]
        read = [shows(after, r.text, r.signal or "") for r in positives]
        return Figures(
            len(positives),
            sum(plain),
            sum(shows(before, r.text, r.signal or "") for r in positives),
            sum(read),
            sum(p and r for p, r in zip(plain, read, strict=True)),
            len(negatives),
            tuple(r.id for r in negatives if before(r.text)),
            tuple(r.id for r in negatives if after(r.text)),
        )
    finally:
        signals.use_rules_only(False)


# --- the held-out set: thresholds measured once the normaliser was built (see the figures in the module doc) ------

#: Share of the held-out set's 121 disguised positives read after normalisation (measured: semantic 102, rules 104;
#: before it: 18 and 3).  The plain versions of the messages are read 106 and 109 times.
HELDOUT_RECALL = {"semantic": 0.84, "rules": 0.85}
#: ...and among the positives whose plain version is read (measured: 102 of 106, 104 of 109).
HELDOUT_RECALL_OF_PLAIN = 0.95


@pytest.mark.parametrize("mode", ["semantic", "rules"])
def test_heldout_disguises_are_read_and_ordinary_messages_gain_no_insult(mode: str) -> None:
    figures = measure("heldout", mode)
    assert figures.recall_after >= HELDOUT_RECALL[mode], figures.line("heldout", mode)
    assert figures.read_after_of_plain >= HELDOUT_RECALL_OF_PLAIN * figures.plain_read, figures.line("heldout", mode)
    assert figures.read_after > figures.read_before
    # No new false positive: an ordinary message reads as an insult or a "calm down" only if it already did.
    assert set(figures.false_after) <= set(figures.false_before), figures.line("heldout", mode)


#: ``stranger.jsonl``: 150 disguised insults and calm-downs and 110 hard negatives written by a helper that never saw
#: this code or the other two files (briefed with the workshop material only), measured once and never tuned on.
#: Measured: semantic 28 -> 99 of 150 read, rules 5 -> 81; false positives 8 and 9 before and after (messages that
#: quote the customer's own insult, read as insults even when written plainly). Of the 51 the semantic reader still
#: misses, about 35 are normalised to the plain words ("moron", "clueless", "relax") that it does not read as an
#: insult or a "calm down" in that sentence even undisguised: a reader's vocabulary, not a disguise.
STRANGER_RECALL = {"semantic": 0.63, "rules": 0.5}


@pytest.mark.parametrize("mode", ["semantic", "rules"])
def test_a_strangers_disguises_are_read_and_ordinary_messages_gain_no_insult(mode: str) -> None:
    figures = measure("stranger", mode)
    assert figures.recall_after >= STRANGER_RECALL[mode], figures.line("stranger", mode)
    assert figures.read_after > 2 * figures.read_before, figures.line("stranger", mode)
    assert set(figures.false_after) <= set(figures.false_before), figures.line("stranger", mode)


# --- the normaliser itself ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("written", "seen"),
    [
        ("you're a 1d10t", "you're a idiot"),
        ("c@lm d0wn", "calm down"),
        ("Don't be st00pid", "Don't be stoopid"),
        ("That's $tupid.", "That's stupid."),
        ("what a m0r0n", "what a moron"),
        ("sh*t up", "shut up"),
        ("pain in the @ss", "pain in the ass"),
        ("1D10T!", "IDIOT!"),
        ("Y0u're being p@th3tic.", "You're being pathetic."),
    ],
)
def test_leetspeak_inside_words_is_read_as_letters(written: str, seen: str) -> None:
    assert normalise(written).text == seen


@pytest.mark.parametrize(
    "text",
    [
        "The engineer comes at 10am, and your refund of £20 lands in 3-5 days.",
        "Your order A1B2C3 shipped on the 2nd; quote ref #4417 if you call 0800 123 456.",
        "We're open 24/7, the x10 pack is cheaper, and version v2.0 fixes it.",
        "Email me@example.com or see https://acme.com/returns?id=A55X.",
        "I'll call u 2moro b4 lunch, gr8 chatting :) thx",
        "It's the Samsung A55 with 5G, 128GB and a 1TB card; seat 14C, gate B12.",
        "Your case is CLM-2023-0077, tracking 1Z999AA10123456784, code SAVE10.",
    ],
)
def test_numbers_codes_times_prices_and_emails_are_left_alone(text: str) -> None:
    assert normalise(text).text == text


@pytest.mark.parametrize(
    ("written", "seen"),
    [
        ("You're an \u0456d\u0456\u043et.", "You're an idiot."),  # Cyrillic і and о
        ("What a m\u03bfr\u03bfn.", "What a moron."),  # Greek omicron
        ("\u0406D\u0406\u041eT", "IDIOT"),  # Cyrillic capitals: І reads as I, not l
        ("\uff43\uff41\uff4c\uff4d\u3000\uff44\uff4f\uff57\uff4e", "calm down"),  # full-width
        ("\U0001d422\U0001d41d\U0001d422\U0001d428\U0001d42d", "idiot"),  # maths bold
        ("i\u200bd\u200ci\u200do\u2060t", "idiot"),  # zero-width characters
        ("stu\u00adpid", "stupid"),  # soft hyphen
        ("\u00ecd\u00ec\u00f2t", "idiot"),  # accents on letters
    ],
)
def test_lookalike_and_invisible_characters_are_read_as_latin_letters(written: str, seen: str) -> None:
    assert normalise(written).text == seen


@pytest.mark.parametrize(
    ("written", "seen"),
    [
        ("You're an i d i o t.", "You're an idiot."),
        ("c.a.l.m d.o.w.n please", "calm down please"),
        ("c a l m d o w n", "calm down"),
        ("S H U T  U P", "SHUT UP"),
        ("m-0-r-0-n", "moron"),
        ("you're a 1 d 1 0 t", "you're a idiot"),
    ],
)
def test_letter_spacing_is_collapsed_where_it_spells_a_word(written: str, seen: str) -> None:
    assert normalise(written).text == seen


@pytest.mark.parametrize(
    "text",
    [
        "Could you spell the surname? Is it D U M B L E T O N?",
        "So that's C A L M A N, with one L?",
        "Row A 1 B, or plan A | B.",
        "Options A, B or C are all available.",
        "P.S. the refund has gone through, e.g. by Friday, i.e. before 9 a.m.",
        "The reg is A B 1 2 C D E and the postcode starts S W 1 A.",
        "Your speed is 1 0 0 Mbps down.",
    ],
)
def test_spelled_out_letters_that_spell_no_word_are_left_alone(text: str) -> None:
    assert normalise(text).text == text


def test_names_accents_emoji_and_typography_are_left_alone() -> None:
    for text in ("Thanks José, Zoë and Łukasz.", "It’s €50 – “all in”… 👍", "Спасибо, Дмитрий!",
                 "Half price (½) on the Acme™ Pro, model № 7, 2×3 m²."):
        assert normalise(text).text == text


# --- what the readers report ----------------------------------------------------------------------------------------

@pytest.fixture(params=["semantic", "rules"])
def mode(request: pytest.FixtureRequest) -> Iterator[str]:
    signals.use_rules_only(request.param == "rules")
    yield str(request.param)
    signals.use_rules_only(False)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("you're a 1d10t", K.INSULT),
        ("c@lm d0wn", K.CALM_DOWN),
        ("You're an \u0456d\u0456\u043et.", K.INSULT),
        ("Please c a l m  d o w n.", K.CALM_DOWN),
        ("Don't be s\u200bt\u200bu\u200bp\u200bi\u200bd.", K.INSULT),
    ],
)
def test_disguised_signals_are_detected(mode: str, text: str, kind: SignalKind) -> None:
    assert kind in detect(text).kinds, (mode, text)


def test_evidence_quotes_the_message_as_written(mode: str) -> None:
    text = "I've checked the\u200b order. Honestly, you're a 1 d 1 0 t, c@lm d0wn."
    found = detect(text)
    assert found.has(K.INSULT) and found.has(K.CALM_DOWN)
    for s in found.signals:
        assert 0 <= s.start <= s.end <= len(text)
        assert s.quote in text[s.start:s.end] or text[s.start:s.end].strip() == s.quote, s
    insult = found.of(K.INSULT)[0]
    assert "1 d 1 0 t" in insult.quote  # the words the trainee typed, not the normalised ones


def test_hints_lean_on_what_a_disguise_spells() -> None:
    """``leaning`` (for hints) reads the same normalised text as ``detect``."""
    assert signals.leaning("Please c@lm d0wn.", ["calm_down"]) == signals.leaning("Please calm down.", ["calm_down"])
    assert signals.leaning("Please c@lm d0wn.", ["calm_down"]) > 0.5


def test_a_message_without_disguise_is_read_exactly_as_before(mode: str) -> None:
    text = "I'm so sorry. I'll call you at 10am tomorrow on 0800 123 456 about order A1B2C3."
    seen = normalise(text)
    assert seen.text == text and not seen.changed
    assert detect(text) == (verbatim_detect(text, mode))


def verbatim_detect(text: str, mode: str) -> signals.Detection:
    if mode == "rules":
        return detect_rules(text)
    loaded = signals._semantic()
    assert loaded is not None
    return detect_semantic(text, encoder=loaded[0], classifiers=loaded[1])


# --- the grade -------------------------------------------------------------------------------------------------------

def ending_with(agent_line: str) -> GradeReport:
    """The hostile persona's strong calibration chat, with one more exchange at the end."""
    strong = transcript("hostile.strong")
    lines = (*strong.messages, Line("customer", "Fine. Is that everything?"), Line("agent", agent_line))
    return grading_service().grade_transcript(Transcript(strong.persona, lines), judge="none").report


def test_a_strong_chat_ending_in_a_disguised_insult_is_capped_like_the_plain_one() -> None:
    plain = ending_with("Yes. And honestly, you're an idiot, calm down.")
    disguised = ending_with("Yes. And honestly, you're a 1d10t, c@lm d0wn.")
    critical = [f.text for f in plain.flags_of(FlagKind.CRITICAL)]
    assert critical and "nsult" in critical[0] and plain.overall <= 25 and not plain.passed
    assert [f.text for f in disguised.flags_of(FlagKind.CRITICAL)] == critical
    assert disguised.overall == plain.overall and not disguised.passed
    calm = [e.quote for c in disguised.criteria for e in c.evidence if e.kind == "calm_down"]
    assert calm and all("c@lm d0wn" in q for q in calm)  # quoted as the trainee wrote it


def main() -> None:
    for name in ("tune", "heldout", "stranger"):
        for mode in ("semantic", "rules"):
            figures = measure(name, mode)
            print(figures.line(name, mode))
            if "-v" in sys.argv and name == "tune":
                print("   false positives after:", ", ".join(figures.false_after) or "none")


if __name__ == "__main__":
    main()
