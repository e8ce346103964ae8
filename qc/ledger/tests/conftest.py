"""Fixtures of the ledger tests: the Nanguan institution of ``role_users``, entries in any state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from portal.accounts.choices import Role
from qc.ledger.choices import LedgerSource, Severity
from qc.ledger.services import ledger_entry_open

from .builders import advance


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def institution_user(role_users):
    return role_users[Role.INSTITUTION]


@pytest.fixture
def institution(institution_user):
    return institution_user.organisation


@pytest.fixture
def qc_user(role_users):
    return role_users[Role.QC_CENTER]


@pytest.fixture
def make_entry(institution, qc_user, institution_user):
    """make(state="open", **fields) -> an entry of the Nanguan institution opened by the QC center and
    walked to ``state`` through the services."""

    def make(state: str = "open", *, actor=None, org=None, respondent=None, **fields):
        values = {"source": LedgerSource.QC_ASSESSMENT, "description": "主检医师未参加培训考核",
                  "severity": Severity.MAJOR, "requirement": "限期完成培训并报送证书",
                  "due_on": timezone.localdate() + timedelta(days=30), "responsible_name": "王质控", **fields}
        entry = ledger_entry_open(actor=actor or qc_user, institution=org or institution, **values)
        return advance(entry, state, decider=actor or qc_user, respondent=respondent or institution_user)

    return make


@pytest.fixture
def client_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make
