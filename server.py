"""What ``streamlit run server.py`` (``make run``) serves: the app (app.py) plus two small routes of our own.

Streamlit cannot set a cookie from a script, so a password login is remembered through these routes (Streamlit's
``st.App``, which ``streamlit run`` detects in this file):

* ``POST /auth/session`` with ``{"code": ...}`` (sent by the page right after a login) exchanges the one-time code
  for the HTTP-only login cookie;
* ``POST /auth/logout`` (sent by the page after Log out) or a plain ``GET /auth/logout`` (which then goes to the
  start page) revokes the cookie's login session and clears the cookie.

app.py reads the cookie (``st.context.cookies``) when a browser session starts; see services/login_sessions.py.
"""

from __future__ import annotations

import json

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from streamlit.runtime.pages_manager import PagesManager

from services import Services
from services.login_sessions import COOKIE_NAME
from ui.context import app_services
from ui.login import auth_path, cookie_path


def _services() -> Services:
    return app_services()  # the process's one set of services, shared with the pages


def _same_origin(request: Request) -> bool:
    """A script on another site must not be able to log this browser in or out (login CSRF)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}" or \
        origin.split("://", 1)[-1] == request.headers.get("host")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def exchange_code(request: Request) -> Response:
    if not _same_origin(request):
        return Response("cross-site request refused", status_code=403)
    try:
        body = json.loads(await request.body() or b"{}")
        code = body.get("code") if isinstance(body, dict) else None
    except ValueError:
        code = None
    if not isinstance(code, str):
        return Response("no code", status_code=400)
    cookie = await run_in_threadpool(_services().login_sessions.exchange, code)
    if cookie is None:
        return Response("unknown, used or expired code", status_code=400)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(COOKIE_NAME, cookie.value, max_age=cookie.max_age, path=cookie_path(), httponly=True,
                        samesite="lax", secure=_secure(request))
    return response


async def log_out(request: Request) -> Response:
    if request.method == "POST" and not _same_origin(request):
        return Response("cross-site request refused", status_code=403)
    value = request.cookies.get(COOKIE_NAME)
    if value:
        await run_in_threadpool(_services().login_sessions.end_by_cookie, value)
    response: Response = Response(status_code=204) if request.method == "POST" \
        else RedirectResponse(cookie_path(), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(COOKIE_NAME, path=cookie_path(), httponly=True, samesite="lax", secure=_secure(request))
    return response


# app.py navigates with st.navigation. Left unset, Streamlit guesses from the pages/ folder and runs a fresh
# process's first request in its legacy pages/ mode, which ui.context._through_navigation answers with a rerun:
# that rerun dropped what the request carried (a message sent into a replica that had just taken over a browser
# from a dead one). Set before any browser session exists, the guess is never made.
PagesManager.uses_pages_directory = False

app = st.App("app.py", routes=[
    Route(auth_path("session"), exchange_code, methods=["POST"]),
    Route(auth_path("logout"), log_out, methods=["GET", "POST"]),
])

if __name__ == "__main__":
    app.run()
