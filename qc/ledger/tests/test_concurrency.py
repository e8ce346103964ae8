"""Two deciders press "accept" at the same moment: the row lock lets one through, the other
gets a transition error (409 on the page). Needs PostgreSQL: SQLite has no row locks."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.testing.concurrency import race
from qc.ledger.choices import LedgerStatus
from qc.ledger.services import TransitionError, ledger_entry_accept_plan

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_two_accepts_one_wins_the_other_gets_a_transition_error(make_entry, role_users, qc_user):
    entry = make_entry("plan_submitted")
    commission = role_users[Role.COMMISSION_PROVINCE]
    results = race([lambda: ledger_entry_accept_plan(entry_id=entry.pk, actor=qc_user),
                     lambda: ledger_entry_accept_plan(entry_id=entry.pk, actor=commission)])
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], TransitionError), results
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.ACCEPTED
    assert entry.steps.filter(kind="plan_accepted").count() == 1
    assert AuditEntry.objects.filter(action="ledger.entry.plan_accepted").count() == 1


def test_a_double_submitted_accept_form_answers_409_the_second_time(make_entry, role_users, qc_user):
    entry = make_entry("plan_submitted")
    clients = []
    for user in (qc_user, role_users[Role.COMMISSION_CITY]):
        client = Client()
        client.force_login(user)
        clients.append(client)
    url = reverse("ledger:accept-plan", args=[entry.pk])
    results = race([lambda c=c: c.post(url, {"status_seen": "plan_submitted"}).status_code for c in clients])
    assert sorted(results) == [302, 409], results
