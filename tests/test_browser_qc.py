"""An annual quality assessment end to end in a real browser: the QC center plans it, opens it from the
plan, scores it line by line with the running totals and grade following the typing, fails a key item
(which fails the assessment whatever the total), sends the draft; the institution points out a factual
error with evidence inside its window; the QC center answers, corrects the score and finalises; the
result is final on both sides and counts towards coverage."""

from __future__ import annotations

import pytest

from portal.accounts.choices import OrgKind, Role
from portal.testing.factories import PASSWORD, OrganisationFactory
from tests.browser import sign_in

pytestmark = pytest.mark.browser

INSTITUTION_NAME = "长春市南关区康宁职业健康体检中心"


@pytest.fixture
def setting_up(live_server, make_user, settings, tmp_path):
    from portal.regions.models import Region
    from qc.services import qc_samples_load
    from qc.tests.helpers import file_institution

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = live_server.url
    province = Region.objects.get(code="220000")
    qc_samples_load(province=province, actor=None)
    org = OrganisationFactory(kind=OrgKind.INSTITUTION, province=province, region=Region.objects.get(code="220102"),
                              name=INSTITUTION_NAME)
    file_institution(org, ("dust", "chemical", "physical"))
    return {
        "qc": make_user(Role.QC_CENTER, username="zk_jilin"),
        "institution": make_user(Role.INSTITUTION, organisation=org, username="kangning"),
        "org": org,
        "make_user": make_user,
    }


@pytest.fixture
def evidence_pdf(tmp_path):
    path = tmp_path / "人员资格证书.pdf"
    path.write_bytes(b"%PDF-1.4\n% certificate valid until 2027\n")
    return str(path)


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _succeeded(page) -> None:
    assert page.locator(".messages li.success").count() == 1, page.locator("main").inner_text()


def _sign_out(page) -> None:
    with page.expect_navigation():
        page.click("header button:has-text('退出')")


