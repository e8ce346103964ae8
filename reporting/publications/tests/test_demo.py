"""The demo: one published list of each kind for Jilin, through the services; nothing new on a second run."""

from __future__ import annotations

import pytest

from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.core.demo import DemoContext
from portal.regions.models import Region
from reporting.publications.choices import PublicationKind, PublicationStatus
from reporting.publications.demo import seed_publications_demo
from reporting.publications.models import Publication

pytestmark = pytest.mark.django_db


def test_one_published_list_of_each_kind_and_safe_to_run_twice(role_users, world, fake_render):
    world.filing(world.institution("长春市职业病防治院"))
    ctx = DemoContext(province=Region.objects.get(code="220000"),
                      users={"wjw_jl": role_users[Role.COMMISSION_PROVINCE]})
    seed_publications_demo(ctx)
    published = Publication.objects.filter(status=PublicationStatus.PUBLISHED)
    assert sorted(published.values_list("kind", flat=True)) == sorted(PublicationKind.values)
    assert published.get(kind=PublicationKind.FILED_INSTITUTIONS).row_count == 1
    assert all(p.number and p.pdf and p.xlsx for p in published)
    # The QC lists report last year's complete round; the others stand as of today.
    last_year = published.get(kind=PublicationKind.QC_QUALIFIED)
    assert (last_year.data_as_of.month, last_year.data_as_of.day) == (12, 31)
    assert last_year.data_as_of.year == published.get(kind=PublicationKind.FILED_INSTITUTIONS).data_as_of.year - 1
    assert str(last_year.data_as_of.year) in last_year.notes
    audits = AuditEntry.objects.count()
    seed_publications_demo(ctx)
    assert Publication.objects.count() == len(PublicationKind.values)
    assert AuditEntry.objects.count() == audits
