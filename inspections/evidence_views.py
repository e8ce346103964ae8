"""Downloading the evidence kept with a verification's checklist answers.

Evidence (photos of premises, certificates, records) says more about an institution's staff
and rooms than the verdict does, so it is narrower than the case page: the provincial verifiers
and supervisors, and the institution for its own case. The case is fetched from the scoped
queryset and the file must belong to one of its answers, so "not yours" and "not there" are
the same 404.
"""

from __future__ import annotations

from django.http import Http404

from portal.accounts.permissions import require_capability
from portal.core.models import StoredFile
from portal.core.uploads import stored_file_response

from .models import ChecklistAnswer, VerificationCase


@require_capability("inspections.view_verification_evidence")
def verification_evidence(request, pk: int, file_id: int):
    case = VerificationCase.objects.restrict(request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    stored = StoredFile.objects.filter(
        pk=file_id,
        pk__in=ChecklistAnswer.evidence.through.objects.filter(checklistanswer__case=case).values("storedfile_id"),
    ).first()
    if stored is None:
        raise Http404
    return stored_file_response(stored)
