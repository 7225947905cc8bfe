"""What the readers see of an agent message: the same words, with their disguises taken off.

A trainee can hide "you're an idiot" or "calm down" from a reader that matches words: "1d10t", "c@lm d0wn",
look-alike letters from other scripts ("іdіоt" with Cyrillic і and о), full-width or maths letters, letter spacing
("i d i o t", "c.a.l.m d.o.w.n") and invisible characters between the letters.  ``normalise`` takes them off, in one
pass, for the readers only: the evidence still quotes the message as written (``Normalised.restore`` maps every
signal's offsets and quote back to the original).

What it changes, in order:

1. invisible characters are removed: format characters (zero-width space and joiners, word joiner, byte-order mark,
   soft hyphen, direction marks) and the combining grapheme joiner;
2. letters and digits in compatibility forms fold (Unicode NFKC), and so does full-width punctuation: "ｉｄｉｏｔ",
   "𝐢𝐝𝐢𝐨𝐭", "ⓘ", "ﬁ"; typography ("…", "’", "–", "½", "™", "²") is left as it is;
3. letter spacing collapses where the letters spell a word, or two words one of which is one of ``TARGETS``:
   "i d i o t", "c.a.l.m d.o.w.n", "m-0-r-0-n", "c a l m d o w n"; "D U M B L E T O N", "C A L M A N" and
   "A B 1 2 C D" stay.  Letters spaced with a digit among them ("1 d 1 0 t"), or words split by a dot or a dash
   ("sh.ut"), collapse only into one of ``TARGETS``;
4. inside one word: look-alike letters of other scripts (Unicode's confusables, from the package
   ``confusable-homoglyphs``) read as the Latin letter they imitate when the word mixes them with Latin letters or
   then spells a word; leetspeak digits and symbols (``0 1 3 4 5 7 8 9 @ $ ! | +``) and masks (``* #``) read as
   letters, and accents come off, only when the word then spells a known word (``signals/data/lexicon.txt``, the
   sentence encoder's whole-word vocabulary, plus ``TARGETS``).  A word whose digits are one block at one end
   ("10am", "2nd", "x10", "A55", "2moro") is a number with a unit or a code unless it then spells one of
   ``TARGETS`` ("1diot"); a masked word ("sh*t") and a word whose only disguise is accents ("ìdìòt") must spell one
   of ``TARGETS`` too, so "José" and "C#" stay.  Words holding ``. / : _`` (emails, links, versions, times) are not
   touched, nor are words without letters (prices, phone numbers, order numbers).

A message with nothing to take off is returned as it is (``changed`` is False), so it is read exactly as before.
"""

from __future__ import annotations

import itertools
import re
import string
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from signals.kinds import Detection, Signal

LEXICON = Path(__file__).parent / "data" / "lexicon.txt"
#: The words that make an insult or a "calm down" (the phrases in ``signals.patterns``, the usual insults and swear
#: words), without the everyday words around them ("get", "up", "man"): the only words a number-like token, a masked
#: word or an accent-only disguise may be read as, and one of the two words a run of letters may split into.
TARGETS: tuple[str, ...] = (
    "idiot", "idiots", "idiotic", "stupid", "stupidity", "stoopid", "moron", "morons", "moronic", "dumb", "dumber",
    "dumbest", "dumbass", "pathetic", "incompetent", "ignorant", "deaf", "genius", "einstein", "sherlock", "clown",
    "comedian", "loser", "fool", "fools", "foolish", "useless", "muppet", "numpty", "imbecile", "cretin", "halfwit",
    "dimwit", "nitwit", "dunce", "dork", "jerk", "retard", "retarded", "clueless", "brainless", "shut", "lost", "grow",
    "calm", "down", "settle", "relax", "chill", "shout", "yell", "upset",
    "ass", "arse", "asshole", "arsehole", "shit", "shitty", "crap", "crappy", "fuck", "fucking", "fucked", "bloody",
    "damn", "bitch", "bastard", "prick", "dick", "dickhead", "twat", "wanker", "tosser", "pillock", "plonker", "git",
    "scum", "trash", "freak",
)
#: Which of TARGETS a masked word is read as when it could be several ("sh*t up" is "shut up"): the first listed.
PRIORITY = {word: n for n, word in enumerate(TARGETS)}
#: Leetspeak: what each digit or symbol may stand for, most likely first.
LEET: dict[str, str] = {
    "0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s",
    "!": "i", "|": "li", "+": "t",
}
#: Symbols that hide a letter without saying which ("sh*t", "f#ck").
MASKS = frozenset("*#")
#: At most this many spellings of one word are tried (a word with three masks is left alone).
MAX_CANDIDATES = 1024
#: A run of letters splits into two words ("c a l m d o w n") only when one of them is one of TARGETS and each has
#: three letters or more, but for these before ("a m o r o n") and after ("s h u t u p"); "C A L M A N" stays.
SHORT_BEFORE = frozenset({"a", "an", "i"})
SHORT_AFTER = frozenset({"up"})
#: Letters Unicode's confusables leave out but that pass for a Latin letter in a chat window (Greek eta, tau, omega
#: and kappa; Cyrillic ka, em, te and pe, which look like small capitals).
MORE_LOOKALIKES = {"η": "n", "τ": "t", "ω": "w", "κ": "k", "к": "k", "м": "m", "т": "t", "п": "n",
                   "К": "K", "М": "M", "Т": "T", "Κ": "K", "Τ": "T"}
