"""The filing workflow end to end in a real browser: application, activation, the draft,
submission, acceptance, the receipt and the public directory entry."""

from __future__ import annotations

import re

import pytest

from portal.accounts.choices import Role
from portal.testing.factories import PASSWORD
from tests.browser import sign_in as _sign_in

pytestmark = pytest.mark.browser

APPLICANT_PASSWORD = "Xinhua#2026-filing"

@pytest.fixture
def scanned_pdf(tmp_path):
    path = tmp_path / "扫描件.pdf"
    path.write_bytes(b"%PDF-1.4\n% scanned document\n")
    return str(path)


@pytest.fixture
def setting_up(live_server, make_user, settings):
    from filing.catalogue.services import catalogue_load_builtin

    settings.PUBLIC_BASE_URL = live_server.url
    catalogue_load_builtin()
    return make_user(Role.QC_CENTER, username="qc_jilin")


def _sign_out(page) -> None:
    page.click("header button:has-text('退出')")
    page.wait_for_load_state()


def _submit(page, selector: str = "main form button[type=submit]") -> None:
    with page.expect_navigation():
        page.click(selector)


def _save(page) -> None:
    _submit(page)
    assert page.locator(".messages li.success").count() == 1, page.locator("main").inner_text()


def test_application_to_public_directory(page, live_server, setting_up, scanned_pdf, tmp_path):
    from filing.models import Filing
    from filing.tests.workflow_builders import credit_code
    from portal.core.pdf import pdf_text

    base = live_server.url
    code = credit_code(2_026_101)

    # 1. An institution applies for an account.
    page.goto(f"{base}/filing/apply/")
    page.select_option("select[name=province]", label="吉林省")
    page.click("[data-testid=province-form] button")
    form = page.locator("[data-testid=apply-form]")
    form.locator("select[name=kind]").select_option("examination")
    form.locator("input[name=name]").fill("长春新华职业健康体检中心")
    form.locator("input[name=credit_code]").fill(code)
    form.locator("input[name=licence_number]").fill("PDY00001X22010217A1001")
    form.locator("select[name=region]").select_option(label="吉林省长春市南关区")
    form.locator("input[name=contact_name]").fill("陈联系")
    form.locator("input[name=contact_phone]").fill("13800000000")
    form.locator("input[name=contact_email]").fill("xinhua@example.invalid")
    form.locator("input[name=username]").fill("xinhua")
    form.locator("input[name=password]").fill(APPLICANT_PASSWORD)
    form.locator("input[name=password_again]").fill(APPLICANT_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=apply-done]")

    # 2. The provincial QC center activates it.
    _sign_in(page, base, "qc_jilin", PASSWORD)
    page.goto(f"{base}/filing/applications/")
    page.click("text=长春新华职业健康体检中心")
    _submit(page, "[data-testid=activate]")
    assert page.locator(".messages li.success").count() == 1
    _sign_out(page)

    # 3. The institution signs in with the password it chose and fills its draft.
    _sign_in(page, base, "xinhua", APPLICANT_PASSWORD)
    page.goto(f"{base}/filing/")
    page.click("[data-testid=edit-draft]")
    page.fill("input[name=legal_representative]", "王法人")
    page.fill("input[name=quality_manager]", "李质量")
    page.fill("input[name=technical_manager]", "赵技术")
    page.fill("input[name=address]", "人民大街100号")
    page.fill("input[name=phone]", "0431-88880000")
    page.fill("input[name=exams_started_on]", "2020-03-02")
    page.set_input_files("input[name=licence_copy]", scanned_pdf)
    _save(page)

    page.click("[data-testid=section-tabs] >> text=人员")
    page.fill("input[name=staff-0-name]", "张主检")
    page.select_option("select[name=staff-0-role]", "chief_examiner")
    page.fill("input[name=staff-0-registration_number]", "110220000000001")
    page.select_option("select[name=staff-0-title]", "intermediate")
    page.fill("input[name=staff-0-years_experience]", "6")
    page.check("input[name=staff-0-diagnosis_qualification][value=dust]")
    _save(page)
    page.fill("input[name=staff-1-name]", "刘护士")
    page.select_option("select[name=staff-1-role]", "nurse")
    _save(page)

    page.click("[data-testid=section-tabs] >> text=场所")
    page.fill("input[name=total_area]", "520")
    page.fill("input[name=rooms-0-name]", "内科检查室")
    page.fill("input[name=rooms-0-area]", "12")
    page.fill("input[name=rooms-1-name]", "听力测试室")
    page.fill("input[name=rooms-1-area]", "-8")
    _submit(page)
    assert page.locator("text=面积不能为负数").count() == 1
    page.fill("input[name=rooms-1-area]", "8")
    _save(page)

    page.click("[data-testid=section-tabs] >> text=仪器设备与车辆")
    page.fill("input[name=equipment-0-name]", "纯音听力计")
    page.fill("input[name=equipment-0-calibration_due_on]", "2099-12-31")
    _save(page)

    page.click("[data-testid=section-tabs] >> text=质量管理文件")
    required = page.locator("[data-testid=documents-table] tr:has-text('必需') input[type=file]")
    for index in range(required.count()):
        required.nth(index).set_input_files(scanned_pdf)
    _save(page)

    page.click("[data-testid=section-tabs] >> text=备案项目")
    page.check("input[name=item][data-code='GBZ188-2014:6.1']")
    _save(page)

    page.click("[data-testid=completeness-link]")
    page.wait_for_selector("[data-testid=complete]")
    _submit(page, "[data-testid=submit-version]")
    assert page.locator(".messages li.success").count() == 1, page.locator("main").inner_text()
    assert page.locator("[data-testid=late-badge]").count() == 1, "examinations began in 2020: filed late"
    _sign_out(page)

    # 4. The QC center accepts from its queue.
    _sign_in(page, base, "qc_jilin", PASSWORD)
    page.goto(f"{base}/filing/queue/")
    assert page.locator("[data-testid=queue] [data-testid=late]").count() == 1
    page.click("[data-testid=queue] >> text=长春新华职业健康体检中心")
    _submit(page, "[data-testid=accept]")
    assert page.locator(".messages li.success").count() == 1
    number = page.locator("[data-testid=filing-number]").first.inner_text().strip()
    assert re.fullmatch(r"220000-\d{4}-\d{4}", number)
    assert Filing.objects.get(filing_number=number).institution.name == "长春新华职业健康体检中心"

    # 5. The receipt link works and its Chinese text reads back.
    href = page.locator("[data-testid=receipt-link]").get_attribute("href")
    response = page.request.get(f"{base}{href}")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.body()).replace(" ", "").replace("\n", "")
    for expected in ("备案回执", "长春新华职业健康体检中心", number, "不是行政许可"):
        assert expected in text
    _sign_out(page)

    # 6. Anyone can check the entry in the public directory.
    page.goto(f"{base}/directory/{number}/")
    assert page.locator("main").inner_text().count("长春新华职业健康体检中心") >= 1
    assert "人民大街100号" in page.locator("main").inner_text()
