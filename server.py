"""What ``streamlit run server.py`` (``make run``) serves: the app (app.py) plus two small routes of our own.

Streamlit cannot set a cookie from a script, so a password login is remembered through these routes (Streamlit's
``st.App``, which ``streamlit run`` detects in this file):

* ``POST /auth/session`` with ``{"code": ...}`` (sent by the page right after a login) exchanges the one-time code
  for the HTTP-only login cookie, and the known-device cookie that logout keeps (a lockout after failed logins
  does not stop a browser that has logged in to that account before);
* ``POST /auth/logout`` (sent by the page after Log out) or a plain ``GET /auth/logout`` (which then goes to the
  start page) revokes the cookie's login session and clears the cookie; from another site (a link, a form), both
  are refused.

Every response carries the security headers of server_security.py (no framing, images only from this server),
Streamlit's metrics address answers 404, and the session-start message does not tell the versions or the path.

app.py reads the cookie (``st.context.cookies``) when a browser session starts; see services/login_sessions.py.

Before serving, outside development, it refuses to start on unsafe settings (:func:`settings.production_problems`,
plus Streamlit's own XSRF protection switched off), and on a database without accounts prints a one-time setup token
for the first admin (services/first_run.py).
"""

from __future__ import annotations

import json
import sys

import streamlit as st
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager

from server_security import SecurityHeaders, hide_server_details
from services import Services
from services.login_sessions import COOKIE_NAME, DEVICE_COOKIE_NAME, DEVICE_LIFETIME
from settings import Settings, get_settings, production_problems, production_warnings
from ui.context import app_services
from ui.login import auth_path, cookie_path, sso_configured


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
    response.set_cookie(DEVICE_COOKIE_NAME, cookie.device, max_age=int(DEVICE_LIFETIME.total_seconds()),
                        path=cookie_path(), httponly=True, samesite="lax", secure=_secure(request))
    return response


async def log_out(request: Request) -> Response:
    if not _same_origin(request):  # a link or a form on another site must not log this browser out either
        return Response("cross-site request refused", status_code=403)
    value = request.cookies.get(COOKIE_NAME)
    if value:
        await run_in_threadpool(_services().login_sessions.end_by_cookie, value)
    response: Response = Response(status_code=204) if request.method == "POST" \
        else RedirectResponse(cookie_path(), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(COOKIE_NAME, path=cookie_path(), httponly=True, samesite="lax", secure=_secure(request))
    return response


def _refuse_unsafe_settings() -> Settings:
    """The settings, or the process ends (exit 1) listing every unsafe one: a server that others can reach must
    not start with a default meant for a laptop."""
    try:
        settings = get_settings()
        problems = production_problems(settings, sso=sso_configured())
    except ValidationError as exc:
        settings, problems = None, [str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()]
    if settings is not None and settings.environment == "production" and \
            not config.get_option("server.enableXsrfProtection"):
        problems.append("server.enableXsrfProtection is off: another site could submit this app's forms in a "
                        "logged-in trainer's browser. Remove that setting.")
    if problems or settings is None:
        print("Refusing to start: " + "\n".join(problems), file=sys.stderr, flush=True)
        raise SystemExit(1)
    for warning in production_warnings(settings, sso=sso_configured()):
        print(f"Warning: {warning}", file=sys.stderr, flush=True)
    if settings.environment == "production" and not config.is_manually_set("client.showErrorDetails"):
        config.set_option("client.showErrorDetails", "none")  # a page never shows a traceback to a visitor
    return settings


def _announce_first_run(settings: Settings) -> None:
    """On a database without accounts: print a one-time setup token to this log (in development it is needed only
    from another machine)."""
    try:
        issued = _services().first_run.issue_token()
    except Exception as exc:  # e.g. the database is unreachable: the page says so; the token comes at next start
        print(f"Could not check for accounts: {str(exc).splitlines()[0][:200]}", file=sys.stderr, flush=True)
        return
    if issued is not None:
        where = settings.public_url or "this server's address"
        needed = "" if settings.environment == "production" else " (development: needed only from another machine)"
        print(f"No accounts exist yet. To create the first admin, open {where} and enter this setup token{needed}; "
              f"it works once, until {issued.expires_at:%H:%M} UTC:\nSetup token: {issued.token}", file=sys.stderr,
              flush=True)


_announce_first_run(_refuse_unsafe_settings())

# app.py navigates with st.navigation. Left unset, Streamlit guesses from the pages/ folder and runs a fresh
# process's first request in its legacy pages/ mode, which ui.context._through_navigation answers with a rerun:
# that rerun dropped what the request carried (a message sent into a replica that had just taken over a browser
# from a dead one). Set before any browser session exists, the guess is never made.
PagesManager.uses_pages_directory = False

hide_server_details()
app = st.App("app.py", middleware=[Middleware(SecurityHeaders)], routes=[
    Route(auth_path("session"), exchange_code, methods=["POST"]),
    Route(auth_path("logout"), log_out, methods=["GET", "POST"]),
])

if __name__ == "__main__":
    app.run()
