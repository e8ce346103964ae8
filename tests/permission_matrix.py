"""Who gets what on every URL of the portal.

An entry states, for each role, for a Liaoning provincial administrator reaching for
Jilin's objects (``other_province``) and for an anonymous visitor, the outcome of a
GET, and for a write endpoint the outcome of a POST. Keys are URL names
("accounts:user-edit"); a pattern without a name is keyed by its route.

Domain apps keep their own entries in ``<app>/tests/permission_matrix.py``, a module
exposing ``MATRIX`` built with the helpers below. ``tests/test_permission_matrix.py``
collects every module and fails on any URL pattern that no entry states.

The Jilin objects in ``ctx.objects`` lie in Nanguan district (220102) of Changchun:
``organisation`` is the institution of ``ctx.users[Role.INSTITUTION]``, who is ``user``;
``county`` is the district. Entries that need other objects create them in their
``url`` callable (it runs once per entry, before any caller).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.urls import reverse

from portal.accounts.choices import Role

# GET and POST outcomes.
OK = "ok"  # 2xx, or a redirect that is not to a sign-in page
LOGIN = "login"  # sent to sign-in; an anonymous API caller gets 401/403
FORBIDDEN = "forbidden"  # 403
NOT_FOUND = "not_found"  # 404: "not yours" and "not there" look the same
NOT_ALLOWED = "method_not_allowed"  # 405, e.g. GET on a POST-only action
# POST outcomes only: every write is audited, so the audit trail tells whether one happened.
WRITTEN = "written"  # 2xx/3xx and at least one audit row
REFUSED = "refused"  # 2xx/3xx and nothing written (form errors, a choice out of reach, no change)

ANONYMOUS = "anonymous"
OTHER_PROVINCE = "other_province"
ROLES: tuple[str, ...] = tuple(role.value for role in Role if role != Role.NONE)
CALLERS: tuple[str, ...] = (*ROLES, OTHER_PROVINCE, ANONYMOUS)


@dataclass
class Ctx:
    users: dict  # Role -> user, plus "other_province"
    objects: dict[str, Any]


UrlSpec = str | Callable[[Ctx], "str | list[str]"] | None


@dataclass(frozen=True)
class Entry:
    get: dict[str, str]
    url: UrlSpec = None  # None: reverse(key) without arguments
    post: dict[str, str] | None = None
    data: Callable[[Ctx, str], dict] | None = None  # (ctx, caller) -> POST body
    note: str = ""
    optional: bool = False  # the route exists only in some modes (DEBUG)

    def urls(self, key: str, ctx: Ctx) -> list[str]:
        if self.url is None:
            return [reverse(key)]
        built = self.url if isinstance(self.url, str) else self.url(ctx)
        return [built] if isinstance(built, str) else list(built)


def expect(default: str, *, anonymous: str = LOGIN, other_province: str | None = None,
           **by_role: str) -> dict[str, str]:
    """Outcome per caller: ``default`` for every role not named; ``other_province``
    defaults to what a provincial administrator gets (right when the URL names no object)."""
    unknown = set(by_role) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    table = {role: by_role.get(role, default) for role in ROLES}
    table[OTHER_PROVINCE] = other_province or table[Role.PROVINCE_ADMIN]
    table[ANONYMOUS] = anonymous
    return table


def everyone(outcome: str) -> dict[str, str]:
    return expect(outcome, anonymous=outcome, other_province=outcome)


def signed_in(outcome: str = OK) -> dict[str, str]:
    return expect(outcome)


def only(*roles: str, allowed: str = OK, denied: str = FORBIDDEN, other_province: str | None = None,
         anonymous: str = LOGIN) -> dict[str, str]:
    """``roles`` (platform administrators always included) get ``allowed``; other roles ``denied``."""
    granted = {role: allowed for role in {Role.SYSTEM_ADMIN, *roles}}
    return expect(denied, anonymous=anonymous, other_province=other_province, **granted)


def _org(ctx: Ctx) -> int:
    return ctx.objects["organisation"].pk


def _user(ctx: Ctx) -> int:
    return ctx.objects["user"].pk


def _org_form(ctx: Ctx, caller: str) -> dict:
    return {"name": f"新单位 {caller}", "kind": "institution", "region": ctx.objects["county"].pk,
            "credit_code": "", "contact_name": "", "contact_phone": ""}


def _user_form(ctx: Ctx, caller: str) -> dict:
    return {"username": f"new_{caller}", "full_name": "新用户", "email": "", "phone": "",
            "organisation": ctx.objects["organisation"].pk, "password": "Matrix#2026-check"}


def _user_edit_form(ctx: Ctx, caller: str) -> dict:
    return {"full_name": f"改名 {caller}", "email": "", "phone": "",
            "organisation": ctx.objects["organisation"].pk}


PROVINCE_ADMIN = Role.PROVINCE_ADMIN.value
AUTHORITIES_AND_NATIONAL = (
    Role.PROVINCE_ADMIN, Role.QC_CENTER, Role.COMMISSION_PROVINCE, Role.COMMISSION_CITY,
    Role.COMMISSION_COUNTY, Role.DISEASE_CONTROL, Role.SUPERVISION, Role.NATIONAL,
)
# A provincial administration page with a Jilin object in the URL.
ADMIN_OBJECT_PAGE = only(PROVINCE_ADMIN, other_province=NOT_FOUND)
ADMIN_OBJECT_WRITE = only(PROVINCE_ADMIN, allowed=WRITTEN, other_province=NOT_FOUND)
ADMIN_POST_ONLY_GET = only(PROVINCE_ADMIN, allowed=NOT_ALLOWED, other_province=NOT_ALLOWED)

MATRIX: dict[str, Entry] = {
    # Public pages.
    "core:public-home": Entry(everyone(OK)),
    "core:healthz": Entry(everyone(OK)),
    "set_language": Entry(everyone(OK), note="GET only redirects back; POST sets the language cookie"),
    "accounts:login": Entry(everyone(OK), note="signed-in callers are sent on to their home page"),
    "accounts:login-verify": Entry(everyone(LOGIN), note="no password step pending: back to sign-in"),
    "accounts:logout": Entry(everyone(NOT_ALLOWED), note="POST only"),
    "region-list": Entry(everyone(OK), note="GB/T 2260 is public reference data"),
    "region-detail": Entry(everyone(OK), url=lambda ctx: reverse("region-detail", args=[ctx.objects["county"].code])),
    "api-schema": Entry(everyone(OK)),
    r"^media/(?P<path>.*)$": Entry(
        everyone(NOT_FOUND), url="/media/no-such-file.pdf", optional=True,
        note="served by Django only when DEBUG is on at start-up",
    ),
    "api-docs": Entry(everyone(OK)),
    # Every signed-in user.
    "core:home": Entry(signed_in()),
    "accounts:two-factor-setup": Entry(signed_in()),
    "accounts:two-factor-disable": Entry(signed_in(NOT_ALLOWED), note="POST only"),
    "me": Entry(signed_in()),
    "api-root": Entry(signed_in()),
    # Provincial administration.
    "accounts:organisation-list": Entry(only(PROVINCE_ADMIN)),
    "accounts:organisation-create": Entry(
        only(PROVINCE_ADMIN),
        post=only(PROVINCE_ADMIN, allowed=WRITTEN, other_province=REFUSED), data=_org_form,
        note="other province: a Jilin region is not among the choices",
    ),
    "accounts:organisation-edit": Entry(
        ADMIN_OBJECT_PAGE, url=lambda ctx: reverse("accounts:organisation-edit", args=[_org(ctx)]),
        post=ADMIN_OBJECT_WRITE, data=lambda ctx, caller: {**_org_form(ctx, caller), "name": f"改名 {caller}"},
    ),
    "accounts:organisation-toggle": Entry(
        ADMIN_POST_ONLY_GET, url=lambda ctx: reverse("accounts:organisation-toggle", args=[_org(ctx)]),
        post=ADMIN_OBJECT_WRITE, data=lambda ctx, caller: {"active": "0"},
    ),
    "accounts:user-list": Entry(only(PROVINCE_ADMIN)),
    "accounts:user-create": Entry(
        only(PROVINCE_ADMIN),
        post=only(PROVINCE_ADMIN, allowed=WRITTEN, other_province=REFUSED), data=_user_form,
        note="other province: a Jilin organisation is not among the choices",
    ),
    "accounts:user-edit": Entry(
        ADMIN_OBJECT_PAGE, url=lambda ctx: reverse("accounts:user-edit", args=[_user(ctx)]),
        post=ADMIN_OBJECT_WRITE, data=_user_edit_form,
    ),
    "accounts:user-toggle": Entry(
        ADMIN_POST_ONLY_GET, url=lambda ctx: reverse("accounts:user-toggle", args=[_user(ctx)]),
        post=ADMIN_OBJECT_WRITE, data=lambda ctx, caller: {"active": "0"},
    ),
    "audit:list": Entry(only(PROVINCE_ADMIN)),
    "regions:delegation": Entry(only(PROVINCE_ADMIN)),
    "regions:delegation-set": Entry(
        ADMIN_POST_ONLY_GET,
        url=lambda ctx: reverse("regions:delegation-set", args=[ctx.objects["county"].code]),
        post=ADMIN_OBJECT_WRITE, data=lambda ctx, caller: {"supervised_by_city": "1"},
    ),
    # Platform administration.
    "workdays:list": Entry(only()),
    "workdays:year-edit": Entry(
        only(),
        url=lambda ctx: [reverse("workdays:year-edit"), reverse("workdays:year-edit", args=[date.today().year])],
    ),
    # API reads: authorities and the national level; institutions have their own endpoints.
    "organisation-list": Entry(only(*AUTHORITIES_AND_NATIONAL)),
    "organisation-detail": Entry(
        only(*AUTHORITIES_AND_NATIONAL, other_province=NOT_FOUND),
        url=lambda ctx: reverse("organisation-detail", args=[_org(ctx)]),
        note="the county and city commissions cover Nanguan district",
    ),
}

# The placeholder pages of the domain apps, until each app's own module states them.
DEFAULTS: dict[str, Entry] = {
    "filing:index": Entry(signed_in()),
    "inspections:index": Entry(signed_in()),
    "qc:index": Entry(signed_in()),
    "reporting:index": Entry(only(*AUTHORITIES_AND_NATIONAL)),
}

# Routes covered by a prefix instead of one entry each. The Django admin is for platform
# administrators only; everyone else is sent to its sign-in. The rule's entry is checked
# on the admin's index page and a few of its pages.
PREFIX_RULES: dict[str, Entry] = {
    "admin/": Entry(
        expect(LOGIN, system_admin=OK, other_province=LOGIN),
        url=lambda ctx: [reverse("admin:index"), reverse("admin:audit_auditentry_changelist"),
                         reverse("admin:accounts_user_changelist")],
    ),
}
