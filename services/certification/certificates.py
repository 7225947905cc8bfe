"""Certificates: the PDF (fpdf2: who passed what, when, with which score, and the code that verifies it), the public
check (rate-limited) and verification."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from db import audit
from services import rate_limit
from services.auth import Actor
from services.certification.hr_report import HRReport
from services.certification.views import CertificateCheck
from services.rate_limit import RateLimited
from services.views import PracticeError

#: A Unicode font when the system has one (names are not always Latin-1); fpdf2's core font otherwise.
UNICODE_FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
                 Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"))


#: The app's address on the developer's own machine when the page does not say which port it runs on (the port in
#: .streamlit/config.toml): what a certificate printed in development points to. Production prints none until
#: PUBLIC_URL is set (:meth:`Certificates.pdf_refusal`).
LOCAL_URL = "http://localhost:8501"


def verify_address(public_url: str | None, code: str, local_url: str | None = None) -> str:
    """Where a reader checks the code: the app's Verify page with the code filled in, at its public address (or,
    in development, the local one the app runs on). A page's name alone ("the Verify page of the practice app")
    leads nobody outside to it."""
    return f"Check it at {(public_url or local_url or LOCAL_URL).rstrip('/')}/verify?code={code}"


#: Text keeps this far from the page's edge (mm): 6 mm inside the inner border drawn at 14 mm.
TEXT_MARGIN = 20
#: Where the text starts (mm from the top) when it fits, the highest it may start, and the lowest it may reach
#: (the inner border is at 196 mm on A4 landscape).
TOP, HIGHEST_TOP, BOTTOM = 42.0, 22.0, 190.0
#: An overfull page scales every size and gap down in these steps, to at most this factor (a 7 pt name floor).
SCALES = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45)


@dataclass(frozen=True)
class _Block:
    """One paragraph: shrunk from ``size`` towards ``floor`` to fit on one line, then wrapped at ``floor``."""

    text: str
    size: float
    style: str = ""
    gap: float = 4
    color: tuple[int, int, int] = (30, 30, 30)
    floor: float | None = None  # None: never shrunk (text we wrote, known to fit)


@dataclass(frozen=True)
class _Placed:
    block: _Block
    size: float
    lines: tuple[str, ...]
    gap: float

    @property
    def height(self) -> float:
        return len(self.lines) * _leading(self.size) + self.gap


def _leading(size: float) -> float:
    """The line height (mm) for a font size (pt), as the certificate always had: half the size."""
    return size * 0.5


def _longest_prefix(pdf: FPDF, word: str, width: float) -> int:
    """How many characters of ``word`` fit in ``width`` (at least one, so wrapping always moves on)."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if pdf.get_string_width(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Lines of at most ``width`` at the current font: at spaces, and inside a word longer than a line."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if pdf.get_string_width(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while pdf.get_string_width(word) > width:
            cut = _longest_prefix(pdf, word, width)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    return [*lines, line] if line or not lines else lines


def _place(pdf: FPDF, family: str, block: _Block, width: float, scale: float) -> _Placed:
    """The block at ``scale``: its preferred size if it fits on one line, else the size that just fits (not below
    the floor), else wrapped at the floor."""
    size = block.size * scale
    pdf.set_font(family, block.style, size)
    natural = pdf.get_string_width(block.text)
    if natural <= width or block.floor is None:
        return _Placed(block, size, (block.text,), block.gap * scale)
    floor = min(block.floor * scale, size)
    fitting = int(size * width / natural * 2) / 2  # a string's width grows with the size: half-point steps
    if fitting >= floor:
        return _Placed(block, fitting, (block.text,), block.gap * scale)
    pdf.set_font(family, block.style, floor)
    return _Placed(block, floor, tuple(_wrap(pdf, block.text, width)), block.gap * scale)


def _layout(pdf: FPDF, family: str, blocks: list[_Block], width: float) -> tuple[float, list[_Placed]]:
    """Where the text starts and how each block is set: the first scale at which everything fits above
    :data:`BOTTOM`; at the smallest, the longest blocks lose their last lines (ending in "…") until it fits."""
    placed: list[_Placed] = []
    for scale in SCALES:
        placed = [_place(pdf, family, b, width, scale) for b in blocks]
        total = sum(p.height for p in placed)
        if total <= BOTTOM - HIGHEST_TOP:
            return max(HIGHEST_TOP, min(TOP, BOTTOM - total)), placed
    while sum(p.height for p in placed) > BOTTOM - HIGHEST_TOP:  # only text far longer than any stored name
        index = max(range(len(placed)), key=lambda i: len(placed[i].lines))
        cut = placed[index]
        if len(cut.lines) == 1:
            break
        pdf.set_font(family, cut.block.style, cut.size)
        last = cut.lines[-2]
        while last and pdf.get_string_width(last + "…") > width:
            last = last[:-1]
        placed[index] = _Placed(cut.block, cut.size, (*cut.lines[:-2], last + "…"), cut.gap)
    return HIGHEST_TOP, placed


def render_certificate(*, holder: str, campaign: str, score: int, issued_at: datetime, code: str,
                       public_url: str | None = None, local_url: str | None = None) -> bytes:
    """The certificate, one A4 landscape page. Names of any length stay inside the frame: shrunk down to a floor,
    then wrapped (inside a word that has no space); an overfull page scales everything down."""
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(TEXT_MARGIN, TEXT_MARGIN, TEXT_MARGIN)
    pdf.add_page()
    regular, bold = UNICODE_FONTS
    blocks = [
        _Block("CERTIFICATE OF ACHIEVEMENT", 30, "B", 8, (40, 70, 120)),
        _Block("This certifies that", 14, "", 6),
        _Block(holder, 28, "B", 8, floor=16),
        _Block("has passed the certification", 14, "", 4),
        _Block(campaign, 20, "B", 8, floor=12),
        _Block(f"with a score of {score} / 100 on {issued_at:%d %B %Y}", 14, "", 20),
        _Block(f"Verification code: {code}", 13, "B", 3, (40, 70, 120), floor=9),
        _Block(verify_address(public_url, code, local_url), 10, "", 0, (90, 90, 90), floor=7),
    ]
    if regular.exists() and bold.exists():
        pdf.add_font("Body", "", str(regular))
        pdf.add_font("Body", "B", str(bold))
        family = "Body"
    else:
        family = "Helvetica"  # Latin-1 only: anything else is printed as "?"
        blocks = [replace(b, text=b.text.encode("latin-1", "replace").decode("latin-1")) for b in blocks]
    width = pdf.w
    pdf.set_draw_color(40, 70, 120)
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, width - 20, pdf.h - 20)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, width - 28, pdf.h - 28)

    top, placed = _layout(pdf, family, blocks, pdf.epw - 2 * pdf.c_margin)
    pdf.set_y(top)
    for p in placed:
        pdf.set_font(family, p.block.style, p.size)
        pdf.set_text_color(*p.block.color)
        for text in p.lines:
            pdf.cell(0, _leading(p.size), text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(p.gap)
    return bytes(pdf.output())


def certificate_file_name(code: str) -> str:
    return f"certificate-{code}.pdf"


class Certificates(HRReport):
    def pdf_refusal(self) -> str | None:
        """Why no certificate PDF can be issued now, or None. In production a certificate must tell its reader the
        app's public address (``PUBLIC_URL``) to check it at; until that is set, passes and their codes are
        recorded (and verifiable) but no PDF is issued. Development prints the local address instead."""
        if self.settings.environment == "production" and not self.settings.public_url:
            return ("The certificate is recorded, but its PDF cannot be issued yet: the app's public address "
                    "(PUBLIC_URL) is not set, so the certificate could not tell its reader where to check it. An "
                    "admin sets PUBLIC_URL (e.g. https://practice.example.com) and restarts the app.")
        return None

    def certificate_pdf(self, actor: Actor, attempt_id: int, *, local_url: str | None = None) -> tuple[str, bytes]:
        """(file name, PDF) of an attempt's certificate: its holder, or staff who may see them; refused while
        :meth:`pdf_refusal` says why. ``local_url`` (the address this app runs on, from the page) is printed when
        ``PUBLIC_URL`` is unset in development."""
        view = self.attempt(actor, attempt_id)
        if view.certificate is None:
            raise PracticeError("This attempt has no certificate (only a pass gets one).")
        refusal = self.pdf_refusal()
        if refusal is not None:
            raise PracticeError(refusal)
        with self.work() as uow:
            cert = uow.campaigns.certificate(view.certificate)
            assert cert is not None
            pdf = render_certificate(holder=cert.holder, campaign=cert.campaign, score=cert.score,
                                     issued_at=cert.issued_at, code=cert.code, public_url=self.settings.public_url,
                                     local_url=local_url)
            return certificate_file_name(cert.code), pdf

    def check_certificate(self, code: str, *, client: str) -> CertificateCheck:
        """The public Verify page: :meth:`verify_certificate`, at most ``verify_checks_per_minute`` times per
        minute for one client (its IP address), counted in the database so every app process shares the count.

        Raises:
            RateLimited: the client has used up this minute's checks (nothing was looked up).
        """
        limit = self.settings.verify_checks_per_minute  # 0: no limit (development only: production refuses it)
        wait = rate_limit.hit(self.sessions, f"verify:{client}", limit=limit)
        if wait:
            raise RateLimited(f"Too many checks from your address: at most {limit} per minute. Try again in "
                              f"{wait} seconds.")
        return self.verify_certificate(code)

    def verify_certificate(self, code: str) -> CertificateCheck:
        """Anyone may check a code: it is valid when it exists, its attempt passed, and the audit chain agrees."""
        code = code.strip().upper()
        if len(code) > 40 or not code.isprintable():  # no code is longer; a NUL would not even reach PostgreSQL
            return CertificateCheck(code[:40].encode("unicode_escape").decode(), False, "No certificate has this code.")
        with self.work() as uow:
            cert = uow.campaigns.certificate(code)
            if cert is None:
                return CertificateCheck(code, False, "No certificate has this code.")
            attempt = uow.campaigns.attempt(cert.attempt_id)
            if attempt is None or attempt.outcome != "passed":
                return CertificateCheck(code, False, "The attempt behind this certificate is no longer a pass.")
            if not audit.matches(uow.db, "certificate", cert):
                return CertificateCheck(code, False, "This certificate does not match the audit log: it was altered.")
            return CertificateCheck(code, True, "Valid certificate.", cert.holder, cert.campaign, cert.score,
                                    cert.issued_at)
