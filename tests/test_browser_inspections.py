"""Inspections end to end in a real browser, for each role involved: the on-site verification
of a new filing (QC center, institution, public directory), an off-site examination notice
(institution, county authority) and supervision (supervision body, institution).

The data each journey starts from is built through the services; what a person does, they do
in the browser. Deadlines read "today" through the services' ``today`` functions, which the
off-site journey fixes so that the 5-working-day rule is exercised across National Day 2026.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from urllib.parse import quote

import pytest

from portal.accounts.choices import Role
from portal.testing.factories import PASSWORD
from tests.browser import sign_in

pytestmark = pytest.mark.browser

DUST = "GBZ188-2014:6.1"
NOISE = "GBZ188-2014:7.1"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


@pytest.fixture
def setting_up(live_server, settings, tmp_path):
    from filing.catalogue.services import catalogue_load_builtin

    settings.PUBLIC_BASE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    catalogue_load_builtin()
    return live_server.url


def _institution(make_user, username: str, name: str):
    from filing.tests.workflow_builders import credit_code

    user = make_user(Role.INSTITUTION, username=username)
    org = user.organisation
    org.name, org.credit_code = name, credit_code(org.pk)
    org.save(update_fields=["name", "credit_code"])
    return user


def _sign_out(page) -> None:
    page.click("header button:has-text('退出')")
    page.wait_for_load_state()


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _success(page) -> str:
    assert page.locator(".messages li.success").count() == 1, page.locator("main").inner_text()
    return page.locator(".messages li.success").inner_text()


def _download(page, base: str, selector: str):
    href = page.locator(selector).first.get_attribute("href")
    response = page.request.get(f"{base}{href}")
    assert response.ok, response.status
    return response


# ---- On-site verification ---------------------------------------------------------------------

def test_on_site_verification_from_scheduling_to_the_public_directory(page, setting_up, make_user, tmp_path):
    from django.utils import timezone

    from filing.models import Filing
    from filing.tests.workflow_builders import accepted_version
    from inspections.choices import Answer
    from inspections.models import VerificationCase
    from inspections.services import verification as vs
    from inspections.services.checklists import checklist_default_install
    from portal.regions.models import Region

    base = setting_up
    qc = make_user(Role.QC_CENTER, username="qc_jilin", full_name="周核查")
    institution = _institution(make_user, "xinhua", "长春新华职业健康体检中心")
    checklist = checklist_default_install(province=Region.objects.get(code="220000"))
    # Accepting a new filing opens the verification case, due 3 months after filing.
    version = accepted_version(institution, qc, items=(DUST, NOISE), off_site=True)
    case = VerificationCase.objects.get(filing_id=version.filing_id)
    assert case.due_on == vs.verification_due_on(case.filed_on)
    visit_on = (timezone.localdate() + timedelta(days=10)).isoformat()
    photo = tmp_path / "隔声室现场照片.png"
    photo.write_bytes(PNG)

    # 1. The QC center schedules the verification: date and team.
    sign_in(page, base, "qc_jilin", PASSWORD)
    page.goto(f"{base}/inspections/verifications/")
    page.click("[data-testid=verifications] >> text=长春新华职业健康体检中心")
    form = page.locator("[data-testid=schedule-form]")
    form.locator("input[name=scheduled_on]").fill(visit_on)
    form.locator(f"input[name=team][value='{qc.pk}']").check()
    form.locator("input[name=note]").fill("上午9时到达")
    _submit(page, "[data-testid=schedule-form] button")
    assert _success(page) == "已安排现场核查。"
    assert page.locator("[data-testid=scheduled-on]").inner_text() == visit_on
    _sign_out(page)

    # 2. The institution sees the date on its page.
    sign_in(page, base, "xinhua", PASSWORD)
    page.goto(f"{base}/inspections/")
    assert page.locator("[data-testid=scheduled-on]").first.inner_text() == visit_on
    assert page.locator("[data-testid=schedule-form]").count() == 0
    _sign_out(page)

    # 3. On site, the QC center answers the checklist: conforming, not conforming with a note and
    #    a photo, not applicable.
    sign_in(page, base, "qc_jilin", PASSWORD)
    page.goto(f"{base}/inspections/verifications/{case.pk}/")
    _submit(page, "[data-testid=start]")
    assert page.locator("[data-testid=case-status]").inner_text() == "核查中"
    lines = list(checklist.lines.all())
    # A program renamed to .png is refused by its content, and the answer is not saved.
    fake = tmp_path / "照片.png"
    fake.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00")
    row = page.locator(f"[data-testid='line-{lines[1].code}']")
    row.locator("select[name=answer]").select_option("not_conforming")
    row.locator("input[name=note]").fill("隔声室本底噪声超标")
    row.locator("input[name=evidence]").set_input_files(str(fake))
    _submit(page, f"[data-testid='line-{lines[1].code}'] button")
    assert "照片.png" in page.locator(".messages li.error").inner_text()
    assert page.locator(f"[data-testid='line-{lines[1].code}'] [data-testid=answer]").count() == 0
    answers = {lines[0].code: ("conforming", "", None), lines[1].code: ("not_conforming", "隔声室本底噪声超标", photo),
               lines[2].code: ("not_applicable", "本机构不开展该项", None)}
    for code, (answer, note, evidence) in answers.items():
        row = page.locator(f"[data-testid='line-{code}']")
        row.locator("select[name=answer]").select_option(answer)
        row.locator("input[name=note]").fill(note)
        if evidence:
            row.locator("input[name=evidence]").set_input_files(str(evidence))
        _submit(page, f"[data-testid='line-{code}'] button")
        assert page.locator(".messages li.error").count() == 0, page.locator(".messages").inner_text()
    row = page.locator(f"[data-testid='line-{lines[1].code}']")
    assert row.locator("[data-testid=answer]").inner_text() == "不符合"
    assert "隔声室现场照片.png" in row.locator("[data-testid=evidence-link]").inner_text()
    assert page.locator(f"[data-testid='line-{lines[2].code}'] [data-testid=answer]").inner_text() == "不适用"
    # The other lines are answered the same way; the browser has shown it works.
    for line in lines[3:]:
        vs.verification_answer(case_id=case.pk, actor=qc, line_id=line.pk, answer=Answer.CONFORMING)

    # 4. Sign-off with an item-level outcome: fit, except the noise item.
    page.reload()
    form = page.locator("[data-testid=sign-off-form]")
    form.locator(f"select[name='capable_{NOISE}']").select_option("0")
    form.locator(f"input[name='reason_{NOISE}']").fill("无符合要求的隔声室")
    form.locator("select[name=outcome]").select_option("fit_except")
    form.locator("textarea[name=note]").fill("噪声作业项目不具备能力，其余符合")
    _submit(page, "[data-testid=sign-off-form] button")
    assert _success(page) == "核查结论已签发。"
    assert page.locator("[data-testid=outcome]").inner_text() == "符合备案条件，部分项目不具备能力"
    assert page.locator("[data-testid=case-status]").inner_text() == "已签发"

    # The QC center downloads the evidence under its Chinese name.
    response = _download(page, base, "[data-testid=evidence-link]")
    assert response.headers["content-type"] == "image/png" and response.body() == PNG
    assert quote("隔声室现场照片.png") in response.headers["content-disposition"]
    _sign_out(page)

    # 5. The institution sees the verdict and may download the evidence of its own verification.
    sign_in(page, base, "xinhua", PASSWORD)
    page.goto(f"{base}/inspections/verifications/{case.pk}/")
    assert page.locator("[data-testid=outcome]").inner_text() == "符合备案条件，部分项目不具备能力"
    assert page.locator("[data-testid=sign-off-form]").count() == 0
    assert _download(page, base, "[data-testid=evidence-link]").body() == PNG
    _sign_out(page)

    # 6. The public directory shows the item as not capable, the other as normal.
    number = Filing.objects.get(pk=version.filing_id).filing_number
    page.goto(f"{base}/directory/{number}/")
    assert page.locator(f"tr:has(code:text-is('{NOISE}'))").locator(".badge").inner_text() == "不具备能力"
    assert page.locator(f"tr:has(code:text-is('{DUST}'))").locator(".badge").inner_text() == "正常"


# ---- Off-site notification --------------------------------------------------------------------

def _fill_notice(form, version, *, starts_on: str, ends_on: str) -> None:
    from filing.models import Equipment, StaffMember, Vehicle
    from filing.tests.workflow_builders import credit_code
    from portal.regions.models import Region

    nanguan = str(Region.objects.get(code="220102").pk)
    form.locator("input[name=employer_name]").fill("长春一汽配套零部件有限公司")
    form.locator("input[name=employer_credit_code]").fill(credit_code(990_001))
    form.locator("input[name=employer_address]").fill("东环城路1号")
    form.locator("select[name=employer_region]").select_option(nanguan)
    form.locator("input[name=work_site]").fill("厂区职工活动中心")
    form.locator("select[name=work_site_region]").select_option(nanguan)
    form.locator("input[name=starts_on]").fill(starts_on)
    form.locator("input[name=ends_on]").fill(ends_on)
    form.locator("input[name=expected_workers]").fill("300")
    form.locator(f"input[name=items][value='{DUST}']").check()
    form.locator("input[name=exam_types][value=on_duty]").check()
    for model, name in ((StaffMember, "staff"), (Vehicle, "vehicles"), (Equipment, "equipment")):
        for pk in model.objects.filter(version=version).values_list("pk", flat=True):
            form.locator(f"input[name={name}][value='{pk}']").check()
    form.locator("textarea[name=sample_handling]").fill("血样2-8℃冷藏，当日送回实验室")
    form.locator("textarea[name=biosafety]").fill("DR车铅防护，医疗废物专用容器回收")
    form.locator("input[name=contact_name]").fill("刘芳")
    form.locator("input[name=contact_phone]").fill("13900000000")


@pytest.mark.parametrize("delegated", [False, True], ids=["county", "city-by-delegation"])
def test_off_site_notice_five_working_days_ahead_acknowledged_by_the_authority(
        page, setting_up, make_user, monkeypatch, delegated):
    from filing.tests.workflow_builders import accepted_version
    from inspections import selectors
    from inspections.choices import VerificationOutcome
    from inspections.models import OffSiteNotification
    from inspections.services import offsite
    from inspections.services import verification as vs
    from inspections.services.checklists import checklist_default_install
    from inspections.tests.helpers import answered, case_of
    from portal.core.pdf import pdf_text
    from portal.regions.models import Region

    base = setting_up
    qc = make_user(Role.QC_CENTER)
    institution = _institution(make_user, "xinhua_out", "长春新华职业健康体检中心")
    county = make_user(Role.COMMISSION_COUNTY, username="nanguan_wjw")
    make_user(Role.COMMISSION_CITY, username="changchun_wjw")
    if delegated:  # Changchun supervises Nanguan district: notices go to the city [JL-3].
        Region.objects.filter(code="220102").update(supervised_by_city=True)
    addressee, routed_code = ("changchun_wjw", "220100") if delegated else ("nanguan_wjw", "220102")
    checklist_default_install(province=Region.objects.get(code="220000"))
    # Eligible: off-site declared with a vehicle and equipment, and the on-site verification passed.
    version = accepted_version(institution, qc, items=(DUST,), off_site=True)
    case = answered(case_of(version), qc)
    vs.verification_sign_off(case_id=case.pk, actor=qc, outcome=VerificationOutcome.FIT)
    # Monday 28 September 2026; Mid-autumn and National Day follow, 10 October is a working Saturday.
    monkeypatch.setattr(offsite, "today", lambda: date(2026, 9, 28))

    # 1. The institution files the notice; work on Friday 9 October is too soon.
    sign_in(page, base, "xinhua_out", PASSWORD)
    page.goto(f"{base}/inspections/")
    page.click("[data-testid=notify-link]")
    form = page.locator("[data-testid=notification-form]")
    _fill_notice(form, version, starts_on="2026-10-09", ends_on="2026-10-10")
    _submit(page, "[data-testid=notification-form] button[type=submit]")
    error = page.locator("[data-testid=notification-form] .errorlist[data-field=starts_on]").inner_text()
    assert "5个工作日" in error and "2026-09-24" in error, error
    assert not OffSiteNotification.objects.exists()
    # Monday 12 October: 29, 30 Sep, 8, 9, 10 Oct are five working days.
    form.locator("input[name=starts_on]").fill("2026-10-12")
    form.locator("input[name=ends_on]").fill("2026-10-13")
    _submit(page, "[data-testid=notification-form] button[type=submit]")
    assert _success(page)
    assert page.locator("[data-testid=notice-status]").inner_text() == "已告知，待确认"
    notice = OffSiteNotification.objects.get()
    assert notice.routed_region.code == routed_code and notice.starts_on == date(2026, 10, 12)
    assert selectors.notification_inbox(county).exists() is not delegated
    _sign_out(page)

    # 2. The district (or, by delegation, the city) commission finds it in its inbox, acknowledges it
    #    and downloads the letter.
    sign_in(page, base, addressee, PASSWORD)
    page.goto(f"{base}/inspections/")
    page.click("[data-testid=inbox] >> text=长春一汽配套零部件有限公司")
    page.locator("[data-testid=acknowledge-form] input[name=note]").fill("已收悉，届时派员现场监督")
    _submit(page, "[data-testid=acknowledge-form] button")
    assert _success(page) == "已确认收悉。"
    assert page.locator("[data-testid=notice-status]").inner_text() == "已确认收悉"
    assert page.locator("[data-testid=acknowledge-form]").count() == 0
    response = _download(page, base, "[data-testid=pdf-link]")
    assert response.headers["content-type"] == "application/pdf" and response.body().startswith(b"%PDF")
    text = pdf_text(response.body()).replace(" ", "").replace("\n", "")
    for expected in ("外出职业健康检查告知书", "长春新华职业健康体检中心", "长春一汽配套零部件有限公司", "2026-10-12"):
        assert expected in text
    _sign_out(page)

    # 3. The institution sees the acknowledgement.
    sign_in(page, base, "xinhua_out", PASSWORD)
    page.goto(f"{base}/inspections/off-site/")
    page.click("[data-testid=notifications] >> text=长春一汽配套零部件有限公司")
    assert page.locator("[data-testid=notice-status]").inner_text() == "已确认收悉"
    assert "已收悉，届时派员现场监督" in page.locator("[data-testid=acknowledgement]").inner_text()
    assert page.locator("[data-testid=acknowledge-form]").count() == 0


# ---- Supervision ------------------------------------------------------------------------------

def test_spot_check_with_finding_and_penalty_and_a_campaign_self_inspection(
        page, setting_up, make_user, tmp_path):
    from django.utils import timezone
    from openpyxl import load_workbook

    from inspections.supervision.tests.builders import campaign_for, filed_institution

    base = setting_up
    today = timezone.localdate()
    supervisor = make_user(Role.SUPERVISION, username="jilin_jd")
    institution = make_user(Role.INSTITUTION, username="xinhua_si")
    org = filed_institution("长春新华职业健康体检中心", organisation=institution.organisation, items=(DUST,),
                            off_site=True)
    org.name = "长春新华职业健康体检中心"
    org.save(update_fields=["name"])
    filed_institution("长春市第二医院", region_code="220104")
    campaign = campaign_for(supervisor, name="2026年职业健康检查执业行为专项治理")
    record = tmp_path / "现场检查笔录.pdf"
    record.write_bytes(b"%PDF-1.4\n% record of the inspection\n")

    # 1. The supervision body plans a spot-check of the institution.
    sign_in(page, base, "jilin_jd", PASSWORD)
    page.goto(f"{base}/supervision/plans/new/")
    form = page.locator("[data-testid=plan-form]")
    form.locator("input[name=name]").fill("职业健康检查机构双随机抽查")
    form.locator(f"input[name=institutions][value='{org.pk}']").check()
    _submit(page, "[data-testid=plan-form] button[type=submit]")
    assert _success(page) == "抽查计划已建立。"

    # 2. It records the inspection with a finding of a 附表2 category and the record as a file.
    page.click("[data-testid=check-list] >> text=长春新华职业健康体检中心")
    form = page.locator("[data-testid=record-form]")
    form.locator("input[name=checked_on]").fill(today.isoformat())
    form.locator("input[name=inspectors]").fill("赵强、钱明")
    form.locator("textarea[name=finding_chief_examiner]").fill("主检医师王某未取得主检医师培训合格证明")
    form.locator("input[name=evidence]").set_input_files(str(record))
    _submit(page, "[data-testid=record-form] button[type=submit]")
    assert _success(page) == "检查结果已登记。"
    findings = page.locator("[data-testid=findings]").inner_text()
    assert "主检医师不符合要求" in findings and "未取得主检医师培训合格证明" in findings
    response = _download(page, base, "[data-testid=evidence-link]")
    assert response.headers["content-type"] == "application/pdf"
    assert quote("现场检查笔录.pdf") in response.headers["content-disposition"]

    # 3. A penalty: a warning and a fine of 1.5 (10,000 yuan), then final.
    form = page.locator("[data-testid=penalty-form]")
    form.locator("input[name=warning]").check()
    form.locator("input[name=fine]").fill("1.5")
    form.locator("input[name=decision_number]").fill("吉卫职罚〔2026〕1号")
    form.locator("input[name=decided_on]").fill(today.isoformat())
    _submit(page, "[data-testid=penalty-form] button[type=submit]")
    assert _success(page) == "处罚决定已保存为草稿。"
    _submit(page, "[data-testid=penalties] button:has-text('确认生效')")
    assert _success(page) == "处罚决定已生效，可以公布。"
    penalties = page.locator("[data-testid=penalties]").inner_text()
    assert "吉卫职罚〔2026〕1号" in penalties and "1.5" in penalties and "已生效" in penalties
    _sign_out(page)

    # 4. The institution files its self-inspection for the campaign (附表1).
    sign_in(page, base, "xinhua_si", PASSWORD)
    page.goto(f"{base}/supervision/")
    assert "未报送" in page.locator("[data-testid=duties]").inner_text()
    page.click("[data-testid=duties] >> text=填报")
    form = page.locator("[data-testid=self-inspection-form]")
    form.locator("input[name=off_site][value='1']").check()
    form.locator("input[name=employers_examined]").fill("12")
    form.locator("input[name=workers_examined]").fill("3400")
    form.locator("input[name='problems-0-description']").fill("部分体检报告未经主检医师审核签字")
    form.locator("input[name='problems-0-fix_on']").fill((today + timedelta(days=20)).isoformat())
    _submit(page, "[data-testid=self-inspection-form] button[type=submit]")
    assert _success(page) == "自查情况已报送。"
    assert "已报送" in page.locator("[data-testid=duties]").inner_text()
    _sign_out(page)

    # 5. The supervision body sees who has not filed and exports 附表1.
    sign_in(page, base, "jilin_jd", PASSWORD)
    page.goto(f"{base}/supervision/campaigns/")
    page.click(f"[data-testid=campaign-list] >> text={campaign.name}")
    not_filed = page.locator("[data-testid=not-filed]").inner_text()
    assert "长春市第二医院" in not_filed and "长春新华职业健康体检中心" not in not_filed
    filed = page.locator("[data-testid=self-inspections]").inner_text()
    assert "长春新华职业健康体检中心" in filed and "3400" in filed
    response = _download(page, base, "[data-testid=form1-link]")
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.body())).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "职业健康检查执业行为自查情况登记表"
    assert list(rows[2][:8]) == ["序号", "职业健康检查机构名称", "地址", "检查类别", "外出体检（是/否）",
                                 "职业健康检查家数", "职业健康检查人数", "自查发现问题"]
    mine = next(r for r in rows if r[1] == "长春新华职业健康体检中心")
    assert mine[4] == "是" and int(mine[5]) == 12 and int(mine[6]) == 3400
    assert "部分体检报告未经主检医师审核签字" in mine[7]
