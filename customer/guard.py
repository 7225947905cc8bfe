"""Keep an LLM customer in character: never the assistant, never the prompt, never empty."""

from __future__ import annotations

import re

ASSISTANT_TALK = re.compile(
    r"(?:\bas an (?:ai|assistant|language model)\b|\bI(?:'m| am) (?:an|a) (?:ai|assistant|language model|"
    r"virtual assistant|chatbot)\b|\bhow (?:can|may) I (?:help|assist) you\b|\bI(?:'m| am) here to help\b|"
    r"\bI can(?:'t|not) (?:role-?play|pretend)\b|\blanguage model\b|\bOpenAI\b|\bhappy to help\b|"
    r"\bis there anything else I can (?:help|do)\b|\bI(?:'d| would) be (?:glad|happy) to assist\b)",
    re.IGNORECASE,
)
META_TALK = re.compile(
    r"\b(?:director note|system prompt|my instructions|these instructions|the simulation|frustration \d|"
    r"role-?play(?:ing)?|training scenario|next response|as (?:the|a) customer)\b",
    re.IGNORECASE,
)
#: Narrating about the customer instead of speaking as the customer ("The customer's order number is...").
NARRATION = re.compile(r"\b(?:the|this|a|good) (?:customer|client)(?:'s)?\b|^\s*(?:he|she|they) (?:says?|said)\b",
                       re.IGNORECASE)
ROLE_PREFIX = re.compile(r"^\s*(?:\*\*)?(?:customer|agent|assistant|[A-Z][a-z]+(?: [A-Z][a-z]+)?)\s*(?:\*\*)?:\s*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MAX_SENTENCES = 3
MAX_CHARS = 600
LEAK_WINDOW = 8


def clean(text: str, speaker: str) -> str:
    """Strip a role prefix and surrounding quotes; keep at most three sentences."""
    text = text.strip()
    match = ROLE_PREFIX.match(text)
    if match and (match.group(0).lower().startswith(("customer", "agent", "assistant")) or speaker in match.group(0)):
        text = text[match.end():]
    text = text.strip().strip('"').strip()
    sentences = SENTENCE_END.split(text)
    text = " ".join(sentences[:MAX_SENTENCES])
    return text[:MAX_CHARS].strip()


def _leaks(text: str, prompt: str) -> bool:
    words = re.findall(r"[a-z']+", prompt.lower())
    reply = " ".join(re.findall(r"[a-z']+", text.lower()))
    return any(" ".join(words[i:i + LEAK_WINDOW]) in reply for i in range(0, max(0, len(words) - LEAK_WINDOW)))


def violation(text: str, *, prompt: str = "", canary: str | None = None) -> str | None:
    """Why ``text`` cannot be the customer's reply, or ``None`` if it can."""
    if not text.strip():
        return "empty"
    if ASSISTANT_TALK.search(text):
        return "assistant talk"
    if META_TALK.search(text):
        return "talks about the simulation"
    if NARRATION.search(text):
        return "narrates instead of speaking as the customer"
    if canary and canary in text:
        return "prompt leak"
    if prompt and _leaks(text, prompt):
        return "prompt leak"
    return None