def test_plan_to_published_result(page, live_server, setting_up, evidence_pdf):
    from qc.choices import AssessmentStatus
    from qc.models import Assessment, Finding, ResponsePoint
    from qc.tests.helpers import leaves

    base = live_server.url
    qc_user, org = setting_up["qc"], setting_up["org"]

    # 1. The QC center makes this year's plan and puts the institution on it.
    sign_in(page, base, qc_user.username, PASSWORD)
    page.goto(f"{base}/qc/plans/")
    page.fill("input[name=year]", "2026")
    _submit(page, "main form button[type=submit]")
    _succeeded(page)
    assert INSTITUTION_NAME in page.inner_text("[data-testid=uncovered]")
    page.select_option("select[name=institution]", label=INSTITUTION_NAME)
    page.fill("input[name=planned_month]", "5")
    page.select_option("select[name=assessed_by]", label=qc_user.organisation.name)
    _submit(page, "main form[action$='/items/'] button[type=submit]")
    _succeeded(page)

    # 2. It opens the assessment from the planned row: institution and year come filled in.
    _submit(page, "[data-testid=start-assessment]")
    assert page.input_value("select[name=institution]") == str(org.pk)
    assert page.input_value("input[name=year]") == "2026"
    page.fill("input[name=assessed_on]", "2026-05-20")
    assert page.is_checked(f"input[name=team][value='{qc_user.pk}']")
    _submit(page, "main form.stacked button[type=submit]")
    _succeeded(page)
    assessment = Assessment.objects.get(institution=org)
    assert page.inner_text("#total") == "100.0"

    # 3. Scoring: the running totals and the grade follow each deduction as it is typed.
    sheet, line = leaves(assessment)["2.1.3"]
    page.fill(f"input[name='d-{sheet.pk}-{line.pk}']", "1")
    page.fill(f"input[name='n-{sheet.pk}-{line.pk}']", "一名主检医师资格证书未见原件")
    assert page.inner_text(f"#a-{sheet.pk}-{line.pk}") == "1.0"
    assert page.inner_text("#p-institution") == "98.9"
    assert page.inner_text("#total") == "99.6"
    assert page.inner_text("#grade") == "优秀"
    assert not page.is_visible("#key-failures")

    # A key item (★ 职业禁忌证告知) fails: the assessment fails although the total stays high.
    _sheet, key_line = leaves(assessment)["5.2.2"]
    page.fill(f"input[name='o-{sheet.pk}-{key_line.pk}']", "1")
    page.fill(f"input[name='n-{sheet.pk}-{key_line.pk}']", "1例职业禁忌证未书面告知劳动者")
    assert page.inner_text("#grade") == "不合格"
    assert page.is_visible("#key-failures") and "5.2.2" in page.inner_text("#key-failures")
    shown = page.inner_text("#total")
    assert float(shown) > 90
    _submit(page, "#qc-score-form button[type=submit]")
    _succeeded(page)
    assessment.refresh_from_db()
    assert (f"{assessment.total_score}", assessment.grade, assessment.passed) == (shown, "不合格", False)
    assert page.inner_text("#total") == shown and page.inner_text("#grade") == "不合格"

    # 4. The draft result goes to the institution; its response window opens.
    _submit(page, "[data-testid=workflow] button:has-text('送达机构')")
    _succeeded(page)
    assert "已送达机构，待反馈" in page.inner_text("[data-testid=workflow] h2")
    assessment.refresh_from_db()
    due = assessment.response_due_on.isoformat()
    assert due in page.inner_text("[data-testid=workflow]")
    _sign_out(page)

    # 5. The institution sees the draft, not yet final, and points out a factual error with evidence.
    sign_in(page, base, setting_up["institution"].username, PASSWORD)
    page.goto(f"{base}/qc/results/")
    _submit(page, f"a[href='/qc/results/{assessment.pk}/']")
    assert page.inner_text("[data-testid=due]") == due
    assert "本结果尚未定稿，不对外公布。" in page.inner_text("main")
    page.fill("textarea[name=text-1]", "2.1.3：该主检医师资格证书原件已于考核当日补交，请核实。")
    page.set_input_files("input[name=files-1]", evidence_pdf)
    _submit(page, "main form button:has-text('提交异议')")
    _succeeded(page)
    assert "2.1.3：该主检医师资格证书原件已于考核当日补交" in page.inner_text("main")
    assert "待答复" in page.inner_text("main")
    _sign_out(page)

    # 6. The QC center accepts the point, corrects the line, and finalises.
    sign_in(page, base, qc_user.username, PASSWORD)
    page.goto(f"{base}/qc/assessments/{assessment.pk}/")
    point = ResponsePoint.objects.get(assessment=assessment)
    assert "人员资格证书.pdf" in page.inner_text("[data-testid=workflow]")
    page.check(f"input[name=answer-{point.pk}][value=accepted]")
    page.fill(f"textarea[name=note-{point.pk}]", "经核实原件有效，撤销该项扣分。")
    _submit(page, "[data-testid=workflow] button:has-text('提交答复')")
    _succeeded(page)
    assert "已答复反馈" in page.inner_text("[data-testid=workflow] h2")
    page.fill(f"input[name='d-{sheet.pk}-{line.pk}']", "")
    page.fill(f"input[name='n-{sheet.pk}-{line.pk}']", "")
    assert page.inner_text("#grade") == "不合格"  # the key item still fails it
    corrected = page.inner_text("#total")
    _submit(page, "#qc-score-form button[type=submit]")
    _succeeded(page)
    assert page.inner_text("#total") == corrected
    _submit(page, "[data-testid=workflow] button:has-text('定稿')")
    _succeeded(page)
    assert "已定稿" in page.inner_text("[data-testid=workflow] h2")
    assert page.locator("#qc-score-form").count() == 0  # a final result is no longer scored
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.FINAL
    assert (f"{assessment.total_score}", assessment.grade, assessment.passed) == (corrected, "不合格", False)
    # The failed key item went on the rectification ledger at once.
    assert Finding.objects.filter(assessment=assessment, indicator=key_line).count() == 1

    # The final assessment now counts towards the plan's coverage.
    page.goto(f"{base}/qc/plans/")
    _submit(page, "main table a:has-text('2026')")
    assert page.inner_text("[data-testid=covered]") == "1"
    assert "已定稿" in page.inner_text("[data-testid=plan-item]")
    _sign_out(page)

    # 7. The institution sees the final result.
    sign_in(page, base, setting_up["institution"].username, PASSWORD)
    page.goto(f"{base}/qc/results/{assessment.pk}/")
    main = page.inner_text("main")
    assert "已定稿" in main and corrected in main and "不合格" in main and "5.2.2" in main
    assert "本结果尚未定稿" not in main
    assert "采纳：经核实原件有效，撤销该项扣分。" in main
    assert page.locator("textarea[name=text-1]").count() == 0
    _sign_out(page)

    # 8. The provincial commission publishes the QC results with their rectification demands; the public
    #    finds the institution on the published list, with the failed result.
    make_user = setting_up["make_user"]
    make_user(Role.COMMISSION_PROVINCE, username="wjw_qc_browser")
    sign_in(page, base, "wjw_qc_browser", PASSWORD)
    page.goto(f"{base}/reporting/publications/")
    _submit(page, "[data-testid=publication-create-link]")
    page.select_option("select[name=kind]", "qc_rectification")
    _submit(page, "[data-testid=publication-submit]")
    assert page.get_attribute("[data-testid=publication-status]", "data-status") == "published"
    number = page.inner_text("[data-testid=publication-number]")
    _sign_out(page)

    page.goto(f"{base}/publications/")
    _submit(page, f"[data-testid=public-publication-list] tbody tr:has-text('{number}') a")
    assert page.inner_text("[data-testid=public-publication-number]") == number
    rows = page.inner_text("[data-testid=public-publication-rows]")
    assert INSTITUTION_NAME in rows and "不合格" in rows
