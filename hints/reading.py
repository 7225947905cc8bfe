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
from signals import Detection, SignalKind, content_words, customer_threatens, detect, leaning, sentences

HEARD = frozenset({SignalKind.APOLOGY, SignalKind.ACKNOWLEDGEMENT, SignalKind.PARAPHRASE})
HEARD_LABELS = tuple(k.value for k in HEARD)
#: A hint may read a message as hearing the customer below the grader's thresholds: wrongly telling a trainee who
#: did listen that they did not costs more than one hint too few.
HEARD_LEANING = 0.15
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
    r"|\bdid (?:you|anyone|anybody|u) (?:even |actually |ever )?(?:read|listen|hear)\b"
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
    r"when|how many (?:more )?(?:days?|weeks?|hours?|minutes?)|any (?:idea|timeline|timeframe|time frame|estimate)|"
    r"timeline|time ?frame|(?:today|tomorrow|tonight|this week|next week|hours|days|weeks)\W*\?)"
    r"|\b(?:give|tell) me (?:a |the )?(?:day|date|time)\b|\bdefine ['‘’\"]?(?:soon|shortly|asap)", re.IGNORECASE)
#: Demanding a time without a question mark ("WHEN. Give me a day.").
TIME_DEMAND = re.compile(r"^\W*when\W*$|\b(?:give|tell) me (?:a |the )?(?:day|date|time)\b|\bdefine ['‘’\"]?(?:soon|"
                         r"shortly|asap)", re.IGNORECASE)
#: A customer saying they do not follow ("what is mean?", "too fast", "I not understand").
LOST = re.compile(
    r"\b(?:(?:i|me|we)\s+(?:do ?n[o']?t|dont|not|no|can ?not|can'?t|cannot|didn'?t|did not)\s+(?:really\s+)?"
    r"(?:understand|understanding|follow|get (?:it|you|this|that|what)|know what (?:you|this|that) mean)"
    r"|what (?:is|does|do|it|this|that)?\s*(?:\w+\s+){0,3}mean(?:s|ing)?\b|what mean|meaning\?"
    r"|too (?:fast|quick|long|much (?:words|text|english)|many words|complicated|difficult)"
    r"|(?:more )?slow(?:ly|er)? please|(?:simple|simpler|easy|easier|basic) (?:words|english|language)"
    r"|(?:my )?english (?:is )?(?:not|no) (?:good|so good|great)|confusing"
    r"|(?:i'?m|i am|me|am|feel|getting|so|bit|little|totally|completely) (?:lost|confused)\b"
    r"|not sure what you (?:mean|are saying|said)|say (?:it )?again|repeat (?:please|again)"
    r"|read (?:that|it|this) (?:twice|three times|again)|(?:talk|speak|write) (?:normal|plain|simple)|plain english)",
    re.IGNORECASE)


#: A customer asking for something: a refund, a price, money back, a manager, a replacement; or pressing for it
#: ("so, the refund?", "what about my wages?", "refund, yes?").
DEMAND = re.compile(
    r"\b(?:i|we) (?:still |just |really |only )?(?:want|need|expect|demand|deserve|insist|require)\b"
    r"|\b(?:i'?d|i would|we'?d|we would) (?:like|want|expect)\b|\b(?:give|get|send|pay|refund|reimburse|compensate) "
    r"(?:me|us)\b|\bi'?m (?:asking|waiting) for\b|\b(?:still|keep) waiting\b|\bi'?ll want\b"
    r"|(?:has|have) to (?:be worth|count)\b|\bfree \w+(?: \w+)?\?|\bwhere(?:'s| is) my\b"
    r"|^\W*(?:and|but|so|now)\W+(?:the|my|our|what about)\b.*\?\W*$"
    r"|\b(?:what|how) about (?:my|the|our|a|some)\b|\b(?:and|but|so|now)\W+(?:the|my|our) \w+(?: \w+)?\?"
    r"|\b(?:refund|money back|compensation|reimburse\w*|discount|half off|\d+ ?% off|a manager|your manager|"
    r"supervisor|replacement|new one|credit|free month|price match|(?:match|beat|top) (?:it|that|their|them|the))\b"
    r"|\b(?:make|do) (?:an )?exception\b|\byou (?:need|have|ought|should|must|owe)(?: to)?\b|\bpermanently\b|\bfor "
    r"good\b|\bforever\b|\byou'?ll be (?:refund|send|pay|replac|credit|giv)\w*|\b(?:are|will|can) you (?:going to )?"
    r"(?:giv|push|refund|pay|send|replac|fix|credit|match|waive|cover|roll)\w*|\bwhat (?:are|will) you (?:going to )?"
    r"do(?:ing)? about\b|\b(?:a|an|the|my) \w+(?: \w+)?,? please\b|\b(?:the|my|our) money\b|\bi (?:said|asked "
    r"for|told you)\b|\bsay the word\b"
    r"|^\W*\w+(?: \w+)?, (?:yes|yeah|right|please)\?\W*$|\bor i\b.*\b(?:cancel|leave|go)\b", re.IGNORECASE)
