from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from portal.accounts.choices import Role

from .builders import World

# Tests never depend on the real clock: every service gets "now" from here.
NOW = timezone.make_aware(datetime.combine(date(2026, 11, 20), time(9, 30)))
TODAY = NOW.date()


class FakeRenderers:
    """Quick stand-ins for the WeasyPrint rendering (its own tests render for real); they record
    what they were given, so a test can check the sheet and rows handed to the renderer."""

    def __init__(self):
        from reporting.publications.rendering import Column, Sheet

        self.column, self.sheet = Column, Sheet
        self.calls: list = []
        self.fail = False

    def render_pdf(self, sheet, rows, dest, *, workers=None, while_rendering=None):
        rows = list(rows)
        self.calls.append(("pdf", sheet, rows))
        if self.fail:
            raise RuntimeError("渲染失败")
        if while_rendering is not None:
            while_rendering()
        dest.write_bytes(b"%PDF-1.4 fake " + sheet.number.encode())
        return 1 + len(rows) // 40

    def render_xlsx(self, sheet, rows, dest):
        self.calls.append(("xlsx", sheet, list(rows)))
        dest.write_bytes(b"PK fake xlsx")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def fake_render(monkeypatch):
    from reporting.publications import services

    fake = FakeRenderers()
    monkeypatch.setattr(services, "renderers", lambda: fake)
    return fake


@pytest.fixture
def world(reference_data) -> World:
    return World()


@pytest.fixture
def commission(make_user):
    """A user of Jilin's provincial health commission: the one who publishes."""
    return make_user(Role.COMMISSION_PROVINCE)


@pytest.fixture
def publish(commission, fake_render):
    """Schedule for now and publish at once (as the queued task would); returns the publication."""
    from reporting.publications.services import publication_publish, publication_schedule

    def _publish(kind: str, *, data_as_of: date = TODAY, actor=None, **kwargs):
        publication = publication_schedule(actor=actor or commission, kind=kind, data_as_of=data_as_of, now=NOW,
                                           scheduled_for=NOW, **kwargs)
        return publication_publish(publication_id=publication.pk, now=NOW)

    return _publish


@pytest.fixture
def stored(commission):
    """A publication in any state with ``rows`` rows and files, built directly (pages and API tests)."""
    from django.core.files.base import ContentFile

    from reporting.publications.choices import PublicationKind, PublicationStatus
    from reporting.publications.models import Publication, PublicationRow

    sequence = iter(range(1, 10_000))

    def _stored(*, rows: int = 3, kind: str = PublicationKind.FILED_INSTITUTIONS,
                status: str = PublicationStatus.PUBLISHED, authority=None, published_at=NOW, year: int = 2026):
        authority = authority or commission.organisation
        publication = Publication.objects.create(
            province_id=authority.province_id, kind=kind, title=f"{authority.province.name}{PublicationKind(kind).label}",
            authority=authority, authority_name=authority.name, data_as_of=published_at.date(),
            next_update_on=published_at.date() + timedelta(days=90), scheduled_for=published_at,
            status=PublicationStatus.SCHEDULED)
        if status == PublicationStatus.SCHEDULED:
            return publication
        n = next(sequence)
        publication.year, publication.sequence = year, n
        publication.number = f"吉卫职健备案公示〔{year}〕{n}号"
        publication.published_at = published_at
        publication.row_count = rows
        publication.columns = [{"key": "name", "label": "机构名称", "width": 4},
                               {"key": "filed_on", "label": "备案日期", "width": 2}]
        publication.pdf.save("list.pdf", ContentFile(b"%PDF-1.4 test\n%%EOF\n"), save=False)
        publication.xlsx.save("list.xlsx", ContentFile(b"PK test"), save=False)
        publication.status = status
        publication.save()
        PublicationRow.objects.bulk_create(
            PublicationRow(publication=publication, position=i, data={"name": f"机构{i:04d}", "filed_on": "2026-03-01"})
            for i in range(1, rows + 1))
        return publication

    return _stored