#: Invisible characters that are not format characters (those, category Cf, are all removed).
INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0")
#: Punctuation a word may be wrapped in ("(idiot)", "idiot!", "'calm'").
LEADING = "([{\"'“‘«<"
TRAILING = ".,;:!?)]}\"'”’»>…"
#: Inside a word, these mean it is an email, a link, a version, a time or a file: not a disguise.
NOT_A_WORD = re.compile(r"[./:_\\=&%~]|\w@\w+\.\w")
WORD_SPLIT = re.compile(r"(['’-])")
#: A hyphenated part of only digits makes the whole word a code ("D0WN-42", "FS-88412", "77-XY-12").
CODE = re.compile(r"(?:^|-)\d+(?:-|$)")
SEPARATORS = ".-_"

#: One character of the text the readers see, and the slice of the original it came from.
Piece = tuple[str, int, int]


@dataclass(frozen=True)
class Normalised:
    """The text the readers see, the original, and where each character of ``text`` came from."""

    text: str
    original: str
    origin: tuple[tuple[int, int], ...] = ()

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The slice of the original that ``text[start:end]`` came from."""
        if not self.changed:
            return start, end
        if start >= len(self.text):
            return len(self.original), len(self.original)
        first = self.origin[max(start, 0)][0]
        if end <= start:
            return first, first
        return first, max(first, self.origin[min(end, len(self.text)) - 1][1])

    def restore(self, detection: Detection) -> Detection:
        """Signals found in ``text``, with offsets and quotes in the original (details are left as read)."""
        if not self.changed:
            return detection
        out = []
        for s in detection.signals:
            start, end = self.span(s.start, s.end)
            out.append(replace(s, quote=self._quote(s), start=start, end=end))
        return Detection(tuple(out))

    def _quote(self, signal: Signal) -> str:
        if not signal.quote:
            return signal.quote
        at = self.text.find(signal.quote, signal.start)
        if at < 0:
            at = self.text.find(signal.quote)
        if at < 0:
            return signal.quote
        start, end = self.span(at, at + len(signal.quote))
        return self.original[start:end]


def normalise(text: str) -> Normalised:
    """``text`` as the readers should see it (see the module documentation)."""
    pieces = _characters(text)
    pieces = _collapse_spacing(pieces)
    pieces = _words(pieces)
    seen = "".join(c for c, _, _ in pieces)
    if seen == text:
        return Normalised(text, text)
    return Normalised(seen, text, tuple((a, b) for _, a, b in pieces))


# --- 1 and 2: characters ---------------------------------------------------------------------------------------------

def _characters(text: str) -> list[Piece]:
    out: list[Piece] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            out.append((ch, i, i + 1))
        elif ch not in INVISIBLE and unicodedata.category(ch) != "Cf":
            out += [(c, i, i + 1) for c in _fold(ch)]
    return out


@cache
def _fold(ch: str) -> str:
    """A letter or digit in a compatibility form (full-width, maths, circled, superscript letters, ligatures) as its
    plain form; full-width punctuation and space too.  Symbols that fold to letters or digits ("™", "½", "№", "²")
    stay: they are typography, not disguise."""
    folded = unicodedata.normalize("NFKC", ch)
    if folded == ch:
        return ch
    fullwidth = "\uff01" <= ch <= "\uff5e" or ch == "\u3000"
    letter = ch.isalpha() or ch.isdecimal() or "LATIN" in unicodedata.name(ch, "")
    return folded if fullwidth or (letter and folded.isalnum()) else ch


# --- what a word spells ----------------------------------------------------------------------------------------------

@cache
def lexicon() -> frozenset[str]:
    """Every word a disguise may be read as (lower case)."""
    lines = LEXICON.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#")) | set(TARGETS) | {"a", "i"}


@cache
def lookalikes() -> dict[str, str]:
    """Letters of other scripts (and Latin letters that are not ASCII) that imitate one ASCII letter."""
    from confusable_homoglyphs import confusables

    data: dict[str, list[dict[str, str]]] = confusables.confusables_data
    out = {}
    for ch, glyphs in data.items():
        if len(ch) != 1 or ch.isascii() or not ch.isalpha():
            continue
        latin = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"] in string.ascii_letters]
        if latin:
            # Unicode's skeleton reads every capital I as "l"; a capital look-alike is a capital I.
            out[ch] = "I" if latin[0] == "l" and ch.isupper() else latin[0]
    return out | MORE_LOOKALIKES


def _options(ch: str) -> tuple[str, str] | None:
    """What one character of a word may stand for, and which kind of disguise that is; None if it is no letter."""
    if ch in string.ascii_letters:
        return ch, ""
    if ch in LEET:
        return LEET[ch], "leet"
    if ch in MASKS:
        return string.ascii_lowercase, "mask"
    if ch.isascii():
        return None
    if unicodedata.combining(ch):
        return "", "accent"
    if not ch.isalpha():
        return None
    if ch in lookalikes():
        return lookalikes()[ch], "lookalike"
    base = unicodedata.normalize("NFD", ch)[0]
    if base in string.ascii_letters:
        return base, "accent"
    return ch, "foreign"


@dataclass(frozen=True)
class Spelling:
    """What a word spells: one replacement per character ("" drops it)."""

    letters: tuple[str, ...]


def spell(word: Sequence[str], *, spaced: bool = False) -> Spelling | None:
    """The known word ``word`` (its characters) spells once its disguises are taken off, or None.

    ``spaced``: the characters were typed apart ("1 d 1 0 t"), so a number-like shape is no reason to refuse.
    """
    if not any(c.isalpha() for c in word):
        return None
    found = [_options(c) for c in word]
    if any(o is None for o in found):
        return None
    options = [o for o in found if o is not None]
    kinds = {kind for _, kind in options}
    if not kinds - {""} or "foreign" in kinds:
        return None
    letters = [c for c in word if c in string.ascii_letters]
    count = 1
    for choice, _ in options:
        count *= max(len(choice), 1)
    if count > MAX_CANDIDATES:
        return None
    strict = "mask" in kinds or kinds - {""} == {"accent"} or (not spaced and _number_like(word))
    if strict and sum(c.isalpha() for c in word) < 3:
        return None
    target: str | None = None
    known: str | None = None
    for candidate in itertools.product(*[choice if choice else ("",) for choice, _ in options]):
        spelled = "".join(candidate).lower()
        if len(spelled) < 2:
            continue
        if spelled in PRIORITY and (target is None or PRIORITY[spelled] < PRIORITY[target]):
            target = spelled
        elif known is None and not strict and spelled in lexicon():
            known = spelled
    accepted = target or known
    if accepted is None:
        if kinds <= {"", "lookalike", "accent"} and "lookalike" in kinds and letters:
            # A word mixing Latin letters with look-alikes from another script is a disguise whatever it spells.
            return Spelling(tuple(choice[0] if choice else "" for choice, _ in options))
        return None
    upper = bool(letters) and all(c.isupper() for c in letters)
    return Spelling(tuple(_cased(accepted, word, options, upper)))


def _cased(spelled: str, word: Sequence[str], options: Sequence[tuple[str, str]], upper: bool) -> Iterable[str]:
    letters = iter(spelled)
    for ch, option in zip(word, options, strict=True):
        if option[1] == "accent" and not option[0]:
            yield ""
            continue
        letter = next(letters)
        if ch in string.ascii_letters:
            yield ch
        else:
            yield letter.upper() if upper or (ch.isalpha() and ch.isupper()) else letter


def _number_like(word: Sequence[str]) -> bool:
    """A number with a unit or a code: its digits are one block at one end ("10am", "x10", "A55", "2moro")."""
    shape = "".join("9" if c.isdigit() else "a" if c.isalpha() else "?" for c in word)
    return re.fullmatch(r"9+a+|a+9+", shape) is not None


# --- 3: letter spacing ---------------------------------------------------------------------------------------------

@dataclass
class _Token:
    start: int  # index into pieces
    end: int
    core_start: int
    core_end: int


def _tokens(pieces: Sequence[Piece]) -> list[_Token]:
    text = "".join(c for c, _, _ in pieces)
    out = []
    for m in re.finditer(r"\S+", text):
        start, end = m.start(), m.end()
        core_start, core_end = start, end
        while core_start < core_end and text[core_start] in LEADING:
            core_start += 1
        while core_end > core_start and text[core_end - 1] in TRAILING:
            core_end -= 1
        if core_end - core_start >= 2 and text[core_start] == "*" and text[core_end - 1] == "*":
            core_start, core_end = core_start + 1, core_end - 1  # *emphasis*
        out.append(_Token(start, end, core_start, core_end))
    return out


def _collapse_spacing(pieces: list[Piece]) -> list[Piece]:
    text = "".join(c for c, _, _ in pieces)
    tokens = _tokens(pieces)
    runs: list[list[_Token]] = []  # single characters typed one space apart: "i d i o t"
    for token in tokens:
        single = token.core_end - token.core_start == 1 and text[token.core_start].isalnum()
        if single and runs and runs[-1] and _joins(text, runs[-1][-1], token):
            runs[-1].append(token)
        elif single:
            runs.append([token])
        else:
            runs.append([])
    edits: dict[int, tuple[int, list[Piece]]] = {}  # start piece -> (end piece, replacement)
    collapsed: list[tuple[int, int]] = []  # piece ranges of collapsed runs
    short: list[tuple[int, int, list[int]]] = []
    for run in (r for r in runs if len(r) >= 2):
        indices = [t.core_start for t in run]
        start, end = run[0].core_start, run[-1].core_end
        if len(run) == 2:
            short.append((start, end, indices))
            continue
        # A digit among them ("1 d 1 0 t") makes it a code ("A 1 B") unless it spells one of TARGETS.
        digits = any(text[i].isdigit() for i in indices)
        replacement = _spelled_run(pieces, indices, spaced=True, targets_only=digits)
        if replacement is not None:
            edits[start] = (end, replacement)
            collapsed.append((start, end))
    for token in tokens:  # characters joined by dots or dashes inside one token: "c.a.l.m", "sh.ut", "m-0-r-0-n"
        parts = _separated(text, token.core_start, token.core_end)
        if parts is None:
            continue
        indices = [i for a, b in parts for i in range(a, b)]
        singles = all(b - a == 1 for a, b in parts)
        if singles and len(parts) == 2:
            short.append((token.core_start, token.core_end, indices))
            continue
        replacement = _spelled_run(pieces, indices, spaced=True, targets_only=not singles, split=singles)
        if replacement is not None:
            edits[token.core_start] = (token.core_end, replacement)
            collapsed.append((token.core_start, token.core_end))
    for start, end, indices in short:  # "u p" or "u.p" right after a collapsed word: "s h u t  u p"
        if any(_adjacent(text, a, b, start, end) for a, b in collapsed):
            replacement = _spelled_run(pieces, indices, spaced=True, split=False)
            if replacement is not None:
                edits[start] = (end, replacement)
                collapsed.append((start, end))
    if not edits:
        return pieces
    collapsed.sort()
    for (_, b), (a, _) in itertools.pairwise(collapsed):  # "c a l m  d o w n": the words one space apart
        if 1 < a - b <= 3 and not text[b:a].strip():
            edits[b + 1] = (a, [])
    out: list[Piece] = []
    i = 0
    while i < len(pieces):
        if i in edits:
            end, replacement = edits[i]
            out += replacement
            i = end
        else:
            out.append(pieces[i])
            i += 1
    return out


def _joins(text: str, previous: _Token, token: _Token) -> bool:
    """Two single characters typed one space apart, with no punctuation between them."""
    return (token.start == previous.end + 1 and text[previous.end] == " " and previous.core_end == previous.end
            and token.core_start == token.start)


def _adjacent(text: str, a: int, b: int, start: int, end: int) -> bool:
    gap = text[b:start] if b <= start else text[end:a]
    return 0 < len(gap) <= 3 and not gap.strip()


def _separated(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """The parts of a token split by one repeated separator ("c.a.l.m", "sh-ut"), if it is split so."""
    core = text[start:end]
    separators = {c for c in core if c in SEPARATORS}
    if len(separators) != 1:
        return None
    separator = separators.pop()
    if core.endswith(separator) and separator == ".":
        core, end = core[:-1], end - 1  # "d.u.m.b."
    parts, at = [], start
    for part in core.split(separator):
        if not part:
            return None
        parts.append((at, at + len(part)))
        at += len(part) + 1
    return parts if len(parts) >= 2 else None


def _spelled_run(pieces: Sequence[Piece], indices: Sequence[int], *, spaced: bool, targets_only: bool = False,
                 split: bool = True) -> list[Piece] | None:
    """The pieces of a collapsed run (its characters at ``indices``), or None if they spell no word (or two)."""
    word = [pieces[i][0] for i in indices]
    if sum(c.isalpha() for c in word) < 2:
        return None
    whole = spell(word, spaced=spaced) or _plain(word)
    if whole is not None and (not targets_only or _spelled(whole) in PRIORITY):
        return _replace(pieces, indices, whole, None)
    if not split:
        return None
    for cut in range(1, len(word)):  # two words, one of them one of TARGETS
        left = spell(word[:cut], spaced=True) or _plain(word[:cut])
        right = spell(word[cut:], spaced=True) or _plain(word[cut:])
        if left is None or right is None:
            continue
        a, b = _spelled(left), _spelled(right)
        if _usable(a, b) and (a in PRIORITY or b in PRIORITY):
            return _replace(pieces, indices, Spelling(left.letters + right.letters), cut)
    return None


def _plain(word: Sequence[str]) -> Spelling | None:
    """A word typed without disguise ("down" in "c a l m d o w n"), if it is one."""
    joined = "".join(word)
    return Spelling(tuple(word)) if joined.isalpha() and joined.isascii() and joined.lower() in lexicon() else None


def _spelled(spelling: Spelling) -> str:
    return "".join(spelling.letters).lower()


def _usable(left: str, right: str) -> bool:
    """Two words a run may split into: of three letters or more, or "a", "an", "I" before and "up" after."""
    return (left in lexicon() and right in lexicon() and (len(left) >= 3 or left in SHORT_BEFORE)
            and (len(right) >= 3 or right in SHORT_AFTER))


def _replace(pieces: Sequence[Piece], indices: Sequence[int], spelling: Spelling, cut: int | None) -> list[Piece]:
    out: list[Piece] = []
    for n, (i, letter) in enumerate(zip(indices, spelling.letters, strict=True)):
        if n == cut:
            out.append((" ", pieces[i][1], pieces[i][1]))
        _, a, b = pieces[i]
        out += [(c, a, b) for c in letter]
    return out


# --- 4: one word at a time -------------------------------------------------------------------------------------------

def _words(pieces: list[Piece]) -> list[Piece]:
    text = "".join(c for c, _, _ in pieces)
    if text.isascii() and not any(c in LEET or c in MASKS for c in text):
        return pieces
    out: list[Piece] = []
    done = 0
    for token in _tokens(pieces):
        core = text[token.core_start:token.core_end]
        if not core or NOT_A_WORD.search(core) or not any(c.isalpha() for c in core) or CODE.search(core):
            continue
        at = token.core_start
        for part in WORD_SPLIT.split(core):  # "Y0u're", "D0WN-42": each part on its own
            start, at = at, at + len(part)
            plain = part.isascii() and part.isalpha()
            if len(part) < 2 or plain or WORD_SPLIT.fullmatch(part) or not any(c.isalpha() for c in part):
                continue
            spelling = spell(part)
            if spelling is None:
                continue
            out += pieces[done:start]
            out += _replace(pieces, range(start, at), spelling, None)
            done = at
    out += pieces[done:]
    return out
