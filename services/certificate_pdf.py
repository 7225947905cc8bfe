"""The PDF certificate (fpdf2): who passed what, when, with which score, and the code that verifies it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fpdf import FPDF

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
