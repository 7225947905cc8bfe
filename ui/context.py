"""What every page needs: the services (created once per process) and one typed UI-state object."""

from __future__ import annotations

import re
import secrets
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import streamlit as st

from services import Actor, PracticeError, ReviewFilters, Services, build_services
from services.rate_limit import UNKNOWN, client_key
from settings import get_settings

T = TypeVar("T")

#: The marks Markdown, HTML (tags, entities), LaTeX and Streamlit's colours use: escaped, none of them is syntax.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")
#: Where the browser's renderer makes a link or an icon out of plain text, after escapes are read: GitHub's
#: autolinks (``http://``, ``www.``, e-mail addresses) and Streamlit's ``:material/…:`` icons and ``:emoji:``
#: codes. An invisible zero-width space there breaks the pattern and leaves the words as they read (text search,
#: Playwright's included, ignores it).
_AUTOLINKED = re.compile(r"(?<=:)(?=[^\s\d])|(?<=www)(?=\.)|(?<=@)(?=\S)", re.IGNORECASE)
ZERO_WIDTH_SPACE = "\u200b"


class _ProcessServices:
    """The process's one set of services, built on first use and kept for the life of the process.

    Deliberately *not* in ``st.cache_resource``: any browser, logged in or not, can send Streamlit's clear-cache
    message, and a cached set would then be rebuilt (migration check, persona catalog, past overrides) on the
    next run of every page; a flood of those messages stalled the login page for everyone. Nothing a client
    sends reaches this object. ``clear()`` is for tests that change the settings between apps.
    """

    def __init__(self) -> None:
        self._built: Services | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Services:
        built = self._built
        if built is None:
            with self._lock:
                if self._built is None:
                    self._built = build_services(get_settings())
                built = self._built
        return built

    def clear(self) -> None:
        with self._lock:
            self._built = None


app_services = _ProcessServices()


@dataclass
class ScenarioEditor:
    """What the scenario author is working on: the text (also saved as a draft), and the test chat's messages.

    ``revision`` changes whenever the text is replaced from outside a widget, so the form and YAML widgets
    (keyed by it) show the new text instead of their old state.
    """

    slug: str
    text: str
    source: str = "editor"
    revision: int = 0
    test_messages: list[str] = field(default_factory=list)

    def replace(self, text: str, *, slug: str | None = None, source: str | None = None) -> None:
        self.text, self.revision, self.test_messages = text, self.revision + 1, []
        self.slug = slug or self.slug
        self.source = source or self.source


@dataclass
class BrowserLogin:
    """How this browser session's password login is remembered across reloads (services/login_sessions.py)."""

    #: The server-side login session this browser session runs on (None: not logged in with a password here).
    login_session_id: int | None = None
    #: The one-time code the page still has to exchange for the login cookie.
    cookie_code: str | None = None
    #: The login cookie is read once, when the browser session starts.
    cookie_checked: bool = False
    #: The page should clear the login cookie (after Log out, or when it no longer logs anyone in).
    forget_cookie: bool = False
    #: Why a remembered login ended (shown above the login form).
    notice: str | None = None


@dataclass
class RubricEditorState:
    text: str
    revision: int = 0
    tested: str | None = None

    def replace(self, text: str) -> None:
        self.text, self.revision = text, self.revision + 1


@dataclass
class ReviewState:
    """The Review page's filters as last applied, kept for the browser session (a trainer who opens a transcript
    and comes back finds the list as they left it)."""

    filters: ReviewFilters
    size: int = 50
    page: int = 1


@dataclass
class ChatUI:
    """The browser session's state (the only object kept in ``st.session_state``)."""

    session_id: int | None = None
    #: The chat on screen as last drawn (messages, still active): pages/chat.py redraws when it changes.
    chat_stamp: tuple[int, bool] | None = None
    user_id: int | None = None
    notice: str | None = None
    editor: ScenarioEditor | None = None
    #: The rubric being edited (the Rubric page), its widget revision, and the text its last test ran on.
    rubric: RubricEditorState | None = None
    #: The certification attempt on screen, and this browser session's token that holds it.
    attempt_id: int | None = None
    holder: str = field(default_factory=lambda: secrets.token_hex(8))
    #: app.py showed only the running attempt's page on this run (once the attempt ends, the page reruns so
    #: the navigation comes back before it links to other pages).
    attempt_locked: bool = False
    #: An action waiting for its confirming second click (e.g. ``finish-3``, ``review-5``), and a sentence
    #: saying what the last confirmed action did (shown once).
    confirming: str | None = None
    done: str | None = None
    login: BrowserLogin = field(default_factory=BrowserLogin)
    #: The Review page's filters (None: the page's defaults).
    review: ReviewState | None = None
    #: The report's dispute form that is open (``(chat id, criterion id)``), if any.
    disputing: tuple[int, str] | None = None
    #: The (chat, criterion) whose dispute was just sent: its criterion opens once more and says so.
    dispute_sent: tuple[int, str] | None = None


