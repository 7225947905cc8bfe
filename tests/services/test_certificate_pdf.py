"""Long names on the PDF certificate: shrunk down to a floor, then wrapped onto further lines, never past the frame.

Checked with pypdfium2: every character of the name is on the page, and every character box and text object lies
inside the page (inside the inner frame, in fact). No database is needed: the PDF is built from plain values."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest

from services.certification import certificates
from services.certification.certificates import render_certificate

PT_PER_MM = 72 / 25.4
FRAME_MM = 14  # the inner border: text stays inside it
ISSUED = datetime(2025, 3, 14, tzinfo=UTC)
LONG_NAME = " ".join(["Maximiliane-Alexandra", "von", "Hohenzollern-Sigmaringen"] * 6)[:200]
ONE_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3  # 135 characters, no space to break at
GREEK_CYRILLIC = "Αλεξάνδρα Παπαδοπούλου-Κωνσταντινίδου Анастасия Александровна Константинопольская " * 2


def _pdf(holder: str, campaign: str = "Q4 certification", url: str | None = None) -> bytes:
    return render_certificate(holder=holder, campaign=campaign, score=87, issued_at=ISSUED, code="AB12-CD34-EF56",
                              public_url=url)


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _check_inside(pdf: bytes, *texts: str) -> str:
    """Assert every character of ``texts`` is on page 1 and nothing is drawn past the inner frame; the page text."""
    page = pypdfium2.PdfDocument(pdf)[0]
    width, height = page.get_width(), page.get_height()
    left, right = FRAME_MM * PT_PER_MM, width - FRAME_MM * PT_PER_MM
    textpage = page.get_textpage()
    found = textpage.get_text_range()
    for text in texts:
        assert _squeezed(text) in _squeezed(found), f"not all of {text[:40]!r}... is on the page"
    outside = []
    for index in range(textpage.count_chars()):
        x0, y0, x1, y1 = textpage.get_charbox(index)
        if x1 > x0 and not (left <= x0 <= x1 <= right and 0 <= y0 <= y1 <= height):
            outside.append((found[index] if index < len(found) else "?", round(x0), round(x1)))
    assert not outside, f"{len(outside)} characters outside the frame (page width {width:.0f} pt): {outside[:8]}"
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
        x0, y0, x1, y1 = obj.get_bounds()
        assert left <= x0 <= x1 <= right and 0 <= y0 <= y1 <= height, (x0, x1, width)
    return found


@pytest.mark.parametrize(("holder", "campaign"), [
    (LONG_NAME, "Q4 certification"),
    (ONE_WORD, "Q4 certification"),
    ("Ann Example", "Handling hostile customers on the phone: " * 3),
    (ONE_WORD[:80], "X" * 120),
    (GREEK_CYRILLIC[:160], "Сертификация по работе с трудными клиентами, четвёртый квартал " * 2),
], ids=["200-char name", "135-char word", "long campaign", "no-space campaign", "greek and cyrillic"])
def test_long_names_fit_inside_the_frame(holder: str, campaign: str) -> None:
    _check_inside(_pdf(holder, campaign), holder, campaign)


def test_a_long_verify_address_wraps_too() -> None:
    url = "https://practice.example.com/" + "very-long-path-segment/" * 8
    _check_inside(_pdf("Ann Example", url=url), url.rstrip("/"))


def test_text_far_longer_than_any_stored_name_is_cut_with_an_ellipsis_but_stays_inside() -> None:
    """The database holds at most 80 characters of a name and 120 of a campaign's; a 3,000-character one (only
    possible by calling the renderer directly) still never leaves the frame."""
    found = _check_inside(_pdf("A" * 3000, "B " * 2000), "CERTIFICATE OF ACHIEVEMENT", "AB12-CD34-EF56")
    assert "…" in found and "with a score of 87 / 100" in found


def test_a_short_name_keeps_its_large_size_and_one_line() -> None:
    """Only long text is shrunk: a usual name is still printed as large as before, on one line."""
    textpage = pypdfium2.PdfDocument(_pdf("Ann Example"))[0].get_textpage()
    found = textpage.get_text_range()
    start = found.index("Ann Example")
    assert "\n" not in found[start:start + len("Ann Example")]
    assert textpage.get_charbox(start)[3] - textpage.get_charbox(start)[1] > 14  # 28 pt bold: glyphs > 14 pt high


def test_without_the_unicode_font_latin_text_still_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(certificates, "UNICODE_FONTS", (Path("/nonexistent/a.ttf"), Path("/nonexistent/b.ttf")))
    _check_inside(_pdf(LONG_NAME, "Z" * 120), LONG_NAME, "Z" * 120)


def test_the_rendered_page_shows_the_long_name(tmp_path: Path) -> None:
    """Rendered to PNG (looked at by eye when this was written): the frame's right half holds dark text pixels but
    the margin outside the frame stays white."""
    image = pypdfium2.PdfDocument(_pdf(LONG_NAME, "X" * 120))[0].render(scale=2).to_pil().convert("L")
    image.save(tmp_path / "certificate.png")
    width, height = image.size
    margin = int(width * 8 / 297)  # the 8 mm outside the outer border (drawn 1.5 mm wide at 10 mm)
    assert image.crop((0, 0, margin, height)).getextrema()[0] > 240
    assert image.crop((width - margin, 0, width, height)).getextrema()[0] > 240
    inside = int(width * 16 / 297)  # within the inner border: the wrapped name reaches out on both sides
    assert image.crop((inside, inside, width // 4, height - inside)).getextrema()[0] < 100
    assert image.crop((width * 3 // 4, inside, width - inside, height - inside)).getextrema()[0] < 100
