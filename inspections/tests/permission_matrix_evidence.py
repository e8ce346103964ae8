"""Permission-matrix entries of the evidence downloads; vocabulary in tests/permission_matrix.py.

Requested with ids that exist nowhere: callers holding the capability get the same 404 as for
another province's file, the others 403. Real files, other institutions and other provinces
are covered in test_evidence.py.
"""

from __future__ import annotations

from django.urls import reverse

from portal.accounts.choices import Role
from tests.permission_matrix import NOT_FOUND, Entry, only

MISSING = 987654

MATRIX = {
    "inspections:verification-evidence": Entry(
        only(Role.QC_CENTER, Role.PROVINCE_ADMIN, Role.COMMISSION_PROVINCE, Role.SUPERVISION, Role.INSTITUTION,
             allowed=NOT_FOUND),
        url=lambda ctx: reverse("inspections:verification-evidence", args=[MISSING, MISSING]),
        note="evidence is narrower than the case page: provincial verifiers and supervisors, the institution",
    ),
}