#: The customer takes what was offered ("that works", "deal", "yes to both", "go ahead").
ACCEPTS = re.compile(
    r"\b(?:that|this|it|which|\w+day|morning|afternoon|evening|slot|time|plan|one|date) works\b|"
    r"\b(?:that|this|it) (?:works|would work|sounds (?:good|fair|fine|reasonable|lovely|great|ok(?:ay)?)|is fine|'?s "
    r"fine|is fair|'?s fair|is acceptable|'?s acceptable|will do|'?ll do)\b|\b(?:works|fine|ok(?:ay)?) (?:for|with) "
    r"me\b|\bdeal\b|\bagreed?\b|\bi (?:accept|agree|can live with|'?ll take)\b|\blet'?s do\b|\bgo ahead\b"
    r"|\byes,? (?:please|to both|do it|book it)\b|\b(?:book|do|send|arrange) it\b|\bsounds (?:good|fair|fine|"
    r"reasonable|great|ok(?:ay)?)\b|\bfair enough\b|\bvery well\b|\b(?:alright|all right|okay|ok|right|fine) then\b|"
    r"\bacceptable\b|\bi can work with\b|\bgo on then\b|\bit is\W*$|,? then\W*$|\bwhatever\b|\bon condition\b|"
    r"\bthat'?s what i wanted\b|\b(?:switch|book|send|sign) me\b|(?:^|[.,;:!—–-]\s*)(?:then |so |okay,? |ok,? |fine,? |"
    r"alright,? |yes,? |sure,? |go on,? )?(?:book|send|switch|escalate|do|arrange|process|schedule|put|go with) (?:it|"
    r"the|that|this|me|them|my)\b|\b(?:perfecto|vale|de acuerdo|s[ií],? (?:bueno|ok|gracias|"
    r"est[aá] bien))\b|^\W*(?:fine|ok(?:ay)?|alright|all right|right|yes|good|great|perfect)\W*(?:then\W*)?$",
    re.IGNORECASE)
#: ... unless the customer turns it down in the same breath.
REFUSES = re.compile(
    r"\b(?:not (?:good )?enough|no deal|not interested|(?:doesn'?t|does not|won'?t|will not|don'?t|do not) (?:work|"
    r"help|fix|solve|cut it)|not (?:acceptable|what i|happening|good enough)|no(?:,| thanks| thank you)|nope|"
    r"not (?:a|an) (?:answer|solution|offer)|that'?s (?:it|all)\?|is that (?:it|all|the best)|insult(?:ing)?|joke)\b",
    re.IGNORECASE)
#: Consent words that, with a condition attached, take an offer ("Saturday, then, as long as the call comes").
CONSENT = re.compile(r"\b(?:fine|okay|ok|alright|all right|yes|sure|s[ií]|then|very well|i'?ll (?:move|take|do))\b",
                     re.IGNORECASE)
#: An acceptance with a condition attached ("fine, as long as it's in writing") is still an acceptance.
CONDITION = re.compile(r"\b(?:as long as|provided|so long as|on condition|if (?:it|that|you|the)|but (?:i want|put|"
                       r"send|make sure)|just (?:make sure|put|send)|in writing)\b", re.IGNORECASE)


#: What a customer threatens with: lawyers, the press, reviews and social media, leaving, a chargeback, a manager.
THREAT_WORDS = re.compile(
    r"\b(?:lawyer|solicitor|attorney|su(?:e|ing)|court|legal|press|journalist|newspaper|paper|media|chargeback|"
    r"charge ?back|ombudsman|regulator|trading standards|consumer (?:rights|protection|council|association)|bbb|"
    r"better business|review|one[- ]star|1[- ]star|trustpilot|google|yelp|tripadvisor|twitter|facebook|instagram|"
    r"tiktok|reddit|hacker news|linkedin|followers|social media|viral|return (?:it|this)|this job|switch(?:ing)?|"
    r"cancel(?:ling|ing)?|leave|leaving|close my account|"
    r"take my (?:business|money)|competitor|elsewhere|report (?:you|this)|your (?:manager|boss|supervisor)|fired|"
    r"your job|my bank|dispute the (?:charge|payment)|post (?:this|it|about|everything)|publish|tell everyone|"
    r"everyone i know|never (?:shop|buy|use|come))\b", re.IGNORECASE)
#: ... as a consequence the customer holds over the agent ("or I'll", "unless", "if you don't", "I'm going to").
THREAT_FRAME = re.compile(
    r"\b(?:or (?:else )?i|or i'?ll|unless|otherwise|if (?:you|this|it|that|i don'?t|nobody|someone|they|i can'?t|"
    r"i have to)|i(?:'ll| will| shall|'m going to| am going to|'m gonna| am gonna|'m about to|'m|'d)|watch me|"
    r"see you|expect|you'll (?:be|see|hear|regret)|my (?:lawyer|solicitor)|going straight|straight to|happy to|"
    r"ready to)\b", re.IGNORECASE)


