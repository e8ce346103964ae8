"""Permission-matrix entry of the spot-check file download; vocabulary in tests/permission_matrix.py.

Requested with ids that exist nowhere: readers get the same 404 as for another area's file, the
others 403. Real files, lower levels and other provinces are covered in test_evidence.py.
"""

from __future__ import annotations

from django.urls import reverse

from tests.permission_matrix import AUTHORITIES_AND_NATIONAL, NOT_FOUND, Entry, only

MISSING = 987654

MATRIX = {
    "supervision:check-evidence": Entry(
        only(*AUTHORITIES_AND_NATIONAL, allowed=NOT_FOUND),
        url=lambda ctx: reverse("supervision:check-evidence", args=[MISSING, MISSING]),
        note="whoever reads the spot-check reads its files",
    ),
}
