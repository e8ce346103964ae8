"""Two beat processes at once publish each due publication exactly once (PostgreSQL row locks)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from portal.audit.models import AuditEntry
from reporting.publications.choices import PublicationKind, PublicationStatus
from reporting.publications.models import Publication, PublicationRow
from reporting.publications.services import publication_schedule, publications_publish_due

from .conftest import NOW, TODAY


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_publish_each_once(reference_data, commission, world, fake_render):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    for _n in range(3):
        world.filing()
    scheduled = [publication_schedule(actor=commission, kind=kind, data_as_of=TODAY, now=NOW,
                                      scheduled_for=NOW + timedelta(minutes=1))
                 for kind in (PublicationKind.FILED_INSTITUTIONS, PublicationKind.PENALTIES, PublicationKind.UNFIT)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def beat():
        try:
            barrier.wait()
            results.append(publications_publish_due(now=NOW + timedelta(minutes=5)))
        except Exception as exc:  # noqa: BLE001  reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(results) == 3
    assert set(Publication.objects.filter(pk__in=[p.pk for p in scheduled]).values_list("status", flat=True)) == {
        PublicationStatus.PUBLISHED}
    assert AuditEntry.objects.filter(action="publications.published").count() == 3
    filed = Publication.objects.get(kind=PublicationKind.FILED_INSTITUTIONS)
    assert PublicationRow.objects.filter(publication=filed).count() == 3
    numbers = sorted(Publication.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 3
    # A third run afterwards finds nothing to do.
    assert publications_publish_due(now=NOW + timedelta(minutes=10)) == 0
