"""Permission-matrix entries of /inspections/; vocabulary in tests/permission_matrix.py.

Object pages are requested with an id that exists nowhere: callers holding the capability
get the same 404 as for another tenant's object, the others 403. The scoping of real
objects (own institution, routed authority, other province) is covered in test_offsite.py.
"""

from __future__ import annotations

from django.urls import reverse

from portal.accounts.choices import Role
from tests.permission_matrix import (
    AUTHORITIES_AND_NATIONAL,
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REFUSED,
    Entry,
    everyone,
    expect,
    only,
    signed_in,
)

MISSING = 987654


def _obj(name: str):
    return lambda ctx: reverse(name, args=[MISSING])


POST_ONLY = everyone(NOT_ALLOWED)

MATRIX = {
    "inspections:index": Entry(signed_in()),
    "inspections:verification-list": Entry(signed_in()),
    "inspections:verification-detail": Entry(signed_in(NOT_FOUND), url=_obj("inspections:verification-detail")),
    "inspections:verification-schedule": Entry(POST_ONLY, url=_obj("inspections:verification-schedule")),
    "inspections:verification-start": Entry(POST_ONLY, url=_obj("inspections:verification-start")),
    "inspections:verification-answer": Entry(POST_ONLY, url=_obj("inspections:verification-answer")),
    "inspections:verification-sign-off": Entry(POST_ONLY, url=_obj("inspections:verification-sign-off")),
    "inspections:checklist-list": Entry(
        only(*AUTHORITIES_AND_NATIONAL),
        post=only(Role.QC_CENTER, Role.PROVINCE_ADMIN, allowed=REFUSED),
        data=lambda ctx, caller: {"name": "核查表"},
        note="no file: the form refuses, nothing is written",
    ),
    "inspections:checklist-detail": Entry(only(*AUTHORITIES_AND_NATIONAL, allowed=NOT_FOUND),
                                          url=_obj("inspections:checklist-detail")),
    "inspections:checklist-publish": Entry(POST_ONLY, url=_obj("inspections:checklist-publish")),
    "inspections:notification-list": Entry(signed_in()),
    "inspections:upcoming": Entry(signed_in()),
    "inspections:off-site-calendar": Entry(
        only(*AUTHORITIES_AND_NATIONAL),
        url=lambda ctx: [reverse("inspections:off-site-calendar"),
                         reverse("inspections:off-site-calendar") + "?month=2026-02",
                         reverse("inspections:off-site-calendar") + "?month=junk"],
        note="a planning page of the authorities; institutions see their own notices in the list",
    ),
    "inspections:notification-create": Entry(
        expect(FORBIDDEN, institution=OK),
        note="a platform administrator acts for no institution",
    ),
    "inspections:notification-detail": Entry(signed_in(NOT_FOUND), url=_obj("inspections:notification-detail")),
    "inspections:notification-acknowledge": Entry(POST_ONLY, url=_obj("inspections:notification-acknowledge")),
    "inspections:notification-plan-visit": Entry(POST_ONLY, url=_obj("inspections:notification-plan-visit")),
    "inspections:notification-pdf": Entry(signed_in(NOT_FOUND), url=_obj("inspections:notification-pdf")),
}
