"""Scheduling and publishing: numbering, immutable snapshots, only final records, idempotence."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from reporting.publications.choices import PublicationKind, PublicationStatus
from reporting.publications.models import Publication, PublicationRow, SnapshotFrozen
from reporting.publications.services import (
    TransitionError,
    beat_schedule_install,
    publication_cancel,
    publication_publish,
    publication_schedule,
    publication_withdraw,
    publications_publish_due,
)

from .conftest import NOW, TODAY

pytestmark = pytest.mark.django_db
K = PublicationKind


def names(publication) -> list[str]:
    return [row.data["name"] for row in PublicationRow.objects.filter(publication=publication).order_by("position")]


# ---- Numbering -------------------------------------------------------------------------------

def test_numbers_run_per_province_kind_and_year(publish, world):
    first = publish(K.QC_QUALIFIED)
    second = publish(K.QC_QUALIFIED, data_as_of=TODAY - timedelta(days=1))
    other_kind = publish(K.PENALTIES)
    assert first.number == "吉卫职健质控公示〔2026〕1号"
    assert second.number == "吉卫职健质控公示〔2026〕2号"
    assert other_kind.number == "吉卫职健处罚公示〔2026〕1号"
    assert (first.year, first.sequence) == (2026, 1)


def test_a_cancelled_publication_uses_no_number(publish, commission, world):
    scheduled = publication_schedule(actor=commission, kind=K.FILED_INSTITUTIONS, data_as_of=TODAY, now=NOW,
                                     scheduled_for=NOW + timedelta(days=1))
    publication_cancel(publication_id=scheduled.pk, actor=commission)
    published = publish(K.FILED_INSTITUTIONS)
    assert published.number == "吉卫职健备案公示〔2026〕1号"
    assert Publication.objects.get(pk=scheduled.pk).number == ""


# ---- The snapshot ------------------------------------------------------------------------------

def test_a_published_list_is_a_snapshot_that_never_changes(publish, world, fake_render):
    world.filing(world.institution("甲医院"))
    world.filing(world.institution("乙医院"))
    publication = publish(K.FILED_INSTITUTIONS)
    assert publication.status == PublicationStatus.PUBLISHED
    assert publication.row_count == 2 and names(publication) == ["甲医院", "乙医院"]
    assert publication.pdf.name.endswith(".pdf") and publication.xlsx.name.endswith(".xlsx")
    assert publication.pdf.read().startswith(b"%PDF")

    world.filing(world.institution("丙医院"))
    later = publish(K.FILED_INSTITUTIONS, data_as_of=TODAY - timedelta(days=2))
    assert names(later) == ["丙医院", "甲医院", "乙医院"] or later.row_count == 3
    publication.refresh_from_db()
    assert publication.row_count == 2 and names(publication) == ["甲医院", "乙医院"]

    rows = PublicationRow.objects.filter(publication=publication)
    with pytest.raises(SnapshotFrozen):
        rows.update(data={})
    with pytest.raises(SnapshotFrozen):
        rows.delete()
    row = rows.first()
    row.data = {"name": "篡改"}
    with pytest.raises(SnapshotFrozen):
        row.save()
    fresh = Publication.objects.get(pk=publication.pk)
    fresh.title = "另一个标题"
    with pytest.raises(SnapshotFrozen):
        fresh.save()
    with pytest.raises(SnapshotFrozen):
        Publication.objects.get(pk=publication.pk).delete()


def test_the_renderer_gets_the_header_and_the_rows(publish, world, fake_render):
    world.filing(world.institution("甲医院"))
    publication = publish(K.FILED_INSTITUTIONS, next_update_on=TODAY + timedelta(days=90), notes="公示期五个工作日")
    kind, sheet, rows = fake_render.calls[0]
    assert kind == "pdf"
    assert sheet.number == publication.number and sheet.authority == publication.authority.name
    assert sheet.data_as_of == TODAY and sheet.next_update_on == TODAY + timedelta(days=90)
    assert "公示期五个工作日" in sheet.notes
    assert [c.key for c in sheet.columns][:2] == ["filing_number", "name"]
    assert rows[0]["name"] == "甲医院" and rows[0]["filed_on"] == date(2026, 3, 1)


def test_publishing_twice_does_nothing_new(publish, world, fake_render):
    world.filing()
    publication = publish(K.FILED_INSTITUTIONS)
    audits = AuditEntry.objects.count()
    again = publication_publish(publication_id=publication.pk, now=NOW + timedelta(minutes=5))
    assert again.number == publication.number and again.published_at == publication.published_at
    assert PublicationRow.objects.filter(publication=publication).count() == 1
    assert AuditEntry.objects.count() == audits
    assert len(fake_render.calls) == 2  # one PDF, one workbook: the second run rendered nothing


def test_every_transition_is_audited(publish, commission, world):
    publication = publish(K.PENALTIES)
    publication_withdraw(publication_id=publication.pk, actor=commission, reason="数据有误")
    actions = list(AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Publication),
                                             object_id=str(publication.pk)).order_by("pk")
                   .values_list("action", flat=True))
    assert actions == ["publications.scheduled", "publications.published", "publications.withdrawn"]


def test_a_failed_rendering_keeps_nothing(commission, world, fake_render):
    world.filing()
    fake_render.fail = True
    scheduled = publication_schedule(actor=commission, kind=K.FILED_INSTITUTIONS, data_as_of=TODAY, now=NOW)
    failed = publication_publish(publication_id=scheduled.pk, now=NOW)
    assert failed.status == PublicationStatus.FAILED and "渲染失败" in failed.failure_reason
    assert failed.number == "" and failed.row_count == 0 and not failed.pdf
    assert not PublicationRow.objects.filter(publication=failed).exists()
    assert AuditEntry.objects.filter(action="publications.failed", object_id=str(failed.pk)).exists()
    fake_render.fail = False
    # The failed attempt used no number.
    retry = publication_schedule(actor=commission, kind=K.FILED_INSTITUTIONS, data_as_of=TODAY, now=NOW)
    assert publication_publish(publication_id=retry.pk, now=NOW).number == "吉卫职健备案公示〔2026〕1号"


# ---- Nothing unfinished enters -------------------------------------------------------------------

def test_filed_institutions_are_accepted_filings_only(publish, world):
    world.filing(world.institution("已备案医院"))
    world.filing(world.institution("待受理医院"), status="submitted")
    world.filing(world.institution("已注销医院"), status="cancelled")
    world.filing(world.institution("退回医院"), status="returned")
    from portal.regions.models import Region
    from reporting.publications.tests.builders import World

    World("210000", "210102").filing(World("210000", "210102").institution("辽宁医院"))
    assert Region.objects.filter(code="210000").exists()
    assert names(publish(K.FILED_INSTITUTIONS)) == ["已备案医院"]


def test_qc_qualified_lists_the_latest_final_official_pass_of_the_year(publish, world):
    passed = world.filing(world.institution("合格医院"))
    world.assessment(passed, passed=True, grade="优秀")
    failed = world.filing(world.institution("不合格医院"))
    world.assessment(failed, passed=False, grade="不合格")
    later_failed = world.filing(world.institution("复核不合格医院"))
    world.assessment(later_failed, passed=True, assessed_on=date(2026, 4, 1))
    world.assessment(later_failed, passed=False, assessed_on=date(2026, 9, 1))
    for status in ("draft", "sent", "responded", "answered"):
        world.assessment(world.filing(world.institution(f"{status}医院")), status=status, passed=True)
    world.assessment(world.filing(world.institution("自查医院")), kind="self", passed=True)
    world.assessment(world.filing(world.institution("去年医院")), assessed_on=date(2025, 6, 1), passed=True)
    world.assessment(world.filing(world.institution("截止后定稿医院")), finalised_on=TODAY + timedelta(days=1))
    cancelled = world.filing(world.institution("已注销合格医院"), status="cancelled")
    world.assessment(cancelled, passed=True)
    publication = publish(K.QC_QUALIFIED)
    assert names(publication) == ["合格医院"]
    row = PublicationRow.objects.get(publication=publication).data
    assert row["grade"] == "优秀" and row["score"] == "92.5" and row["assessed_on"] == "2026-05-10"


def test_unfit_lists_signed_off_findings_only(publish, world):
    world.verification(world.filing(world.institution("不符合医院")), outcome="not_fit")
    world.verification(world.filing(world.institution("部分项目医院")), outcome="fit_except",
                       not_capable=[("GBZ188-2014:6.1", "粉尘作业", "缺少DR设备")])
    world.verification(world.filing(world.institution("符合医院")), outcome="fit")
    world.verification(world.filing(world.institution("核查中医院")), outcome="not_fit", signed_off_on=None)
    world.verification(world.filing(world.institution("截止后签发医院")), outcome="not_fit",
                       signed_off_on=TODAY + timedelta(days=1))
    publication = publish(K.UNFIT)
    assert names(publication) == ["不符合医院", "部分项目医院"]
    items = PublicationRow.objects.get(publication=publication, position=2).data["items"]
    assert items == "粉尘作业（缺少DR设备）"


def test_qc_rectification_shows_final_results_with_their_demands(publish, world):
    failed = world.filing(world.institution("整改医院"))
    assessment = world.assessment(failed, passed=False, grade="不合格")
    world.ledger_entry(failed.institution, source=assessment, status="closed", requirement="补全记录")
    world.ledger_entry(failed.institution, source=assessment, status="accepted", requirement="完成培训",
                       due_on=date(2026, 8, 1))
    clean = world.filing(world.institution("无需整改医院"))
    world.assessment(clean, passed=True)
    draft = world.filing(world.institution("草稿医院"))
    draft_assessment = world.assessment(draft, status="sent", passed=False)
    world.ledger_entry(draft.institution, source=draft_assessment)
    publication = publish(K.QC_RECTIFICATION)
    assert names(publication) == ["整改医院"]
    row = PublicationRow.objects.get(publication=publication).data
    assert row["result"] == "不合格" and row["demands"] == "补全记录；完成培训" and row["due_on"] == "2026-08-01"
    assert "已销号 1" in row["progress"] and "方案已认可，整改中 1" in row["progress"]


def test_unrectified_lists_refused_and_failed_only(publish, world):
    refused = world.institution("拒不整改医院")
    world.ledger_entry(refused, status="refused", description="拒绝提交整改方案", severity="critical")
    world.ledger_entry(refused, status="failed", description="复查仍不合格")
    world.ledger_entry(world.institution("整改中医院"), status="accepted")
    world.ledger_entry(world.institution("已销号医院"), status="closed")
    publication = publish(K.UNRECTIFIED)
    assert names(publication) == ["拒不整改医院"]
    row = PublicationRow.objects.get(publication=publication).data
    assert (row["refused"], row["failed"]) == (1, 1)
    assert row["problems"] == "拒绝提交整改方案；复查仍不合格"


def test_penalties_are_final_decisions_up_to_the_date(publish, world, make_user):
    supervision = make_user(Role.SUPERVISION).organisation
    world.penalty(world.institution("处罚医院"), supervision, fine="0.5")
    world.penalty(world.institution("草稿处罚医院"), supervision, status="draft")
    world.penalty(world.institution("截止后处罚医院"), supervision, decided_on=TODAY + timedelta(days=1))
    publication = publish(K.PENALTIES)
    assert names(publication) == ["处罚医院"]
    row = PublicationRow.objects.get(publication=publication).data
    assert row["penalty"] == "警告；罚款 0.5 万元" and row["problems"] == "主检医师不符合要求"


# ---- Scheduling rules --------------------------------------------------------------------------

@pytest.mark.parametrize("changes, field, message", [
    ({"data_as_of": TODAY + timedelta(days=1)}, "data_as_of", "数据截止日期不能晚于发布日期"),
    ({"scheduled_for": NOW - timedelta(hours=1)}, "scheduled_for", "计划发布时间不能早于现在"),
    ({"scheduled_for": NOW + timedelta(days=400)}, "scheduled_for", "计划发布时间不能晚于一年以后"),
    ({"next_update_on": TODAY}, "next_update_on", "下次更新日期应晚于发布日期"),
    ({"kind": "everything"}, "kind", "请选择公示类型"),
])
def test_bad_input_is_refused_with_a_reason(commission, world, changes, field, message):
    args = {"kind": K.PENALTIES, "data_as_of": TODAY, **changes}
    with pytest.raises(ValidationError) as error:
        publication_schedule(actor=commission, now=NOW, **args)
    assert message in " ".join(error.value.message_dict[field])
    assert not Publication.objects.exists()


def test_only_the_provincial_commission_publishes(make_user, world):
    for role in (Role.PROVINCE_ADMIN, Role.QC_CENTER, Role.COMMISSION_CITY, Role.SUPERVISION, Role.NATIONAL,
                 Role.INSTITUTION):
        with pytest.raises(PermissionDenied):
            publication_schedule(actor=make_user(role), kind=K.PENALTIES, data_as_of=TODAY, now=NOW)
    assert not Publication.objects.exists()


def test_a_form_sent_twice_schedules_one_publication(commission, world):
    key = uuid.uuid4()
    first = publication_schedule(actor=commission, kind=K.PENALTIES, data_as_of=TODAY, now=NOW,
                                 scheduled_for=NOW + timedelta(hours=2), submission_key=key)
    second = publication_schedule(actor=commission, kind=K.PENALTIES, data_as_of=TODAY, now=NOW,
                                  scheduled_for=NOW + timedelta(hours=2), submission_key=key)
    assert first.pk == second.pk and Publication.objects.count() == 1
    with pytest.raises(ValidationError) as error:
        publication_schedule(actor=commission, kind=K.PENALTIES, data_as_of=TODAY, now=NOW,
                             scheduled_for=NOW + timedelta(hours=3), submission_key=uuid.uuid4())
    assert "等待发布" in error.value.message_dict["kind"][0]


def test_publish_now_is_queued_after_commit(commission, world, fake_render, django_capture_on_commit_callbacks):
    world.filing()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        publication = publication_schedule(actor=commission, kind=K.FILED_INSTITUTIONS, data_as_of=TODAY)
    assert len(callbacks) == 1
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED and publication.row_count == 1
    assert publication.published_by == commission


def test_a_later_time_is_not_queued(commission, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        publication_schedule(actor=commission, kind=K.PENALTIES, data_as_of=TODAY, now=NOW,
                             scheduled_for=NOW + timedelta(hours=1))
    assert callbacks == []


def test_cancel_and_withdraw_follow_the_transition_table(publish, commission, world):
    scheduled = publication_schedule(actor=commission, kind=K.UNFIT, data_as_of=TODAY, now=NOW,
                                     scheduled_for=NOW + timedelta(hours=1))
    publication_cancel(publication_id=scheduled.pk, actor=commission)
    with pytest.raises(TransitionError):
        publication_cancel(publication_id=scheduled.pk, actor=commission)
    assert publications_publish_due(now=NOW + timedelta(hours=2)) == 0

    published = publish(K.UNFIT)
    with pytest.raises(TransitionError):
        publication_cancel(publication_id=published.pk, actor=commission)
    with pytest.raises(ValidationError):
        publication_withdraw(publication_id=published.pk, actor=commission, reason=" ")
    withdrawn = publication_withdraw(publication_id=published.pk, actor=commission, reason="名单有误")
    assert withdrawn.status == PublicationStatus.WITHDRAWN and withdrawn.number == published.number
    with pytest.raises(TransitionError):
        publication_withdraw(publication_id=published.pk, actor=commission, reason="再次撤回")


def test_another_province_cannot_cancel(commission, make_user, world):
    scheduled = publication_schedule(actor=commission, kind=K.UNFIT, data_as_of=TODAY, now=NOW,
                                     scheduled_for=NOW + timedelta(hours=1))
    liaoning = make_user(Role.COMMISSION_PROVINCE, province_code="210000")
    with pytest.raises(PermissionDenied):
        publication_cancel(publication_id=scheduled.pk, actor=liaoning)


# ---- The beat task -----------------------------------------------------------------------------

def test_the_beat_publishes_what_is_due_once(commission, world, fake_render):
    world.filing()
    due = publication_schedule(actor=commission, kind=K.FILED_INSTITUTIONS, data_as_of=TODAY, now=NOW,
                               scheduled_for=NOW + timedelta(minutes=10))
    later = publication_schedule(actor=commission, kind=K.PENALTIES, data_as_of=TODAY, now=NOW,
                                 scheduled_for=NOW + timedelta(days=1))
    assert publications_publish_due(now=NOW + timedelta(minutes=5)) == 0
    assert publications_publish_due(now=NOW + timedelta(minutes=15)) == 1
    assert publications_publish_due(now=NOW + timedelta(minutes=20)) == 0
    due.refresh_from_db(), later.refresh_from_db()
    assert due.status == PublicationStatus.PUBLISHED and later.status == PublicationStatus.SCHEDULED
    assert AuditEntry.objects.filter(action="publications.published").count() == 1
    assert len(fake_render.calls) == 2


def test_the_beat_entry_is_installed_once(db):
    from django_celery_beat.models import PeriodicTask

    from reporting.publications.apps import PublicationsConfig

    assert "created" in beat_schedule_install()
    assert "unchanged" in beat_schedule_install()
    entry = PeriodicTask.objects.get(task="reporting.publications.tasks.publish_due_publications")
    assert entry.interval.every == 5
    assert hasattr(PublicationsConfig, "load_reference_data")
