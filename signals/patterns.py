"""Phrase patterns behind the detectors, grouped by what they show.

Sources: the workshop seeds (`../shared/seeds/`): "Do not say 'I understand' or
'I sympathize'", "Saying 'please, calm down' ... will simply escalate",
H.E.A.R.D., paraphrase-observe-validate, ownership with a 24-hour deadline,
setting limits with a reason and an alternative, managing your own emotions.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?:" + "|".join(alternatives) + r")", _I)


NON_APOLOGY = _rx(
    r"\bsorry (?:that )?you (?:feel|think|believe|see it|are upset|'re upset|were upset)",
    r"\bsorry if\b",
    r"\bapologi[sz]e if\b",
    r"\bsorry for any inconvenience\b",
    r"\bapologi[sz]e for any inconvenience\b",
    r"\bsorry,? but\b",
)
APOLOGY = _rx(
    r"\bI(?:'m| am) (?:so |very |truly |really |deeply )?sorry\b",
    r"\bI (?:sincerely |truly )?apologi[sz]e\b",
    r"\bmy apologies\b",
    r"\bwe(?:'re| are) (?:so |very |truly )?sorry\b",
    r"\bthat(?:'s| is) (?:on us|our mistake|our fault)\b",
    r"\bwe (?:got|made) (?:this|it|a mistake)",
    r"^\s*sorry\b",
)
ACKNOWLEDGEMENT = _rx(
    r"\bI can (?:tell|see|hear|imagine)\b",
    r"\b(?:sounds|must (?:be|have been|feel)|is|was|feels?) (?:really |so |very |incredibly |truly )?"
    r"(?:frustrating|awful|stressful|annoying|difficult|upsetting|maddening|infuriating|miserable|"
    r"exhausting|unacceptable|not acceptable|a nightmare)\b",
    r"\byou have (?:every|a) right to\b",
    r"\b(?:anyone|I) would be (?:upset|angry|frustrated|annoyed)\b",
    r"\bno wonder you(?:'re| are)\b",
    r"\byou(?:'re| are) right (?:to|that)\b",
    r"\byou (?:may|might) (?:well )?be right\b",
    r"\byou have a (?:fair |good |valid )?point\b",
    r"\bthis (?:clearly )?matters\b",
    r"\bmatter of (?:some|real|great) importance\b",
    r"\bthank you for (?:telling|explaining|bearing|your patience|waiting|raising)",
    r"\bI hear you\b",
)
PARAPHRASE = _rx(
    r"\bso what you(?:'re| are) saying\b",
    r"\bif I (?:understand|understood|have this|got this) (?:you )?(?:correctly|right)\b",
    r"\blet me (?:make sure|check) I (?:have|understand|got)\b",
    r"\b(?:just )?to (?:recap|summari[sz]e|confirm what)\b",
    r"\bwhat I(?:'m| am) hearing\b",
    r"\byou(?:'re| are) telling me\b",
    r"(?:^|[.!?]\s+)so,? you(?:'ve| have|'re| are| were)? (?!can\b|should\b|must\b|need to\b)[a-z]+",
    r"\byou (?:said|mentioned|told me) (?:that|your|the)\b",
)
CALM_DOWN = _rx(
    r"\bcalm (?:yourself )?down\b", r"\bsettle down\b", r"\brelax\b",
    r"\btake a deep breath\b", r"\bno need to (?:shout|yell|get upset)\b",
    r"\bdon'?t (?:shout|yell)\b", r"\blower your voice\b",
)
#: The words the workshop names ("saying 'please, calm down' ... will simply escalate"), without "relax" and the
#: like, which the classifier reads in context.
EXACT_CALM_DOWN = _rx(r"\bcalm (?:yourself )?down\b", r"\bsettle down\b", r"\blower your voice\b",
                      r"\bno need to (?:shout|yell|get (?:upset|angry|worked up))\b")
CANNED = _rx(
    r"\bI (?:totally |completely |fully )?understand\b"
    r"(?! (?:that )?you (?:paid|ordered|were|have|'ve|stayed|waited|lost|need))",
    r"\bI sympathi[sz]e\b", r"\bwe value your (?:business|custom|feedback)\b",
    r"\byour (?:call|business|satisfaction) is (?:very )?important to us\b",
    r"\bwe apologi[sz]e for any inconvenience\b",
    r"\bthank you for your understanding\b", r"\bas per (?:our|the) policy\b",
    r"\bhave a (?:nice|great|good) day\b(?!.*\b(?:I'll|I will)\b)",
)
COMMON_GROUND = _rx(
    r"\blet'?s (?:figure|work|sort|fix|find|get|look|see|go through)\b", r"\btogether\b", r"\bwe both\b",
    r"\bsame side\b", r"\bI(?:'d| would) like to help\b", r"\bI want to (?:help|fix|sort|make this right|get)",
    r"\bdo (?:what|everything|all) I can to help\b", r"\byou and I\b",
    r"\bwe(?:'ll| will) (?:sort|fix|get) (?:this|it)\b",
    r"\bwork this out\b",
)
REFUSAL = _rx(
    r"\b(?:I|we)\b[^.?!]{0,40}?(?:can'?t|cannot|(?:am|are|'m|'re) (?:unable|not able)|won'?t be able|"
    r"don'?t offer|do not offer|(?:am|are|'m|'re) not allowed)\b",
    r"\b(?:it|that)(?:'s| is)n?'?t? ?(?:not )?possible\b", r"\bunfortunately\b",
)
BLAME = _rx(
    r"\byou should(?:'ve| have)\b", r"\b(?:it's|it is|that's|that is) your (?:own )?(?:fault|problem|mistake)\b",
    r"\byou (?:didn'?t|did not|failed to|forgot to|never) (?:read|follow|check|register|keep|update|call|ask)",
    r"\bif you had\b", r"\byou must have\b", r"\buser error\b", r"\bnot our (?:fault|problem)\b",
    r"\byou clearly\b", r"\byou obviously\b", r"\bthat'?s on you\b",
    r"\bnot my fault\b", r"\bI'?m (?:just|only) doing my job\b", r"\bdon'?t take it out on me\b",
    r"\bthat'?s not true\b", r"\byou(?:'re| are) wrong\b", r"\bdon'?t yell at me\b",
)
POLICY_HIDING = _rx(
    r"\b(?:it'?s|it is|that'?s|that is) (?:just |simply |company )?(?:our |the )?polic(?:y|ies)\b",
    r"\bpolicy (?:says|is policy|does not allow|doesn'?t allow)\b",
    r"\brules are rules\b", r"\b(?:there'?s|there is) nothing (?:I|we) can do\b",
    r"\bnot my (?:department|problem|job|responsibility)\b",
    r"\bI don'?t make the rules\b", r"\bmy hands are tied\b",
    r"\bcan'?t do anything\b", r"\bthe system (?:won'?t|doesn'?t) (?:let|allow)\b",
)
OWNERSHIP = _rx(
    r"\bI(?:'ll| will) (?!not\b|never\b|be honest\b|try\b)(?:personally |also |now |then |gladly )?[a-z]+",
    r"\bI(?:'m| am) going to\b", r"\blet me (?:fix|sort|handle|check|look|find|take|arrange|get)\b",
    r"\bI take (?:full )?(?:responsibility|ownership)\b", r"\bI own this\b",
    r"\bleave (?:it|this) with me\b",
    r"\bI(?:'ve| have) (?:also |just |already )?(?:logged|noted|escalated|arranged|booked|issued|sent|spoken|"
    r"talked|refunded|applied|added|changed|briefed)\b",
)
TIME = _rx(
    r"\bwithin (?:the next )?(?:\d+|an?|one|two|three|24|48|72) ?"
    r"(?:minutes?|hours?|days?|business days?|working days?|weeks?)\b",
    r"\bin (?:the next )?(?:\d+|an?|one|two|three) ?(?:minutes?|hours?|days?|business days?|weeks?)\b",
    r"\bwithin the (?:hour|day|week)\b",
    r"\bby (?:the )?(?:end of (?:the )?(?:day|today|week)|tomorrow|tonight|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|noon|\d{1,2}(?::\d{2})? ?(?:am|pm)?)\b",
    r"\b(?:today|tomorrow|this (?:afternoon|evening|morning|week))\b",
    r"\b\d{1,2}(?::\d{2})? ?(?:am|pm)\b",
)
QUESTION_OPENER = _rx(
    r"^\s*(?:could|can|would|will) you (?:tell|give|share|confirm|describe|explain|send|read)\b",
    r"^\s*(?:what|when|where|which|who|how|why|did|do|does|is|are|was|were|have|has)\b.*\?",
)
ALTERNATIVE = _rx(
    r"\binstead\b", r"\balternatively\b", r"\bwhat I can (?:do|offer)\b", r"\bI can offer\b",
    r"\banother option\b", r"\b(?:one|two|a few|some) options?\b", r"\bhow about\b",
    r"\bwould it help if\b", r"\bwhat we can do\b", r"\bthe best I can do\b", r"\bin the meantime\b",
)
CHECK_UNDERSTANDING = _rx(
    r"\bdoes (?:that|this) make sense\b", r"\bis (?:that|this) (?:clear|okay|ok|alright)\b",
    r"\bdid (?:that|I) (?:make sense|explain)", r"\bplease tell me if\b", r"\bdoes that help\b",
)
CLOSING = _rx(
    r"\b(?:is there )?anything else I can (?:help|do)\b", r"\bI(?:'ll| will) (?:call|email|check in|follow up)",
    r"\bfollow[- ]up\b", r"\bthank you for (?:your patience|bearing with|calling|contacting)\b",
)
INSULT = _rx(
    r"\bidiot(?:ic)?\b", r"\bstupid\b", r"\bmoron\b", r"\bdumb\b", r"\bshut up\b", r"\bpathetic\b",
    r"\bincompetent\b", r"\bignorant\b", r"\bget lost\b", r"\bwhatever,? (?:man|lady|dude)\b",
    r"\bare you (?:deaf|stupid|slow)\b", r"\bgrow up\b",
)
#: Sarcastic put-downs (the semantic layer counts them as insults when its classifier leans that way).
PUT_DOWN = _rx(
    r"\b(?:another|a real|real|you) (?:genius|einstein|rocket scientist|brain surgeon|sherlock|comedian|clown)\b",
    r"\buse your (?:brain|head|eyes)\b", r"\bcan'?t you read\b", r"\bnot (?:exactly )?rocket science\b",
)
SARCASM = _rx(
    r"\boh,? (?:great|wonderful|fantastic|brilliant|sure)\b", r"\byeah,? right\b", r"\bgood luck with that\b",
    r"\bcongratulations\b", r"\bas I (?:already|just) (?:said|told you|explained)\b",
    r"\bwhat a surprise\b", r"\bnot my circus\b", r"\bcry me a river\b", r"\bwell,? duh\b",
)
NEGATION = _rx(
    r"\bcan'?t\b", r"\bcannot\b", r"\bunable\b", r"\bnot able\b", r"\bwon'?t be able\b",
    r"\bno way\b", r"\bnot possible\b", r"\bisn'?t possible\b", r"\bdon'?t offer\b", r"\bwe don'?t\b",
    r"\bdo not offer\b", r"\bnot allowed\b",
)
OFFER_VERB = _rx(
    r"\bI(?:'ll|'d| will| would| can| could)(?: also| really| gladly| happily| now)?(?: like to)?\b"
    r"(?! (?:see|tell|hear|imagine|understand)\b)",
    r"\bwe(?:'ll| will| can| could)\b", r"\bwe now\b",
    r"\bI(?:'ve| have) (?:also |just |already )?"
    r"(?:issued|applied|arranged|added|spoken|briefed|changed|booked|refunded)\b",
    r"\blet me\b", r"\bhow about\b", r"\bwould you (?:like|accept)\b", r"\bI(?:'m| am) (?:able|happy|glad) to\b",
    r"\boffer\b", r"\bgive you\b",
)
REASON = _rx(
    r"\bbecause\b", r"\bsince\b", r"\bthe reason\b", r"\bso that\b", r"\bdue to\b", r"\bas (?:the|it|we|this)\b"
)
GENERIC_OFFER = _rx(
    r"\b(?:refund|discount|credit|voucher|replacement|replace|exchange|repair|free|compensat\w*|waive|"
    r"reimburse\w*|upgrade|loaner|coupon)\b"
)
PERCENT = re.compile(r"\b(\d{1,3})\s?(?:%|percent\b|per cent\b)", _I)
JARGON = _rx(
    r"\bRMA\b", r"\bSLA\b", r"\bETA\b", r"\bescalat\w*", r"\bprovision\w*", r"\bfirmware\b",
    r"\bticket(?: number)?\b", r"\bpursuant\b", r"\baforementioned\b", r"\breimburse\w*",
    r"\bremediat\w*", r"\bleverage\b", r"\bworkflow\b", r"\bcase ID\b", r"\bper our\b",
    r"\bback[- ]?order\w*", r"\bfulfil+ment\b", r"\bchargeback\b", r"\bwarranty claim\b",
    r"\bprorat\w*", r"\bsubmit a request\b", r"\bverify your account\b", r"\bASAP\b",
)
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
WORD = re.compile(r"[A-Za-z']+")
STOPWORDS = frozenset(
    [
        "the", "and", "that", "this", "with", "have", "from", "your", "you", "for", "are", "was", "were",
        "but", "not", "what", "when", "they", "them", "then", "than", "there", "their", "about", "just",
        "like", "been", "into", "will", "would", "could", "should", "can", "cant", "dont", "i'm", "it's",
        "its", "really", "very", "much", "more", "also", "some", "any", "our", "ours", "my", "me", "we", "us",
        "he", "she", "his", "her", "him", "how", "why", "who", "which", "where"
    ]
)
#: Customer threats, for the regular-expression fallback (the semantic layer reads them by meaning).
THREAT = _rx(
    r"\b(?:my |a )?(?:lawyer|solicitor|attorney)s?\b", r"\bsu(?:e|ing)\b", r"\bcourt\b", r"\blegal action\b",
    r"\b(?:the )?press\b", r"\bjournalist\b", r"\bnewspaper\b", r"\bchargeback\b", r"\bombudsman\b", r"\bregulator\b",
    r"\b(?:one|1)[- ]star\b", r"\breview(?:s)? everywhere\b", r"\bsocial media\b", r"\bget you fired\b",
    r"\byour job\b", r"\bcancel (?:my|the|everything)\b",
)
#: An agent introducing itself ("I'm Sam", "my name is Priya", "this is Tom from billing").
AGENT_NAME = re.compile(
    r"\b(?:[Mm]y name is|[Mm]y name's|[Nn]ame's|[Tt]his is|I'm|I am|[Ii]t's)\s+([A-Z][a-z]{1,19})\b")
NOT_A_NAME = frozenset({
    "Sorry", "Afraid", "Happy", "Glad", "Here", "Really", "So", "Very", "Not", "Just", "Going", "Able", "Sure", "Truly",
    "Checking", "Looking", "Calling", "Writing", "Still", "Also", "Unable", "Aware", "Certain", "Totally", "Completely",
    "Available", "Customer", "Your", "The", "It", "This", "That", "On", "In", "With", "Keen", "Pleased", "Terribly",
})
_DAY = (r"(?:today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|the weekend|next week|"
        r"end of (?:the )?(?:day|week)|this (?:afternoon|evening|morning|week)|"
        r"\d+\s?(?:minutes?|hours?|business days?|working days?|days?|weeks?)|"
        r"(?:an?|one|two|three|24|48|72)\s(?:hour|business day|working day|day|week)s?|the (?:hour|day|week)|"
        r"\d{1,2}(?::\d{2})?\s?(?:am|pm)|noon)")
_CLOCK = r"\d{1,2}(?::\d{2})?\s?(?:am|pm)?"
#: A promised time as the agent said it ("tomorrow between 8 and 12", "by Friday", "within 48 hours").
WHEN_PHRASE = re.compile(
    rf"\b(?:(?:by|on|before|until|within|in|at)\s+)?(?:the\s+)?{_DAY}"
    rf"(?:,?\s*(?:(?:in the\s+)?(?:morning|afternoon|evening)|(?:between|from)\s+{_CLOCK}\s*(?:and|to|-)\s*{_CLOCK}|"
    rf"\d{{1,2}}\s?-\s?\d{{1,2}}(?:\s?(?:am|pm))?|(?:at|by|before)\s+{_CLOCK}))?", _I)
#: Words that pin a promised time to a day or a clock time (two promises that share none of them disagree).
WHEN_WORDS = re.compile(
    r"\b(today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|"
    r"\d{1,2}(?::\d{2})?\s?(?:am|pm)|\d+\s?(?:minutes?|hours?|days?|business days?|working days?|weeks?)|"
    r"(?:an?|one|two|three)\s(?:hour|day|week)s?|morning|afternoon|evening|noon|end of (?:the )?(?:day|week))\b", _I)
