"""What server.py adds in front of Streamlit for a server others can reach (``ENVIRONMENT=production``).

* Every HTTP response carries headers that keep the app out of other sites' frames and keep pages from loading
  images or objects from elsewhere (:data:`HEADERS`); the cluster's HAProxy sets the same on its way out.
* Streamlit's ``/_stcore/metrics`` (open to anyone, listing sessions and cache sizes) answers 404.
* The session-start message no longer tells every visitor the Streamlit and Python versions, the server's OS and
  the app's path on disk (:func:`hide_server_details`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The Content-Security-Policy: Streamlit's own scripts and styles need inline and eval (its charts and the login
#: page's cookie hand-over), so the policy closes what an injected text could use instead: images, media and
#: connections only from this server, no plugins, no <base>, forms only to this server, and no framing.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; connect-src 'self'; "
       "worker-src 'self' blob:; frame-src 'self' blob: data:; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
#: Streamlit addresses no visitor needs (under any ``server.baseUrlPath``).
HIDDEN = ("/_stcore/metrics",)


class SecurityHeaders:
    """Pure ASGI middleware (it leaves websockets and streamed bodies alone): the headers on every response, and
    404 for :data:`HIDDEN` addresses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if str(scope.get("path", "")).rstrip("/").endswith(HIDDEN):
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"text/plain"), *HEADERS]})
            await send({"type": "http.response.body", "body": b"Not found"})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in HEADERS if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def hide_server_details() -> None:
    """Blank the versions, OS and script path in Streamlit's session-start message (the page uses them only for
    its About box and usage statistics, both off here). A Streamlit without the method this wraps is said in the
    log and left as it is."""
    from streamlit.runtime.app_session import AppSession

    original: Callable[..., Any] | None = getattr(AppSession, "_create_new_session_message", None)
    if original is None or getattr(original, "_hides_details", False):
        if original is None:
            print("Warning: this Streamlit version's session-start message could not be trimmed; it tells visitors "
                  "the Streamlit and Python versions.", file=sys.stderr, flush=True)
        return

    def trimmed(self: AppSession, *args: Any, **kwargs: Any) -> Any:
        msg = original(self, *args, **kwargs)
        msg.new_session.initialize.environment_info.Clear()
        msg.new_session.main_script_path = "app.py"
        return msg

    trimmed._hides_details = True  # type: ignore[attr-defined]
    AppSession._create_new_session_message = trimmed  # type: ignore[method-assign]
