"""The public API: the exact contract, pagination of lists and of rows, 404 for what is not public."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.accounts.choices import Role
from reporting.publications.choices import PublicationKind, PublicationStatus

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/public/publications/"
ENTRY_KEYS = ["id", "number", "kind", "kind_label", "title", "province", "authority", "data_as_of", "next_update_on",
              "published_at", "row_count", "pdf_url", "xlsx_url", "url"]


def test_the_paths_are_the_contract():
    assert reverse("public-publication-list") == LIST_URL
    assert reverse("public-publication-detail", args=[7]) == f"{LIST_URL}7/"


def test_the_list_entry_has_exactly_the_contract_fields(stored):
    publication = stored()
    data = Client().get(LIST_URL).json()
    assert list(data) == ["count", "next", "previous", "results"]
    assert data["count"] == 1
    entry = data["results"][0]
    assert list(entry) == ENTRY_KEYS
    assert entry["id"] == publication.pk and entry["number"] == publication.number
    assert entry["kind"] == "filed_institutions" and entry["kind_label"] == "备案机构名单"
    assert entry["province"] == {"code": "220000", "name": "吉林省"}
    assert entry["authority"] == publication.authority_name
    assert entry["data_as_of"] == "2026-11-20" and entry["next_update_on"] == "2027-02-18"
    assert entry["published_at"] == "2026-11-20T09:30:00+08:00"
    assert entry["row_count"] == 3
    assert entry["pdf_url"] == f"http://testserver/publications/{publication.pk}/pdf/"
    assert entry["xlsx_url"] == f"http://testserver/publications/{publication.pk}/xlsx/"
    assert entry["url"] == f"http://testserver/publications/{publication.pk}/"


def test_the_list_pages_and_filters(stored, make_user):
    for _n in range(5):
        stored()
    penalties = stored(kind=PublicationKind.PENALTIES)
    liaoning = stored(authority=make_user(Role.COMMISSION_PROVINCE, province_code="210000").organisation)
    stored(status=PublicationStatus.SCHEDULED)
    client = Client()
    first = client.get(LIST_URL, {"page_size": 3}).json()
    assert first["count"] == 7 and len(first["results"]) == 3 and first["previous"] is None
    assert "page=2" in first["next"]
    last = client.get(LIST_URL, {"page_size": 3, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert client.get(LIST_URL, {"page": 9}).status_code == 404
    assert [e["id"] for e in client.get(LIST_URL, {"kind": "penalties"}).json()["results"]] == [penalties.pk]
    assert [e["id"] for e in client.get(LIST_URL, {"province": "210000"}).json()["results"]] == [liaoning.pk]
    assert client.get(LIST_URL, {"year": "2025"}).json()["count"] == 0
    bad = client.get(LIST_URL, {"kind": "all", "province": "999999", "page_size": "x"})
    assert bad.status_code == 400 and set(bad.json()) == {"kind", "province"}
    assert "公示类型只能是" in bad.json()["kind"][0]


def test_the_detail_gives_columns_and_a_page_of_rows(stored):
    publication = stored(rows=250)
    client = Client()
    data = client.get(f"{LIST_URL}{publication.pk}/").json()
    assert list(data) == [*ENTRY_KEYS, "notes", "columns", "rows"]
    assert data["columns"] == [{"key": "name", "label": "机构名称", "width": 4},
                               {"key": "filed_on", "label": "备案日期", "width": 2}]
    rows = data["rows"]
    assert list(rows) == ["count", "next", "previous", "results"]
    assert rows["count"] == 250 and len(rows["results"]) == 100
    assert rows["results"][0] == {"position": 1, "values": {"name": "机构0001", "filed_on": "2026-03-01"}}
    assert "rows_page=2" in rows["next"]
    third = client.get(f"{LIST_URL}{publication.pk}/", {"rows_page": 3}).json()["rows"]
    assert [r["position"] for r in third["results"]] == list(range(201, 251)) and third["next"] is None
    big = client.get(f"{LIST_URL}{publication.pk}/", {"rows_page_size": 5000}).json()["rows"]
    assert len(big["results"]) == 250  # capped at 1000 per page
    assert client.get(f"{LIST_URL}{publication.pk}/", {"rows_page": 4}).status_code == 404
    assert client.get(f"{LIST_URL}{publication.pk}/", {"rows_page": "0"}).status_code == 400


@pytest.mark.parametrize("status", [PublicationStatus.SCHEDULED, PublicationStatus.CANCELLED, PublicationStatus.FAILED])
def test_what_is_not_published_is_404(stored, status):
    publication = stored(status=PublicationStatus.SCHEDULED)
    publication.status = status
    publication.save()
    assert Client().get(f"{LIST_URL}{publication.pk}/").status_code == 404
    assert Client().get(LIST_URL).json()["count"] == 0


def test_a_withdrawn_one_leaves_the_api(stored, commission):
    from reporting.publications.services import publication_withdraw

    publication = stored()
    publication_withdraw(publication_id=publication.pk, actor=commission, reason="数据有误")
    assert Client().get(f"{LIST_URL}{publication.pk}/").status_code == 404
    assert Client().get(LIST_URL).json()["count"] == 0


def test_writes_are_refused(stored):
    publication = stored()
    assert Client().post(LIST_URL, {}).status_code in (401, 403, 405)
    assert Client().delete(f"{LIST_URL}{publication.pk}/").status_code in (401, 403, 405)


def test_queries_do_not_grow_with_the_data(stored, django_assert_max_num_queries):
    client = Client()
    small = stored(rows=5)
    with django_assert_max_num_queries(10) as list_few:
        client.get(LIST_URL)
    with django_assert_max_num_queries(10) as detail_few:
        client.get(f"{LIST_URL}{small.pk}/")
    for _n in range(12):
        stored()
    big = stored(rows=400)
    with django_assert_max_num_queries(len(list_few.captured_queries)):
        client.get(LIST_URL)
    with django_assert_max_num_queries(len(detail_few.captured_queries)):
        client.get(f"{LIST_URL}{big.pk}/", {"rows_page_size": 400})


def test_the_schema_documents_both_endpoints():
    schema = Client().get(reverse("api-schema"), {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/public/publications/" in paths and "/api/v1/public/publications/{id}/" in paths
    detail = schema["components"]["schemas"]["PublicationDetailDoc"]
    assert {"columns", "rows", "number", "pdf_url"} <= set(detail["properties"])
    parameters = {p["name"] for p in paths["/api/v1/public/publications/{id}/"]["get"]["parameters"]}
    assert {"rows_page", "rows_page_size"} <= parameters
