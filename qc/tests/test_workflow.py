"""The fair process before publication, the selectors other apps read, suspension, findings and flags."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from filing.choices import ItemStatus
from filing.models import FiledItem
from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.core.models import StoredFile
from portal.workdays.services import add_working_days
from qc import selectors, services
from qc.choices import AssessmentStatus
from qc.models import Finding, Indicator, ResponsePoint, Suspension
from qc.services import PointInput, ScoreEntry, TransitionError

TODAY = date.today()


def pdf(name="证明.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 evidence")


def fail_key_item(assessment, qc_user, category=""):
    sheet = assessment.sheets.get(category=category)
    key = Indicator.objects.filter(version=sheet.version, is_key=True, is_leaf=True).first()
    services.assessment_save_scores(assessment_id=assessment.pk, actor=qc_user, entries=[
        ScoreEntry(sheet.pk, key.pk, deducted=key.max_points, note="未按规定报告疑似职业病")])
    return sheet, key


@pytest.fixture
def institution_user(make_user):
    def make(org):
        return make_user(Role.INSTITUTION, organisation=org)

    return make


def sent(assessment, qc_user, today=TODAY):
    return services.assessment_send(assessment_id=assessment.pk, actor=qc_user, today=today)


def test_send_opens_a_window_of_working_days_from_the_scheme(make_assessment, qc_user):
    assessment = make_assessment(("dust",))
    assessment.scheme.response_days = 5
    assessment.scheme.save()
    sent(assessment, qc_user, today=date(2026, 6, 1))
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SENT
    assert assessment.response_due_on == add_working_days(date(2026, 6, 1), 5)
    assert AuditEntry.objects.filter(action="qc.assessment.sent").exists()


def test_full_process_respond_answer_rescore_finalise(make_assessment, qc_user, institution_user):
    assessment = make_assessment(("dust",))
    inst = institution_user(assessment.institution)
    sent(assessment, qc_user)
    services.assessment_respond(assessment_id=assessment.pk, actor=inst,
                                points=[PointInput("2.1.1 人员证书齐全，见附件", [pdf()])])
    point = ResponsePoint.objects.get()
    assert point.evidence.count() == 1
    with pytest.raises(TransitionError):
        services.assessment_finalise(assessment_id=assessment.pk, actor=qc_user)
    with pytest.raises(ValidationError):
        services.assessment_answer(assessment_id=assessment.pk, actor=qc_user, answers={point.pk: ("accepted", "")})
    services.assessment_answer(assessment_id=assessment.pk, actor=qc_user,
                               answers={point.pk: ("accepted", "核实无误，撤销扣分")})
    assert selectors.latest_final_assessment(institution=assessment.institution) is None
    assert selectors.key_items_passed(institution=assessment.institution) is None
    # An accepted point may still change a score before finalising.
    sheet = assessment.sheets.get(category="")
    line = Indicator.objects.filter(version=sheet.version, is_leaf=True, is_key=False).first()
    services.assessment_save_scores(assessment_id=assessment.pk, actor=qc_user,
                                    entries=[ScoreEntry(sheet.pk, line.pk, deducted="0.5")])
    services.assessment_finalise(assessment_id=assessment.pk, actor=qc_user)
    assert selectors.latest_final_assessment(institution=assessment.institution).pk == assessment.pk
    assert selectors.key_items_passed(institution=assessment.institution) is True
    with pytest.raises(TransitionError):
        services.assessment_finalise(assessment_id=assessment.pk, actor=qc_user)
    with pytest.raises(TransitionError):
        services.assessment_save_scores(assessment_id=assessment.pk, actor=qc_user,
                                        entries=[ScoreEntry(sheet.pk, line.pk, deducted="1")])


def test_response_after_the_window_is_refused_and_nothing_is_kept(make_assessment, qc_user, institution_user):
    assessment = make_assessment(("dust",))
    inst = institution_user(assessment.institution)
    sent(assessment, qc_user, today=TODAY - timedelta(days=40))
    with pytest.raises(services.ResponseWindowClosed) as exc:
        services.assessment_respond(assessment_id=assessment.pk, actor=inst, points=[PointInput("错了", [pdf()])])
    assert "反馈期限已于" in exc.value.messages[0]
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SENT
    assert not ResponsePoint.objects.exists() and not StoredFile.objects.exists()
    # Once the window closed without a response the result goes final from sent.
    services.assessment_finalise(assessment_id=assessment.pk, actor=qc_user)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.FINAL


def test_a_bad_point_keeps_nothing_and_only_the_institution_responds(make_assessment, qc_user, institution_user):
    assessment = make_assessment(("dust",))
    sent(assessment, qc_user)
    inst = institution_user(assessment.institution)
    with pytest.raises(ValidationError) as exc:
        services.assessment_respond(assessment_id=assessment.pk, actor=inst,
                                    points=[PointInput("好", [pdf()]), PointInput("无证据", [])])
    assert "point-2" in exc.value.message_dict
    assert not ResponsePoint.objects.exists() and not StoredFile.objects.exists()
    with pytest.raises(PermissionDenied):
        services.assessment_respond(assessment_id=assessment.pk, actor=qc_user, points=[PointInput("x", [pdf()])])


def test_failed_key_item_opens_ledger_entry_suspends_and_a_passing_reassessment_lifts(
        make_assessment, qc_user, province):
    from qc.ledger.models import LedgerEntry

    assessment = make_assessment(("dust", "chemical"))
    fail_key_item(assessment, qc_user)
    sent(assessment, qc_user, today=TODAY - timedelta(days=40))
    services.assessment_finalise(assessment_id=assessment.pk, actor=qc_user)
    assert selectors.key_items_passed(institution=assessment.institution) is False
    entry = LedgerEntry.objects.get(institution=assessment.institution)
    assert entry.source == "qc_assessment" and entry.severity == "critical"
    assert Finding.objects.filter(assessment=assessment, ledger_entry_id=entry.pk).count() == 1

    services.assessment_suspend_categories(assessment_id=assessment.pk, categories=["dust"],
                                           reason="关键项不合格", actor=qc_user)
    items = FiledItem.objects.filter(version=assessment.filing.current_version)
    assert {i.exam_item.category.code: i.status for i in items} == {"dust": ItemStatus.SUSPENDED,
                                                                    "chemical": ItemStatus.ACTIVE}
    with pytest.raises(ValidationError):
        services.assessment_suspend_categories(assessment_id=assessment.pk, categories=["dust"], reason="再次",
                                               actor=qc_user)
    client = Client()
    client.force_login(qc_user)
    detail = reverse("qc:assessment-detail", args=[assessment.pk])
    assert "（1 项）" in client.get(detail).content.decode()

    again = services.assessment_create(province=province, institution=assessment.institution, year=2026,
                                       assessed_on=date(2026, 9, 1), team_ids=[qc_user.pk], actor=qc_user)
    sent(again, qc_user, today=TODAY - timedelta(days=40))
    services.assessment_finalise(assessment_id=again.pk, actor=qc_user)
    assert set(items.values_list("status", flat=True)) == {ItemStatus.ACTIVE}
    assert Suspension.objects.get().lifted_by_assessment_id == again.pk
    lifted_on = timezone.localdate(Suspension.objects.get().lifted_at).isoformat()
    assert f"（1 项，已于 {lifted_on} 恢复）" in client.get(detail).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert f"(1 item, restored on {lifted_on})" in client.get(detail).content.decode()
    assert selectors.key_items_passed(institution=assessment.institution) is True


def test_single_items_can_be_suspended_instead_of_a_whole_category(make_assessment, qc_user):
    from filing.catalogue.models import ExamItem

    assessment = make_assessment(("dust", "chemical"))
    version = assessment.filing.current_version
    first = FiledItem.objects.get(version=version, exam_item__category__code="dust")
    sibling = ExamItem.objects.create(edition=first.exam_item.edition, category=first.exam_item.category,
                                      clause="99.2", code="GBZ188-2014:99.2", name="第二个粉尘类项目", order=99)
    second = FiledItem.objects.create(version=version, exam_item=sibling)
    fail_key_item(assessment, qc_user)
    sent(assessment, qc_user, today=TODAY - timedelta(days=40))
    services.assessment_finalise(assessment_id=assessment.pk, actor=qc_user)

    with pytest.raises(ValidationError) as refused:
        services.assessment_suspend_categories(assessment_id=assessment.pk, categories=[], items=["GBZ188-2014:99.9"],
                                               reason="关键项不合格", actor=qc_user)
    assert "GBZ188-2014:99.9" in str(refused.value.message_dict["items"])
    assert not Suspension.objects.exists()

    client = Client()
    client.force_login(qc_user)
    detail = reverse("qc:assessment-detail", args=[assessment.pk])
    page = client.get(detail).content.decode()
    assert 'data-testid="suspend-items"' in page and second.exam_item.code in page
    client.post(reverse("qc:assessment-suspend", args=[assessment.pk]),
                {"items": [second.exam_item.code], "reason": "噪声听力检查不合格",
                 "status_seen": "final"})
    statuses = dict(FiledItem.objects.filter(version=version).values_list("exam_item__code", "status"))
    assert statuses[second.exam_item.code] == ItemStatus.SUSPENDED
    assert statuses[first.exam_item.code] == ItemStatus.ACTIVE
    assert set(statuses.values()) == {ItemStatus.SUSPENDED, ItemStatus.ACTIVE}
    suspension = Suspension.objects.get()
    assert (suspension.category, suspension.item_codes) == ("dust", [second.exam_item.code])


def test_ticked_findings_go_on_the_ledger_once(make_assessment, qc_user):
    from qc.ledger.models import LedgerEntry

    assessment = make_assessment(("dust",))
    sheet = assessment.sheets.get(category="")
    line = Indicator.objects.filter(version=sheet.version, is_leaf=True, is_key=False).first()
    services.assessment_save_scores(assessment_id=assessment.pk, actor=qc_user,
                                    entries=[ScoreEntry(sheet.pk, line.pk, deducted="1", note="记录不全")])
    with pytest.raises(TransitionError):
        services.assessment_open_findings(assessment_id=assessment.pk, lines=[(sheet.pk, line.pk)], actor=qc_user,
                                          due_on=TODAY + timedelta(days=30))
    sent(assessment, qc_user, today=TODAY - timedelta(days=40))
    services.assessment_finalise(assessment_id=assessment.pk, actor=qc_user)
    for _n in range(2):
        services.assessment_open_findings(assessment_id=assessment.pk, lines=[(sheet.pk, line.pk)], actor=qc_user,
                                          due_on=TODAY + timedelta(days=30))
    assert LedgerEntry.objects.count() == 1 and "记录不全" in LedgerEntry.objects.get().description


def test_flag_notifies_commission_and_disease_control_at_once(make_assessment, qc_user, make_user):
    from portal.notifications.models import Notification

    commission = make_user(Role.COMMISSION_PROVINCE)
    cdc = make_user(Role.DISEASE_CONTROL)
    city = make_user(Role.COMMISSION_CITY)
    liaoning = make_user(Role.COMMISSION_PROVINCE, province_code="210000")
    assessment = make_assessment(("dust",))
    with pytest.raises(ValidationError):
        services.assessment_flag(assessment_id=assessment.pk, description=" ", actor=qc_user)
    services.assessment_flag(assessment_id=assessment.pk, description="体检报告系伪造", actor=qc_user)
    told = set(Notification.objects.filter(kind="qc.flag").values_list("recipient_id", flat=True))
    assert {commission.pk, cdc.pk} <= told and city.pk not in told and liaoning.pk not in told
    assert AuditEntry.objects.filter(action="qc.assessment.flagged").exists()


def test_key_indicator_figures_are_validated(make_assessment, qc_user):
    assessment = make_assessment(("dust",))
    with pytest.raises(ValidationError) as exc:
        services.assessment_save_indicators(assessment_id=assessment.pk, actor=qc_user, values={
            "contraindications_found": "3", "contraindications_notified": "4", "suspected_found": "-1",
            "diagnosis_accuracy": "101", "case_report_timeliness": "abc"})
    assert set(exc.value.message_dict) == {"contraindications_notified", "suspected_found", "diagnosis_accuracy",
                                           "case_report_timeliness"}
    services.assessment_save_indicators(assessment_id=assessment.pk, actor=qc_user, values={
        "contraindications_found": "3", "contraindications_notified": "3", "diagnosis_accuracy": "98.5"})
    assessment.refresh_from_db()
    assert assessment.contraindications_notified == 3 and assessment.diagnosis_accuracy == Decimal("98.5")


# ---------------------------------------------------------------- pages


@pytest.fixture
def client_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


def test_step_pages_wrong_state_other_province_and_wrong_role(make_assessment, qc_user, client_for, make_user):
    assessment = make_assessment(("dust",))
    qc = client_for(qc_user)
    url = reverse("qc:assessment-send", args=[assessment.pk])
    assert qc.post(url, {"status_seen": "draft"}).status_code == 302
    assert qc.post(url, {"status_seen": "draft"}).status_code == 409
    assert qc.post(url).status_code == 400
    finalise = reverse("qc:assessment-finalise", args=[assessment.pk])
    assert qc.post(finalise).status_code == 400  # window still open
    other = client_for(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    assert other.post(finalise).status_code == 404
    assert client_for(make_user(Role.COMMISSION_PROVINCE)).post(finalise).status_code == 403
    page = qc.get(reverse("qc:assessment-detail", args=[assessment.pk])).content.decode()
    assert 'data-testid="workflow"' in page and "反馈截止日" in page


def test_response_page_refuses_after_the_window(make_assessment, qc_user, client_for, institution_user):
    assessment = make_assessment(("dust",))
    inst = client_for(institution_user(assessment.institution))
    assert inst.get(reverse("qc:response", args=[assessment.pk])).status_code == 404  # a draft is not shown
    sent(assessment, qc_user, today=TODAY - timedelta(days=40))
    response = inst.post(reverse("qc:response", args=[assessment.pk]), {"text-1": "错", "files-1": pdf()})
    assert response.status_code == 400 and "反馈期限已于" in response.content.decode()
    assert not ResponsePoint.objects.exists()


def test_response_page_accepts_points_in_the_window(make_assessment, qc_user, client_for, institution_user):
    assessment = make_assessment(("dust",))
    inst = client_for(institution_user(assessment.institution))
    sent(assessment, qc_user)
    page = inst.get(reverse("qc:response", args=[assessment.pk])).content.decode()
    assert "对事实错误提出异议" in page
    response = inst.post(reverse("qc:response", args=[assessment.pk]), {"text-1": "人员证书齐全", "files-1": pdf()})
    assert response.status_code == 302
    point = ResponsePoint.objects.get()
    file_id = point.evidence.get().pk
    assert client_for(qc_user).get(reverse("qc:point-evidence", args=[assessment.pk, file_id])).status_code == 200
    answer = client_for(qc_user).post(reverse("qc:assessment-answer", args=[assessment.pk]),
                                      {f"answer-{point.pk}": "rejected", f"note-{point.pk}": "证书已过期"})
    assert answer.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.ANSWERED


def test_results_list_filters_those_awaiting_a_response(make_assessment, qc_user, client_for, institution_user):
    waiting, closed = make_assessment(("dust",)), make_assessment(("dust",))
    sent(waiting, qc_user)
    sent(closed, qc_user, today=TODAY - timedelta(days=40))
    url = reverse("qc:response-list")

    def results(assessment, query: str = "") -> str:
        return client_for(institution_user(assessment.institution)).get(url + query).content.decode()

    link = reverse("qc:response", args=[waiting.pk])
    assert link in results(waiting) and link in results(waiting, "?awaiting=1")
    closed_link = reverse("qc:response", args=[closed.pk])
    assert closed_link in results(closed)  # the whole list keeps it
    page = results(closed, "?awaiting=1")
    assert closed_link not in page and "没有待反馈的考核结果。" in page
