"""Downloading the files kept with a spot-check record, for whoever may read that record."""

from __future__ import annotations

from django.http import Http404

from portal.accounts.permissions import require_capability
from portal.core.uploads import stored_file_response

from . import selectors
from .models import SpotCheckEvidence


@require_capability("supervision.view")
def check_evidence(request, pk: int, evidence_id: int):
    # The check comes from the scoped queryset: other areas and provinces get the same 404 as a wrong id.
    evidence = (SpotCheckEvidence.objects.select_related("file")
                .filter(pk=evidence_id, spot_check__in=selectors.visible_checks(request.user).filter(pk=pk))
                .first())
    if evidence is None:
        raise Http404
    return stored_file_response(evidence.file)
