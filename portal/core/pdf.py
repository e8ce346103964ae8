"""Rendering PDFs with WeasyPrint, safely.

WeasyPrint would otherwise fetch ``file://`` and remote URLs named in the HTML
(a ``<link rel=attachment>`` can embed a server file into the PDF). Our fetcher
serves ``data:`` URLs only; the stylesheet is packaged and inlined, images such as
QR codes and charts are embedded as ``data:`` URLs.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlparse

from django.conf import settings
from django.template.loader import render_to_string


class ForbiddenResource(ValueError):
    pass


@lru_cache(maxsize=4)
def packaged_css(name: str = "pdf.css") -> str:
    for root in settings.STATICFILES_DIRS:
        path = root / "css" / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(name)


def safe_url_fetcher():
    """A fresh fetcher per document that refuses everything but ``data:`` URLs."""
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ForbiddenResource(f"resource not allowed in PDF: {urlparse(url).scheme or 'relative'} URL")

    return DataOnlyFetcher(allowed_protocols=["data"], allow_redirects=False)


def render_pdf(template: str, context: dict) -> bytes:
    """HTML from a template (which inlines ``pdf_css``), then PDF."""
    from weasyprint import HTML

    html = render_to_string(template, {"pdf_css": packaged_css(), **context})
    return HTML(string=html, base_url="data:,", url_fetcher=safe_url_fetcher()).write_pdf()


def pdf_text(data: bytes) -> str:
    """Text extracted back from a PDF, for tests that check Chinese really renders."""
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def qr_data_uri(text: str) -> str:
    import segno

    return segno.make(text, error="m").svg_data_uri(scale=4)
