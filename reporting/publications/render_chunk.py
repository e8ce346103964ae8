"""A worker process that turns HTML files into PDF files, one job per line on stdin.

    python -m reporting.publications.render_chunk

Started by :func:`reporting.publications.rendering.render_pdf` with ``subprocess`` rather
than ``multiprocessing``: publishing runs inside a Celery prefork worker, whose processes
are daemonic and may not start multiprocessing children. The process stays up for several
jobs because importing WeasyPrint and loading the CJK font costs about a second, more than
rendering a chunk of rows.

Protocol, one JSON object per line:

- in:  ``{"html": "/tmp/.../chunk-0003.html", "pdf": "/tmp/.../chunk-0003.pdf"}``
- out: ``{"ok": true, "pages": 12}`` or ``{"ok": false, "error": "..."}``

The HTML is rendered with the portal's data-only URL fetcher: a cell that smuggles in
``<img src=file:///etc/passwd>`` is escaped text by then anyway, and were it not, nothing
outside the document could be fetched.
"""

from __future__ import annotations

import gc
import json
import sys
import traceback

from weasyprint import CSS, HTML

from portal.core.pdf import safe_url_fetcher

# The user-agent stylesheet for the elements rendering.py writes, and nothing else. WeasyPrint's
# full HTML5 one is matched against every cell and took a third of the time of a chunk; the
# look (margins, bold headers, borders) is all in static/css/publication.css.
LIST_UA_CSS = """
html, body, div, h1 { display: block }
head, style, meta, title, script { display: none }
table { display: table; box-sizing: border-box; border-collapse: separate; text-indent: initial }
colgroup { display: table-column-group }
col { display: table-column }
thead { display: table-header-group; vertical-align: middle }
tbody { display: table-row-group; vertical-align: middle }
tr { display: table-row; vertical-align: inherit }
td, th { display: table-cell; vertical-align: inherit }
"""


class ListHTML(HTML):
    """WeasyPrint's ``HTML`` with :data:`LIST_UA_CSS` (``_ua_stylesheets`` is WeasyPrint 70's hook)."""

    _ua = None

    def _ua_stylesheets(self, forms=False):
        if ListHTML._ua is None:
            ListHTML._ua = [CSS(string=LIST_UA_CSS)]
        return ListHTML._ua


def render_file(html_path: str, pdf_path: str) -> int:
    with open(html_path, encoding="utf-8") as handle:
        html = handle.read()
    document = ListHTML(string=html, base_url="data:,", url_fetcher=safe_url_fetcher()).render()
    del html
    pages = len(document.pages)
    document.write_pdf(pdf_path)
    del document
    # Layout boxes are cyclic; free them before the next chunk rather than letting them pile up.
    gc.collect()
    return pages


def warm_up() -> None:
    """Load fontconfig and the CJK font while the parent is still writing the first chunk."""
    ListHTML(string='<p style="font-family: \'Noto Sans CJK SC\'">中</p>', base_url="data:,",
             url_fetcher=safe_url_fetcher()).render()


def main() -> int:
    out = sys.stdout
    warm_up()
    # A chunk allocates hundreds of thousands of layout objects; with the default thresholds the
    # collector walks them over and over (about a tenth of the time). Collect rarely during a
    # chunk and fully after it (render_file), and never scan the modules loaded so far again.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            job = json.loads(line)
            reply = {"ok": True, "pages": render_file(job["html"], job["pdf"])}
        except Exception as exc:  # reported to the parent, which raises a clear error
            traceback.print_exc(file=sys.stderr)
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
