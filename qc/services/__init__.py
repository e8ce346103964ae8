"""Writes of the QC app, one module per sub-domain; import from here."""

from .assessments import (
    ScoreEntry,
    assessment_create,
    assessment_save_scores,
    assessments_recompute_for_scheme,
    compute_result,
    line_key,
)
from .plans import plan_create, plan_item_add, plan_item_remove
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
from .workflow import (
    PointInput,
    ResponseWindowClosed,
    assessment_answer,
    assessment_finalise,
    assessment_flag,
    assessment_open_findings,
    assessment_respond,
    assessment_save_indicators,
    assessment_send,
    assessment_suspend_categories,
)

__all__ = [
    "BandSpec", "ImportResult", "ScoreEntry", "SheetVersionLocked", "TransitionError", "assert_sheet_manager",
    "assert_version_editable", "assessment_create", "assessment_save_scores", "assessments_recompute_for_scheme",
    "compute_result", "indicator_update", "line_key", "qc_samples_load", "scheme_create", "scheme_update",
    "sheet_activate", "sheet_import", "sheet_version_create", "sheet_version_discard", "sheet_version_new_from",
    "sheet_version_publish", "version_data",
    "PointInput", "ResponseWindowClosed", "assessment_answer", "assessment_finalise", "assessment_flag",
    "assessment_open_findings", "assessment_respond", "assessment_save_indicators", "assessment_send",
    "assessment_suspend_categories", "plan_create", "plan_item_add", "plan_item_remove",
]
