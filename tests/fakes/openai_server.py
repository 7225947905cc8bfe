"""FakeOpenAIServer: a small OpenAI-compatible HTTP server on loopback, for tests.

It is a fake (canned replies, not a model), but it speaks real HTTP and the
real chat-completions wire format, streaming (server-sent events) and not, so
the real ``openai`` SDK talks to it unchanged.  Queue replies with
:meth:`enqueue`; each request body is kept in :attr:`requests`.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    status: int
    body: str = '{"error": {"message": "injected fault", "type": "server_error"}}'
    headers: dict[str, str] | None = None


@dataclass
class Reset:
    """Drop the connection (TCP reset) without answering."""


@dataclass
class Cut:
    """Stream the first half of ``text``, then drop the connection (no finish reason, no [DONE])."""

    text: str


@dataclass
class Hang:
    """Answer nothing for ``seconds`` (past the client's timeout), then close."""

    seconds: float


class _Server(ThreadingHTTPServer):
    #: The default listen backlog (5) refuses connections when twenty trainees call at once; real servers queue.
    request_queue_size = 128
    daemon_threads = True


class FakeOpenAIServer:
    def __init__(self) -> None:
        self.replies: deque[str | Fault | Hang | Reset | Cut] = deque()
        self.requests: list[dict[str, Any]] = []
        self.default = "Fine. Go on."
        #: Builds the reply from the request when nothing is queued (e.g. a model that falls for every trick).
        self.responder: Callable[[dict[str, Any]], str] | None = None
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def enqueue(self, *replies: str | Fault | Hang | Reset | Cut) -> None:
        self.replies.extend(replies)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                reply = (fake.replies.popleft() if fake.replies else
                         fake.responder(body) if fake.responder else fake.default)
                if isinstance(reply, Hang):
                    time.sleep(reply.seconds)
                    return
                if isinstance(reply, Reset):
                    self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.request.close()
                    return
                if isinstance(reply, Cut):
                    self._stream(reply.text, body, cut=True)
                    return
                if isinstance(reply, Fault):
                    self._send(reply.status, reply.body.encode(), "application/json", reply.headers)
                elif body.get("stream"):
                    self._stream(reply, body)
                else:
                    self._send(200, json.dumps(self._completion(reply, body)).encode(), "application/json")

            def _send(self, status: int, payload: bytes, content_type: str,
                      headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            @staticmethod
            def _completion(text: str, body: dict[str, Any]) -> dict[str, Any]:
                return {
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                    "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": len(text.split()),
                              "total_tokens": 100 + len(text.split())},
                }

            def _stream(self, text: str, body: dict[str, Any], cut: bool = False) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                words = text.split(" ")
                for i, word in enumerate(words):
                    if cut and i == len(words) // 2:
                        self.wfile.flush()
                        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        self.request.close()
                        return
                    piece = word if i == len(words) - 1 else word + " "
                    chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                             "model": body["model"],
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                done = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(done)}\n\n".encode())
                usage = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                         "model": body["model"], "choices": [],
                         "usage": {"prompt_tokens": 100, "completion_tokens": len(words), "total_tokens": 0}}
                self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        return Handler
