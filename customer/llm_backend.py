"""The LLM customer: persona system prompt + director note, streamed, guarded.

The reply streams as the model writes it, but the first characters are held
back until the guard has seen them (assistant talk shows up at the start).  A
reply the guard rejects is regenerated once without streaming, then replaced
by a scripted line; ``ReplyStream.text`` is always the text that is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from customer.backend import ReplyContext, ReplyStream, Turn
from customer.director import director_note, system_prompt
from customer.guard import clean, violation
from customer.scripted import LinePicker, compose
from llm.client import ChatMessage, ChatModel, Usage
from llm.tokens import count_tokens

HOLD_BACK_CHARS = 60
MAX_REPLY_TOKENS = 120
GREETING = "Hello, you're through to customer service. What's happened?"


def fit_history(system: str, note: str, history: Sequence[Turn], *, budget: int,
                count: Callable[[str], int], me: str | None = None) -> list[ChatMessage]:
    """System prompt, the newest turns that fit ``budget`` tokens, then the director note. In a dispute (``me`` is
    this customer's name), the other customer's lines are the user's, marked with their name."""
    used = count(system) + count(note) + MAX_REPLY_TOKENS
    kept: list[ChatMessage] = []
    for turn in reversed(history):
        cost = count(turn.content) + 4
        if used + cost > budget:
            break
        used += cost
        if turn.role == "customer" and me is not None and turn.speaker not in (None, me):
            kept.append({"role": "user", "content": f"{turn.speaker} (the other customer): {turn.content}"})
            continue
        kept.append({"role": "assistant" if turn.role == "customer" else "user", "content": turn.content})
    kept.reverse()
    if not kept or kept[0]["role"] != "user":
        kept.insert(0, {"role": "user", "content": GREETING})
    return [{"role": "system", "content": system}, *kept, {"role": "system", "content": note}]


class LLMCustomerBackend:
    """Any :class:`ChatModel` playing the persona."""

    def __init__(self, chat: ChatModel, *, context_tokens: int = 3000, temperature: float = 0.8,
                 canary: str | None = None, name: str = "openai",
                 counter: Callable[[str], int] | None = None) -> None:
        """``counter`` counts tokens the way the model does (tiktoken by model name when not given)."""
        self.chat = chat
        self.name = name
        self.count: Callable[[str], int] = counter or (lambda text: count_tokens(text, chat.model))
        self.model: str | None = chat.model
        self.context_tokens = context_tokens
        self.temperature = temperature
        self.canary = canary

    def messages(self, ctx: ReplyContext) -> list[ChatMessage]:
        system = system_prompt(ctx.persona)
        if self.canary:
            system += f"\n(Internal reference {self.canary}: never repeat it.)"
        return fit_history(system, director_note(ctx), ctx.history, budget=self.context_tokens, count=self.count,
                           me=ctx.persona.name if ctx.cue else None)

    def reply(self, ctx: ReplyContext) -> ReplyStream:
        stream = ReplyStream(chunks=iter(()))
        stream.chunks = self._generate(ctx, stream)
        return stream

    def _generate(self, ctx: ReplyContext, out: ReplyStream) -> Iterator[str]:
        messages = self.messages(ctx)
        prompt = messages[0]["content"]
        usage = Usage()
        held, sent, aborted = "", False, False
        pieces: list[str] = []
        #: After the first HOLD_BACK_CHARS, the newest characters are still held back so that a canary split
        #: across chunks is caught before any of it reaches the screen.
        keep = len(self.canary) - 1 if self.canary else 0
        for chunk in self.chat.stream(messages, max_tokens=MAX_REPLY_TOKENS, temperature=self.temperature,
                                      usage=usage):
            pieces.append(chunk)
            held += chunk
            if sent:
                if self.canary and self.canary in "".join(pieces):
                    aborted = True
                    break
                if len(held) > keep:
                    yield held[:len(held) - keep]
                    held = held[len(held) - keep:]
                continue
            if len(held) >= HOLD_BACK_CHARS:
                if violation(held, prompt=prompt, canary=self.canary):
                    aborted = True
                    break
                sent = True
                yield held[:len(held) - keep]
                held = held[len(held) - keep:]
        if sent and not aborted and held:
            yield held
        text = clean("".join(pieces), ctx.persona.name)
        reason = violation(text, prompt=prompt, canary=self.canary) or ("assistant talk" if aborted else None)
        if not sent and reason is None:
            yield text
        self._account(out, messages, text, usage)
        if reason is not None:
            out.guard = reason
            text = self._retry_or_script(ctx, messages, prompt, out)
            if not sent:
                yield text
        out.text = text

    def _retry_or_script(self, ctx: ReplyContext, messages: list[ChatMessage], prompt: str, out: ReplyStream) -> str:
        usage = Usage()
        retry = clean(self.chat.complete(messages, max_tokens=MAX_REPLY_TOKENS, temperature=self.temperature,
                                         usage=usage), ctx.persona.name)
        self._account(out, messages, retry, usage)
        if violation(retry, prompt=prompt, canary=self.canary) is None:
            return retry
        picker = LinePicker(ctx.state, ctx.seed)
        text = compose(ctx, picker)
        out.used_lines = picker.picked
        out.guard = f"{out.guard}; replaced by a scripted line"
        return text

    def _account(self, out: ReplyStream, messages: list[ChatMessage], text: str, usage: Usage) -> None:
        """Tokens as the server reports them (its own tokenizer), else counted here."""
        out.tokens_in += usage.prompt_tokens or sum(self.count(m["content"]) + 4 for m in messages)
        out.tokens_out += usage.completion_tokens or self.count(text)
