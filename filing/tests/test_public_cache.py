"""The public directory's cached responses: served without queries, dropped by every change.

Each test starts with an empty cache (the root conftest clears it). The services run inside
the test's transaction; django_capture_on_commit_callbacks(execute=True) runs the after-commit
bump as a real commit would.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from filing import public_cache
from filing.catalogue.services import catalogue_load_builtin
from filing.choices import ItemStatus
from filing.demo import demo_filing
from filing.services import filed_item_set_status, filing_cancel, open_version, version_accept
from portal.accounts.choices import Role
from portal.regions.models import Region
from portal.testing.factories import make_user

LIST = "/api/v1/public/institutions/"
PAGE = "/directory/"
DUST = {"code": "GBZ188-2014:6.1", "category": "dust", "exam_types": ["on_duty"]}
LEAD = {"code": "GBZ188-2014:5.1", "category": "chemical", "exam_types": ["on_duty"]}


@pytest.fixture(autouse=True)
def _cache_on(settings):
    # On whatever the cache backend (settings turn it on only with Redis; locmem works in-process).
    settings.PUBLIC_CACHE_SECONDS = 600


@pytest.fixture
def decider(reference_data):
    catalogue_load_builtin()
    return make_user(Role.QC_CENTER)


@pytest.fixture
def filed(decider):
    return [demo_filing(name=f"缓存测试医院{n}", decider=decider, seed=300 + n, items=[DUST, LEAD])
            for n in range(3)]


def _detail(number: str) -> str:
    return reverse("public-institution-detail", args=[number])


def _statuses(client, number: str) -> dict[str, str]:
    entry = client.get(_detail(number)).json()
    return {i["code"]: i["status"] for c in entry["categories"] for i in c["items"]}


# ---- Hits ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [LIST, f"{LIST}?region=220100&category=dust&page_size=2", PAGE,
                                  f"{PAGE}?category=dust&kind=examination"])
def test_a_repeated_request_is_served_without_queries(client, filed, path, django_assert_num_queries):
    first = client.get(path)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = client.get(path)
    assert again.status_code == 200
    if path.startswith(LIST):
        assert again.json() == first.json()
    else:
        assert filed[0].filing_number in again.content.decode()


def test_detail_pages_and_entries_are_cached_too(client, filed, django_assert_num_queries):
    number = filed[1].filing_number
    for path in (_detail(number), reverse("directory:detail", args=[number])):
        assert client.get(path).status_code == 200
        with django_assert_num_queries(0):
            assert number in client.get(path).content.decode()


def test_unknown_parameters_and_errors_are_not_cached(client, filed, django_assert_max_num_queries):
    for path in (f"{LIST}?utm_source=x", f"{LIST}?region=999999", f"{PAGE}?kind=hospital", _detail("220000-1999-0001")):
        first = client.get(path).status_code
        with django_assert_max_num_queries(5) as captured:
            assert client.get(path).status_code == first
        assert len(captured) >= 1, path


def test_off_when_the_setting_is_zero(client, filed, settings, django_assert_max_num_queries):
    settings.PUBLIC_CACHE_SECONDS = 0
    client.get(LIST)
    with django_assert_max_num_queries(2) as captured:
        client.get(LIST)
    assert len(captured) == 2


class _Down:
    def __getattr__(self, name):
        def down(*args, **kwargs):
            raise ConnectionError("cache down")
        return down


def test_a_failing_cache_falls_back_to_the_database(client, filed, monkeypatch):
    monkeypatch.setattr(public_cache, "_store_backend", _Down)
    response = client.get(LIST)
    assert response.status_code == 200 and response.json()["count"] == 3
    public_cache.directory_changed()  # logged, not raised


def test_the_same_works_through_djangos_cache_api(client, decider, filed, settings,
                                                  django_assert_num_queries, django_capture_on_commit_callbacks):
    """Without Redis (local memory here) entries go through Django's cache API."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert isinstance(public_cache._store_backend(), public_cache._DjangoStore)
    number = filed[0].filing_number
    assert _statuses(client, number)[DUST["code"]] == "active"
    with django_assert_num_queries(0):
        etag = client.get(_detail(number))["ETag"]
    assert client.get(_detail(number), HTTP_IF_NONE_MATCH=etag).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        filed_item_set_status(filing_id=filed[0].pk, item_code=DUST["code"], status=ItemStatus.SUSPENDED,
                              reason="质控考核不合格", actor=decider)
    assert _statuses(client, number)[DUST["code"]] == "suspended"
    public_cache._store_backend().delete_generation()
    with django_assert_num_queries(2):
        client.get(_detail(number))


# ---- Changes show at once ------------------------------------------------------------------

