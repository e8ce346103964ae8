"""The draft's section services and the workflow transitions, against the real database."""

# ruff: noqa: F811  fixtures are imported from workflow_builders and named as test arguments

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from filing import services
from filing.catalogue.models import ExamItem
from filing.choices import FilingStatus, ItemStatus, VersionStatus
from filing.completeness import check_version
from filing.models import FiledItem, Filing, QualityDocument
from filing.tests.workflow_builders import (  # noqa: F401  fixtures
    CHIEF,
    NURSE,
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
from portal.audit.models import AuditEntry
from portal.core.models import StoredFile
from portal.core.uploads import MAX_UPLOAD_BYTES
from portal.regions.models import Region

pytestmark = pytest.mark.django_db


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# ---- Basic data ----------------------------------------------------------------------------

def test_basic_saves_and_audits(institution_user):
    version = start_draft(institution_user)
    fill_basic(version, institution_user)
    version.refresh_from_db()
    assert version.legal_representative == "王法人"
    assert version.licence_copy.sha256 and version.licence_copy.size > 0
    assert AuditEntry.objects.filter(action="filing.version.basic_saved").exists()


def test_basic_refuses_a_future_start_date_and_saves_nothing(institution_user):
    version = start_draft(institution_user)
    files_before = StoredFile.objects.count()
    with pytest.raises(ValidationError) as exc:
        fill_basic(version, institution_user, legal_representative="新法人",
                   exams_started_on=timezone.localdate() + timedelta(days=1))
    assert "不能晚于今天" in exc.value.message_dict["exams_started_on"][0]
    version.refresh_from_db()
    assert version.legal_representative == ""
    assert StoredFile.objects.count() == files_before, "a valid upload beside an invalid field is not kept"


@pytest.mark.parametrize(("upload", "message"), [
    (exe_upload(), "类型不受支持"),
    (pdf_upload("big.pdf", size=MAX_UPLOAD_BYTES + 1), "大小限制"),
    (pdf_upload("scan.docx"), "类型不受支持"),
])
def test_basic_refuses_bad_uploads(institution_user, upload, message):
    version = start_draft(institution_user)
    with pytest.raises(ValidationError) as exc:
        fill_basic(version, institution_user, licence_copy=upload)
    assert message in exc.value.message_dict["licence_copy"][0]
    version.refresh_from_db()
    assert version.licence_copy_id is None


def test_basic_refuses_a_credit_code_of_another_institution(institution_user, make_user):
    other = make_user("institution").organisation
    other.credit_code = credit_code(999_001)
    other.save()
    version = start_draft(institution_user)
    with pytest.raises(ValidationError) as exc:
        fill_basic(version, institution_user, credit_code=other.credit_code)
    assert "已被其他机构使用" in exc.value.message_dict["credit_code"][0]


def test_basic_refuses_a_bad_check_character_and_a_region_of_another_province(institution_user):
    version = start_draft(institution_user)
    bad = credit_code(5)[:-1] + ("0" if credit_code(5)[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        fill_basic(version, institution_user, credit_code=bad, region=Region.objects.get(code="210102"))
    assert set(exc.value.message_dict) == {"credit_code", "region"}


def test_a_new_upload_never_overwrites_the_old_file(institution_user):
    version = start_draft(institution_user)
    fill_basic(version, institution_user, licence_copy=pdf_upload("v1.pdf"))
    version.refresh_from_db()
    first = version.licence_copy
    fill_basic(version, institution_user, licence_copy=SimpleUploaded("v2.pdf", b"%PDF-1.4 second"))
    version.refresh_from_db()
    assert version.licence_copy_id != first.pk
    first.refresh_from_db()
    assert first.file.storage.exists(first.file.name)
    assert first.file.name != version.licence_copy.file.name


def SimpleUploaded(name, data):  # noqa: N802  reads like the Django class it wraps
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/pdf")


# ---- Lists: staff, certificates, rooms, equipment ----------------------------------------------

def test_staff_sync_updates_adds_and_removes(institution_user):
    version = start_draft(institution_user)
    services.version_save_staff(version_id=version.pk, actor=institution_user, staff=[CHIEF, NURSE])
    chief = version.staff.get(name="张主检")
    services.version_save_staff(version_id=version.pk, actor=institution_user, staff=[
        {**CHIEF, "id": chief.pk, "years_experience": 8},
        {**NURSE, "name": "新护士", "registration_number": "N2"},
    ])
    names = sorted(version.staff.values_list("name", flat=True))
    assert names == ["张主检", "新护士"]
    assert version.staff.get(pk=chief.pk).years_experience == 8


def test_staff_ids_of_another_version_are_refused(institution_user, make_user):
    other_user = make_user("institution")
    other = start_draft(other_user)
    services.version_save_staff(version_id=other.pk, actor=other_user, staff=[CHIEF])
    foreign = other.staff.get()
    version = start_draft(institution_user)
    with pytest.raises(ValidationError):
        services.version_save_staff(version_id=version.pk, actor=institution_user,
                                    staff=[{**CHIEF, "id": foreign.pk, "name": "篡改"}])
    foreign.refresh_from_db()
    assert foreign.name == "张主检"


def test_certificates_refuse_future_issue_dates_and_keep_copies(institution_user):
    version = start_draft(institution_user)
    services.version_save_staff(version_id=version.pk, actor=institution_user, staff=[CHIEF])
    member = version.staff.get()
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.staff_save_certificates(version_id=version.pk, staff_id=member.pk, actor=institution_user,
                                         certificates=[{"name": "培训证书", "issued_on": today + timedelta(days=2)}])
    assert "发证日期不能晚于今天" in _messages(exc.value)
    services.staff_save_certificates(
        version_id=version.pk, staff_id=member.pk, actor=institution_user,
        certificates=[{"name": "主检医师培训合格证明", "number": "C1", "issued_on": today - timedelta(days=30),
                       "expires_on": today + timedelta(days=700), "copy": pdf_upload("cert.pdf")}])
    cert = member.certificates.get()
    assert cert.copy.sha256
    services.staff_save_certificates(version_id=version.pk, staff_id=member.pk, actor=institution_user,
                                     certificates=[{"id": cert.pk, "name": "主检医师培训合格证明", "number": "C1-b",
                                                    "issued_on": None, "expires_on": None}])
    cert.refresh_from_db()
    assert cert.number == "C1-b" and cert.copy_id is not None, "saving without a new copy keeps the old one"


def test_premises_refuse_negative_areas(institution_user):
    version = start_draft(institution_user)
    with pytest.raises(ValidationError) as exc:
        services.version_save_premises(version_id=version.pk, actor=institution_user, total_area=Decimal("-1"),
                                       rooms=[{"name": "内科", "area": Decimal("-3")}])
    assert "不能为负数" in exc.value.message_dict["total_area"][0]
    assert "第1行" in exc.value.message_dict["rooms"][0]
    assert not version.rooms.exists()


def test_equipment_and_vehicles(institution_user):
    version = start_draft(institution_user)
    with pytest.raises(ValidationError) as exc:
        services.version_save_equipment(version_id=version.pk, actor=institution_user, equipment=[], vehicles=[
            {"plate_number": "吉A1", "vehicle_type": "体检车"}, {"plate_number": "吉a1", "vehicle_type": "DR车"}])
    assert "车牌号重复" in _messages(exc.value)
    services.version_save_equipment(version_id=version.pk, actor=institution_user,
                                    equipment=[{"name": "电测听", "calibration_due_on": None, "for_off_site": True}],
                                    vehicles=[{"plate_number": "吉a1", "vehicle_type": "体检车"}])
    assert version.vehicles.get().plate_number == "吉A1"


# ---- Documents -------------------------------------------------------------------------------

def test_documents_all_or_nothing(institution_user):
    version = start_draft(institution_user)
    with pytest.raises(ValidationError) as exc:
        services.version_save_documents(version_id=version.pk, actor=institution_user, uploads={
            "quality_manual": pdf_upload(), "procedures": exe_upload("p.pdf")})
    assert set(exc.value.message_dict) == {"procedures"}
    assert not QualityDocument.objects.filter(version=version).exists()


def test_replacing_a_document_keeps_the_file_of_the_accepted_version(institution_user, qc_user):
    accepted = accepted_version(institution_user, qc_user)
    old_doc = accepted.documents.get(doc_type="quality_manual")
    change = services.change_start(filing_id=accepted.filing_id, actor=institution_user,
                                   changed_on=timezone.localdate(), summary="更新质量手册")
    services.version_save_documents(version_id=change.pk, actor=institution_user,
                                    uploads={"quality_manual": SimpleUploaded("手册v2.pdf", b"%PDF-1.4 v2")})
    new_doc = change.documents.get(doc_type="quality_manual")
    assert new_doc.file_id != old_doc.file_id
    old_doc.refresh_from_db()
    assert old_doc.file.file.storage.exists(old_doc.file.file.name)


# ---- Items -----------------------------------------------------------------------------------

def test_items_refuse_an_item_of_another_category(institution_user):
    version = start_draft(institution_user)
    with pytest.raises(ValidationError) as exc:
        services.version_save_items(version_id=version.pk, actor=institution_user, off_site=False, items=[
            {"category": "chemical", "code": "GBZ188-2014:6.1", "exam_types": ["on_duty"]}])
    message = _messages(exc.value)
    assert "不属于所选类别" in message and "接触粉尘类" in message
    assert not version.items.exists()


def test_items_refuse_unknown_codes_and_exam_types(institution_user):
    version = start_draft(institution_user)
    with pytest.raises(ValidationError) as exc:
        services.version_save_items(version_id=version.pk, actor=institution_user, off_site=False, items=[
            {"category": "dust", "code": "GBZ188-1999:1.1", "exam_types": []},
            {"category": "dust", "code": "GBZ188-2014:6.2", "exam_types": ["yearly"]}])
    assert len(exc.value.message_dict["items"]) == 2


def test_items_from_gbz98_for_radiation_and_diseases_for_diagnosis(institution_user):
    version = start_draft(institution_user)
    services.version_save_items(version_id=version.pk, actor=institution_user, off_site=True, items=[
        {"category": "radiation", "code": "GBZ98-2020:R1", "exam_types": ["pre_employment", "on_duty"]},
        {"category": "dust", "code": "GBZ188-2014:6.1", "exam_types": ["on_duty", "pre_employment"]}])
    version.refresh_from_db()
    assert version.off_site and version.item_edition.code == "GBZ188-2014"
    assert version.items.get(exam_item__code="GBZ188-2014:6.1").exam_types == ["pre_employment", "on_duty"]
    fields = {d.field for d in check_version(version)}
    assert {"radiation_licence_number", "radiation_licence_copy"} <= fields

    diagnosis = start_draft(institution_user, kind="diagnosis")
    with pytest.raises(ValidationError):
        services.version_save_items(version_id=diagnosis.pk, actor=institution_user, off_site=False, items=[
            {"category": "dust", "code": "GBZ188-2014:6.1", "exam_types": []}])
    services.version_save_items(version_id=diagnosis.pk, actor=institution_user, off_site=False, items=[
        {"category": "OD-2013:1", "code": "OD-2013:1.1", "exam_types": ["on_duty"]}])
    assert diagnosis.items.get().exam_types == [], "diagnosis institutions file diseases without exam types"


def test_items_keep_their_status_across_a_change(institution_user, qc_user):
    accepted = accepted_version(institution_user, qc_user, items=("GBZ188-2014:6.1", "GBZ188-2014:6.2"))
    services.filed_item_set_status(filing_id=accepted.filing_id, item_code="GBZ188-2014:6.1",
                                   status=ItemStatus.SUSPENDED, reason="质控不合格", actor=qc_user)
    change = services.change_start(filing_id=accepted.filing_id, actor=institution_user,
                                   changed_on=timezone.localdate(), summary="增加项目")
    services.version_save_items(version_id=change.pk, actor=institution_user, off_site=False, items=[
        {"category": "dust", "code": "GBZ188-2014:6.1", "exam_types": ["on_duty"]},
        {"category": "physical", "code": ExamItem.objects.filter(category__code="physical").first().code,
         "exam_types": ["on_duty"]}])
    kept = change.items.get(exam_item__code="GBZ188-2014:6.1")
    assert kept.status == ItemStatus.SUSPENDED
    assert not change.items.filter(exam_item__code="GBZ188-2014:6.2").exists()


# ---- Sections refuse once submitted --------------------------------------------------------

def test_sections_refuse_a_submitted_version(institution_user):
    version = submitted_version(institution_user)
    with pytest.raises(services.TransitionError):
        services.version_save_premises(version_id=version.pk, actor=institution_user, total_area=600, rooms=[])


# ---- Submission, late filing, decisions --------------------------------------------------------

def test_submit_refuses_an_incomplete_draft_naming_every_deficiency(institution_user):
    version = start_draft(institution_user)
    with pytest.raises(ValidationError) as exc:
        services.version_submit(version_id=version.pk, actor=institution_user)
    fields = set(exc.value.message_dict)
    assert {"licence_copy", "legal_representative", "exams_started_on", "items", "chief_examiner",
            "total_area", "rooms", "equipment", "document:quality_manual"} <= fields
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_submit_sets_the_receipt_due_date_and_the_late_flag(institution_user):
    from portal.workdays.services import add_working_days

    version = fill_complete(start_draft(institution_user), institution_user)
    fill_basic(version, institution_user, exams_started_on=timezone.localdate() - timedelta(days=60))
    version = services.version_submit(version_id=version.pk, actor=institution_user)
    assert version.receipt_due_on == add_working_days(timezone.localdate(), 10)
    assert version.filed_late is True
    assert Filing.objects.get(pk=version.filing_id).status == FilingStatus.SUBMITTED


def test_submit_in_time_is_not_late(institution_user):
    version = submitted_version(institution_user)
    assert version.filed_late is False


def test_submitting_twice_is_a_wrong_state(institution_user):
    version = submitted_version(institution_user)
    with pytest.raises(services.TransitionError):
        services.version_submit(version_id=version.pk, actor=institution_user)


def test_accepting_twice_assigns_one_number(institution_user, qc_user, django_capture_on_commit_callbacks):
    version = submitted_version(institution_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.version_accept(version_id=version.pk, actor=qc_user)
    ours = [c for c in callbacks if getattr(c, "__module__", "") == "filing.services"]
    assert len(ours) == 1, "the receipt is rendered after commit"
    number = Filing.objects.get(pk=version.filing_id).filing_number
    assert number.startswith(f"220000-{timezone.localdate().year}-")
    with pytest.raises(services.TransitionError):
        services.version_accept(version_id=version.pk, actor=qc_user)
    assert Filing.objects.get(pk=version.filing_id).filing_number == number
    assert AuditEntry.objects.filter(action="filing.version.accepted").count() == 1


def test_numbers_follow_each_other(institution_user, qc_user, make_user):
    first = accepted_version(institution_user, qc_user)
    other = make_user("institution")
    other.organisation.credit_code = credit_code(424_242)
    other.organisation.save()
    second = accepted_version(other, qc_user)
    a = Filing.objects.get(pk=first.filing_id).filing_number
    b = Filing.objects.get(pk=second.filing_id).filing_number
    assert int(b.rsplit("-", 1)[1]) == int(a.rsplit("-", 1)[1]) + 1


def test_return_needs_at_least_one_line_and_reopens_the_draft(institution_user, qc_user):
    version = submitted_version(institution_user)
    with pytest.raises(ValidationError):
        services.version_return(version_id=version.pk, actor=qc_user, deficiencies=["  ", ""])
    services.version_return(version_id=version.pk, actor=qc_user, deficiencies=["主检医师证书不清晰", "缺少平面图"])
    version.refresh_from_db()
    assert version.status == VersionStatus.RETURNED
    assert [d["message"] for d in version.deficiencies] == ["主检医师证书不清晰", "缺少平面图"]
    services.version_save_premises(version_id=version.pk, actor=institution_user, total_area=520,
                                   rooms=[{"name": "内科检查室", "area": 12}])
    services.version_submit(version_id=version.pk, actor=institution_user)


# ---- Change and cancellation -------------------------------------------------------------------

def test_change_keeps_the_accepted_version_current_until_accepted(institution_user, qc_user):
    accepted = accepted_version(institution_user, qc_user)
    with pytest.raises(ValidationError) as exc:
        services.change_start(filing_id=accepted.filing_id, actor=institution_user,
                              changed_on=timezone.localdate() + timedelta(days=1), summary="x")
    assert "changed_on" in exc.value.message_dict
    change = services.change_start(filing_id=accepted.filing_id, actor=institution_user,
                                   changed_on=timezone.localdate(), summary="地址变更")
    services.version_save_basic(
        version_id=change.pk, actor=institution_user, name=change.name, credit_code=change.credit_code,
        licence_number=change.licence_number, radiation_licence_number="", legal_representative="王法人",
        quality_manager="李质量", technical_manager="赵技术", address="新地址1号", region=change.region,
        phone=change.phone, exams_started_on=change.exams_started_on)
    services.version_submit(version_id=change.pk, actor=institution_user)
    filing = Filing.objects.get(pk=accepted.filing_id)
    assert filing.current_version_id == accepted.pk and filing.status == FilingStatus.ACCEPTED
    services.version_accept(version_id=change.pk, actor=qc_user)
    filing.refresh_from_db()
    assert filing.current_version_id == change.pk
    accepted.refresh_from_db()
    assert accepted.status == VersionStatus.SUPERSEDED


def test_cancellation_keeps_every_version(institution_user, qc_user):
    accepted = accepted_version(institution_user, qc_user)
    services.change_start(filing_id=accepted.filing_id, actor=institution_user, changed_on=timezone.localdate(),
                          summary="人员变动")
    with pytest.raises(ValidationError):
        services.filing_cancel(filing_id=accepted.filing_id, actor=institution_user, reason=" ")
    filing = services.filing_cancel(filing_id=accepted.filing_id, actor=institution_user, reason="停业")
    assert filing.status == FilingStatus.CANCELLED
    assert list(filing.versions.order_by("number").values_list("status", flat=True)) == [
        VersionStatus.ACCEPTED, VersionStatus.WITHDRAWN]
    with pytest.raises(services.TransitionError):
        services.filing_cancel(filing_id=accepted.filing_id, actor=qc_user, reason="再次")


def test_withdrawing_a_change_leaves_the_filing_as_it_was(institution_user, qc_user):
    accepted = accepted_version(institution_user, qc_user)
    change = services.change_start(filing_id=accepted.filing_id, actor=institution_user,
                                   changed_on=timezone.localdate(), summary="x")
    services.version_withdraw(version_id=change.pk, actor=institution_user)
    assert FiledItem.objects.filter(version=change).exists(), "the withdrawn change is kept for the history"
    assert Filing.objects.get(pk=accepted.filing_id).current_version_id == accepted.pk
