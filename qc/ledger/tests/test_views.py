"""The ledger pages: scoping, escalation to supervision, the step forms, the export, query counts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from portal.accounts.choices import OrgKind, Role
from portal.audit.models import AuditEntry
from portal.core.models import StoredFile
from portal.regions.models import Region
from portal.testing.factories import OrganisationFactory
from qc.ledger.choices import LedgerSource, LedgerStatus, Severity
from qc.ledger.models import CaseReportCheck, LedgerEntry, LedgerStep

from .builders import pdf

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _overdue(entry, days: int = 5):
    LedgerEntry.objects.filter(pk=entry.pk).update(due_on=TODAY() - timedelta(days=days))
    entry.refresh_from_db()
    return entry


def _rows(response) -> set[int]:
    page = response.context["page"]
    return {entry.pk for entry in page.object_list}


# ---- Scoping ---------------------------------------------------------------------------------------

def test_institution_sees_only_its_own_entries(make_entry, client_for, institution_user, make_user, qc_user):
    own = make_entry()
    other_user = make_user(Role.INSTITUTION)
    other = make_entry(org=other_user.organisation, description="别家的问题")
    client = client_for(institution_user)
    assert _rows(client.get(reverse("ledger:list"))) == {own.pk}
    assert _rows(client.get(reverse("ledger:mine"))) == {own.pk}
    assert client.get(reverse("ledger:detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("ledger:detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("ledger:export")).status_code == 403
    assert _rows(client_for(other_user).get(reverse("ledger:list"))) == {other.pk}


def test_other_province_gets_404_and_an_empty_list(make_entry, client_for, role_users):
    entry = make_entry("plan_submitted")
    client = client_for(role_users["other_province"])
    assert _rows(client.get(reverse("ledger:list"))) == set()
    assert client.get(reverse("ledger:detail", args=[entry.pk])).status_code == 404
    assert client.post(reverse("ledger:accept-plan", args=[entry.pk]), {}).status_code == 404
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.PLAN_SUBMITTED


def test_wrong_role_gets_403(make_entry, client_for, role_users):
    entry = make_entry("plan_submitted")
    for role in (Role.DISEASE_CONTROL, Role.NATIONAL, Role.INSTITUTION):
        client = client_for(role_users[role])
        assert client.post(reverse("ledger:accept-plan", args=[entry.pk]), {}).status_code == 403
        assert client.get(reverse("ledger:open")).status_code == 403
    assert client_for(role_users[Role.QC_CENTER]).post(
        reverse("ledger:submit-plan", args=[entry.pk]), {"plan": "x"}).status_code == 403
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.PLAN_SUBMITTED


def test_city_and_county_see_their_area_only(make_entry, client_for, make_user, role_users):
    here = make_entry()
    jilin_city = OrganisationFactory(kind=OrgKind.INSTITUTION, region=Region.objects.get(code="220202"))
    there = make_entry(org=jilin_city, description="吉林市的问题")
    assert _rows(client_for(role_users[Role.COMMISSION_CITY]).get(reverse("ledger:list"))) == {here.pk}
    assert _rows(client_for(role_users[Role.COMMISSION_COUNTY]).get(reverse("ledger:list"))) == {here.pk}
    assert _rows(client_for(role_users[Role.COMMISSION_PROVINCE]).get(reverse("ledger:list"))) == {here.pk, there.pk}
    assert _rows(client_for(role_users[Role.NATIONAL]).get(reverse("ledger:list"))) == {here.pk, there.pk}


def test_overdue_entries_escalate_to_supervision(make_entry, client_for, role_users, make_user, institution):
    quiet = make_entry(description="未到期")
    late = _overdue(make_entry("accepted", description="逾期未整改"))
    refused = make_entry("refused", description="拒不整改")
    closed_late = make_entry("closed", description="逾期后才销号")
    LedgerEntry.objects.filter(pk=closed_late.pk).update(due_on=TODAY() - timedelta(days=1))
    supervision = role_users[Role.SUPERVISION]
    client = client_for(supervision)
    response = client.get(reverse("ledger:list"))
    assert _rows(response) == {late.pk, refused.pk, closed_late.pk}
    page = response.content.decode()
    assert page.count('data-testid="overdue-badge"') == 1 and "逾期" in page
    assert client.get(reverse("ledger:detail", args=[quiet.pk])).status_code == 404
    detail = client.get(reverse("ledger:detail", args=[late.pk])).content.decode()
    assert 'data-testid="overdue-badge"' in detail and "已提交卫生监督机构跟进" in detail
    # What supervision raised itself it always sees.
    own = make_entry(actor=supervision, source=LedgerSource.SUPERVISION, description="监督发现")
    assert own.pk in _rows(client.get(reverse("ledger:list")))
    # A city supervision body sees escalations of its own area only.
    city_supervision = make_user(Role.SUPERVISION, region_code="220100")
    elsewhere = _overdue(make_entry(org=OrganisationFactory(kind=OrgKind.INSTITUTION,
                                                            region=Region.objects.get(code="220202")),
                                    description="吉林市逾期"))
    assert _rows(client_for(city_supervision).get(reverse("ledger:list"))) == {late.pk, refused.pk, closed_late.pk}
    assert elsewhere.pk in _rows(client.get(reverse("ledger:list")))
    # And the count per institution shows on the summary.
    summary = client.get(reverse("ledger:institutions"))
    [tally] = [t for t in summary.context["tallies"] if t.institution_id == institution.pk]
    assert tally.overdue == 1 and tally.unrectified == 1


def test_list_filters_and_pagination(make_entry, client_for, qc_user):
    a = make_entry(source=LedgerSource.SUPERVISION, description="甲")
    b = _overdue(make_entry("plan_submitted", description="乙", severity=Severity.CRITICAL))
    client = client_for(qc_user)
    assert _rows(client.get(reverse("ledger:list"), {"source": "supervision"})) == {a.pk}
    assert _rows(client.get(reverse("ledger:list"), {"overdue_only": "on"})) == {b.pk}
    assert _rows(client.get(reverse("ledger:list"), {"severity": "critical", "status": "plan_submitted"})) == {b.pk}
    assert _rows(client.get(reverse("ledger:list"), {"due_to": "not-a-date", "status": "open"})) == {a.pk}
    region = Region.objects.get(code="220100")
    assert _rows(client.get(reverse("ledger:list"), {"region": region.pk})) == {a.pk, b.pk}
    page = client.get(reverse("ledger:list"), {"status": "open"}).content.decode()
    assert "status=open" in page and 'data-testid="export-link"' in page


# ---- Steps in the browser --------------------------------------------------------------------------

def test_the_institution_answers_and_the_authority_closes_through_the_pages(make_entry, client_for,
                                                                             institution_user, qc_user):
    entry = make_entry()
    institution = client_for(institution_user)
    page = institution.get(reverse("ledger:detail", args=[entry.pk])).content.decode()
    assert 'data-testid="plan-form"' in page and 'data-testid="accept-form"' not in page
    response = institution.post(reverse("ledger:submit-plan", args=[entry.pk]), {
        "plan": "一周内完成", "evidence": [pdf("方案.pdf"), SimpleUploadedFile("照片.png", b"\x89PNG\r\n\x1a\nxx")],
        "status_seen": "open"})
    assert response.status_code == 302
    assert LedgerStep.objects.get(entry=entry, kind="plan_submitted").evidence.count() == 2

    authority = client_for(qc_user)
    page = authority.get(reverse("ledger:detail", args=[entry.pk])).content.decode()
    assert 'data-testid="accept-form"' in page and 'data-testid="return-form"' in page
    assert 'data-testid="plan-form"' not in page and "方案.pdf" in page
    assert authority.post(reverse("ledger:accept-plan", args=[entry.pk]), {"note": ""}).status_code == 302
    assert institution.post(reverse("ledger:submit-fix", args=[entry.pk]), {
        "report": "完成", "evidence": [pdf()]}).status_code == 302
    response = authority.post(reverse("ledger:close", args=[entry.pk]), {
        "close-verification_method": "documents", "close-verified_on": TODAY().isoformat(),
        "close-verification_note": "有效"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.CLOSED
    timeline = authority.get(reverse("ledger:detail", args=[entry.pk])).content.decode()
    assert timeline.count("<li data-step=") == 5 and "资料审核" in timeline


def test_closing_without_evidence_on_the_page_lists_the_errors_and_keeps_nothing(make_entry, client_for, qc_user):
    entry = make_entry("fix_without_evidence")
    before = (AuditEntry.objects.count(), LedgerStep.objects.count(), StoredFile.objects.count())
    response = client_for(qc_user).post(reverse("ledger:close", args=[entry.pk]), {
        "close-verification_method": "", "close-verified_on": "", "close-verification_note": ""})
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("没有整改完成的证明材料", "请选择核查方式", "请填写核查日期", "请填写核查结论"):
        assert text in page
    assert 'data-field="verification_note"' in page
    assert (AuditEntry.objects.count(), LedgerStep.objects.count(), StoredFile.objects.count()) == before
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.FIX_SUBMITTED


def test_a_step_in_the_wrong_state_is_400_and_a_stale_page_409(make_entry, client_for, qc_user, institution_user):
    entry = make_entry("accepted")
    client = client_for(qc_user)
    wrong = client.post(reverse("ledger:accept-plan", args=[entry.pk]), {"status_seen": "accepted"})
    assert wrong.status_code == 400 and "不能执行此操作" in wrong.content.decode()
    stale = client.post(reverse("ledger:accept-plan", args=[entry.pk]), {"status_seen": "plan_submitted"})
    assert stale.status_code == 409 and "已被他人处理" in stale.content.decode()


def test_evidence_files_are_served_to_whoever_sees_the_entry(make_entry, client_for, institution_user, make_user,
                                                             role_users):
    entry = make_entry("plan_submitted")
    stored = LedgerStep.objects.get(entry=entry, kind="plan_submitted").evidence.get().file
    url = reverse("ledger:evidence", args=[entry.pk, stored.pk])
    response = client_for(institution_user).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert client_for(make_user(Role.INSTITUTION)).get(url).status_code == 404
    assert client_for(role_users["other_province"]).get(url).status_code == 404
    other = make_entry(description="另一条")
    assert client_for(institution_user).get(reverse("ledger:evidence", args=[other.pk, stored.pk])).status_code == 404


def test_opening_an_entry_from_the_page(client_for, qc_user, institution):
    client = client_for(qc_user)
    form = client.get(reverse("ledger:open")).content.decode()
    assert institution.name in form and "个案报告抽查" not in form.split('name="source"')[1].split("</select>")[0]
    bad = client.post(reverse("ledger:open"), {"institution": institution.pk, "source": "supervision",
                                               "severity": "minor", "description": "", "requirement": "",
                                               "due_on": (TODAY() - timedelta(days=2)).isoformat()})
    assert bad.status_code == 200 and "整改期限不能早于今天" in bad.content.decode()
    assert not LedgerEntry.objects.exists()
    good = client.post(reverse("ledger:open"), {"institution": institution.pk, "source": "supervision",
                                                "severity": "minor", "description": "问题", "requirement": "整改",
                                                "due_on": TODAY().isoformat(), "responsible_name": "张三"})
    entry = LedgerEntry.objects.get()
    assert good.status_code == 302 and good["Location"] == reverse("ledger:detail", args=[entry.pk])


def test_spot_check_pages_record_a_report_and_open_entries(client_for, role_users, institution):
    client = client_for(role_users[Role.COMMISSION_COUNTY])
    response = client.post(reverse("ledger:check-create"), {
        "institution": institution.pk, "report_kind": "examination", "report_number": "NG-2026-17",
        "sample_date": TODAY().isoformat(), "problems": "检查结论不规范\n\n漏报职业禁忌证", "note": ""})
    check = CaseReportCheck.objects.get()
    assert response.status_code == 302 and check.problems.count() == 2
    page = client.get(reverse("ledger:check-detail", args=[check.pk])).content.decode()
    assert 'data-testid="open-problems-form"' in page and "漏报职业禁忌证" in page
    problems = list(check.problems.values_list("pk", flat=True))
    response = client.post(reverse("ledger:check-open-entries", args=[check.pk]), {
        "problems": problems, "severity": "major", "requirement": "补报",
        "due_on": (TODAY() + timedelta(days=10)).isoformat()})
    assert response.status_code == 302
    assert LedgerEntry.objects.filter(source=LedgerSource.CASE_REPORT_CHECK).count() == 2
    page = client.get(reverse("ledger:check-detail", args=[check.pk])).content.decode()
    assert 'data-testid="open-problems-form"' not in page
    listing = client.get(reverse("ledger:check-list")).content.decode()
    assert "NG-2026-17" in listing
    assert client_for(role_users[Role.INSTITUTION]).get(reverse("ledger:check-list")).status_code == 403


# ---- Export ------------------------------------------------------------------------------------------

def test_export_follows_the_filters_and_neutralises_formulas(make_entry, client_for, qc_user):
    make_entry(description="=HYPERLINK(\"http://x\")", responsible_name="@李")
    _overdue(make_entry("plan_submitted", description="逾期的问题", source=LedgerSource.SUPERVISION))
    client = client_for(qc_user)
    response = client.get(reverse("ledger:export"), {"source": "qc_assessment"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "生成日期" and rows[1][:4] == ("编号", "问题来源", "来源记录", "机构")
    assert len(rows) == 3
    assert rows[2][6] == "'=HYPERLINK(\"http://x\")" and rows[2][10] == "'@李" and rows[2][12] == "否"
    response = client.get(reverse("ledger:export"), {"overdue_only": "on", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "逾期的问题" in text and "HYPERLINK" not in text and ",是,5," in text
    assert client.get(reverse("ledger:export"), {"format": "pdf"}).status_code == 404


# ---- Query counts --------------------------------------------------------------------------------------

def _bulk_entries(institution, qc_user, n: int) -> None:
    now = timezone.now()
    LedgerEntry.objects.bulk_create([
        LedgerEntry(province_id=institution.province_id, region_id=institution.region_id, institution=institution,
                    source=LedgerSource.QC_ASSESSMENT, description=f"问题{i}", severity=Severity.MINOR,
                    requirement="整改", due_on=TODAY() + timedelta(days=i % 40 - 20), status=LedgerStatus.OPEN,
                    opened_by=qc_user, opened_by_organisation=qc_user.organisation, opened_at=now,
                    status_changed_at=now)
        for i in range(n)])


@pytest.mark.parametrize("role", [Role.QC_CENTER, Role.COMMISSION_CITY, Role.SUPERVISION, Role.INSTITUTION])
def test_list_queries_do_not_grow_with_the_entries(role, client_for, role_users, institution, qc_user):
    client = client_for(role_users[role])
    url = reverse("ledger:list")
    query = {"overdue_only": "on", "region": Region.objects.get(code="220102").pk, "institution_name": "测试"}
    counts = []
    for n in (10, 90):
        _bulk_entries(institution, qc_user, n)
        client.get(url)  # warm the session and caches
        with CaptureQueriesContext(connection) as plain:
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as filtered:
            assert client.get(url, query).status_code == 200
        counts.append((len(plain), len(filtered)))
    assert counts[0] == counts[1], counts
    # Nor with the regions offered by the filter (seventy counties for a provincial user).
    assert max(counts[1]) <= 14, counts


def test_export_and_summary_queries_do_not_grow_with_the_entries(client_for, role_users, institution, qc_user):
    client = client_for(role_users[Role.COMMISSION_PROVINCE])
    counts = []
    for n in (10, 90):
        _bulk_entries(institution, qc_user, n)
        client.get(reverse("ledger:institutions"))
        with CaptureQueriesContext(connection) as export:
            assert client.get(reverse("ledger:export")).status_code == 200
        with CaptureQueriesContext(connection) as summary:
            assert client.get(reverse("ledger:institutions")).status_code == 200
        counts.append((len(export), len(summary)))
    assert counts[0] == counts[1], counts
