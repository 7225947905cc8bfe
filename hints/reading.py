"""What the conversation shows at the moment a trainee asks for a hint.

Read from the transcript and the persona only (no customer state), so the same reading serves the scripted
customer, a model customer and a transcript written by hand. The trainee's messages are read by the shared signal
detectors (:func:`signals.detect`); the customer's by the threat classifier and the plain rules here: which
questions are real (not "are you kidding me?"), which ask *when*, and whether the customer says they are lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from customer.engine import offer_policy
from personas.schema import Persona
from signals import Detection, SignalKind, content_words, customer_threatens, detect, sentences

HEARD = frozenset({SignalKind.APOLOGY, SignalKind.ACKNOWLEDGEMENT, SignalKind.PARAPHRASE})
#: What answers a customer's question besides talking about it: a time, a yes or no, something offered.
ANSWERING = frozenset({SignalKind.NEXT_STEP_TIME, SignalKind.REFUSAL, SignalKind.OFFER, SignalKind.ALTERNATIVE,
                       SignalKind.LIMIT_WITH_REASON, SignalKind.OWNERSHIP})
#: Something the customer can have instead of what was refused.
INSTEAD = frozenset({SignalKind.ALTERNATIVE, SignalKind.OFFER})
CONFUSING = frozenset({SignalKind.JARGON, SignalKind.LONG_SENTENCE})

QUESTION_START = re.compile(
    r"^\s*(?:so|and|but|ok(?:ay)?|well|then|right)?[,\s]*(?:what|when|where|which|who|whom|whose|how|why|can|could|"
    r"will|would|do|does|did|is|are|was|were|have|has|should|shall|may|am)\b", re.IGNORECASE)
#: Exasperation dressed as a question: nobody expects an answer to these.
RHETORICAL = re.compile(
    r"^\W*(?:seriously|really|honestly|huh|what|why me|excuse me|sorry|hello|are you (?:for real|serious|kidding|"
    r"joking|having a laugh|mad|insane|listening))\W*$"
    r"|\b(?:are|r) (?:you|u) (?:kidding|joking|serious|for real|having a laugh|taking the (?:piss|mickey))\b"
    r"|\bhow (?:hard|difficult|complicated) (?:is|can|could) (?:it|that|this)\b"
    r"|\bhow (?:many|much) (?:more )?times? (?:do|have|must|should) i\b"
    r"|\bwho (?:runs|trained|hired|the hell|on earth|in their right mind)\b"
    r"|\bwhat(?:'s| is) (?:wrong with (?:you|your|this|these)|the point|the matter with)\b"
    r"|\bwhat (?:kind|sort) of (?:\w+ )?(?:company|service|business|shop|place|outfit|operation|joke)\b"
    r"|\bdo(?:es)? (?:you|anyone|anybody|nobody|u) (?:even|actually|ever) (?:care|listen|read|know|check|work)\b"
    r"|\bdo you (?:think|expect) (?:i'?m|i am) (?:stupid|an idiot|made of|a fool)\b"
    r"|\b(?:is|was) (?:that|this|it) (?:too much|so hard|so difficult|really so) to\b"
    r"|\bwhy (?:is|does|do|did|am|are|can'?t) (?:it|this|that|everything|you people|i) (?:always|keep|never|so)\b"
    r"|\bwhy (?:should|would) i (?:believe|trust|bother)\b"
    r"|\bam i (?:supposed|meant|expected) to\b"
    r"|\bwhat (?:am i|do i) pay(?:ing)? (?:you|for)\b"
    r"|\bwhat (?:did|do) (?:you|they) expect\b"
    r"|\b(?:you|u) (?:call|think) (?:this|that) (?:service|acceptable|help|ok|okay)\b"
    r"|\bhow (?:is|was|can) (?:that|this|it) (?:acceptable|ok|okay|fair|my fault|possible|even legal)\b",
    re.IGNORECASE)
WHEN = re.compile(
    r"\b(?:when|how long|how soon|how quickly|what time|which day|what day|what date|by when|eta|till when|until "
    r"when|how many (?:more )?(?:days|weeks|hours|minutes)|any (?:idea|timeline|timeframe|time frame|estimate)|"
    r"timeline|time ?frame)\b", re.IGNORECASE)
#: A customer saying they do not follow ("what is mean?", "too fast", "I not understand").
LOST = re.compile(
    r"\b(?:(?:i|me|we)\s+(?:do ?n[o']?t|dont|not|no|can ?not|can'?t|cannot|didn'?t|did not)\s+(?:really\s+)?"
    r"(?:understand|understanding|follow|get (?:it|you|this|that|what)|know what (?:you|this|that) mean)"
    r"|what (?:is|does|do|it|this|that)?\s*(?:\w+\s+){0,3}mean(?:s|ing)?\b|what mean|meaning\?"
    r"|too (?:fast|quick|long|much (?:words|text|english)|many words|complicated|difficult)"
    r"|(?:more )?slow(?:ly|er)? please|(?:simple|simpler|easy|easier|basic) (?:words|english|language)"
    r"|(?:my )?english (?:is )?(?:not|no) (?:good|so good|great)|confusing"
    r"|(?:i'?m|i am|me|am|feel|getting|so|bit|little|totally|completely) (?:lost|confused)\b"
    r"|not sure what you (?:mean|are saying|said)|say (?:it )?again|repeat (?:please|again))",
    re.IGNORECASE)


@dataclass(frozen=True)
class Moment:
    """What the conversation shows when the trainee asks for a hint.

    Attributes:
        heard: one of the trainee's messages acknowledged, apologised or said the problem back.
        question: a real question of the customer's that the trainee has not answered (verbatim).
        when: the customer asked when or how long and no time has been given since (verbatim).
        refusal: the trainee's last message said no without anything instead (the refusing words).
        threat: the customer's last message threatens (the threatening sentence).
        lost: why the customer is lost in the trainee's words ("" when it is not).
        agent_turns: how many messages the trainee has written.
    """

    heard: bool
    question: str | None
    when: str | None
    refusal: str | None
    threat: str | None
    lost: str
    agent_turns: int


def questions(text: str) -> list[str]:
    """The customer's questions in ``text``, rhetorical ones left out."""
    found = []
    for _, sentence in sentences(text):
        s = sentence.strip()
        asks = s.endswith("?") or (QUESTION_START.match(s) is not None and not s.endswith((".", "!")))
        if asks and not RHETORICAL.search(s) and len(re.findall(r"\w+", s)) >= 2:
            found.append(s)
    return found


