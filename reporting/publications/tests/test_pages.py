"""Authority pages and the public site: who sees what, forms, downloads, the feed, query counts."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.accounts.choices import Role
from reporting.publications.choices import PublicationKind, PublicationStatus
from reporting.publications.models import Publication

from .conftest import NOW

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
NOT_PUBLIC = [PublicationStatus.SCHEDULED, PublicationStatus.FAILED, PublicationStatus.CANCELLED,
              PublicationStatus.WITHDRAWN]


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _form(**changes) -> dict:
    today = timezone.localdate()
    return {"kind": "filed_institutions", "data_as_of": today.isoformat(), "next_update_on": "", "when": "now",
            "scheduled_for": "", "notes": "公示期五个工作日", "submission_key": str(uuid.uuid4()), **changes}


def _not_public(stored, status):
    publication = stored(status=PublicationStatus.SCHEDULED)
    publication.status = status
    publication.save()
    return publication


# ---- Authority pages ---------------------------------------------------------------------------

def test_the_commission_publishes_now_from_the_form(commission, world, fake_render,
                                                    django_capture_on_commit_callbacks):
    world.filing(world.institution("甲医院"))
    client = client_for(commission)
    assert client.get(reverse("reporting:publications:create")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reporting:publications:create"), _form())
    publication = Publication.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reporting:publications:detail",
                                                                           args=[publication.pk])
    assert publication.status == PublicationStatus.PUBLISHED and publication.row_count == 1
    page = client.get(response["Location"]).content.decode()
    assert publication.number in page and "甲医院" in page


def test_the_same_form_sent_twice_makes_one_publication(commission, world):
    client = client_for(commission)
    form = _form(when="later", scheduled_for=(timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    first = client.post(reverse("reporting:publications:create"), form)
    second = client.post(reverse("reporting:publications:create"), form)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert Publication.objects.count() == 1


@pytest.mark.parametrize("changes, message", [
    ({"data_as_of": (timezone.localdate() + timedelta(days=3)).isoformat()}, "数据截止日期不能晚于发布日期"),
    ({"when": "later", "scheduled_for": ""}, "定时发布请填写计划发布时间"),
    ({"when": "later", "scheduled_for": "2020-01-01T08:00"}, "计划发布时间不能早于现在"),
])
def test_bad_input_is_shown_with_its_reason(commission, world, changes, message):
    response = client_for(commission).post(reverse("reporting:publications:create"), _form(**changes))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Publication.objects.exists()


def test_other_authorities_read_and_cannot_write(role_users, stored, commission):
    publication = stored(status=PublicationStatus.SCHEDULED)
    qc = client_for(role_users[Role.QC_CENTER])
    page = qc.get(reverse("reporting:publications:detail", args=[publication.pk]))
    assert page.status_code == 200 and "publication-cancel" not in page.content.decode()
    assert qc.get(reverse("reporting:publications:create")).status_code == 403
    assert qc.post(reverse("reporting:publications:cancel", args=[publication.pk])).status_code == 403
    assert client_for(role_users[Role.INSTITUTION]).get(reverse("reporting:publications:list")).status_code == 403
    liaoning = client_for(role_users["other_province"])
    assert liaoning.get(reverse("reporting:publications:detail", args=[publication.pk])).status_code == 404
    national = client_for(role_users[Role.NATIONAL])
    assert national.get(reverse("reporting:publications:detail", args=[publication.pk])).status_code == 200


def test_cancel_from_the_page_and_again(commission, stored):
    publication = stored(status=PublicationStatus.SCHEDULED)
    client = client_for(commission)
    url = reverse("reporting:publications:cancel", args=[publication.pk])
    assert client.post(url).status_code == 302
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.CANCELLED
    response = client.post(url, follow=True)
    assert "不能执行此操作" in response.content.decode()


def test_the_scheduled_detail_previews_the_row_count(commission, stored, world):
    world.filing()
    world.filing()
    publication = stored(status=PublicationStatus.SCHEDULED)
    page = client_for(commission).get(reverse("reporting:publications:detail", args=[publication.pk]))
    assert "发布时将收录 2 条" in page.content.decode()


def test_the_authority_list_costs_the_same_whatever_its_length(commission, stored, django_assert_max_num_queries):
    client = client_for(commission)
    stored()
    with django_assert_max_num_queries(20) as few:
        assert client.get(reverse("reporting:publications:list")).status_code == 200
    for _n in range(12):
        stored()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("reporting:publications:list"))


# ---- The public site ---------------------------------------------------------------------------

def test_the_public_list_filters_by_kind_year_and_province(stored, make_user):
    filed = stored()
    penalties = stored(kind=PublicationKind.PENALTIES)
    old = stored(year=2025)
    liaoning = stored(authority=make_user(Role.COMMISSION_PROVINCE, province_code="210000").organisation)
    hidden = [_not_public(stored, status) for status in NOT_PUBLIC]
    client = Client()

    def listed(query: str = "") -> set[int]:
        response = client.get(reverse("public_publications:list") + query)
        assert response.status_code == 200
        return {p.pk for p in response.context["page"].object_list}

    assert listed() == {filed.pk, penalties.pk, old.pk, liaoning.pk}
    assert listed("?kind=penalties") == {penalties.pk}
    assert listed("?year=2025") == {old.pk}
    assert listed("?province=210000") == {liaoning.pk}
    assert not listed() & {p.pk for p in hidden}
    response = client.get(reverse("public_publications:list") + "?kind=nothing&year=20x6")
    assert "公示类型只能是" in response.content.decode() and "年度应为四位数字" in response.content.decode()


def test_the_public_detail_pages_its_rows_in_constant_queries(stored, django_assert_max_num_queries):
    publication = stored(rows=120)
    client = Client()
    url = reverse("public_publications:detail", args=[publication.pk])
    with django_assert_max_num_queries(3):
        first = client.get(url)
    page = first.content.decode()
    for text in (publication.number, publication.authority_name, "2026-11-20", "2027-02-18", "机构0001", "机构0050"):
        assert text in page
    assert "机构0051" not in page
    with django_assert_max_num_queries(3):
        third = client.get(url + "?page=3")
    assert "机构0120" in third.content.decode() and "机构0100" not in third.content.decode()


@pytest.mark.parametrize("status", NOT_PUBLIC)
def test_what_is_not_published_does_not_exist_publicly(stored, status):
    publication = stored(status=PublicationStatus.PUBLISHED) if status == PublicationStatus.WITHDRAWN \
        else _not_public(stored, status)
    if status == PublicationStatus.WITHDRAWN:
        publication.status = status
        publication.save()
    client = Client()
    for url in (reverse("public_publications:detail", args=[publication.pk]),
                reverse("public_publications:download", args=[publication.pk, "pdf"]),
                reverse("public-publication-detail", args=[publication.pk])):
        assert client.get(url).status_code == 404, url


def test_downloads_carry_the_type_and_a_chinese_name(stored):
    publication = stored()
    client = Client()
    pdf = client.get(reverse("public_publications:download", args=[publication.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    disposition = pdf["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
    assert "%E5%90%89%E5%8D%AB" in disposition  # 吉卫, the start of the number
    xlsx = client.get(reverse("public_publications:download", args=[publication.pk, "xlsx"]))
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert client.get(reverse("public_publications:download", args=[publication.pk, "doc"])).status_code == 404


def test_the_atom_feed_lists_published_lists(stored):
    filed = stored()
    penalties = stored(kind=PublicationKind.PENALTIES, published_at=NOW + timedelta(hours=1))
    hidden = _not_public(stored, PublicationStatus.SCHEDULED)
    client = Client()
    response = client.get(reverse("public_publications:feed"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles == [f"{penalties.number} {penalties.title}", f"{filed.number} {filed.title}"]
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert links[1].endswith(reverse("public_publications:detail", args=[filed.pk]))
    assert str(hidden.pk) not in "".join(links)
    assert entries[0].find(f"{ATOM}author/{ATOM}name").text == penalties.authority_name
    one_kind = ET.fromstring(client.get(reverse("public_publications:feed-kind", args=["penalties"])).content)
    assert len(one_kind.findall(f"{ATOM}entry")) == 1
    assert client.get(reverse("public_publications:feed-kind", args=["nothing"])).status_code == 404


def test_the_public_list_costs_the_same_whatever_its_length(stored, django_assert_max_num_queries):
    client = Client()
    stored()
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("public_publications:list"))
    with django_assert_max_num_queries(20) as few_feed:
        client.get(reverse("public_publications:feed"))
    for _n in range(15):
        stored()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("public_publications:list"))
    with django_assert_max_num_queries(len(few_feed.captured_queries)):
        client.get(reverse("public_publications:feed"))
