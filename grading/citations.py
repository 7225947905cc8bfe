"""Plain citations of the workshop material.

The rubric names its sources by seed file number ("001 Setting Your Limits; 003 Do #4"), which is how authors
find the passage in ``../shared/seeds/``; people reading a report see the material's title instead ("Workshop:
Setting your limits; Dos and don'ts of tough calls, do #4").  Grades stored before the rubric said it plainly
are shown through :func:`readable` too.
"""

from __future__ import annotations

import re

#: Seed file number -> the title a trainee knows the material by.
MATERIAL = {
    "000": "Four nightmares in customer service",
    "001": "Workshop",
    "002": "Difficult situations in customer service",
    "003": "Dos and don'ts of tough calls",
    "004": "Dealing with an irate customer",
}
_REFERENCE = re.compile(r"\b(00[0-4]) (?P<part>[^;:(),]+)")
_NUMBERED = re.compile(r"^(do|don['’]t|§|steps?\b|introduction)", re.IGNORECASE)


def _cite(match: re.Match[str]) -> str:
    title, part = MATERIAL[match[1]], match["part"].strip()
    space = match["part"][len(match["part"].rstrip()):]
    if _NUMBERED.match(part):
        part = re.sub(r"§\s*(\d+)", r"section \1", part)
        return f"{title}, {part[0].lower()}{part[1:]}{space}"
    words = part.split()
    return f"{title}: " + " ".join([words[0].capitalize(), *(w.lower() for w in words[1:])]) + space


def readable(text: str) -> str:
    """``text`` with every seed-number reference written as a plain citation of the material."""
    return _REFERENCE.sub(_cite, text)