def threatens(sentence: str) -> bool:
    """A customer's sentence holds a consequence over the agent: threat words in a threatening frame, or threat words
    the threat classifier reads as a threat ("a one-star review is coming")."""
    if not THREAT_WORDS.search(sentence):
        return False
    return bool(THREAT_FRAME.search(sentence)) or customer_threatens(sentence)


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
        asks_now: the customer's last message asks something (they have moved on to what happens next).
        demand: what the customer is still asking for and the trainee has not answered (verbatim), if anything.
        agreed: the customer accepted something the trainee offered (there is a deal to sum up).
    """

    heard: bool
    question: str | None
    when: str | None
    refusal: str | None
    threat: str | None
    lost: str
    agent_turns: int
    asks_now: bool = False
    demand: str | None = None
    agreed: bool = False


def questions(text: str) -> list[str]:
    """The customer's questions in ``text``, rhetorical ones left out."""
    found = []
    for _, sentence in sentences(text):
        s = sentence.strip()
        asks = s.endswith("?") or (QUESTION_START.match(s) is not None and not s.endswith((".", "!"))) or bool(
            TIME_DEMAND.search(s))
        if asks and not RHETORICAL.search(s) and (len(re.findall(r"\w+", s)) >= 2 or WHEN.search(s)):
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
    heard = any(d is not None and (d.kinds & HEARD or leaning(turns[i][1], HEARD_LABELS) >= HEARD_LEANING)
                for i, d in enumerate(detections))
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
    if last is not None:
        threat = next((s.strip() for _, s in sentences(turns[last][1]) if threatens(s)), None)
    lost = ""
    echoed = echoed_words(turns[last][1], turns[agent_at[-1]][1]) if last is not None and agent_at else ""
    if last is not None and LOST.search(turns[last][1]):
        lost = " (they said so)"
    elif echoed:
        lost = f" (they ask what “{echoed}” means)"
    elif persona is not None and persona.style.confused_by_jargon and agent_at:
        d = detections[agent_at[-1]]
        if d is not None and d.kinds & CONFUSING:
            lost = " in your last message's long sentences" if d.has(SignalKind.LONG_SENTENCE) else " in its jargon"
    asks_now = last is not None and bool(questions(turns[last][1]))
    agreed = False
    for i in customer_at:  # the customer's latest answer to something offered decides whether a deal stands
        before = detections[i - 1] if i > 0 else None
        if before is not None and before.kinds & INSTEAD:
            agreed = accepts(turns[i][1])
    demand = open_demand(turns, customer_at, detections)
    return Moment(heard, question, when, refusal, threat, lost, len(agent_at), asks_now, demand, agreed)


def accepts(text: str) -> bool:
    """The customer's message takes what was offered (perhaps on a condition: "fine, as long as the call comes") and
    does not turn it down in the same breath."""
    taken = ACCEPTS.search(text) or (CONDITION.search(text) and CONSENT.search(text))
    return bool(taken) and not REFUSES.search(text)


def demands(text: str, offered: str = "") -> str | None:
    """The sentence of the customer's ``text`` that asks for something, unless, accepting, it only sets a condition
    ("fine, as long as it's in writing") or asks for what the trainee just ``offered`` ("sure, do the refund")."""
    found = [s.strip() for _, s in sentences(text) if DEMAND.search(s)]
    if accepts(text):
        found = [s for s in found if not CONDITION.search(s) and not content_words(s) & content_words(offered)]
    return found[-1] if found else None


def open_demand(turns: Sequence[tuple[str, str]], customer_at: list[int],
                detections: Sequence[Detection | None]) -> str | None:
    """What the customer's last message asks for (the trainee has not answered yet), else what its message before
    asked for when the trainee's reply neither offered, refused nor gave a reason."""
    if not customer_at:
        return None
    last = customer_at[-1]
    offered = next((turns[j][1] for j in range(last - 1, -1, -1) if turns[j][0] == "agent"), "")
    if (said := demands(turns[last][1], offered)) is not None:
        return said
    if len(customer_at) >= 2 and not accepts(turns[last][1]):
        earlier = customer_at[-2]
        reply = next((detections[j] for j in range(earlier + 1, last) if detections[j] is not None), None)
        if reply is not None and not reply.kinds & ANSWERING:  # ANSWERING holds a limit with its reason
            return demands(turns[earlier][1])
    return None


def echoed_words(customer: str, agent: str) -> str:
    """A word of the trainee's the customer repeats back as a question ("hamburger??", "on file? actioned?"): they
    do not know it. Times and yes/no words are no echo ("today?", "really?")."""
    for _, sentence in sentences(customer):
        s = sentence.strip()
        words = re.findall(r"[\w'-]+", s)
        if s.endswith("?") and 1 <= len(words) <= 2 and not WHEN.search(s) and not RHETORICAL.search(s) \
                and all(w.lower() in agent.lower() for w in words) and any(len(w) >= 4 for w in words):
            return " ".join(words)
    return ""


def turns_index(customer_at: list[int], question: str, turns: Sequence[tuple[str, str]]) -> int:
    """Where the customer message asking ``question`` sits in ``turns``."""
    return next((i for i in customer_at if question in turns[i][1]), len(turns))
