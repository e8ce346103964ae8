"""The baseline the public API is measured against: the same JSON page, built by PostgreSQL
in ONE SQL statement (json_agg / json_build_object) and passed through as text.

It gets the same indexes and the same shape of plan as the API (the page's ids first, by the
filing-number index, then their rows), so the comparison measures the cost of the Python side.

It answers the unfiltered list only (page, page_size), which is what the benchmark requests.
"""

from django.db import connection
from django.http import HttpResponse
from rest_framework.utils.urls import remove_query_param, replace_query_param

from filing.public_selectors import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

BASELINE_SQL = """
WITH page_ids AS (
    SELECT id FROM filing_filing
    WHERE status = 'accepted' AND current_version_id IS NOT NULL
    ORDER BY filing_number
    LIMIT %(limit)s OFFSET %(offset)s
),
page AS (
    SELECT f.filing_number, f.kind, f.filed_on, f.current_version_id, v.name, v.address, v.phone,
           v.off_site, r.code AS region_code, r.name AS region_name
    FROM filing_filing f
    JOIN page_ids USING (id)
    JOIN filing_filingversion v ON v.id = f.current_version_id
    LEFT JOIN regions_region r ON r.id = v.region_id
),
total AS (
    SELECT count(*) AS n FROM filing_filing WHERE status = 'accepted' AND current_version_id IS NOT NULL
),
grouped AS (
    SELECT fi.version_id,
           COALESCE(ec.code, dc.code) AS code, COALESCE(ec.name, dc.name) AS name,
           COALESCE(ec."order", dc."order") AS position,
           json_agg(json_build_object('code', COALESCE(ei.code, d.code), 'name', COALESCE(ei.name, d.name),
                                      'status', fi.status)
                    ORDER BY COALESCE(ei."order", d."order"), fi.id) AS items
    FROM filing_fileditem fi
    LEFT JOIN catalogue_examitem ei ON ei.id = fi.exam_item_id
    LEFT JOIN catalogue_examcategory ec ON ec.id = ei.category_id
    LEFT JOIN catalogue_disease d ON d.id = fi.disease_id
    LEFT JOIN catalogue_diseasecategory dc ON dc.id = d.category_id
    WHERE fi.version_id IN (SELECT current_version_id FROM page)
    GROUP BY fi.version_id, 2, 3, 4
),
categories AS (
    SELECT version_id,
           json_agg(json_build_object('code', code, 'name', name, 'items', items) ORDER BY position) AS list
    FROM grouped GROUP BY version_id
)
SELECT json_build_object(
    'count', (SELECT n FROM total),
    'next', CASE WHEN %(offset)s + %(limit)s < (SELECT n FROM total) THEN %(next)s END,
    'previous', %(previous)s,
    'results', COALESCE((
        SELECT json_agg(json_build_object(
            'filing_number', p.filing_number, 'name', p.name, 'kind', p.kind, 'address', p.address,
            'region', CASE WHEN p.region_code IS NULL THEN NULL
                           ELSE json_build_object('code', p.region_code, 'name', p.region_name) END,
            'phone', p.phone, 'filed_on', p.filed_on, 'off_site', p.off_site,
            'categories', COALESCE(c.list, '[]'::json)) ORDER BY p.filing_number)
        FROM page p LEFT JOIN categories c ON c.version_id = p.current_version_id), '[]'::json)
)::text
"""


def baseline_institutions(request):
    page = max(1, int(request.GET.get("page") or 1))
    size = min(MAX_PAGE_SIZE, max(1, int(request.GET.get("page_size") or DEFAULT_PAGE_SIZE)))
    # The links the API gives, on the API's own path, so both bodies are equal.
    url = request.build_absolute_uri().replace(request.path, "/api/v1/public/institutions/")
    previous = None
    if page > 1:
        previous = remove_query_param(url, "page") if page == 2 else replace_query_param(url, "page", page - 1)
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, {"limit": size, "offset": (page - 1) * size,
                                      "next": replace_query_param(url, "page", page + 1), "previous": previous})
        body = cursor.fetchone()[0]
    return HttpResponse(body, content_type="application/json")