def test_an_accepted_filing_appears_on_the_next_request(client, decider, filed, django_capture_on_commit_callbacks):
    assert client.get(LIST).json()["count"] == 3
    assert "新备案医院" not in client.get(PAGE).content.decode()
    pending = demo_filing(name="新备案医院", decider=decider, seed=399, items=[DUST], outcome="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        version_accept(version_id=open_version(pending).pk, actor=decider, queue_receipt=False)
    pending.refresh_from_db()
    assert pending.filing_number in [r["filing_number"] for r in client.get(LIST).json()["results"]]
    assert "新备案医院" in client.get(PAGE).content.decode()


def test_a_suspended_item_shows_on_the_next_request(client, decider, filed, django_capture_on_commit_callbacks):
    number = filed[0].filing_number
    assert _statuses(client, number)[DUST["code"]] == "active"
    page = reverse("directory:detail", args=[number])
    assert "暂停" not in client.get(page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        filed_item_set_status(filing_id=filed[0].pk, item_code=DUST["code"], status=ItemStatus.SUSPENDED,
                              reason="质控考核不合格", actor=decider)
    assert _statuses(client, number)[DUST["code"]] == "suspended"
    assert "暂停" in client.get(page).content.decode()
    entry = next(r for r in client.get(LIST).json()["results"] if r["filing_number"] == number)
    assert {i["status"] for c in entry["categories"] for i in c["items"]} == {"active", "suspended"}


def test_a_cancelled_filing_leaves_on_the_next_request(client, decider, filed, django_capture_on_commit_callbacks):
    number = filed[2].filing_number
    assert client.get(_detail(number)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        filing_cancel(filing_id=filed[2].pk, actor=decider, reason="机构申请注销")
    assert client.get(_detail(number)).status_code == 404
    assert number not in [r["filing_number"] for r in client.get(LIST).json()["results"]]
    assert number not in client.get(PAGE).content.decode()


def test_drafts_and_submissions_leave_the_cache_alone(client, decider, filed, django_assert_num_queries):
    """Editing and submitting a first filing is not public: the cached responses stay valid."""
    client.get(PAGE)
    before = public_cache._lookup("unused")[0]
    demo_filing(name="送审医院", decider=decider, seed=398, items=[DUST], outcome="submitted")
    assert public_cache._lookup("unused")[0] == before
    with django_assert_num_queries(0):
        assert "送审医院" not in client.get(PAGE).content.decode()


def test_a_response_cached_before_the_commit_is_dropped_after_it(client, filed, django_capture_on_commit_callbacks):
    """A concurrent request may compute from the old data between the write's first bump and its
    commit, and cache that; the bump after commit makes it a miss."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        public_cache.directory_changed()
        client.get(LIST)  # stands for the concurrent request: cached under the new generation
        key = next(iter(_keys(LIST)))
        assert public_cache._lookup(key)[1] is not None
    for callback in callbacks:
        callback()
    assert public_cache._lookup(key)[1] is None


def _keys(path: str):
    from django.test import RequestFactory

    request = RequestFactory().get(path)
    yield public_cache._key(request, page=False)


def test_the_generation_survives_its_eviction_without_reviving_old_entries(client, filed,
                                                                           django_assert_num_queries):
    client.get(LIST)
    public_cache._store_backend().delete_generation()
    with django_assert_num_queries(2):  # a new generation: the old entry is not used
        client.get(LIST)


# ---- Pages: the same for every anonymous visitor but the CSRF token ---------------------------

def test_each_visitor_gets_a_working_csrf_token_from_the_cached_page(filed):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(PAGE)
    html = second.get(PAGE).content.decode()
    assert public_cache.CSRF_PLACEHOLDER.decode() not in html
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    # The language switch on the cached page works for the second visitor.
    response = second.post(reverse("set_language"), {"language": "en", "next": PAGE,
                                                     "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_signed_in_visitors_are_not_served_the_anonymous_page(client, filed, role_users):
    client.get(PAGE)
    user = role_users[Role.QC_CENTER]
    client.force_login(user)
    html = client.get(PAGE).content.decode()
    assert 'data-testid="who"' in html and str(user) in html


def test_the_language_is_part_of_the_key(client, filed):
    assert "备案机构名录" in client.get(PAGE).content.decode()
    client.cookies["django_language"] = "en"
    html = client.get(PAGE).content.decode()
    assert '<html lang="en">' in html


# ---- Conditional GET -----------------------------------------------------------------------

def test_the_api_answers_conditional_gets(client, decider, filed, django_capture_on_commit_callbacks):
    response = client.get(LIST)
    etag = response["ETag"]
    assert etag and "no-cache" in response["Cache-Control"] and "public" in response["Cache-Control"]
    not_modified = client.get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == etag
    with django_capture_on_commit_callbacks(execute=True):
        filed_item_set_status(filing_id=filed[0].pk, item_code=DUST["code"], status=ItemStatus.NOT_CAPABLE,
                              reason="现场核查不具备", actor=decider)
    changed = client.get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_bulk_import_appears_on_the_next_request(client, decider, django_capture_on_commit_callbacks):
    """The import writes with bulk_create and COPY; its job's last save bumps the generation."""
    from filing.tests.test_import import commit_job, create_job, good_workbook

    admin, jilin = make_user(Role.PROVINCE_ADMIN), Region.objects.get(code="220000")
    assert client.get(LIST).json()["count"] == 0
    job = create_job(good_workbook(2), admin, jilin, django_capture_on_commit_callbacks)
    commit_job(job, admin, django_capture_on_commit_callbacks)
    assert client.get(LIST).json()["count"] == 2
