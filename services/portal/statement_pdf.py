"""The person's statement (statement.py) as a PDF to hand over or post: the same Statement as the HTML
page, set in DejaVu Sans (embedded, so every language's letters show on any reader) by fpdf2.

The font comes from Debian's fonts-dejavu-core (`make setup` installs it). Pure: Statement in, bytes out.
Caller: the portal's statement route, for the case's current case manager only.
"""

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from services.portal.statement import Line, Statement

__all__ = ["FONTS", "statement_pdf"]

FONTS = Path("/usr/share/fonts/truetype/dejavu")
FAMILY = "DejaVu"
WIDTHS = (24, 34, 54, 44, 34)
"""Millimetres of the five columns on an A4 page with 12 mm margins (186 mm)."""


def statement_pdf(statement: Statement, *, fonts: Path = FONTS) -> bytes:
    pdf = _document(statement, fonts)
    _heading(pdf, statement)
    _summary(pdf, statement)
    if statement.lines:
        _table(pdf, statement)
    _paragraphs(pdf, statement.texts.rights_heading, statement.texts.rights)
    return bytes(pdf.output())


def _document(statement: Statement, fonts: Path) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_font(FAMILY, "", fonts / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", fonts / "DejaVuSans-Bold.ttf")
    pdf.set_title(statement.texts.title)
    pdf.set_subject(statement.texts.caption)
    pdf.set_lang(statement.language)
    pdf.set_creator("drr-notify portal")
    pdf.add_page()
    return pdf


def _heading(pdf: FPDF, statement: Statement) -> None:
    texts = statement.texts
    _text(pdf, texts.title, size=16, bold=True)
    if statement.person_name:
        _text(pdf, f"{texts.person}: {statement.person_name}")
    _text(pdf, f"{texts.case}: {statement.case_id}")
    _text(pdf, texts.produced)
    pdf.ln(2)
    _text(pdf, texts.intro)


def _summary(pdf: FPDF, statement: Statement) -> None:
    items = [f"• {agency}" for agency in statement.agencies] or [statement.texts.empty]
    _paragraphs(pdf, statement.texts.summary_heading, items)


def _table(pdf: FPDF, statement: Statement) -> None:
    _text(pdf, statement.texts.table_heading, size=13, bold=True, before=4)
    _text(pdf, statement.texts.caption, size=9)
    pdf.set_font(FAMILY, size=8.5)
    heading = FontFace(family=FAMILY, emphasis="BOLD")
    with pdf.table(col_widths=WIDTHS, text_align="LEFT", headings_style=heading, line_height=4.2) as table:
        table.row(list(statement.texts.columns))
        for line in statement.lines:
            table.row(_cells(line))


def _cells(line: Line) -> list[str]:
    what = "\n".join([line.information, *(f"• {kind}" for kind in line.classes), *line.notes])
    why = "\n".join([line.purpose, line.agreement] if line.agreement else [line.purpose])
    return [line.when, f"{line.agency} ({line.role})", what, why, line.legal_basis]


def _paragraphs(pdf: FPDF, heading: str, paragraphs: tuple[str, ...] | list[str]) -> None:
    _text(pdf, heading, size=13, bold=True, before=4)
    for paragraph in paragraphs:
        _text(pdf, paragraph, after=1)


def _text(pdf: FPDF, text: str, *, size: float = 10.5, bold: bool = False, before: float = 0, after: float = 0) -> None:
    pdf.ln(before)
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(after)
