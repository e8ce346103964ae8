"""Who gets what on every QC URL (see tests/permission_matrix.py for the vocabulary).

Sheets and schemes: every authority and the national level read them; the
provincial QC center and administrator maintain them. Assessments: QC staff only,
and only the team (or a provincial administrator) scores. A Liaoning administrator
reaching for Jilin's objects gets 404; on pages without an object they act on
Liaoning's own data, so a write there is theirs to make.
"""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.accounts.choices import Role
from tests.permission_matrix import (
    AUTHORITIES_AND_NATIONAL,
    NOT_ALLOWED,
    NOT_FOUND,
    REFUSED,
    WRITTEN,
    Ctx,
    Entry,
    only,
    signed_in,
)

QC = (Role.QC_CENTER, Role.PROVINCE_ADMIN)
READ_SHEETS = only(*AUTHORITIES_AND_NATIONAL)
READ_SHEET_OBJECT = only(*AUTHORITIES_AND_NATIONAL, other_province=NOT_FOUND)
MANAGE_PAGE = only(*QC)
MANAGE_OBJECT_PAGE = only(*QC, other_province=NOT_FOUND)
MANAGE_OBJECT_WRITE = only(*QC, allowed=WRITTEN, other_province=NOT_FOUND)
POST_ONLY_GET = only(*QC, allowed=NOT_ALLOWED, other_province=NOT_ALLOWED)


def _qc(ctx: Ctx) -> dict:
    """Jilin's QC objects, made once per entry: the sample sheets and scheme, an assessment of the
    matrix institution scored by the matrix QC user with one evidence file, and a second, inactive
    institution-level sheet with a draft version."""
    if "qc" in ctx.objects:
        return ctx.objects["qc"]
    from qc.models import Indicator, QCScheme, ScoringSheet
    from qc.services import (
        ScoreEntry,
        assessment_create,
        assessment_save_scores,
        qc_samples_load,
        sheet_version_create,
        version_data,
    )

    from .helpers import file_institution

    org = ctx.objects["organisation"]
    qc_user = ctx.users[Role.QC_CENTER]
    qc_samples_load(province=org.province, actor=None)
    file_institution(org, ("dust", "physical"))
    assessment = assessment_create(province=org.province, institution=org, year=2026, assessed_on=date(2026, 5, 20),
                                   team_ids=[qc_user.pk], actor=qc_user)
    sheet = assessment.sheets.get(category="")
    line = Indicator.objects.get(version=sheet.version, code="3.2.1")
    assessment_save_scores(assessment_id=assessment.pk, actor=qc_user, entries=[ScoreEntry(
        assessment_sheet_id=sheet.pk, indicator_id=line.pk, deducted="1",
        evidence=SimpleUploadedFile("检定证书.pdf", b"%PDF-1.4 matrix"))])
    data = version_data(sheet.version)
    data.code, data.name = "JL-MATRIX", "另一张机构综合评分表"
    draft = sheet_version_create(province=org.province, data=data, actor=None)
    objects = {
        "assessment": assessment, "sheet": sheet, "line": line,
        "score": sheet.scores.get(indicator=line),
        "frozen": sheet.version, "draft": draft,
        "draft_indicator": Indicator.objects.get(version=draft, code="6.2.3"),
        "inactive_sheet": ScoringSheet.objects.get(province=org.province, code="JL-MATRIX"),
        "scheme": QCScheme.objects.get(province=org.province, year=2026),
    }
    ctx.objects["qc"] = objects
    return objects


def _url(name: str, key: str | None = None):
    """The URL of ``name``, for the object ``key`` of :func:`_qc`; list pages get the objects too."""

    def build(ctx: Ctx) -> str:
        objects = _qc(ctx)
        return reverse(name, args=[objects[key].pk]) if key else reverse(name)

    return build


def _sheet_file(ctx: Ctx, caller: str) -> dict:
    from .helpers import workbook

    return {"file": SimpleUploadedFile("sheet.xlsx", workbook({"评分表代码": f"M-{caller}"[:32], "名称": "矩阵评分表",
                                                                 "考核部分": "机构综合", "适用年度": 2026})),
            "province": ctx.objects["organisation"].province_id}


def _scheme_form(ctx: Ctx, caller: str) -> dict:
    return {"year": "2030", "name": f"2030年度方案 {caller}", "institution_weight": "40", "work_sample_weight": "60",
            "work_sample_averaging": "mean", "key_item_fails": "on", "key_item_pass_ratio": "0.6",
            "bands": "优秀 90 合格\n合格 70 合格\n不合格 0 不合格",
            "province": ctx.objects["organisation"].province_id}


