"""The report as a PDF: the same sections as the workbook, with the charts inline as SVG."""

from __future__ import annotations

from portal.core.pdf import render_pdf

from .presentation import charts, display, sections


def section_tables(figures: dict) -> list[dict]:
    """Sections with their cells formatted for HTML (the page and the PDF)."""
    return [{"key": s.key, "title": s.title, "header": s.header, "rows": [[display(v) for v in row] for row in s.rows]}
            for s in sections(figures)]


def report_pdf(figures: dict, *, title: str, generated_at, province_name: str, year: int) -> bytes:
    return render_pdf("annual/report_pdf.html", {
        "title": title, "figures": figures, "tables": section_tables(figures), "charts": charts(figures),
        "generated_at": generated_at, "province_name": province_name, "year": year,
    })
