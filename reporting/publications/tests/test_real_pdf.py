"""One real publication through WeasyPrint: the Chinese text comes back out of the PDF and the workbook."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from portal.core.pdf import pdf_text
from reporting.publications.choices import PublicationKind, PublicationStatus
from reporting.publications.services import publication_publish, publication_schedule

from .conftest import NOW, TODAY

pytestmark = pytest.mark.django_db


def test_a_published_list_renders_chinese_text(commission, world):
    for name in ("长春市职业病防治院", "吉林市中心医院"):
        world.filing(world.institution(name))
    scheduled = publication_schedule(actor=commission, kind=PublicationKind.FILED_INSTITUTIONS, data_as_of=TODAY,
                                     now=NOW, notes="公示期为五个工作日")
    publication = publication_publish(publication_id=scheduled.pk, now=NOW)
    assert publication.status == PublicationStatus.PUBLISHED, publication.failure_reason
    assert publication.pdf_pages >= 1
    text = pdf_text(publication.pdf.read()).replace(" ", "")
    for expected in ("吉林省备案机构名单", "吉卫职健备案公示〔2026〕1号", "长春市职业病防治院", "吉林市中心医院",
                     "公示期为五个工作日", "备案编号"):
        assert expected in text, expected
    workbook = load_workbook(io.BytesIO(publication.xlsx.read()), read_only=True)
    cells = {str(c) for row in workbook.active.iter_rows(values_only=True) for c in row if c is not None}
    assert {"吉林省备案机构名单", "长春市职业病防治院", "吉林市中心医院"} <= cells