def _line_field(ctx: Ctx) -> str:
    objects = _qc(ctx)
    return f"{objects['sheet'].pk}-{objects['line'].pk}"


def _line_url(ctx: Ctx) -> str:
    objects = _qc(ctx)
    return reverse("qc:assessment-line", args=[objects["assessment"].pk, objects["sheet"].pk, objects["line"].pk])


MATRIX: dict[str, Entry] = {
    "qc:index": Entry(signed_in()),
    # Sheets.
    "qc:sheet-list": Entry(READ_SHEETS, url=_url("qc:sheet-list")),
    "qc:sheet-import": Entry(
        MANAGE_PAGE, post=only(*QC, allowed=WRITTEN), data=_sheet_file,
        note="a Liaoning administrator imports into Liaoning; platform administrators name the province",
    ),
    "qc:sheet-template": Entry(MANAGE_PAGE),
    "qc:sheet-activate": Entry(
        POST_ONLY_GET, url=_url("qc:sheet-activate", "inactive_sheet"),
        post=MANAGE_OBJECT_WRITE, data=lambda ctx, caller: {},
    ),
    "qc:version-detail": Entry(READ_SHEET_OBJECT, url=_url("qc:version-detail", "frozen")),
    "qc:version-export": Entry(READ_SHEET_OBJECT, url=_url("qc:version-export", "frozen")),
    "qc:version-publish": Entry(
        POST_ONLY_GET, url=_url("qc:version-publish", "draft"), post=MANAGE_OBJECT_WRITE, data=lambda ctx, caller: {},
    ),
    "qc:version-copy": Entry(
        POST_ONLY_GET, url=_url("qc:version-copy", "frozen"), post=MANAGE_OBJECT_WRITE, data=lambda ctx, caller: {},
        note="revising a frozen version copies it into a new draft",
    ),
    "qc:version-discard": Entry(
        POST_ONLY_GET, url=_url("qc:version-discard", "draft"), post=MANAGE_OBJECT_WRITE,
        data=lambda ctx, caller: {},
    ),
    "qc:indicator-edit": Entry(
        MANAGE_OBJECT_PAGE, url=_url("qc:indicator-edit", "draft_indicator"), post=MANAGE_OBJECT_WRITE,
        data=lambda ctx, caller: {"title": f"按要求报送年度工作总结 {caller}", "max_points": "1",
                                  "deduction_rule": "未报送不得分", "applicability": "always"},
    ),
    # Schemes.
    "qc:scheme-list": Entry(READ_SHEETS, url=_url("qc:scheme-list")),
    "qc:scheme-create": Entry(
        MANAGE_PAGE, post=only(*QC, allowed=WRITTEN), data=_scheme_form,
        note="a Liaoning administrator creates Liaoning's scheme",
    ),
    "qc:scheme-edit": Entry(
        MANAGE_OBJECT_PAGE, url=_url("qc:scheme-edit", "scheme"), post=MANAGE_OBJECT_WRITE,
        data=lambda ctx, caller: {k: v for k, v in _scheme_form(ctx, caller).items() if k not in ("year", "province")},
    ),
    # Assessments.
    "qc:assessment-list": Entry(MANAGE_PAGE, url=_url("qc:assessment-list")),
    "qc:assessment-create": Entry(
        MANAGE_PAGE, url=_url("qc:assessment-create"),
        post=only(*QC, allowed=WRITTEN, other_province=REFUSED),
        data=lambda ctx, caller: {"institution": ctx.objects["organisation"].pk, "year": "2026",
                                  "assessed_on": "2026-06-01", "kind": "official",
                                  "team": [ctx.users[Role.QC_CENTER].pk]},
        note="other province: the Jilin institution is not among the choices",
    ),
    "qc:assessment-detail": Entry(
        MANAGE_OBJECT_PAGE, url=_url("qc:assessment-detail", "assessment"), post=MANAGE_OBJECT_WRITE,
        data=lambda ctx, caller: {f"d-{_line_field(ctx)}": "2", f"n-{_line_field(ctx)}": caller},
        note="the QC user is on the team; provincial and platform administrators may score too",
    ),
    "qc:assessment-line": Entry(
        MANAGE_OBJECT_PAGE, url=_line_url, post=MANAGE_OBJECT_WRITE,
        data=lambda ctx, caller: {"deducted": "1.5", "note": caller},
    ),
    "qc:score-evidence": Entry(
        MANAGE_OBJECT_PAGE,
        url=lambda ctx: reverse("qc:score-evidence", args=[_qc(ctx)["assessment"].pk, _qc(ctx)["score"].pk]),
    ),
}
