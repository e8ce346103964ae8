"""The public API of the directory: its exact contract, filters, what never appears, query counts."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from filing.catalogue.services import catalogue_load_builtin
from filing.choices import FilingStatus, ItemStatus
from filing.demo import demo_filing
from filing.models import Filing
from filing.services import change_start, open_version, version_save_basic, version_submit
from portal.accounts.choices import Role
from portal.testing.factories import make_user

LIST = "/api/v1/public/institutions/"
DUST = {"code": "GBZ188-2014:6.1", "category": "dust", "exam_types": ["pre_employment", "on_duty"]}
LEAD = {"code": "GBZ188-2014:5.1", "category": "chemical", "exam_types": ["on_duty"]}
NOISE = {"code": "GBZ188-2014:7.1", "category": "physical", "exam_types": ["on_duty"]}
SILICOSIS = {"code": "OD-2013:1.1", "category": "OD-2013:1", "exam_types": []}

PAGE_KEYS = {"count", "next", "previous", "results"}
ENTRY_KEYS = {"filing_number", "name", "kind", "address", "region", "phone", "filed_on", "off_site", "categories"}
REGION_KEYS = {"code", "name"}
CATEGORY_KEYS = {"code", "name", "items"}
ITEM_KEYS = {"code", "name", "status"}


@pytest.fixture
def decider(reference_data, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    catalogue_load_builtin()
    return make_user(Role.QC_CENTER)


@pytest.fixture
def api():
    return APIClient()


def _filing(decider, name, seed, **kwargs) -> Filing:
    kwargs.setdefault("items", [DUST, LEAD])
    return demo_filing(name=name, decider=decider, seed=seed, **kwargs)


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["filing_number"] for r in response.json()["results"]]


# ---- Contract ------------------------------------------------------------------------

def test_list_has_the_exact_contract(api, decider):
    filing = _filing(decider, "长春市南关区职业病防治所", 1, off_site=True, item_status=ItemStatus.SUSPENDED,
                     items=[DUST, LEAD, NOISE])
    version = filing.current_version
    body = api.get(LIST).json()
    assert set(body) == PAGE_KEYS
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    (entry,) = body["results"]
    assert set(entry) == ENTRY_KEYS
    assert set(entry["region"]) == REGION_KEYS
    assert all(set(c) == CATEGORY_KEYS for c in entry["categories"])
    assert all(set(i) == ITEM_KEYS for c in entry["categories"] for i in c["items"])
    assert entry == {
        "filing_number": filing.filing_number,
        "name": "长春市南关区职业病防治所",
        "kind": "examination",
        "address": version.address,
        "region": {"code": "220102", "name": "南关区"},
        "phone": version.phone,
        "filed_on": filing.filed_on.isoformat(),
        "off_site": True,
        "categories": [
            # Catalogue order: dust (6) comes before chemical (5) because categories are ordered, not clauses.
            {"code": "dust", "name": "接触粉尘类",
             "items": [{"code": "GBZ188-2014:6.1", "name": "矽尘", "status": "suspended"}]},
            {"code": "chemical", "name": "接触化学因素类",
             "items": [{"code": "GBZ188-2014:5.1", "name": "铅及其无机化合物", "status": "active"}]},
            {"code": "physical", "name": "接触物理因素类",
             "items": [{"code": "GBZ188-2014:7.1", "name": "噪声", "status": "active"}]},
        ],
    }
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["filed_on"])
    assert date.fromisoformat(entry["filed_on"]) == timezone.localdate()


def test_detail_is_the_list_entry(api, decider):
    filing = _filing(decider, "吉林市职业病防治院", 2, region_code="220202")
    listed = api.get(LIST).json()["results"][0]
    response = api.get(reverse("public-institution-detail", args=[filing.filing_number]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == listed


def test_diagnosis_institutions_list_the_disease_catalogue(api, decider):
    filing = _filing(decider, "长春市职业病医院", 3, kind="diagnosis", items=[SILICOSIS])
    entry = api.get(reverse("public-institution-detail", args=[filing.filing_number])).json()
    assert entry["kind"] == "diagnosis"
    assert entry["categories"] == [{"code": "OD-2013:1", "name": "职业性尘肺病及其他呼吸系统疾病",
                                    "items": [{"code": "OD-2013:1.1", "name": "矽肺", "status": "active"}]}]


def test_item_statuses_use_the_published_words(api, decider):
    _filing(decider, "甲医院", 4, item_status=ItemStatus.NOT_CAPABLE)
    statuses = {i["status"] for c in api.get(LIST).json()["results"][0]["categories"] for i in c["items"]}
    assert statuses == {"not_capable", "active"}
    assert statuses <= set(ItemStatus.values)


# ---- Who appears --------------------------------------------------------------------

def test_only_accepted_not_cancelled_filings_appear(api, decider):
    shown = _filing(decider, "已备案医院", 10)
    cancelled = _filing(decider, "已注销医院", 11, outcome="cancelled")
    for seed, outcome in enumerate(("draft", "submitted", "returned"), start=12):
        _filing(decider, f"{outcome}医院", seed, outcome=outcome)
    assert _numbers(api.get(LIST)) == [shown.filing_number]
    assert api.get(reverse("public-institution-detail", args=[cancelled.filing_number])).status_code == 404
    assert api.get(reverse("public-institution-detail", args=["220000-2000-9999"])).status_code == 404
    assert Filing.objects.filter(status=FilingStatus.CANCELLED).count() == 1


def test_a_pending_change_stays_private_until_accepted(api, decider):
    filing = _filing(decider, "变更前名称医院", 20)
    change = change_start(filing_id=filing.pk, actor=None, changed_on=timezone.localdate(), summary="机构名称变更")
    values = {f: getattr(change, f) for f in (
        "credit_code", "licence_number", "radiation_licence_number", "legal_representative", "quality_manager",
        "technical_manager", "address", "region", "phone", "exams_started_on")}
    version_save_basic(version_id=change.pk, actor=None, **{**values, "name": "变更后名称医院"})
    version_submit(version_id=change.pk, actor=None)
    assert open_version(filing).pk == change.pk
    entry = api.get(reverse("public-institution-detail", args=[filing.filing_number])).json()
    assert entry["name"] == "变更前名称医院"


def test_no_private_data_leaves(api, decider):
    filing = _filing(decider, "隐私检查医院", 30, off_site=True)
    version = filing.current_version
    text = api.get(LIST).content.decode() + api.get(
        reverse("public-institution-detail", args=[filing.filing_number])).content.decode()
    secrets = [version.credit_code, version.licence_number, version.legal_representative,
               version.quality_manager, version.technical_manager, "演示文件", "quality_manual", "exam_types",
               "on_duty", *version.staff.values_list("name", flat=True),
               *version.staff.values_list("registration_number", flat=True),
               *version.vehicles.values_list("plate_number", flat=True),
               *version.equipment.values_list("serial_number", flat=True)]
    leaked = [s for s in secrets if s and s in text]
    assert not leaked


def test_the_api_is_read_only_and_needs_no_sign_in(api, decider):
    _filing(decider, "只读医院", 40)
    assert api.get(LIST).status_code == 200
    assert api.post(LIST, {}).status_code in (401, 403, 405)
    signed_in = APIClient()
    signed_in.force_authenticate(user=decider)
    assert signed_in.get(LIST).status_code == 200


# ---- Filters ------------------------------------------------------------------------

@pytest.fixture
def spread(decider):
    """Five filings: Nanguan (Changchun), Changchun city itself, Chuanying (Jilin city), a diagnosis
    institution in Chaoyang (Changchun), and one in Shenyang (Liaoning)."""
    return {
        "nanguan": _filing(decider, "南关区体检中心", 50, region_code="220102", off_site=True, items=[DUST]),
        "changchun": _filing(decider, "长春市中心医院", 51, region_code="220100", items=[LEAD, NOISE]),
        "chuanying": _filing(decider, "船营区医院", 52, region_code="220204", items=[DUST, LEAD]),
        "diagnosis": _filing(decider, "朝阳区职业病诊断中心", 53, region_code="220104", kind="diagnosis",
                             items=[SILICOSIS]),
        "shenyang": _filing(decider, "沈阳市和平区医院", 54, region_code="210102", items=[NOISE]),
    }


def _only(spread, *keys) -> list[str]:
    return sorted(spread[k].filing_number for k in keys)


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["nanguan", "changchun", "chuanying", "diagnosis", "shenyang"]),
    ({"q": "医院"}, ["changchun", "chuanying", "shenyang"]),
    ({"region": "220000"}, ["nanguan", "changchun", "chuanying", "diagnosis"]),
    ({"region": "220100"}, ["nanguan", "changchun", "diagnosis"]),
    ({"region": "220102"}, ["nanguan"]),
    ({"region": "220200"}, ["chuanying"]),
    ({"region": "210000"}, ["shenyang"]),
    ({"region": "210100"}, ["shenyang"]),
    ({"region": "220300"}, []),
    ({"kind": "diagnosis"}, ["diagnosis"]),
    ({"kind": "examination"}, ["nanguan", "changchun", "chuanying", "shenyang"]),
    ({"category": "dust"}, ["nanguan", "chuanying"]),
    ({"category": "OD-2013:1"}, ["diagnosis"]),
    ({"item": "GBZ188-2014:5.1"}, ["changchun", "chuanying"]),
    ({"item": "OD-2013:1.1"}, ["diagnosis"]),
    ({"off_site": "true"}, ["nanguan"]),
    ({"off_site": "false"}, ["changchun", "chuanying", "diagnosis", "shenyang"]),
    ({"region": "220100", "category": "chemical"}, ["changchun"]),
])
def test_filters(api, spread, params, expected):
    assert sorted(_numbers(api.get(LIST, params))) == _only(spread, *expected)


def test_query_matches_a_filing_number(api, spread):
    number = spread["chuanying"].filing_number
    assert _numbers(api.get(LIST, {"q": number})) == [number]


@pytest.mark.parametrize(("params", "field"), [
    ({"region": "999999"}, "region"),
    ({"region": "2201"}, "region"),
    ({"kind": "hospital"}, "kind"),
    ({"category": "noise"}, "category"),
    ({"item": "6.1"}, "item"),
    ({"item": "GBZ188-2014:99.9"}, "item"),
    ({"off_site": "maybe"}, "off_site"),
    ({"page": "first"}, "page"),
    ({"page_size": "0"}, "page_size"),
    ({"q": "长" * 101}, "q"),
])
def test_unknown_values_are_refused_with_400(api, decider, params, field):
    response = api.get(LIST, params)
    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert response.json()[field][0]


def test_a_known_category_without_entries_matches_nothing(api, spread):
    from filing.catalogue.models import CatalogueEdition, DiseaseCategory

    edition = CatalogueEdition.objects.create(code="OD-2099", series="OD", name="未来目录", kind="diseases",
                                              effective_from="2099-01-01")
    DiseaseCategory.objects.create(edition=edition, number="1", name="空类别", code="OD-2099:1")
    response = api.get(LIST, {"category": "OD-2099:1"})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_every_bad_value_is_named_at_once(api, decider):
    response = api.get(LIST, {"region": "999999", "kind": "x", "item": "y"})
    assert response.status_code == 400
    assert set(response.json()) == {"region", "kind", "item"}


# ---- Pagination and query counts -------------------------------------------------------

@pytest.fixture
def twelve(decider):
    return [_filing(decider, f"分页测试医院{n:02d}", 100 + n, items=[DUST, LEAD, NOISE]) for n in range(12)]


def test_pages_are_in_filing_number_order_with_links(api, twelve):
    first = api.get(LIST, {"page_size": 5}).json()
    assert first["count"] == 12 and first["previous"] is None
    assert "page=2" in first["next"] and "page_size=5" in first["next"]
    third = api.get(LIST, {"page_size": 5, "page": 3}).json()
    assert third["next"] is None and len(third["results"]) == 2
    numbers = [r["filing_number"] for p in (1, 2, 3) for r in api.get(LIST, {"page_size": 5, "page": p}).json()["results"]]
    assert numbers == sorted(f.filing_number for f in twelve)
    assert api.get(LIST, {"page": 9}).status_code == 404


def test_page_size_is_capped_at_100(api, twelve):
    assert len(api.get(LIST, {"page_size": 1000}).json()["results"]) == 12


@pytest.mark.parametrize("params", [{}, {"region": "220100", "category": "dust", "kind": "examination"},
                                    {"item": "GBZ188-2014:5.1", "off_site": "false", "q": "医院"}])
def test_list_queries_do_not_grow_with_page_size(api, twelve, params, django_assert_max_num_queries,
                                                  django_assert_num_queries):
    counts = []
    for size in (10, 100):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(LIST, {**params, "page_size": size})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # Computed: two queries for the page, plus one lookup per filter code (region, category, item).
    cache.clear()
    with django_assert_max_num_queries(2 + sum(k in params for k in ("region", "category", "item"))):
        api.get(LIST, {**params, "page_size": 100})
    # Served again from filing.public_cache while nothing changed (none when it is off).
    with django_assert_num_queries(0 if settings.PUBLIC_CACHE_SECONDS else counts[1]):
        api.get(LIST, {**params, "page_size": 100})


def test_detail_takes_two_queries(api, twelve, django_assert_num_queries):
    path = reverse("public-institution-detail", args=[twelve[0].filing_number])
    with django_assert_num_queries(2):
        api.get(path)
    with django_assert_num_queries(0 if settings.PUBLIC_CACHE_SECONDS else 2):
        api.get(path)


def test_the_schema_documents_the_public_api(api, decider):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/public/institutions/" in schema["paths"]
    assert "/api/v1/public/institutions/{filing_number}/" in schema["paths"]
