"""A model may say the chosen hint better for this conversation; it never chooses it.

The model gets the hint's words and the last few messages and is asked for the same advice in at most
:data:`MAX_WORDS` words, without writing the trainee's reply. An answer that fails, is empty, too long, or loses
the hint's point (it reads like a customer line or a ready-made reply) is dropped and the hint keeps its own words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hints import Hint
from llm import ChatModel, LLMError

MAX_WORDS = 45
#: Ready-made replies and role slips: the hint must stay advice about the next message.
NOT_ADVICE = re.compile(r"^\s*(?:[\"“]|dear\b|hi\b|hello\b|customer:|agent:|as an ai\b)", re.IGNORECASE)
SYSTEM = ("You coach a customer-service trainee in a practice chat. Rewrite the coach's hint so it fits this "
          f"conversation, in at most {MAX_WORDS - 10} words, second person, plain words. Keep its advice exactly; add "
          "no other advice; do not write the trainee's reply for them; no quotes around the whole hint.")


def phrase(model: ChatModel, hint: Hint, turns: Sequence[tuple[str, str]]) -> str | None:
    """The hint in the model's words, or ``None`` when the model's answer is not usable."""
    recent = "\n".join(f"{'Trainee' if role == 'agent' else 'Customer'}: {text[:600]}" for role, text in turns[-6:])
    try:
        answer = model.complete([{"role": "system", "content": SYSTEM},
                                 {"role": "user", "content": f"Conversation so far:\n{recent}\n\nHint: {hint.text}"}],
                                max_tokens=120, temperature=0.3)
    except LLMError:
        return None
    text = " ".join(answer.split())
    if not text or len(text.split()) > MAX_WORDS or NOT_ADVICE.search(text):
        return None
    return text