def answered(question: str, reply: str, detection: Detection) -> bool:
    """Whether the trainee's next message took up the question: a time for a "when", a yes, no or offer for the
    rest, or the question's own subject."""
    if WHEN.search(question):
        return detection.has(SignalKind.NEXT_STEP_TIME)
    if detection.kinds & ANSWERING:
        return True
    return bool(content_words(question) & content_words(reply))


def read(turns: Sequence[tuple[str, str]], persona: Persona | None) -> Moment:
    """Read the conversation ``turns`` ((role, text), oldest first, ending with the customer) for a hint."""
    policy = offer_policy(persona) if persona else None
    max_words = persona.style.max_sentence_words if persona else 20
    detections: list[Detection | None] = []
    previous_customer: str | None = None
    for role, text in turns:
        if role == "agent":
            detections.append(detect(text, previous_customer=previous_customer, policy=policy,
                                     max_sentence_words=max_words))
        else:
            detections.append(None)
            previous_customer = text
    heard = any(d is not None and d.kinds & HEARD for d in detections)
    customer_at = [i for i, (role, _) in enumerate(turns) if role == "customer"]
    last = customer_at[-1] if customer_at else None
    question = when = None
    # The customer's last two messages: a question in the earlier one still counts if the reply skipped it.
    for i in customer_at[-2:]:
        reply_at = next((j for j in range(i + 1, len(turns)) if turns[j][0] == "agent"), None)
        for q in questions(turns[i][1]):
            reply = turns[reply_at][1] if reply_at is not None else None
            detection = detections[reply_at] if reply_at is not None else None
            if reply is not None and detection is not None and answered(q, reply, detection):
                continue
            if WHEN.search(q):
                when = q
            else:
                question = q
    if when is not None and any(d is not None and d.has(SignalKind.NEXT_STEP_TIME)
                                for d in detections[turns_index(customer_at, when, turns):]):
        when = None
    agent_at = [i for i, (role, _) in enumerate(turns) if role == "agent"]
    refusal = None
    if agent_at:
        d = detections[agent_at[-1]]
        if d is not None and d.has(SignalKind.REFUSAL) and not d.kinds & INSTEAD:
            refusal = d.of(SignalKind.REFUSAL)[0].quote
    threat = None
    if last is not None and customer_threatens(turns[last][1]):
        threat = next((s.strip() for _, s in sentences(turns[last][1]) if customer_threatens(s)),
                      turns[last][1].strip())
    lost = ""
    if last is not None and LOST.search(turns[last][1]):
        lost = " (they said so)"
    elif persona is not None and persona.style.confused_by_jargon and agent_at:
        d = detections[agent_at[-1]]
        if d is not None and d.kinds & CONFUSING:
            lost = " in your last message's long sentences" if d.has(SignalKind.LONG_SENTENCE) else " in its jargon"
    return Moment(heard, question, when, refusal, threat, lost, len(agent_at))


def turns_index(customer_at: list[int], question: str, turns: Sequence[tuple[str, str]]) -> int:
    """Where the customer message asking ``question`` sits in ``turns``."""
    return next((i for i in customer_at if question in turns[i][1]), len(turns))
