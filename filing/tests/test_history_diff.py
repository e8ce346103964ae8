"""The history of a filing: every version, each compared field by field with the accepted one before it."""

# ruff: noqa: F811  fixtures are imported from workflow_builders and named as test arguments

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from filing import services
from filing.models import FilingVersion
from filing.selectors import filing_history, version_diff, version_with_data
from filing.tests.workflow_builders import (  # noqa: F401  fixtures
    CHIEF,
    accepted_version,
    catalogues,
    institution_user,
    qc_user,
)
from portal.accounts.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed(institution_user, qc_user):
    """v1 accepted, v2 a change (address, staff, items, equipment, a document) accepted, v3 a draft."""
    first = accepted_version(institution_user, qc_user, items=("GBZ188-2014:6.1", "GBZ188-2014:6.2"))
    change = services.change_start(filing_id=first.filing_id, actor=institution_user,
                                   changed_on=timezone.localdate(), summary="地址与人员变更")
    services.version_save_basic(
        version_id=change.pk, actor=institution_user, name=change.name, credit_code=change.credit_code,
        licence_number=change.licence_number, radiation_licence_number="", legal_representative="王法人",
        quality_manager="李质量", technical_manager="赵技术", address="新地址8号", region=change.region,
        phone=change.phone, exams_started_on=change.exams_started_on)
    chief = change.staff.get(name="张主检")
    services.version_save_staff(version_id=change.pk, actor=institution_user, staff=[
        {**CHIEF, "id": chief.pk, "title": "associate_senior"},
        {"name": "周护士", "role": "nurse", "registration_number": "N9", "title": "junior", "years_experience": 1,
         "diagnosis_qualification": []}])
    services.version_save_items(version_id=change.pk, actor=institution_user, off_site=False, items=[
        {"category": "dust", "code": "GBZ188-2014:6.1", "exam_types": ["pre_employment", "on_duty", "leaving"]},
        {"category": "physical", "code": "GBZ188-2014:7.1", "exam_types": ["on_duty"]}])
    equipment = change.equipment.get()
    services.version_save_equipment(version_id=change.pk, actor=institution_user, vehicles=[], equipment=[
        {"id": equipment.pk, "name": equipment.name, "model": equipment.model, "serial_number": equipment.serial_number,
         "calibration_due_on": timezone.localdate() + timedelta(days=500), "for_off_site": False}])
    services.version_save_documents(version_id=change.pk, actor=institution_user, uploads={
        "quality_manual": SimpleUploadedFile("手册2.pdf", b"%PDF-1.4 second edition")})
    services.version_submit(version_id=change.pk, actor=institution_user)
    services.version_accept(version_id=change.pk, actor=qc_user)
    third = services.change_start(filing_id=first.filing_id, actor=institution_user,
                                  changed_on=timezone.localdate(), summary="草稿")
    return first, change, third


def test_version_diff_names_what_changed(changed):
    first, change, _third = changed
    old, new = (version_with_data(FilingVersion.objects.filter(pk=pk)).get() for pk in (first.pk, change.pk))
    diff = version_diff(old, new)
    assert [(c.label, c.old, c.new) for c in diff.basic] == [("地址", "人民大街100号", "新地址8号")]
    sections = {s.label: s for s in diff.sections}
    staff = sections["人员"]
    assert staff.added == ["周护士（护士）"] and staff.removed == ["刘护士（护士）"]
    assert staff.changed[0][0] == "张主检（主检医师）"
    assert [(c.label, c.old, c.new) for c in staff.changed[0][1]] == [("职称", "中级", "副高级")]
    items = sections["备案项目"]
    assert items.added == ["接触物理因素类：噪声"] and items.removed == ["接触粉尘类：煤尘"]
    assert items.changed[0][1][0].new == "上岗前、在岗期间、离岗时"
    assert sections["仪器设备"].changed and sections["质量管理文件"].changed
    assert sections["检查用房"].is_empty and sections["车辆"].is_empty


def test_history_for_the_institution_and_the_authorities(client, changed, institution_user, make_user):
    first, change, third = changed
    entries = filing_history(institution_user, first.filing)
    assert [e.version.number for e in entries] == [3, 2, 1]
    assert entries[0].base.pk == change.pk and entries[0].diff.is_empty
    assert entries[1].base.pk == first.pk and entries[2].diff is None
    client.force_login(institution_user)
    body = client.get(reverse("filing:history", args=[first.filing_id])).content.decode()
    assert "新地址8号" in body and "周护士" in body and "history-version-3" in body
    county = make_user(Role.COMMISSION_COUNTY)
    client.force_login(county)
    body = client.get(reverse("filing:history", args=[first.filing_id])).content.decode()
    assert "history-version-2" in body and "history-version-3" not in body, "drafts stay private"
    client.force_login(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    assert client.get(reverse("filing:history", args=[first.filing_id])).status_code == 404


def test_history_survives_cancellation(client, changed, institution_user, qc_user):
    first, _change, _third = changed
    services.filing_cancel(filing_id=first.filing_id, actor=qc_user, reason="停业")
    client.force_login(qc_user)
    response = client.get(reverse("filing:history", args=[first.filing_id]))
    assert response.status_code == 200 and "已注销" in response.content.decode()
    assert [e.version.number for e in response.context["entries"]] == [3, 2, 1]
