import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from inspections.supervision.models import SelfInspection
from inspections.supervision.services import (
    penalty_create,
    penalty_finalise,
    self_inspection_file,
    spot_check_record,
)
from portal.accounts.choices import Role

from .builders import campaign_for, checked_on, plan_for

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def campaign(supervisor, institution_user, other_institution):
    campaign = campaign_for(supervisor, name="2023年职业健康检查执业行为专项治理")
    member = campaign.members.get(institution=institution_user.organisation)
    self_inspection_file(actor=institution_user, member_id=member.pk, off_site=True, employers_examined=12,
                         workers_examined=345, problems=[
                             {"description": "档案不全", "fix_on": campaign.period_start + timedelta(days=2)},
                             {"description": "=HYPERLINK(1)", "fix_on": campaign.period_start}])
    return campaign


def _sheet(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming
                                    else response.content)).active


def _row(sheet, n: int) -> list:
    return [c.value for c in sheet[n]]


def test_form1_has_the_exact_columns_of_the_hangzhou_form(supervisor, campaign, institution_user):
    sheet = _sheet(_client(supervisor).get(reverse("supervision:campaign-form1", args=[campaign.pk])))
    assert sheet["A1"].value == "职业健康检查执业行为自查情况登记表"
    assert sheet["A2"].value.startswith("填报单位：") and "填表人：" in sheet["A2"].value \
        and "联系电话：" in sheet["A2"].value
    assert _row(sheet, 3) == ["序号", "职业健康检查机构名称", "地址", "检查类别", "外出体检（是/否）",
                              "职业健康检查家数", "职业健康检查人数", "自查发现问题"]
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:H1", "A2:H2"}
    row = _row(sheet, 4)
    assert row[:7] == [1, institution_user.organisation.name, "人民大街100号", "接触粉尘类、接触物理因素类", "是",
                       12, 345]
    assert "档案不全" in row[7] and "=HYPERLINK" in row[7]
    assert sheet["A5"].value.startswith("生成日期：")


def test_form2_has_the_two_row_header_with_merged_cells(supervisor, campaign, institution_user):
    plan = plan_for(supervisor, [institution_user.organisation], campaign=campaign)
    check = spot_check_record(actor=supervisor, check_id=plan.checks.get().pk, checked_on=checked_on(),
                              inspectors="赵强", findings=[{"category": "no_archives", "description": "a"},
                                                          {"category": "no_archives", "description": "b"},
                                                          {"category": "other", "description": "c"}])
    penalty = penalty_create(actor=supervisor, check_id=check.pk, warning=True, fine=Decimal("1.5"),
                             decision_number="罚1号", decided_on=check.checked_on)
    penalty_finalise(actor=supervisor, penalty_id=penalty.pk)
    penalty_create(actor=supervisor, check_id=check.pk, warning=False, fine=Decimal("3"),
                   decision_number="罚2号（草稿）", decided_on=check.checked_on)
    sheet = _sheet(_client(supervisor).get(reverse("supervision:campaign-form2", args=[campaign.pk])))
    assert sheet["A1"].value == "职业健康检查执业行为专项治理情况登记表"
    assert sheet["A2"].value.startswith("填报单位：")
    assert _row(sheet, 3) == ["序号", "职业健康检查机构名称", "不合格情况", *[None] * 8, "行政处罚情况", None]
    assert _row(sheet, 4) == [None, None, "未按规定备案", "主检医师不符合要求", "未按规定报告、告知疑似职业病、职业禁忌",
                              "出具虚假证明文件", "未按要求建立档案", "未按规范开展工作", "未履行信息报告义务",
                              "未按规定参加质量考核或未按要求整改", "其他不合格情况", "警告", "罚款（万元）"]
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:M1", "A2:M2", "A3:A4", "B3:B4", "C3:K3", "L3:M3"}
    # Counts per category; only the final penalty counts.
    assert _row(sheet, 5) == [1, institution_user.organisation.name, None, None, None, None, 2, None, None, None,
                              1, "是", 1.5]
    assert sheet["A7"].value.startswith("备注：职业健康检查机构包括")


def test_campaign_page_lists_who_has_not_filed(supervisor, campaign, other_institution):
    response = _client(supervisor).get(reverse("supervision:campaign-detail", args=[campaign.pk]))
    assert response.status_code == 200
    missing = [r.member.institution for r in response.context["missing"]]
    assert missing == [other_institution]
    assert other_institution.name in response.content.decode()


