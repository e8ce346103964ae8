"""The calendar pages: who may use them, the year form and its per-line errors."""

from datetime import date

import pytest
from django.urls import reverse

from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.workdays.models import CalendarYear, DayKind, SpecialDay, YearSource

pytestmark = pytest.mark.usefixtures("reference_data")

VALID_2027 = {
    "year": "2027",
    "note": "国办发明电〔2026〕X号",
    "holidays": "2027-01-01 元旦\n2027-02-06 春节\n2027-02-07 春节\n2027-02-08 春节",
    "workdays": "2027-02-20 春节",
}


@pytest.mark.parametrize("name,args", [("workdays:list", []), ("workdays:year-edit", []),
                                       ("workdays:year-edit", [2026])])
@pytest.mark.parametrize("role", [Role.PROVINCE_ADMIN, Role.INSTITUTION, Role.COMMISSION_PROVINCE])
def test_only_platform_administrators_reach_the_calendar_pages(client, make_user, role, name, args):
    client.force_login(make_user(role))
    assert client.get(reverse(name, args=args)).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("workdays:list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_province_admin_cannot_post_a_year(client, make_user):
    client.force_login(make_user(Role.PROVINCE_ADMIN))
    assert client.post(reverse("workdays:year-edit"), VALID_2027).status_code == 403
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_list_page_shows_years_and_one_year_in_bounded_queries(admin_client, django_assert_max_num_queries):
    # Session, user and two-factor devices, then years, known years, missing years and the
    # chosen year's days: the count does not grow with the number of years or days.
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("workdays:list"), {"year": 2026})
    assert response.status_code == 200
    body = response.content.decode()
    assert "2004" in body and "2026-02-14" in body
    assert [d.date for d in response.context["days"] if d.kind == DayKind.WORKDAY][:2] == [
        date(2026, 1, 4), date(2026, 2, 14)]


def test_entering_a_year_saves_it_as_manual_and_audits(admin_client, platform_admin):
    response = admin_client.post(reverse("workdays:year-edit"), VALID_2027)
    assert response.status_code == 302
    assert response["Location"] == reverse("workdays:list") + "?year=2027"
    cal = CalendarYear.objects.get(year=2027)
    assert (cal.source, cal.note) == (YearSource.MANUAL, "国办发明电〔2026〕X号")
    assert list(SpecialDay.objects.filter(date__year=2027).values_list("date", "kind", "name")) == [
        (date(2027, 1, 1), DayKind.HOLIDAY, "元旦"),
        (date(2027, 2, 6), DayKind.HOLIDAY, "春节"),
        (date(2027, 2, 7), DayKind.HOLIDAY, "春节"),
        (date(2027, 2, 8), DayKind.HOLIDAY, "春节"),
        (date(2027, 2, 20), DayKind.WORKDAY, "春节"),
    ]
    entry = AuditEntry.objects.get(action="workdays.year.saved")
    assert entry.actor == platform_admin and entry.object_id == str(cal.pk)
    assert entry.new["note"] == "国办发明电〔2026〕X号" and len(entry.new["days"]) == 5


def test_replacing_a_package_year_starts_from_its_days(admin_client):
    response = admin_client.get(reverse("workdays:year-edit", args=[2026]))
    assert response.status_code == 200
    assert 'data-testid="replace-notice"' in response.content.decode()
    initial = response.context["form"].initial
    assert "2026-02-15 春节" in initial["holidays"].splitlines()
    assert initial["workdays"].splitlines()[:2] == ["2026-01-04 元旦", "2026-02-14 春节"]

    data = {"year": "2026", "note": "国办发明电〔2025〕7号", "holidays": initial["holidays"],
            "workdays": initial["workdays"].replace("2026-10-10 国庆节", "")}
    assert admin_client.post(reverse("workdays:year-edit", args=[2026]), data).status_code == 302
    assert CalendarYear.objects.get(year=2026).source == YearSource.MANUAL
    assert not SpecialDay.objects.filter(date=date(2026, 10, 10)).exists()
    entry = AuditEntry.objects.get(action="workdays.year.saved")
    assert entry.old["source"] == YearSource.PACKAGE and ["2026-10-10", "workday", "国庆节"] in entry.old["days"]


def _errors(response, field):
    return response.context["form"].errors.get(field, [])


@pytest.mark.parametrize(("field", "lines", "message"), [
    ("holidays", "2027-02-06 春节\n2027-02-30 春节", "第 2 行：“2027-02-30”不是有效日期"),
    ("holidays", "二月六日 春节", "第 1 行：“二月六日”不是有效日期"),
    ("holidays", "2027-02-06 春节\n\n2026-10-01 国庆节", "第 3 行：2026-10-01 不属于 2027 年"),
    ("holidays", "2027-02-06 春节\n2027-02-06 春节", "第 2 行：2027-02-06 与第 1 行重复"),
    ("workdays", "2027-02-06 春节", "第 1 行：2027-02-06 与放假日期第 1 行重复"),
    ("workdays", "2027-02-20 春节\n2027-02-08 春节", "第 2 行：2027-02-08 是星期一，本来就上班"),
    ("holidays", "# 只有注释\n", "请至少录入一个放假日期"),
])
def test_each_bad_line_is_named_and_nothing_is_saved(admin_client, field, lines, message):
    data = {**VALID_2027, "holidays": "2027-02-06 春节", field: lines}
    response = admin_client.post(reverse("workdays:year-edit"), data)
    assert response.status_code == 200
    assert any(message in e for e in _errors(response, field)), _errors(response, field)
    assert message in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not SpecialDay.objects.filter(date__year=2027).exists()
    assert not AuditEntry.objects.filter(action="workdays.year.saved").exists()


def test_every_bad_line_is_reported_at_once(admin_client):
    data = {**VALID_2027, "holidays": "2027-13-01 春节\n2028-01-01 元旦\n2027-02-06\n2027-02-06 春节",
            "workdays": "2027-02-09 春节"}
    response = admin_client.post(reverse("workdays:year-edit"), data)
    holidays = _errors(response, "holidays")
    assert len(holidays) == 1 and "第 1 行" in holidays[0]  # unparseable lines first, then the rest
    data["holidays"] = "2028-01-01 元旦\n2027-02-06\n2027-02-06 春节"
    response = admin_client.post(reverse("workdays:year-edit"), data)
    assert [e[:6] for e in _errors(response, "holidays")] == ["第 1 行：", "第 3 行："]
    assert "第 1 行：2027-02-09 是星期二" in _errors(response, "workdays")[0]
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_other_date_spellings_are_accepted(admin_client):
    data = {**VALID_2027, "holidays": "2027/2/6 春节\n2027年2月7日，春节\n2027.02.08", "workdays": ""}
    assert admin_client.post(reverse("workdays:year-edit"), data).status_code == 302
    assert list(SpecialDay.objects.filter(date__year=2027).values_list("date", "name")) == [
        (date(2027, 2, 6), "春节"), (date(2027, 2, 7), "春节"), (date(2027, 2, 8), "")]


def test_models_are_visible_but_read_only_in_django_admin(admin_client):
    assert admin_client.get("/admin/workdays/calendaryear/").status_code == 200
    assert admin_client.get("/admin/workdays/specialday/").status_code == 200
    assert admin_client.get("/admin/workdays/missingyearlookup/").status_code == 200
    assert admin_client.get("/admin/workdays/calendaryear/add/").status_code == 403
