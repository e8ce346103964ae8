"""The filters the dashboards' links rely on, added to the lists of other apps: malformed values are
ignored (the whole list), never an error, and they narrow within the user's scope only."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def count(client, url: str, pattern: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return len(set(re.findall(pattern, response.content.decode())))


VERIFICATIONS = r'href="/inspections/verifications/(\d+)/"'
FILINGS = r'href="/filing/(\d+)/"'
ENTRIES = r'data-entry="(\d+)"'
ASSESSMENTS = r'href="/qc/assessments/(\d+)/"'


def test_verification_list_due_within_and_province(client, dataset, users):
    client.force_login(users["national"])
    base = reverse("inspections:verification-list")
    assert count(client, base, VERIFICATIONS) == 6
    assert count(client, f"{base}?due_within=30", VERIFICATIONS) == 1
    assert count(client, f"{base}?due_within=60", VERIFICATIONS) == 2
    assert count(client, f"{base}?due_within=abc", VERIFICATIONS) == 6
    jilin = users["province"].organisation.province_id
    assert count(client, f"{base}?province={jilin}", VERIFICATIONS) == 5
    assert count(client, f"{base}?province=-1", VERIFICATIONS) == 6
    # A province commission asking for another province gets nothing of it.
    client.force_login(users["province"])
    other = users["liaoning"].organisation.province_id
    assert count(client, f"{base}?province={other}", VERIFICATIONS) == 0


def test_filing_list_waiting_overdue_and_province(client, dataset, users):
    client.force_login(users["city"])
    base = reverse("filing:index")
    assert count(client, f"{base}?waiting=1", FILINGS) == 2
    assert count(client, f"{base}?overdue=1", FILINGS) == 1
    assert count(client, f"{base}?waiting=yes", FILINGS) == 5  # ignored: every filing of Changchun
    client.force_login(users["national"])
    jilin = users["province"].organisation.province_id
    assert count(client, f"{base}?waiting=1&province={jilin}", FILINGS) == 3


def test_filing_queue_overdue(client, dataset, users):
    client.force_login(users["qc"])
    base = reverse("filing:queue")
    pattern = r'href="/filing/versions/(\d+)/"'
    assert count(client, base, pattern) == 3
    assert count(client, f"{base}?overdue=1", pattern) == 2
    assert count(client, f"{base}?overdue=true", pattern) == 3


def test_ledger_list_open_only(client, dataset, users):
    client.force_login(users["province"])
    base = reverse("ledger:list")
    assert count(client, base, ENTRIES) == 6
    assert count(client, f"{base}?open_only=on", ENTRIES) == 3
    assert count(client, f"{base}?open_only=on&overdue_only=on", ENTRIES) == 2
    page = client.get(f"{base}?open_only=on").content.decode()
    assert 'name="open_only" value="on" checked' in page


def test_assessment_list_final_and_region(client, dataset, users):
    client.force_login(users["qc"])
    base = reverse("qc:assessment-list")
    year = dataset.today.year
    assert count(client, f"{base}?year={year}", ASSESSMENTS) == 5  # with the draft and the self-assessment
    assert count(client, f"{base}?year={year}&final=1", ASSESSMENTS) == 3
    assert count(client, f"{base}?year={year}&final=1&region={dataset.changchun.pk}", ASSESSMENTS) == 2
    assert count(client, f"{base}?year={year}&final=1&region={dataset.county.pk}", ASSESSMENTS) == 1
    assert count(client, f"{base}?year={year}&final=1&region=x", ASSESSMENTS) == 3


def test_assessment_list_filter_form_keeps_final_and_region(client, dataset, users):
    client.force_login(users["qc"])
    page = client.get(reverse("qc:assessment-list") + f"?final=1&region={dataset.changchun.pk}").content.decode()
    assert '<input type="hidden" name="final" value="1">' in page
    assert f'<input type="hidden" name="region" value="{dataset.changchun.pk}">' in page


def test_verification_list_pending_matches_the_index_card(client, dataset, users):
    client.force_login(users["national"])
    base = reverse("inspections:verification-list")
    pending = count(client, f"{base}?pending=1", VERIFICATIONS)
    assert 0 < pending <= count(client, base, VERIFICATIONS)
    assert count(client, f"{base}?pending=1&status=signed_off", VERIFICATIONS) == 0
