"""Who gets what on the public directory and its API: everyone reads, nobody writes.

``MATRIX`` follows tests/permission_matrix.py; filing's own matrix module merges it.
Signed-in callers are treated like anonymous ones: the API authenticates nobody.
"""

from django.urls import reverse

from portal.accounts.choices import Role
from tests.permission_matrix import FORBIDDEN, LOGIN, NOT_ALLOWED, OK, Entry, everyone, expect


def _public_filing_number(ctx) -> str:
    """An accepted filing in Nanguan district, created once per context through the services."""
    if "public_filing" not in ctx.objects:
        from filing.catalogue.services import catalogue_load_builtin
        from filing.demo import demo_filing

        catalogue_load_builtin()
        ctx.objects["public_filing"] = demo_filing(
            name="矩阵测试职业病防治所", decider=ctx.users[Role.QC_CENTER], seed=4242,
            items=[{"code": "GBZ188-2014:6.1", "category": "dust", "exam_types": ["on_duty"]}],
        )
    return ctx.objects["public_filing"].filing_number


def _no_data(ctx, caller) -> dict:
    return {}


# The API refuses every write; anonymous API callers are reported as LOGIN by the matrix.
API_WRITE = expect(FORBIDDEN, anonymous=LOGIN, other_province=FORBIDDEN)

MATRIX: dict[str, Entry] = {
    "directory:list": Entry(everyone(OK), post=everyone(NOT_ALLOWED), data=_no_data),
    "directory:detail": Entry(
        everyone(OK), url=lambda ctx: reverse("directory:detail", args=[_public_filing_number(ctx)]),
        post=everyone(NOT_ALLOWED), data=_no_data,
    ),
    "directory:export": Entry(
        everyone(OK), url=lambda ctx: [reverse("directory:export", args=[fmt]) for fmt in ("xlsx", "csv")],
    ),
    "public-institution-list": Entry(everyone(OK), post=API_WRITE, data=_no_data),
    "public-institution-detail": Entry(
        everyone(OK),
        url=lambda ctx: reverse("public-institution-detail", args=[_public_filing_number(ctx)]),
        post=API_WRITE, data=_no_data,
    ),
}
