"""Whether a time the agent offers fits when the customer can be there.

A persona's schedule is a hidden fact with ``available`` windows (days and hours). :func:`offered_slot` finds the
time an agent's message offers for a visit (a delivery, an engineer, a pick-up), leaving out the times of messages
about messages ("I'll email you the confirmation today"); :func:`fit` says whether that time falls inside a window,
outside every window on a day the customer has one, or on a day it has none (another day off work).
Pure functions of the text and the persona: no state, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from personas.schema import Availability, Persona
from signals import sentences

Fit = Literal["fits", "clashes", "takes_a_workday"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
DAYS = {**{d: (d,) for d in (*WEEKDAYS, "saturday", "sunday")}, "weekend": ("saturday", "sunday"),
        "weekday": WEEKDAYS, "weekdays": WEEKDAYS}
DAY_WORDS = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekends?|weekdays?)\b", re.I)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12}
_H = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?::\d{2})?\s?(am|pm|a\.m\.|p\.m\.)?"
RANGE = re.compile(rf"\b(?:between\s+|from\s+)?{_H}\s*(?:and|to|till|until|-|–)\s*{_H}", re.I)
AFTER = re.compile(rf"\b(?:after|from)\s+{_H}", re.I)
AT = re.compile(rf"\b(?:at|by|around)\s+{_H}|\b(\d{{1,2}})(?::\d{{2}})?\s?(am|pm)\b", re.I)
#: Office hours [start, end): a slot in them on a day the customer is free only outside them costs a day off work.
WORKDAY = (8, 17)
#: Parts of the day, as hours [start, end).
PARTS = {"morning": (8, 12), "afternoon": (12, 17), "evening": (17, 21), "tonight": (17, 21), "after work": (17, 21),
         "noon": (12, 13), "lunchtime": (12, 14)}
PART_WORDS = re.compile(r"\b(morning|afternoon|evening|tonight|after work|noon|lunchtime)\b", re.I)
#: A sentence about a message, not a visit: its time is when the agent writes or rings, not when anyone comes.
MESSAGE = re.compile(r"\b(?:e-?mail|text|sms|message|ring|call(?:ing)?|phone|confirm(?:ation)?|get back|update you|"
                     r"hear from|write)\b", re.I)
VISIT = re.compile(r"\b(?:deliver\w*|van|driver|courier|slot|visit|technician|engineer|install\w*|come|coming|arriv\w*|"
                   r"book(?:ed|ing)?|pick[- ]?up|collect\w*|appointment|fitter|crew)\b", re.I)


@dataclass(frozen=True)
class Slot:
    """A time offered for a visit: a few words for it ("Saturday between 8am and 10am"), the days named (none: no
    day given) and the hours [start, end) (None: no time of day given)."""

    words: str
    days: tuple[str, ...]
    hours: tuple[int, int] | None


def _hour(number: str, suffix: str | None, *, evening: bool = False) -> int:
    h = NUMBER_WORDS.get(number.lower()) or int(number)
    s = (suffix or "").lower().replace(".", "")
    if s == "pm" and h < 12:
        return h + 12
    if s == "am":
        return 0 if h == 12 else h
    # No am or pm: nobody delivers at 3 in the night; 1 to 6 (and any hour said "after") means the afternoon.
    return h + 12 if h <= 6 or (evening and h < 12) else h


def _hours(text: str) -> tuple[int, int] | None:
    if m := RANGE.search(text):
        start, end = _hour(m.group(1), m.group(2) or m.group(4)), _hour(m.group(3), m.group(4))
        if end <= start and not m.group(2) and not m.group(4) and end + 12 > start:
            end += 12
        return (start, end) if end > start else None
    if m := AFTER.search(text):
        start = _hour(m.group(1), m.group(2), evening=True)
        return (start, max(start + 1, 21))
    if m := AT.search(text):
        number, suffix = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        start = _hour(number, suffix)
        return (start, start + 1)
    if m := PART_WORDS.search(text):
        return PARTS[m.group(1).lower()]
    return None


def about_a_message(sentence: str) -> bool:
    """``sentence`` is about an email, a call or a confirmation, not about anyone coming ("I'll email you today")."""
    return bool(MESSAGE.search(sentence)) and not VISIT.search(sentence)


def relative(when: str, sentence: str) -> bool:
    """``when`` is a lead time, not a time ("the driver rings 30 minutes before"): nothing to hold anyone to."""
    return bool(re.search(re.escape(when) + r"\s+(?:before(?:hand)?|ahead|in advance|earlier|prior)\b", sentence, re.I))


def read_slot(sentence: str) -> Slot | None:
    """The day and hours ``sentence`` names, or None when it names neither."""
    days = tuple(dict.fromkeys(d for word in DAY_WORDS.findall(sentence) for d in DAYS[word.lower()]))
    hours = _hours(sentence)
    if not days and hours is None:
        return None
    return Slot(_words(days, hours), days, hours)


def _clock(hour: int) -> str:
    if hour in (0, 24):
        return "midnight"
    if hour == 12:
        return "noon"
    return f"{hour}am" if hour < 12 else f"{hour - 12}pm"


def _words(days: tuple[str, ...], hours: tuple[int, int] | None) -> str:
    """The slot in a few words, for the customer to say back ("Saturday between 8am and 10am")."""
    day = " or ".join(d.capitalize() for d in days) if len(days) <= 2 else "a weekday"
    if hours is None:
        return day
    start, end = hours
    clock = f"at {_clock(start)}" if end - start == 1 else f"between {_clock(start)} and {_clock(end)}"
    return f"{day} {clock}" if days else clock


def offered_slot(agent_text: str) -> Slot | None:
    """The first time ``agent_text`` offers for a visit; a sentence about an email or a call does not offer one."""
    for _, sentence in sentences(agent_text):
        if about_a_message(sentence):
            continue
        slot = read_slot(sentence)
        if slot is not None:
            return slot
    return None


def schedule(persona: Persona) -> Availability | None:
    """The persona's schedule: the first hidden fact with ``available`` windows."""
    return next((f.available for f in persona.scenario.hidden_facts if f.available is not None), None)


def fit(slot: Slot, available: Availability) -> Fit | None:
    """Whether ``slot`` fits ``available``; None when the slot says too little to tell (a day the customer has a
    window on, with no time of day; a time of day with no day that fits on some days only)."""
    windows = available.windows
    if slot.days:
        open_days = [d for d in slot.days if any(d in w.days for w in windows)]
        if not open_days:
            return "takes_a_workday"
        if slot.hours is None:
            return None
        start, end = slot.hours
        if any(d in w.days and w.start <= start and end <= w.end for d in open_days for w in windows):
            return "fits"
        # Office hours on a day the customer is free only outside them: another day off work.
        daytime = start < WORKDAY[1] and WORKDAY[0] < end
        free_by_day = any(d in w.days and w.start < WORKDAY[1] and WORKDAY[0] < w.end
                          for d in open_days for w in windows)
        return "takes_a_workday" if daytime and not free_by_day else "clashes"
    if slot.hours is None:
        return None
    start, end = slot.hours
    days = [d for d in DAYS if d in DAYS[d]]
    covered = [d for d in days if any(d in w.days and w.start <= start and end <= w.end for w in windows)]
    if not covered:
        return "clashes"
    return "fits" if len(covered) == len(days) else None  # whatever the day, or it depends on which
