"""Versions of a sheet: publishing checks the whole tree, a version in use is frozen, revising copies it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.accounts.choices import Role
from qc.choices import SheetVersionStatus
from qc.models import Indicator, ScoringSheet, SheetVersion
from qc.services import (
    SheetVersionLocked,
    TransitionError,
    assessment_create,
    indicator_update,
    sheet_activate,
    sheet_import,
    sheet_version_discard,
    sheet_version_new_from,
    sheet_version_publish,
)

from .helpers import workbook


def _edit(indicator, actor, **changes):
    values = {"title": indicator.title, "max_points": indicator.max_points, "deduction_rule": indicator.deduction_rule,
              "deduction_per_occurrence": indicator.deduction_per_occurrence, "is_key": indicator.is_key,
              "applicability": indicator.applicability, "applicable_category": indicator.applicable_category}
    return indicator_update(indicator_id=indicator.pk, actor=actor, **{**values, **changes})


def _draft(province, actor):
    result = sheet_import(province=province, file=SimpleUploadedFile("s.xlsx", workbook()), actor=actor)
    assert result.ok, result.messages
    return result.version


def test_publishing_checks_the_sums_again(province, qc_user):
    draft = _draft(province, qc_user)
    leaf = Indicator.objects.get(version=draft, code="1.1")
    _edit(leaf, qc_user, max_points=Decimal("50"))

    with pytest.raises(ValidationError) as exc:
        sheet_version_publish(version_id=draft.pk, actor=qc_user)
    assert any("下级指标（1.1）分值合计 50.0 分，与「1」的分值 60.0 分不一致" in m for m in exc.value.messages)
    draft.refresh_from_db()
    assert draft.status == SheetVersionStatus.DRAFT

    _edit(leaf, qc_user, max_points=Decimal("60"))
    sheet_version_publish(version_id=draft.pk, actor=qc_user)
    draft.refresh_from_db()
    assert draft.status == SheetVersionStatus.PUBLISHED and draft.published_at is not None


def test_a_published_version_is_not_edited_in_place(province, qc_user):
    draft = _draft(province, qc_user)
    sheet_version_publish(version_id=draft.pk, actor=qc_user)
    leaf = Indicator.objects.get(version=draft, code="2.1")
    with pytest.raises(SheetVersionLocked) as exc:
        _edit(leaf, qc_user, title="改写")
    assert exc.value.code == "version_published"
    assert "已发布，不能修改" in exc.value.messages[0]


def test_a_version_used_by_an_assessment_is_frozen_and_refuses_edits(make_assessment, qc_user):
    assessment = make_assessment()
    used = assessment.sheets.get(category="").version
    assert used.status == SheetVersionStatus.FROZEN and used.frozen_at is not None
    leaf = Indicator.objects.get(version=used, code="2.1.1")

    with pytest.raises(SheetVersionLocked) as exc:
        _edit(leaf, qc_user, title="主检医师资质（改）")
    assert exc.value.code == "version_frozen"
    assert "已被考核使用并冻结，不能修改" in exc.value.messages[0]
    leaf.refresh_from_db()
    assert leaf.title.startswith("主检医师资质：")
    with pytest.raises(SheetVersionLocked):
        sheet_version_discard(version_id=used.pk, actor=qc_user)
    with pytest.raises(TransitionError):
        sheet_version_publish(version_id=used.pk, actor=qc_user)


def test_revising_a_frozen_version_makes_a_new_one_and_old_assessments_keep_theirs(
        make_assessment, filed_institution, qc_user, province):
    first = make_assessment()
    frozen = first.sheets.get(category="").version
    draft = sheet_version_new_from(version_id=frozen.pk, actor=qc_user)

    assert (draft.number, draft.status, draft.copied_from_id) == (2, SheetVersionStatus.DRAFT, frozen.pk)
    copied = list(draft.indicators.order_by("order").values_list("code", "title", "max_points", "is_key", "is_leaf",
                                                                 "applicability", "applicable_category"))
    assert copied == list(frozen.indicators.order_by("order").values_list(
        "code", "title", "max_points", "is_key", "is_leaf", "applicability", "applicable_category"))
    with pytest.raises(TransitionError) as exc:
        sheet_version_new_from(version_id=frozen.pk, actor=qc_user)
    assert exc.value.code == "draft_exists"

    _edit(draft.indicators.get(code="6.2.3"), qc_user, title="按要求报送年度工作总结、统计报表和质控自查报告")
    sheet_version_publish(version_id=draft.pk, actor=qc_user)
    second = assessment_create(province=province, institution=filed_institution(("dust",)), year=2026,
                               assessed_on=date(2026, 6, 1), team_ids=[qc_user.pk], actor=qc_user)

    assert second.sheets.get(category="").version_id == draft.pk
    assert first.sheets.get(category="").version_id == frozen.pk
    assert SheetVersion.objects.get(pk=draft.pk).status == SheetVersionStatus.FROZEN


def test_a_draft_can_be_discarded(province, qc_user):
    draft = _draft(province, qc_user)
    sheet_version_discard(version_id=draft.pk, actor=qc_user)
    assert not SheetVersion.objects.exists() and not ScoringSheet.objects.exists()


def test_a_city_qc_center_does_not_maintain_provincial_sheets(province, make_user):
    city_qc = make_user(Role.QC_CENTER, region_code="220100")
    with pytest.raises(PermissionDenied):
        sheet_import(province=province, file=SimpleUploadedFile("s.xlsx", workbook()), actor=city_qc)


def test_a_second_sheet_for_the_same_part_waits_until_activated(province, qc_user):
    first = _draft(province, qc_user).sheet
    other = sheet_import(province=province, actor=qc_user, file=SimpleUploadedFile(
        "s.xlsx", workbook({"评分表代码": "T-2", "名称": "另一张", "考核部分": "机构综合", "适用年度": 2026}))).version.sheet
    assert first.is_active and not other.is_active
    sheet_activate(sheet_id=other.pk, actor=qc_user)
    first.refresh_from_db()
    other.refresh_from_db()
    assert other.is_active and not first.is_active


def test_edits_to_a_draft_are_checked_line_by_line(province, qc_user):
    draft = _draft(province, qc_user)
    parent = Indicator.objects.get(version=draft, code="1")
    leaf = Indicator.objects.get(version=draft, code="1.1")
    with pytest.raises(ValidationError) as exc:
        _edit(leaf, qc_user, max_points=Decimal("0.15"), deduction_rule="", deduction_per_occurrence=Decimal("1"))
    assert set(exc.value.message_dict) == {"max_points", "deduction_rule", "deduction_per_occurrence"}
    with pytest.raises(ValidationError) as exc:
        _edit(parent, qc_user, is_key=True)
    assert exc.value.message_dict == {"is_key": ["关键项只能设在末级指标。"]}
    with pytest.raises(ValidationError) as exc:
        _edit(leaf, qc_user, applicability="category_only")
    assert "applicable_category" in exc.value.message_dict
