"""Writes of the QC app, one module per sub-domain; import from here."""

from .assessments import (
    ScoreEntry,
    assessment_create,
    assessment_save_scores,
    assessments_recompute_for_scheme,
    compute_result,
    line_key,
)
from .samples import qc_samples_load
from .schemes import BandSpec, scheme_create, scheme_update
from .sheets import (
    ImportResult,
    SheetVersionLocked,
    TransitionError,
    assert_sheet_manager,
    assert_version_editable,
    indicator_update,
    sheet_activate,
    sheet_import,
    sheet_version_create,
    sheet_version_discard,
    sheet_version_new_from,
    sheet_version_publish,
    version_data,
)

__all__ = [
    "BandSpec", "ImportResult", "ScoreEntry", "SheetVersionLocked", "TransitionError", "assert_sheet_manager",
    "assert_version_editable", "assessment_create", "assessment_save_scores", "assessments_recompute_for_scheme",
    "compute_result", "indicator_update", "line_key", "qc_samples_load", "scheme_create", "scheme_update",
    "sheet_activate", "sheet_import", "sheet_version_create", "sheet_version_discard", "sheet_version_new_from",
    "sheet_version_publish", "version_data",
]
