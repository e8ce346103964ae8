"""The QC pages: sheets and their tree, import, the scoring page with its running totals, evidence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from portal.accounts.choices import Role
from qc.models import Assessment, Indicator, QCScheme, Score, SheetVersion

from .helpers import leaves, workbook

D = Decimal


@pytest.fixture
def client_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def qc_client(client_for, qc_user):
    return client_for(qc_user)


def test_sheet_list_and_tree_show_points_and_key_items(qc_client, samples):
    response = qc_client.get(reverse("qc:sheet-list"))
    assert response.status_code == 200
    assert "吉林省职业健康检查机构质量控制评分表（机构综合）" in response.content.decode()

    version = SheetVersion.objects.get(sheet__code="JL-ZJ-JG")
    page = qc_client.get(reverse("qc:version-detail", args=[version.pk])).content.decode()
    assert "主检医师资质" in page and "★" in page and "备案放射类时适用" in page
    assert "48 条评分项，其中关键项 3 条" in page

    export = qc_client.get(reverse("qc:version-export", args=[version.pk]))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats") and export.content[:2] == b"PK"


def test_import_page_creates_a_draft_or_lists_every_problem(qc_client):
    good = qc_client.post(reverse("qc:sheet-import"), {"file": SimpleUploadedFile("s.xlsx", workbook())})
    version = SheetVersion.objects.get()
    assert good.status_code == 302 and good["Location"] == reverse("qc:version-detail", args=[version.pk])

    bad_rows = [("1", "一", 60, "", None, "", ""), ("1.1", "甲", 50, "扣分", None, "", ""),
                ("2", "二", 40, "", None, "", ""), ("2.1", "乙", 40, "", None, "", "")]
    bad = qc_client.post(reverse("qc:sheet-import"),
                         {"file": SimpleUploadedFile("s.xlsx", workbook({"评分表代码": "T-9", "名称": "坏表",
                                                                          "考核部分": "机构综合", "适用年度": 2026},
                                                                         bad_rows))})
    page = bad.content.decode()
    assert bad.status_code == 200 and 'data-testid="import-errors"' in page
    assert "下级指标（1.1）分值合计 50 分，与「1」的分值 60 分不一致" in page
    assert "末级指标须写明扣分标准" in page
    assert SheetVersion.objects.count() == 1


def test_editing_a_frozen_version_is_refused_on_the_page(qc_client, make_assessment):
    assessment = make_assessment(("dust",))
    indicator = Indicator.objects.get(version=assessment.sheets.get(category="").version, code="2.1.1")
    page = qc_client.get(reverse("qc:indicator-edit", args=[indicator.pk])).content.decode()
    assert "已被考核使用并冻结" in page
    response = qc_client.post(reverse("qc:indicator-edit", args=[indicator.pk]), {
        "title": "改", "max_points": "4", "deduction_rule": "x", "applicability": "always"})
    assert response.status_code == 400 and "已被考核使用并冻结" in response.content.decode()
    indicator.refresh_from_db()
    assert indicator.title != "改"


def test_a_step_the_version_state_does_not_allow_is_refused(qc_client, samples):
    version = SheetVersion.objects.get(sheet__code="JL-ZJ-JG")  # published
    url = reverse("qc:version-publish", args=[version.pk])
    assert qc_client.post(url).status_code == 400
    stale = qc_client.post(url, {"status_seen": "draft"})
    assert stale.status_code == 409 and "不能执行此操作" in stale.content.decode()
    assert qc_client.post(reverse("qc:version-discard", args=[version.pk]),
                          {"status_seen": "published"}).status_code == 400
    copy = qc_client.post(reverse("qc:version-copy", args=[version.pk]))
    assert copy.status_code == 302
    again = qc_client.post(reverse("qc:version-copy", args=[version.pk]))
    assert again.status_code == 400 and "已有草稿第 2 版" in again.content.decode()
    assert SheetVersion.objects.filter(sheet=version.sheet).count() == 2


def test_the_scoring_page_shows_totals_and_saves(qc_client, make_assessment):
    assessment = make_assessment(("dust", "physical"))
    page = qc_client.get(reverse("qc:assessment-detail", args=[assessment.pk])).content.decode()
    assert 'id="total"' in page and "qc/scoring.js" in page and 'id="qc-config"' in page
    assert "合理缺项" in page  # radiation lines

    line = leaves(assessment)["2.1.3"]
    key = f"{line[0].pk}-{line[1].pk}"
    response = qc_client.post(reverse("qc:assessment-detail", args=[assessment.pk]),
                              {f"d-{key}": "1", f"o-{key}": "", f"n-{key}": "1人未参加培训"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.institution_score == D("98.9")  # 94 of 95 applicable points
    assert Score.objects.get().note == "1人未参加培训"


def test_a_faulty_save_keeps_what_was_typed_and_saves_nothing(qc_client, make_assessment):
    assessment = make_assessment(("dust",))
    good, bad = leaves(assessment)["2.1.3"], leaves(assessment)["2.1.1"]
    good_key, bad_key = f"{good[0].pk}-{good[1].pk}", f"{bad[0].pk}-{bad[1].pk}"
    response = qc_client.post(reverse("qc:assessment-detail", args=[assessment.pk]),
                              {f"d-{good_key}": "1", f"d-{bad_key}": "9"})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="score-errors"' in page
    assert "2.1.1：扣分 9 超过该项分值 4.0" in page
    assert f'name="d-{good_key}" value="1"' in page
    assert not Score.objects.exists()


@pytest.mark.parametrize("categories", [("dust",), ("dust", "chemical", "physical", "biological")])
def test_the_scoring_page_query_count_does_not_grow_with_lines(categories, qc_client, make_assessment,
                                                                django_assert_max_num_queries):
    assessment = make_assessment(categories)
    lines = leaves(assessment)
    Score.objects.bulk_create([Score(assessment_sheet=sheet, indicator=ind, deducted=D("0.1"))
                               for sheet, ind in lines.values() if ind.applicability == "always"])
    # Session and user (4), the assessment, its sheets, indicators, scores, scheme, bands and team (7),
    # the page's shared context and the session's refresh (4): the same for one sheet or five.
    # 16: the institution's self-assessment shown beside is one query of its own.
    with django_assert_max_num_queries(16):
        response = qc_client.get(reverse("qc:assessment-detail", args=[assessment.pk]))
    assert response.status_code == 200


def test_assessment_list_query_count(qc_client, make_assessment, django_assert_max_num_queries):
    for _ in range(3):
        make_assessment(("dust",))
    with django_assert_max_num_queries(10):
        response = qc_client.get(reverse("qc:assessment-list"))
    assert response.content.decode().count('href="/qc/assessments/') >= 3


def test_sheet_list_query_count(qc_client, samples, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert qc_client.get(reverse("qc:sheet-list")).status_code == 200


def test_creating_an_assessment_from_the_page(qc_client, qc_user, samples, filed_institution):
    org = filed_institution(("dust", "radiation"))
    response = qc_client.post(reverse("qc:assessment-create"), {
        "institution": org.pk, "year": "2026", "assessed_on": "2026-05-20", "kind": "official",
        "team": [qc_user.pk]})
    assessment = Assessment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("qc:assessment-detail",
                                                                           args=[assessment.pk])
    assert sorted(assessment.sheets.values_list("category", flat=True)) == ["", "dust", "radiation"]
    assert assessment.filed_categories == ["dust", "radiation"]

    no_scheme = qc_client.post(reverse("qc:assessment-create"), {
        "institution": org.pk, "year": "2031", "assessed_on": "2031-05-20", "kind": "official",
        "team": [qc_user.pk]})
    assert "2031 年度尚未配置考核方案" in no_scheme.content.decode()
    not_filed = qc_client.post(reverse("qc:assessment-create"), {
        "institution": org.pk, "year": "2026", "assessed_on": "2026-05-20", "kind": "official",
        "team": [qc_user.pk], "categories": ["chemical"]})
    assert "机构未备案「接触化学因素类」" in not_filed.content.decode()
    assert Assessment.objects.count() == 1


def test_evidence_is_uploaded_on_the_line_page_and_downloaded(qc_client, make_assessment, client_for, make_user):
    assessment = make_assessment(("dust",))
    sheet, indicator = leaves(assessment)["3.2.1"]
    url = reverse("qc:assessment-line", args=[assessment.pk, sheet.pk, indicator.pk])
    response = qc_client.post(url, {"occurrences": "2", "note": "DR未检定",
                                    "evidence": SimpleUploadedFile("检定证书.pdf", b"%PDF-1.4 evidence")})
    assert response.status_code == 302
    score = Score.objects.get()
    assert score.deducted == D("2") and score.evidence is not None

    download = qc_client.get(reverse("qc:score-evidence", args=[assessment.pk, score.pk]))
    assert b"".join(download.streaming_content) == b"%PDF-1.4 evidence"
    other = client_for(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    assert other.get(reverse("qc:score-evidence", args=[assessment.pk, score.pk])).status_code == 404


def test_scheme_page_reads_bands_from_text(qc_client, province):
    response = qc_client.post(reverse("qc:scheme-create"), {
        "year": "2027", "name": "2027年度方案", "institution_weight": "40", "work_sample_weight": "60",
        "work_sample_averaging": "mean", "key_item_fails": "on", "key_item_pass_ratio": "0.6",
        "response_days": "10", "coverage_rule": "biennial_all",
        "bands": "优秀 90 合格\n合格，80，合格\n基本合格 60 合格\n不合格 0 不合格"})
    assert response.status_code == 302
    scheme = QCScheme.objects.get()
    assert [b.label for b in scheme.bands.all()] == ["优秀", "合格", "基本合格", "不合格"]

    bad = qc_client.post(reverse("qc:scheme-edit", args=[scheme.pk]), {
        "name": "x", "institution_weight": "40", "work_sample_weight": "60", "work_sample_averaging": "mean",
        "key_item_pass_ratio": "1", "response_days": "10", "coverage_rule": "biennial_all",
        "bands": "优秀 九十 合格"})
    assert "第 1 行的最低分「九十」不是数字" in bad.content.decode()


SCHEME_POST = {"name": "2027年度方案", "institution_weight": "40", "work_sample_weight": "60",
               "work_sample_averaging": "mean", "key_item_fails": "on", "key_item_pass_ratio": "1",
               "response_days": "15", "coverage_rule": "yearly_all", "bands": "合格 60 合格\n不合格 0 不合格"}


def test_scheme_pages_set_the_response_window_and_coverage_rule(qc_client, province):
    from portal.audit.models import AuditEntry

    form = qc_client.get(reverse("qc:scheme-create")).content.decode()
    assert 'name="response_days"' in form and 'value="10"' in form and 'name="coverage_rule"' in form
    assert qc_client.post(reverse("qc:scheme-create"), {**SCHEME_POST, "year": "2027"}).status_code == 302
    scheme = QCScheme.objects.get()
    assert (scheme.response_days, scheme.coverage_rule) == (15, "yearly_all")
    assert AuditEntry.objects.get(action="qc.scheme.created").new["response_days"] == 15

    edit = qc_client.get(reverse("qc:scheme-edit", args=[scheme.pk])).content.decode()
    assert 'value="15"' in edit and '<option value="yearly_all" selected>' in edit
    response = qc_client.post(reverse("qc:scheme-edit", args=[scheme.pk]),
                              {**SCHEME_POST, "response_days": "7", "coverage_rule": "provincial_share_city_all"})
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert (scheme.response_days, scheme.coverage_rule) == (7, "provincial_share_city_all")
    entry = AuditEntry.objects.get(action="qc.scheme.updated")
    assert (entry.old["response_days"], entry.new["response_days"]) == (15, 7)
    assert entry.new["coverage_rule"] == "provincial_share_city_all"


@pytest.mark.parametrize(("changes", "field", "expected"), [
    ({"response_days": "0"}, "response_days", "机构反馈期限应为 1–60 个工作日的整数。"),
    ({"response_days": "61"}, "response_days", "机构反馈期限应为 1–60 个工作日的整数。"),
    ({"response_days": "十"}, "response_days", "机构反馈期限应为 1–60 个工作日的整数。"),
    ({"response_days": ""}, "response_days", "该字段是必填项。"),
    ({"coverage_rule": "monthly"}, "coverage_rule", "未知的年度覆盖要求。"),
])
def test_scheme_page_refuses_a_bad_window_or_rule_on_its_field(changes, field, expected, qc_client, province,
                                                               samples):
    scheme = QCScheme.objects.get()
    before = (scheme.response_days, scheme.coverage_rule)
    response = qc_client.post(reverse("qc:scheme-edit", args=[scheme.pk]), {**SCHEME_POST, **changes})
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [expected]}
    scheme.refresh_from_db()
    assert (scheme.response_days, scheme.coverage_rule) == before


def test_coverage_page_follows_the_rule_set_on_the_scheme(qc_client, province, samples):
    from qc import services

    scheme = QCScheme.objects.get()
    plan = services.plan_create(province=province, year=scheme.year, actor=None)
    page = reverse("qc:plan-detail", args=[plan.pk])
    html = qc_client.get(page).content.decode()
    assert "每两年至少考核一次（国家底线）" in html and 'data-testid="provincial"' not in html

    edit = reverse("qc:scheme-edit", args=[scheme.pk])
    assert qc_client.post(edit, {**SCHEME_POST, "coverage_rule": "yearly_all"}).status_code == 302
    assert "每年覆盖全部机构（吉林）" in qc_client.get(page).content.decode()

    assert qc_client.post(edit, {**SCHEME_POST, "coverage_rule": "provincial_share_city_all"}).status_code == 302
    html = qc_client.get(page).content.decode()
    assert "省级不少于30%、市级全覆盖（山西）" in html and 'data-testid="provincial"' in html


QC_CENTER_LINKS = ["qc:sheet-list", "qc:sheet-import", "qc:scheme-list", "qc:scheme-create", "qc:assessment-list",
                   "qc:assessment-create", "qc:plan-list"]
INSTITUTION_LINKS = ["qc:response-list", "qc:self-create"]


def _links(html: str) -> set[str]:
    import re

    return set(re.findall(r'href="([^"]+)"', html))


def test_index_links_an_institution_to_its_own_pages_only(client_for, make_user):
    html = client_for(make_user(Role.INSTITUTION)).get(reverse("qc:index")).content.decode()
    links = _links(html)
    assert {reverse(name) for name in INSTITUTION_LINKS} <= links
    assert reverse("ledger:list") in links
    assert not {reverse(name) for name in QC_CENTER_LINKS} & links
    assert 'data-testid="link-results"' in html and 'data-testid="link-sheets"' not in html


def test_index_links_the_qc_center_to_its_pages_only(client_for, qc_user):
    html = client_for(qc_user).get(reverse("qc:index")).content.decode()
    links = _links(html)
    assert {reverse(name) for name in QC_CENTER_LINKS} <= links
    assert reverse("ledger:list") in links
    assert not {reverse(name) for name in INSTITUTION_LINKS} & links
    assert 'data-testid="link-plans"' in html and 'data-testid="link-self"' not in html


def test_index_links_only_what_a_commission_may_read(client_for, make_user):
    links = _links(client_for(make_user(Role.COMMISSION_PROVINCE)).get(reverse("qc:index")).content.decode())
    assert {reverse("qc:sheet-list"), reverse("qc:scheme-list"), reverse("ledger:list")} <= links
    assert not {reverse(n) for n in ["qc:sheet-import", "qc:scheme-create", "qc:assessment-list", "qc:plan-list",
                                     *INSTITUTION_LINKS]} & links
