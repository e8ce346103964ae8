"""The public directory pages and their downloads (Excel and CSV)."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from filing.catalogue.services import catalogue_load_builtin
from filing.choices import ItemStatus
from filing.demo import demo_filing
from portal.accounts.choices import Role
from portal.core.exports import CSV_BOM, Exporter, csv_bytes, neutralise, xlsx_bytes
from portal.testing.factories import make_user

DUST = {"code": "GBZ188-2014:6.1", "category": "dust", "exam_types": ["on_duty"]}
LEAD = {"code": "GBZ188-2014:5.1", "category": "chemical", "exam_types": ["on_duty"]}
SILICOSIS = {"code": "OD-2013:1.1", "category": "OD-2013:1", "exam_types": []}


@pytest.fixture
def decider(reference_data, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    catalogue_load_builtin()
    return make_user(Role.QC_CENTER)


def _filing(decider, name, seed, **kwargs):
    kwargs.setdefault("items", [DUST, LEAD])
    return demo_filing(name=name, decider=decider, seed=seed, **kwargs)


# ---- Pages --------------------------------------------------------------------------

def test_home_links_to_the_directory(client, reference_data):
    assert reverse("directory:list") in client.get(reverse("core:public-home")).content.decode()


def test_list_shows_filed_institutions_only(client, decider):
    shown = _filing(decider, "长春市南关区职业病防治所", 1, item_status=ItemStatus.SUSPENDED)
    _filing(decider, "草稿中的医院", 2, outcome="draft")
    _filing(decider, "已注销的医院", 3, outcome="cancelled")
    response = client.get(reverse("directory:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "长春市南关区职业病防治所" in html and shown.filing_number in html
    assert "草稿中的医院" not in html and "已注销的医院" not in html
    assert "1项暂停或不具备" in html
    assert reverse("directory:export", args=["xlsx"]) in html


def test_list_filters_and_keeps_them_in_links(client, decider):
    _filing(decider, "南关区医院", 10, region_code="220102")
    _filing(decider, "船营区医院", 11, region_code="220204")
    response = client.get(reverse("directory:list"), {"region": "220100", "category": "dust", "page_size": "1"})
    html = response.content.decode()
    assert "南关区医院" in html and "船营区医院" not in html
    assert "region=220100&amp;category=dust" in html  # export links carry the filters
    assert "矽尘（GBZ188-2014:6.1）" in html  # the item choices follow the category


def test_bad_filter_values_are_explained(client, decider):
    response = client.get(reverse("directory:list"), {"region": "123456", "kind": "x"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "未知的行政区划代码“123456”" in html and "机构类型只能是" in html


def test_region_choices_unfold_under_the_chosen_region(client, reference_data):
    html = client.get(reverse("directory:list")).content.decode()
    assert 'value="220000"' in html and 'value="210000"' in html
    assert 'value="220100"' not in html
    html = client.get(reverse("directory:list"), {"region": "220102"}).content.decode()
    assert 'value="220102" selected' in html
    assert 'value="220100"' in html and 'value="220200"' in html and 'value="220103"' in html
    assert 'value="220202"' not in html and 'value="210100"' not in html


def test_detail_shows_items_with_their_status(client, decider):
    filing = _filing(decider, "诊断机构", 20, kind="diagnosis", items=[SILICOSIS], region_code="220204",
                     item_status=ItemStatus.NOT_CAPABLE)
    response = client.get(reverse("directory:detail", args=[filing.filing_number]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "吉林省吉林市船营区" in html
    assert "矽肺" in html and "不具备能力" in html and 'class="badge bad"' in html
    assert "职业病诊断机构" in html


def test_detail_of_a_cancelled_or_unknown_filing_is_404(client, decider):
    cancelled = _filing(decider, "注销机构", 21, outcome="cancelled")
    assert client.get(reverse("directory:detail", args=[cancelled.filing_number])).status_code == 404
    assert client.get(reverse("directory:detail", args=["nothing"])).status_code == 404


def test_the_page_never_shows_private_data(client, decider):
    filing = _filing(decider, "隐私医院", 22, off_site=True)
    version = filing.current_version
    html = client.get(reverse("directory:list")).content.decode()
    html += client.get(reverse("directory:detail", args=[filing.filing_number])).content.decode()
    private = [version.credit_code, version.licence_number, version.legal_representative,
               *version.staff.values_list("name", flat=True)]
    assert not [p for p in private if p in html]


@pytest.fixture
def twelve(decider):
    return [_filing(decider, f"页面分页医院{n:02d}", 100 + n, items=[DUST, LEAD]) for n in range(12)]


@pytest.mark.parametrize("params", [{}, {"region": "220100", "category": "dust"}, {"item": "GBZ188-2014:5.1"}])
def test_page_queries_do_not_grow_with_page_size(client, twelve, params, django_assert_max_num_queries):
    counts = []
    for size in (10, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("directory:list"), {**params, "page_size": size})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # The page, the region and category choices, the item choices once a category or item is
    # chosen, and one lookup per filter code.
    lookups = sum(k in params for k in ("region", "category", "item"))
    cache.clear()
    with django_assert_max_num_queries(4 + lookups + ("category" in params or "item" in params)):
        client.get(reverse("directory:list"), {**params, "page_size": 100})
    # Served again from filing.public_cache while nothing changed (none when it is off).
    with django_assert_max_num_queries(0 if settings.PUBLIC_CACHE_SECONDS else counts[1]):
        client.get(reverse("directory:list"), {**params, "page_size": 100})


def test_detail_page_queries(client, twelve, django_assert_max_num_queries):
    path = reverse("directory:detail", args=[twelve[0].filing_number])
    with django_assert_max_num_queries(3):  # the entry (two), and the region's full name
        client.get(path)
    with django_assert_max_num_queries(0 if settings.PUBLIC_CACHE_SECONDS else 3):
        client.get(path)


# ---- Downloads ----------------------------------------------------------------------

def _csv_rows(response) -> list[list[str]]:
    data = b"".join(response.streaming_content)
    assert data.startswith(CSV_BOM.encode("utf-8"))
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_download_is_dated_with_bom_and_neutralised(client, decider):
    filing = _filing(decider, "=HYPERLINK(\"http://x\")医院", 30, off_site=True, item_status=ItemStatus.SUSPENDED)
    response = client.get(reverse("directory:export", args=["csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0] == ["生成日期", timezone.localdate().isoformat()]
    assert rows[1][:3] == ["备案编号", "机构名称", "机构类型"]
    (row,) = rows[2:]
    assert row[0] == filing.filing_number
    assert row[1] == "'=HYPERLINK(\"http://x\")医院"
    assert row[2] == "职业健康检查机构" and row[8] == "是"
    assert row[9] == "接触粉尘类；接触化学因素类"
    assert row[10] == "矽尘（暂停）；铅及其无机化合物"


def test_xlsx_download_follows_the_filters(client, decider):
    _filing(decider, "@SUM(A1)诊断机构", 31, kind="diagnosis", items=[SILICOSIS])
    _filing(decider, "检查机构", 32)
    response = client.get(reverse("directory:export", args=["xlsx"]), {"kind": "diagnosis"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][0] == "生成日期" and rows[0][1].date() == timezone.localdate()
    assert rows[1][0] == "备案编号"
    assert len(rows) == 3
    assert rows[2][1] == "'@SUM(A1)诊断机构"
    assert sheet.cell(row=3, column=2).data_type == "s"
    assert rows[2][10] == "矽肺"


def test_download_rejects_bad_filters_and_formats(client, decider):
    assert client.get(reverse("directory:export", args=["csv"]), {"region": "x"}).status_code == 400
    assert client.get(reverse("directory:export", args=["pdf"])).status_code == 404


def test_download_queries_do_not_grow_with_rows(client, twelve, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # two queries per 500 institutions
        response = client.get(reverse("directory:export", args=["csv"]))
        assert len(_csv_rows(response)) == 14


# ---- The export framework -----------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+86 431", "'+86 431"), ("-2", "'-2"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("正常", "正常"), ("a=b", "a=b"), (5, 5), (None, None),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


class _Tiny(Exporter):
    filename = "tiny"
    sheet_title = "小表"

    def header(self):
        return ["名称", "=公式", "日期", "数量"]

    def rows(self):
        yield ["一", "-1", timezone.localdate(), 3]
        yield [None, "@x", None, None]


def test_exporter_writes_both_formats():
    text = csv_bytes(_Tiny()).decode("utf-8")
    assert text.startswith(CSV_BOM + "生成日期,")
    lines = list(csv.reader(io.StringIO(text.lstrip(CSV_BOM))))
    assert lines[1] == ["名称", "'=公式", "日期", "数量"]
    assert lines[2] == ["一", "'-1", timezone.localdate().isoformat(), "3"]
    assert lines[3] == ["", "'@x", "", ""]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(_Tiny())))["小表"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[1] == ["名称", "'=公式", "日期", "数量"]
    assert values[2][1] == "'-1" and values[2][3] == 3