def test_wrong_role_is_refused(make_user, campaign, institution_user):
    qc = _client(make_user(Role.QC_CENTER))
    assert qc.get(reverse("supervision:campaign-detail", args=[campaign.pk])).status_code == 200
    assert qc.get(reverse("supervision:campaign-create")).status_code == 403
    inst = _client(institution_user)
    assert inst.get(reverse("supervision:campaign-list")).status_code == 403
    assert inst.get(reverse("supervision:campaign-form1", args=[campaign.pk])).status_code == 403
    assert _client(make_user(Role.SUPERVISION)).get(reverse("supervision:duties")).status_code == 403


def test_other_province_gets_404(make_user, supervisor, campaign, institution_user):
    plan = plan_for(supervisor, [institution_user.organisation])
    liaoning = _client(make_user(Role.SUPERVISION, province_code="210000"))
    for url in (reverse("supervision:campaign-detail", args=[campaign.pk]),
                reverse("supervision:campaign-form1", args=[campaign.pk]),
                reverse("supervision:plan-detail", args=[plan.pk]),
                reverse("supervision:check-detail", args=[plan.checks.get().pk])):
        assert liaoning.get(url).status_code == 404, url
    assert liaoning.post(reverse("supervision:check-record", args=[plan.checks.get().pk]),
                         {"checked_on": checked_on().isoformat(), "inspectors": "x"}).status_code == 404


def test_institution_sees_only_its_own_duties(make_user, supervisor, campaign, institution_user, other_institution):
    client = _client(institution_user)
    response = client.get(reverse("supervision:duties"))
    duties = list(response.context["duties"])
    assert [d.institution for d in duties] == [institution_user.organisation]
    other_member = campaign.members.get(institution=other_institution)
    assert client.get(reverse("supervision:self-inspection", args=[other_member.pk])).status_code == 404
    # An institution outside the campaign has no duty at all.
    stranger = _client(make_user(Role.INSTITUTION))
    assert list(stranger.get(reverse("supervision:duties")).context["duties"]) == []


def test_self_inspection_form_shows_specific_errors(supervisor, institution_user, other_institution):
    campaign = campaign_for(supervisor)
    member = campaign.members.get(institution=institution_user.organisation)
    response = _client(institution_user).post(reverse("supervision:self-inspection", args=[member.pk]), {
        "off_site": "0", "employers_examined": "-3", "workers_examined": "10",
        "problems-TOTAL_FORMS": "1", "problems-INITIAL_FORMS": "0",
        "problems-0-description": "未告知", "problems-0-fix_on": (campaign.period_start - timedelta(days=1)).isoformat(),
    })
    assert response.status_code == 200
    text = response.content.decode()
    assert "职业健康检查家数不能为负数。" in text
    assert "整改日期不能早于专项治理开始日期" in text
    assert not SelfInspection.objects.exists()


def test_campaign_create_page_with_dates_in_wrong_order(supervisor, institution_user):
    today = timezone.localdate()
    response = _client(supervisor).post(reverse("supervision:campaign-create"), {
        "name": "新专项", "period_start": today.isoformat(), "period_end": (today - timedelta(days=1)).isoformat(),
        "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0",
        "steps-0-name": "自查自改", "steps-0-starts_on": today.isoformat(), "steps-0-ends_on": today.isoformat(),
    })
    assert response.status_code == 200
    assert "结束日期不能早于开始日期。" in response.content.decode()


def test_final_penalty_cannot_be_edited_through_the_page(supervisor, institution_user):
    plan = plan_for(supervisor, [institution_user.organisation])
    check = spot_check_record(actor=supervisor, check_id=plan.checks.get().pk, checked_on=checked_on(),
                              inspectors="赵强")
    penalty = penalty_create(actor=supervisor, check_id=check.pk, warning=True, fine=0, decision_number="罚1号",
                             decided_on=check.checked_on)
    client = _client(supervisor)
    assert client.post(reverse("supervision:penalty-finalise", args=[penalty.pk])).status_code == 302
    response = client.post(reverse("supervision:penalty-edit", args=[penalty.pk]), {
        "warning": "", "fine": "5", "decision_number": "罚5号", "decided_on": check.checked_on.isoformat()})
    assert response.status_code == 400
    penalty.refresh_from_db()
    assert (penalty.decision_number, penalty.fine) == ("罚1号", Decimal("0"))
    listed = client.get(reverse("supervision:penalty-list"))
    assert [p.pk for p in listed.context["penalties"]] == [penalty.pk]


def test_list_pages_query_counts(supervisor, campaign, django_assert_max_num_queries):
    client = _client(supervisor)
    for name in ("supervision:campaign-list", "supervision:plan-list", "supervision:penalty-list",
                 "supervision:index"):
        with django_assert_max_num_queries(15):
            assert client.get(reverse(name)).status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(reverse("supervision:campaign-detail", args=[campaign.pk])).status_code == 200