def chat_ui() -> ChatUI:
    if "chat_ui" not in st.session_state:
        st.session_state["chat_ui"] = ChatUI()
    ui: ChatUI = st.session_state["chat_ui"]
    return ui


def current_actor() -> Actor | None:
    """The logged-in user, re-read from the database on every run (a deleted account is logged out)."""
    ui = chat_ui()
    return app_services().auth.actor(ui.user_id) if ui.user_id is not None else None


def _through_navigation() -> None:
    """Make sure this run went through app.py's ``st.navigation`` (and so its login and role checks).

    Streamlit runs the first request of a fresh process in its legacy ``pages/`` mode when the address names
    a page (``/report?session=5`` right after a restart): the page script runs alone, without app.py.  Switch
    the process to navigation mode and rerun, so app.py decides what this address shows.  Only a new browser
    session can be in that state (AppTest runs every script in legacy mode, with its session state prepared).
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and "chat_ui" not in st.session_state:
        PagesManager.uses_pages_directory = False
        st.rerun()


def client_address() -> str:
    """Who is asking, for the rate limits (:func:`services.rate_limit.client_key`): the balancer's header when
    ``CLIENT_IP_HEADER`` is configured, else the connection's address. In production a request without any address
    (a proxy on this machine, and ``CLIENT_IP_HEADER`` unset) is said once in the log: every client would share one
    count."""
    settings = get_settings()
    header = settings.client_ip_header
    forwarded, connection = st.context.headers.get(header) if header else None, st.context.ip_address
    key = client_key(forwarded if isinstance(forwarded, str) else None,  # strings only (AppTest has no request)
                     connection if isinstance(connection, str) else None)
    if key == UNKNOWN and settings.environment == "production" and not _WARNED:
        _WARNED.append(True)
        print("Warning: a request came without a client address (a proxy on this machine?): set CLIENT_IP_HEADER, "
              "or every client shares one login and verify limit.", file=sys.stderr, flush=True)
    return key


_WARNED: list[bool] = []


def local_address() -> str:
    """This app's address on this machine (the port it actually runs on), for a certificate printed in development."""
    return f"http://localhost:{st.get_option('server.port')}"


def public_page() -> None:
    """The start of a page anyone may open, logged in or not (the Verify page): only the navigation check."""
    _through_navigation()


def require_actor() -> Actor:
    _through_navigation()
    actor = current_actor()
    if actor is None:
        st.warning("Please log in.")
        st.stop()
    return actor


def or_stop(call: Callable[[], T]) -> T:
    """A page's first service call: a refusal (or any other plain service message) is shown and ends the page."""
    try:
        return call()
    except PracticeError as exc:
        st.error(plain(str(exc)))
        st.stop()


def plain(text: str) -> str:
    """Text a person or the model wrote (names, titles, messages, reasons, comments), for any element that renders
    Markdown (``st.markdown``, captions, alerts, headings, and the labels of buttons, expanders, tabs and page links):
    shown as typed, line breaks kept, never as a link, an image, emphasis, a heading or HTML."""
    text = _AUTOLINKED.sub(ZERO_WIDTH_SPACE, text.replace("\r\n", "\n").replace("\r", "\n"))
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    escaped = re.sub(r"(?m)^[ \t]+", "", escaped)  # an indented line would be a code block
    return escaped.replace("\n", "  \n")


#: The largest id a row can have: PostgreSQL's ids are ``integer`` columns (32 bits; the migrations use
#: ``sa.Integer``), and a larger number makes the query itself fail there ("integer out of range").
MAX_ID = 2**31 - 1
#: ASCII digits only: ``"²".isdigit()`` is True, yet ``int("²")`` raises (and ``int("٣")`` is 3).
_ID = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class AddressId:
    """An id read from the address (``?session=5``): ``value`` is None when the address has none (``raw`` None)
    or when what it has cannot name a row, so no query ever runs on it."""

    raw: str | None
    value: int | None

    @property
    def invalid(self) -> bool:
        """The address holds something that is not an id: the page says no such thing exists."""
        return self.raw is not None and self.value is None

    def not_found(self, noun: str) -> str:
        """The page's "No chat with id …" for what the address held (shortened; plain text, for :func:`plain`)."""
        raw = self.raw or ""
        return f"No {noun} with id {raw if len(raw) <= 40 else raw[:40] + '…'}."


def id_param(name: str) -> AddressId:
    """The ``?name=ID`` in the address, checked in one place before any page uses it."""
    raw = st.query_params.get(name)
    if raw is None or not raw.strip():  # ``?session=``: as if none were given
        return AddressId(None, None)
    value = int(raw) if _ID.fullmatch(raw) else None
    return AddressId(raw, value if value is not None and 0 < value <= MAX_ID else None)


def session_param() -> int | None:
    """The ``?session=ID`` in the address, if it is an id (see :func:`id_param`)."""
    return id_param("session").value
