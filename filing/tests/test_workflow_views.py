"""The filing workflow through its pages: the institution's draft, submission, the queue,
decisions, change and cancellation, with every unhappy path the pages must refuse."""

# ruff: noqa: F811  fixtures are imported from workflow_builders and named as test arguments

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from filing import services
from filing.choices import FilingStatus, VersionStatus
from filing.completeness import check_version
from filing.models import Filing, FilingVersion
from filing.tests.workflow_builders import (  # noqa: F401  fixtures
    CHIEF,
    accepted_version,
    catalogues,
    credit_code,
    exe_upload,
    fill_basic,
    fill_complete,
    institution_user,
    pdf_upload,
    qc_user,
    start_draft,
    submitted_version,
)
from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.core.uploads import MAX_UPLOAD_BYTES

pytestmark = pytest.mark.django_db


def formset_data(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


@pytest.fixture
def inst(client, institution_user):
    client.force_login(institution_user)
    return client


@pytest.fixture
def draft(institution_user):
    return start_draft(institution_user)


def _basic_post(version, **overrides):
    data = {"name": "长春测试体检中心", "credit_code": version.credit_code, "licence_number": "PDY001",
            "radiation_licence_number": "", "legal_representative": "王法人", "quality_manager": "李质量",
            "technical_manager": "赵技术", "address": "人民大街1号", "region": version.region_id,
            "phone": "0431-1", "exams_started_on": (timezone.localdate() - timedelta(days=2)).isoformat()}
    data.update(overrides)
    return data


# ---- Landing and start ---------------------------------------------------------------------

def test_institution_landing_shows_its_filing_and_offers_the_other_kind(inst, draft):
    response = inst.get(reverse("filing:index"))
    assert response.status_code == 200
    assert reverse("filing:edit-basic", args=[draft.pk]) in response.content.decode()
    assert response.context["start_form"].fields["kind"].choices == [("diagnosis", "职业病诊断机构")]
    response = inst.post(reverse("filing:start"), {"kind": "diagnosis"})
    assert response.status_code == 302
    assert Filing.objects.filter(institution=draft.filing.institution, kind="diagnosis").exists()


def test_authority_landing_lists_the_jurisdiction(client, institution_user, make_user):
    submitted_version(institution_user)
    city = make_user(Role.COMMISSION_CITY)
    client.force_login(city)
    response = client.get(reverse("filing:index"))
    assert institution_user.organisation.name in response.content.decode()
    jilin_city = make_user(Role.COMMISSION_CITY, region_code="220200")
    client.force_login(jilin_city)
    assert institution_user.organisation.name not in client.get(reverse("filing:index")).content.decode()


# ---- Sections -------------------------------------------------------------------------------

def test_basic_section_saves_with_upload(inst, draft):
    data = _basic_post(draft, licence_copy=pdf_upload("许可证.pdf"))
    response = inst.post(reverse("filing:edit-basic", args=[draft.pk]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.legal_representative == "王法人" and draft.licence_copy.original_name == "许可证.pdf"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"exams_started_on": "2999-01-01"}, "exams_started_on", "不能晚于今天"),
    ({"licence_copy": "exe"}, "licence_copy", "类型不受支持"),
    ({"licence_copy": "big"}, "licence_copy", "大小限制"),
    ({"credit_code": "91220102MA0000000X"}, "credit_code", "校验位"),
])
def test_basic_section_refuses_bad_input_and_saves_nothing(inst, draft, overrides, field, message):
    uploads = {"exe": exe_upload(), "big": pdf_upload("big.pdf", size=MAX_UPLOAD_BYTES + 1)}
    overrides = {k: uploads.get(v, v) for k, v in overrides.items()}
    before = AuditEntry.objects.count()
    response = inst.post(reverse("filing:edit-basic", args=[draft.pk]), _basic_post(draft, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert AuditEntry.objects.count() == before
    draft.refresh_from_db()
    assert draft.legal_representative == ""


def test_basic_section_refuses_a_duplicate_credit_code(inst, draft, make_user):
    other = make_user(Role.INSTITUTION).organisation
    other.credit_code = credit_code(777_777)
    other.save()
    response = inst.post(reverse("filing:edit-basic", args=[draft.pk]), _basic_post(draft, credit_code=other.credit_code))
    assert "已被其他机构使用" in " ".join(response.context["form"].errors["credit_code"])


def test_staff_section_and_certificates(inst, draft):
    url = reverse("filing:edit-staff", args=[draft.pk])
    assert inst.get(url).status_code == 200
    row = {"id": "", "name": "张主检", "role": "chief_examiner", "registration_number": "1102",
           "title": "intermediate", "years_experience": "5", "diagnosis_qualification": ["dust"]}
    bad = inst.post(url, formset_data("staff", [{**row, "years_experience": "-1"}]))
    assert bad.status_code == 200 and not draft.staff.exists()
    assert "年限不能为负数" in bad.content.decode()
    assert inst.post(url, formset_data("staff", [row])).status_code == 302
    member = draft.staff.get()
    assert member.diagnosis_qualification == ["dust"]
    cert_url = reverse("filing:edit-certificates", args=[draft.pk, member.pk])
    data = formset_data("cert", [{"id": "", "name": "主检医师培训", "number": "C9",
                                  "issued_on": "2023-05-01", "expires_on": "2027-05-01"}])
    data["cert-0-copy"] = pdf_upload("c.pdf")
    assert inst.post(cert_url, data).status_code == 302
    assert member.certificates.get().copy.original_name == "c.pdf"
    future = formset_data("cert", [{"id": "", "name": "x", "issued_on": "2999-01-01"}])
    assert "发证日期不能晚于今天" in inst.post(cert_url, future).content.decode()


def test_premises_section_refuses_negative_areas(inst, draft):
    url = reverse("filing:edit-premises", args=[draft.pk])
    data = {"total_area": "-5", **formset_data("rooms", [{"id": "", "name": "内科", "area": "-1"}])}
    response = inst.post(url, data)
    assert response.status_code == 200
    assert response.content.decode().count("面积不能为负数") >= 2
    draft.refresh_from_db()
    assert draft.total_area is None and not draft.rooms.exists()
    data = {"total_area": "450", **formset_data("rooms", [{"id": "", "name": "内科", "area": "10"}])}
    assert inst.post(url, data).status_code == 302
    assert draft.rooms.get().area == 10


def test_equipment_section(inst, draft):
    url = reverse("filing:edit-equipment", args=[draft.pk])
    data = {**formset_data("equipment", [{"id": "", "name": "DR", "model": "", "serial_number": "",
                                         "calibration_due_on": "2030-01-01", "for_off_site": "on"}]),
            **formset_data("vehicles", [{"id": "", "plate_number": "吉A9", "vehicle_type": "体检车",
                                         "equipment_onboard": ""}])}
    assert inst.post(url, data).status_code == 302
    assert draft.equipment.get().for_off_site and draft.vehicles.get().plate_number == "吉A9"


def test_documents_section(inst, draft):
    url = reverse("filing:edit-documents", args=[draft.pk])
    response = inst.post(url, {"quality_manual": pdf_upload("手册.pdf"), "procedures": exe_upload("程序.pdf")})
    assert response.status_code == 200 and "类型不受支持" in response.content.decode()
    assert not draft.documents.exists()
    assert inst.post(url, {"quality_manual": pdf_upload("手册.pdf")}).status_code == 302
    assert draft.documents.get().file.sha256


def test_items_section(inst, draft):
    url = reverse("filing:edit-items", args=[draft.pk])
    page = inst.get(url).content.decode()
    assert "GBZ188-2014:6.1" in page and "GBZ98-2020:R1" in page
    tampered = inst.post(url, {"item": ["chemical|GBZ188-2014:6.1"], "types-GBZ188-2014:6.1": ["on_duty"]})
    assert tampered.status_code == 200
    assert "不属于所选类别" in tampered.content.decode()
    assert not draft.items.exists()
    ok = inst.post(url, {"item": ["dust|GBZ188-2014:6.1"], "types-GBZ188-2014:6.1": ["on_duty", "leaving"],
                         "off_site": "on"})
    assert ok.status_code == 302
    draft.refresh_from_db()
    assert draft.off_site and draft.items.get().exam_types == ["on_duty", "leaving"]


def test_sections_of_another_institution_are_not_found(client, draft, make_user):
    client.force_login(make_user(Role.INSTITUTION))
    for name in ("filing:edit-basic", "filing:edit-items", "filing:version-detail", "filing:completeness"):
        assert client.get(reverse(name, args=[draft.pk])).status_code == 404
    assert client.post(reverse("filing:submit", args=[draft.pk])).status_code == 404


def test_authorities_cannot_edit(client, draft, qc_user):
    client.force_login(qc_user)
    assert client.get(reverse("filing:edit-basic", args=[draft.pk])).status_code == 403
    assert client.post(reverse("filing:submit", args=[draft.pk])).status_code == 403
    assert client.get(reverse("filing:version-detail", args=[draft.pk])).status_code == 404, \
        "a draft is the institution's working copy"


def test_a_submitted_version_is_read_only(inst, institution_user):
    version = submitted_version(institution_user)
    response = inst.get(reverse("filing:edit-basic", args=[version.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("filing:version-detail", args=[version.pk])
    response = inst.post(reverse("filing:edit-premises", args=[version.pk]),
                         {"total_area": "900", **formset_data("rooms", [])})
    assert response.status_code == 400
    version.refresh_from_db()
    assert version.total_area == 500


# ---- Completeness and submission --------------------------------------------------------------

def test_completeness_names_every_missing_piece(inst, draft):
    response = inst.get(reverse("filing:completeness", args=[draft.pk]))
    body = response.content.decode()
    expected = check_version(draft)
    assert response.context["count"] == len(expected) >= 20
    for deficiency in expected:
        assert deficiency.message in body


def test_submit_incomplete_goes_to_the_notice_then_complete_submits(inst, institution_user, draft):
    response = inst.post(reverse("filing:submit", args=[draft.pk]), {"status_seen": "draft"})
    assert response.status_code == 302 and response["Location"] == reverse("filing:completeness", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    fill_complete(draft, institution_user)
    response = inst.post(reverse("filing:submit", args=[draft.pk]), {"status_seen": "draft"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.SUBMITTED and draft.receipt_due_on
    again = inst.post(reverse("filing:submit", args=[draft.pk]), {"status_seen": "draft"})
    assert again.status_code == 409, "the page showed a draft; someone submitted meanwhile"
    again = inst.post(reverse("filing:submit", args=[draft.pk]), {"status_seen": "submitted"})
    assert again.status_code == 400
    assert "不能执行此操作" in again.content.decode()


# ---- Queue and decisions -------------------------------------------------------------------------

def _many_submitted(make_user, count: int, start: int = 0) -> list[FilingVersion]:
    out = []
    for n in range(start, start + count):
        user = make_user(Role.INSTITUTION)
        user.organisation.credit_code = credit_code(100_000 + n)
        user.organisation.save()
        out.append(submitted_version(user))
    return out


def test_queue_shows_due_dates_badges_and_a_bounded_number_of_queries(client, qc_user, make_user, catalogues,
                                                                      django_assert_max_num_queries):
    versions = _many_submitted(make_user, 3)
    FilingVersion.objects.filter(pk=versions[0].pk).update(receipt_due_on=timezone.localdate() - timedelta(days=1),
                                                           filed_late=True)
    client.force_login(qc_user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("filing:queue"))
    body = response.content.decode()
    assert body.count('data-testid="overdue"') == 1 and body.count('data-testid="late"') == 1
    assert len(response.context["page"]) == 3
    _many_submitted(make_user, 3, start=3)
    with django_assert_max_num_queries(12):
        assert len(client.get(reverse("filing:queue")).context["page"]) == 6


def test_queue_is_for_deciders_only(client, make_user):
    client.force_login(make_user(Role.COMMISSION_CITY))
    assert client.get(reverse("filing:queue")).status_code == 403
    client.force_login(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    assert client.get(reverse("filing:queue")).context["page"].paginator.count == 0


def test_accept_once_then_400_or_409(client, institution_user, qc_user):
    version = submitted_version(institution_user)
    client.force_login(qc_user)
    url = reverse("filing:accept", args=[version.pk])
    detail = client.get(reverse("filing:version-detail", args=[version.pk]))
    assert detail.context["can_decide"]
    response = client.post(url, {"status_seen": "submitted"})
    assert response.status_code == 302
    number = Filing.objects.get(pk=version.filing_id).filing_number
    assert number
    assert client.post(url, {"status_seen": "submitted"}).status_code == 409
    assert client.post(url, {"status_seen": "accepted"}).status_code == 400
    assert Filing.objects.get(pk=version.filing_id).filing_number == number
    assert client.get(url).status_code == 405


def test_decisions_refuse_wrong_roles_and_other_provinces(client, institution_user, make_user):
    version = submitted_version(institution_user)
    client.force_login(make_user(Role.COMMISSION_CITY))
    assert client.get(reverse("filing:version-detail", args=[version.pk])).status_code == 200
    assert client.post(reverse("filing:accept", args=[version.pk])).status_code == 403
    client.force_login(institution_user)
    assert client.post(reverse("filing:accept", args=[version.pk])).status_code == 403
    client.force_login(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    assert client.post(reverse("filing:accept", args=[version.pk])).status_code == 404
    assert client.get(reverse("filing:return", args=[version.pk])).status_code == 404
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED


def test_return_is_prefilled_with_the_automatic_deficiencies(client, institution_user, qc_user):
    version = submitted_version(institution_user)
    version.equipment.update(calibration_due_on=timezone.localdate() - timedelta(days=1))
    client.force_login(qc_user)
    url = reverse("filing:return", args=[version.pk])
    form = client.get(url).context["form"]
    assert "检定/校准已于" in form.initial["deficiencies"]
    response = client.post(url, {"deficiencies": " \n ", "status_seen": "submitted"})
    assert response.status_code == 200 and "一次性列明" in response.content.decode()
    response = client.post(url, {"deficiencies": "设备检定过期\n缺少平面布局图", "note": "请补正",
                                 "status_seen": "submitted"})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == VersionStatus.RETURNED and len(version.deficiencies) == 2
    assert Filing.objects.get(pk=version.filing_id).status == FilingStatus.RETURNED
    client.force_login(institution_user)
    landing = client.get(reverse("filing:index")).content.decode()
    assert "缺少平面布局图" in landing


# ---- Files ---------------------------------------------------------------------------------

def test_version_files_are_served_only_through_their_version(client, institution_user, qc_user, make_user):
    version = submitted_version(institution_user)
    document = version.documents.first()
    client.force_login(institution_user)
    assert client.get(reverse("filing:version-file", args=[version.pk, document.file_id])).status_code == 200
    client.force_login(qc_user)
    response = client.get(reverse("filing:version-file", args=[version.pk, document.file_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    other = start_draft(make_user(Role.INSTITUTION))
    fill_basic(other, other.filing.institution.users.get(), licence_copy=pdf_upload("other.pdf"))
    other.refresh_from_db()
    assert client.get(reverse("filing:version-file", args=[version.pk, other.licence_copy_id])).status_code == 404


# ---- Change and cancellation --------------------------------------------------------------------

def test_change_form(inst, institution_user, qc_user):
    accepted = accepted_version(institution_user, qc_user)
    url = reverse("filing:change", args=[accepted.filing_id])
    response = inst.post(url, {"changed_on": "2999-01-01", "summary": "x"})
    assert "不能晚于今天" in response.content.decode()
    response = inst.post(url, {"changed_on": timezone.localdate().isoformat(), "summary": "增加噪声项目"})
    change = FilingVersion.objects.get(filing=accepted.filing_id, number=2)
    assert response["Location"] == reverse("filing:edit-basic", args=[change.pk])
    again = inst.post(url, {"changed_on": timezone.localdate().isoformat(), "summary": "再来"})
    assert again.status_code == 400


def test_cancellation_by_the_institution_needs_a_confirmation(inst, institution_user, qc_user):
    accepted = accepted_version(institution_user, qc_user)
    url = reverse("filing:cancel", args=[accepted.filing_id])
    assert inst.get(url).status_code == 200
    response = inst.post(url, {"reason": "停止执业"})
    assert response.status_code == 200 and "请勾选确认" in response.content.decode()
    assert inst.post(url, {"reason": "停止执业", "confirm": "on"}).status_code == 302
    assert Filing.objects.get(pk=accepted.filing_id).status == FilingStatus.CANCELLED
    assert inst.post(url, {"reason": "再次", "confirm": "on"}).status_code == 400


def test_cancellation_by_the_province_and_not_by_a_city(client, institution_user, qc_user, make_user):
    accepted = accepted_version(institution_user, qc_user)
    url = reverse("filing:cancel", args=[accepted.filing_id])
    client.force_login(make_user(Role.COMMISSION_CITY))
    assert client.post(url, {"reason": "x", "confirm": "on"}).status_code == 403
    client.force_login(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    assert client.post(url, {"reason": "x", "confirm": "on"}).status_code == 404
    client.force_login(make_user(Role.COMMISSION_PROVINCE))
    assert client.post(url, {"reason": "核查发现已停业", "confirm": "on"}).status_code == 302
    assert Filing.objects.get(pk=accepted.filing_id).status == FilingStatus.CANCELLED
    assert services.open_version(Filing.objects.get(pk=accepted.filing_id)) is None


def test_authority_list_filters_and_counts_queries(client, qc_user, make_user, catalogues,
                                                   django_assert_max_num_queries):
    versions = _many_submitted(make_user, 3, start=20)
    FilingVersion.objects.filter(pk=versions[0].pk).update(filed_late=True)
    client.force_login(qc_user)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("filing:index"))
    assert response.context["page"].paginator.count == 3
    assert response.content.decode().count("逾期备案</span>") == 1
    late = client.get(reverse("filing:index"), {"late": "1"})
    assert [f.pk for f in late.context["page"]] == [versions[0].filing_id]
    named = client.get(reverse("filing:index"), {"q": versions[1].name})
    assert [f.pk for f in named.context["page"]] == [versions[1].filing_id]
    _many_submitted(make_user, 3, start=30)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("filing:index")).context["page"].paginator.count == 6
