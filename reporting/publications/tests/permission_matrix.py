"""Permission-matrix entries for publications (see tests/permission_matrix.py).

Authorities of the province read the province's publications (the national level every
province's); only the provincial health commission schedules, cancels and withdraws. The
public pages, feed, downloads and API are open to anyone, for published lists only.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from portal.accounts.choices import Role
from tests.permission_matrix import (
    AUTHORITIES_AND_NATIONAL,
    FORBIDDEN,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REFUSED,
    WRITTEN,
    Entry,
    everyone,
    expect,
    only,
)

COMMISSION = Role.COMMISSION_PROVINCE.value
MATRIX_FILE = "publications/permission-matrix/list.pdf"


def _publication(ctx, *, published: bool):
    from reporting.publications.choices import PublicationKind, PublicationStatus
    from reporting.publications.models import Publication, PublicationRow

    authority = ctx.users[Role.COMMISSION_PROVINCE].organisation
    now = timezone.now()
    publication = Publication.objects.create(
        province_id=authority.province_id, kind=PublicationKind.PENALTIES, title="吉林省行政处罚信息",
        authority=authority, authority_name=authority.name, data_as_of=timezone.localdate(),
        status=PublicationStatus.SCHEDULED, scheduled_for=now + (timedelta(0) if published else timedelta(days=1)))
    if published:
        # One small file, reused by every run, so that the download is really served.
        if not default_storage.exists(MATRIX_FILE):
            default_storage.save(MATRIX_FILE, ContentFile(b"%PDF-1.4 matrix\n%%EOF\n"))
        publication.year, publication.sequence = now.year, 900 + publication.pk
        publication.number = f"吉卫职健处罚公示〔{now.year}〕{publication.sequence}号"
        publication.published_at = now
        publication.row_count = 1
        publication.columns = [{"key": "name", "label": "机构名称", "width": 4}]
        publication.pdf.name = MATRIX_FILE
        publication.status = PublicationStatus.PUBLISHED
        publication.save()
        PublicationRow.objects.create(publication=publication, position=1, data={"name": "长春市某医院"})
    return publication


def _published_url(name: str, *extra):
    return lambda ctx: reverse(name, args=[_publication(ctx, published=True).pk, *extra])


def _scheduled_url(name: str):
    return lambda ctx: reverse(name, args=[_publication(ctx, published=False).pk])


def _schedule_form(ctx, caller) -> dict:
    return {"kind": "penalties", "data_as_of": timezone.localdate().isoformat(), "when": "later",
            "scheduled_for": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "notes": "", "next_update_on": "", "submission_key": str(uuid.uuid4())}


# Writes: the commission of the province; a platform administrator speaks for no commission.
MANAGE_POST = expect(FORBIDDEN, other_province=FORBIDDEN, system_admin=FORBIDDEN, commission_province=WRITTEN)
READ_OBJECT = only(*AUTHORITIES_AND_NATIONAL, other_province=NOT_FOUND)

MATRIX = {
    "reporting:publications:list": Entry(only(*AUTHORITIES_AND_NATIONAL),
                                         note="each province's own; the national level every province's"),
    "reporting:publications:create": Entry(
        only(COMMISSION), post=expect(FORBIDDEN, other_province=FORBIDDEN, system_admin=REFUSED,
                                      commission_province=WRITTEN),
        data=_schedule_form,
        note="a platform administrator sees the form but is told only a provincial commission publishes",
    ),
    "reporting:publications:detail": Entry(READ_OBJECT, url=_scheduled_url("reporting:publications:detail")),
    "reporting:publications:cancel": Entry(
        everyone(NOT_ALLOWED), url=_scheduled_url("reporting:publications:cancel"), post=MANAGE_POST,
        data=lambda ctx, caller: {}, note="POST only",
    ),
    "reporting:publications:withdraw": Entry(
        everyone(NOT_ALLOWED), url=_published_url("reporting:publications:withdraw"), post=MANAGE_POST,
        data=lambda ctx, caller: {"reason": "名单有误"}, note="POST only",
    ),
    "public_publications:list": Entry(everyone(OK)),
    "public_publications:feed": Entry(everyone(OK)),
    "public_publications:feed-kind": Entry(everyone(OK), url=reverse("public_publications:feed-kind",
                                                                     args=["qc_qualified"])),
    "public_publications:detail": Entry(everyone(OK), url=_published_url("public_publications:detail")),
    "public_publications:download": Entry(everyone(OK), url=_published_url("public_publications:download", "pdf")),
    "public-publication-list": Entry(everyone(OK)),
    "public-publication-detail": Entry(everyone(OK), url=_published_url("public-publication-detail")),
}

__all__ = ["LOGIN", "MATRIX"]
