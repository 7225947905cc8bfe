"""Certificates: the PDF (fpdf2: who passed what, when, with which score, and the code that verifies it), the public
check (rate-limited) and verification."""

from __future__ import annotations

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


def verify_address(public_url: str | None, code: str) -> str:
    """Where a reader checks the code: the app's public Verify page (with the code filled in) when the app's
    address is configured, else the page's name."""
    if public_url:
        return f"Check it at {public_url.rstrip('/')}/verify?code={code}"
    return "Check it on the Verify certificate page of the practice app (no login needed)"


def render_certificate(*, holder: str, campaign: str, score: int, issued_at: datetime, code: str,
                       public_url: str | None = None) -> bytes:
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    regular, bold = UNICODE_FONTS
    if regular.exists() and bold.exists():
        pdf.add_font("Body", "", str(regular))
        pdf.add_font("Body", "B", str(bold))
        family = "Body"
    else:
        family = "Helvetica"

        def latin(text: str) -> str:
            return text.encode("latin-1", "replace").decode("latin-1")

        holder, campaign = latin(holder), latin(campaign)
    width = pdf.w
    pdf.set_draw_color(40, 70, 120)
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, width - 20, pdf.h - 20)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, width - 28, pdf.h - 28)

    def line(text: str, size: int, style: str = "", y_gap: float = 4,
             color: tuple[int, int, int] = (30, 30, 30)) -> None:
        pdf.set_font(family, style, size)
        pdf.set_text_color(*color)
        pdf.cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(y_gap)

    pdf.set_y(42)
    line("CERTIFICATE OF ACHIEVEMENT", 30, "B", 8, (40, 70, 120))
    line("This certifies that", 14, "", 6)
    line(holder, 28, "B", 8)
    line("has passed the certification", 14, "", 4)
    line(campaign, 20, "B", 8)
    line(f"with a score of {score} / 100 on {issued_at:%d %B %Y}", 14, "", 20)
    line(f"Verification code: {code}", 13, "B", 3, (40, 70, 120))
    line(verify_address(public_url, code), 10, "", 0, (90, 90, 90))
    return bytes(pdf.output())


def certificate_file_name(code: str) -> str:
    return f"certificate-{code}.pdf"


class Certificates(HRReport):
    def certificate_pdf(self, actor: Actor, attempt_id: int) -> tuple[str, bytes]:
        """(file name, PDF) of an attempt's certificate: its holder, or staff who may see them."""
        view = self.attempt(actor, attempt_id)
        if view.certificate is None:
            raise PracticeError("This attempt has no certificate (only a pass gets one).")
        with self.work() as uow:
            cert = uow.campaigns.certificate(view.certificate)
            assert cert is not None
            pdf = render_certificate(holder=cert.holder, campaign=cert.campaign, score=cert.score,
                                     issued_at=cert.issued_at, code=cert.code, public_url=self.settings.public_url)
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
