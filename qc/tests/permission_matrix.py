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
    FORBIDDEN,
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
    objects.update(_workflow_objects(ctx, org, qc_user))
    ctx.objects["qc"] = objects
    return objects


def _workflow_objects(ctx: Ctx, org, qc_user) -> dict:
    """Assessments of the matrix institution in each step of the fair process, a self-assessment and a
    plan with one item."""
    from datetime import timedelta

    from qc.models import Indicator
    from qc.services import (
        PointInput,
        ScoreEntry,
        assessment_create,
        assessment_finalise,
        assessment_respond,
        assessment_save_scores,
        assessment_send,
        plan_create,
        plan_item_add,
    )

    institution_user = ctx.users[Role.INSTITUTION]
    old = date.today() - timedelta(days=40)

    def make():
        return assessment_create(province=org.province, institution=org, year=2026, assessed_on=date(2026, 5, 20),
                                 team_ids=[qc_user.pk], actor=qc_user)

    sent = make()
    assessment_send(assessment_id=sent.pk, actor=qc_user)
    responded = make()
    assessment_send(assessment_id=responded.pk, actor=qc_user)
    assessment_respond(assessment_id=responded.pk, actor=institution_user, points=[
        PointInput("人员证书齐全", [SimpleUploadedFile("证书.pdf", b"%PDF-1.4 point")])])
    closed = make()
    assessment_send(assessment_id=closed.pk, actor=qc_user, today=old)
    failed = make()
    sheet = failed.sheets.get(category="")
    key = Indicator.objects.filter(version=sheet.version, is_key=True, is_leaf=True).first()
    other = Indicator.objects.filter(version=sheet.version, is_key=False, is_leaf=True).first()
    assessment_save_scores(assessment_id=failed.pk, actor=qc_user, entries=[
        ScoreEntry(sheet.pk, key.pk, deducted=key.max_points, note="未报告"),
        ScoreEntry(sheet.pk, other.pk, deducted="1", note="记录不全")])
    assessment_send(assessment_id=failed.pk, actor=qc_user, today=old)
    assessment_finalise(assessment_id=failed.pk, actor=qc_user)
    own = assessment_create(province=org.province, institution=org, year=2026, assessed_on=date(2026, 4, 1),
                            actor=institution_user, kind="self")
    own_sheet = own.sheets.get(category="")
    own_line = Indicator.objects.get(version=own_sheet.version, code="3.2.1")
    assessment_save_scores(assessment_id=own.pk, actor=institution_user, entries=[ScoreEntry(
        own_sheet.pk, own_line.pk, deducted="1", evidence=SimpleUploadedFile("自查检定证书.pdf", b"%PDF-1.4 self"))])
    plan = plan_create(province=org.province, year=2026, actor=qc_user)
    item = plan_item_add(plan_id=plan.pk, institution=org, planned_month=5, assessed_by=qc_user.organisation,
                         actor=qc_user)
    return {"sent": sent, "responded": responded, "point": responded.points.get(), "closed": closed,
            "failed": failed, "failed_line": f"{sheet.pk}-{other.pk}", "self": own, "self_sheet": own.sheets.get(
                category=""), "self_line": other, "self_score": own_sheet.scores.get(indicator=own_line),
            "plan": plan, "plan_item": item}


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
            "response_days": "10", "coverage_rule": "biennial_all",
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


INSTITUTION = Role.INSTITUTION


def _but(table: dict[str, str], **by_role: str) -> dict[str, str]:
    return {**table, **by_role}


FOR_INSTITUTION = only(INSTITUTION, other_province=FORBIDDEN)
INSTITUTION_ONLY_WRITE = _but(only(INSTITUTION, allowed=WRITTEN, other_province=FORBIDDEN),
                              system_admin=FORBIDDEN)
INSTITUTION_POST_ONLY_GET = only(INSTITUTION, allowed=NOT_ALLOWED, other_province=FORBIDDEN)


def _point_file_url(ctx: Ctx) -> str:
    objects = _qc(ctx)
    return reverse("qc:point-evidence", args=[objects["responded"].pk, objects["point"].evidence.get().pk])


MATRIX.update({
    # The fair process: each step a POST on an assessment in the right state.
    "qc:assessment-send": Entry(POST_ONLY_GET, url=_url("qc:assessment-send", "assessment"),
                                post=MANAGE_OBJECT_WRITE, data=lambda ctx, caller: {}),
    "qc:assessment-answer": Entry(
        POST_ONLY_GET, url=_url("qc:assessment-answer", "responded"), post=MANAGE_OBJECT_WRITE,
        data=lambda ctx, caller: {f"answer-{_qc(ctx)['point'].pk}": "rejected",
                                  f"note-{_qc(ctx)['point'].pk}": "证书已过期"}),
    "qc:assessment-finalise": Entry(
        POST_ONLY_GET, url=_url("qc:assessment-finalise", "closed"), post=MANAGE_OBJECT_WRITE,
        data=lambda ctx, caller: {}, note="the response window closed without a response"),
    "qc:assessment-suspend": Entry(
        POST_ONLY_GET, url=_url("qc:assessment-suspend", "failed"), post=MANAGE_OBJECT_WRITE,
        data=lambda ctx, caller: {"categories": ["dust"], "reason": "关键项不合格"}),
    "qc:assessment-findings": Entry(
        POST_ONLY_GET, url=_url("qc:assessment-findings", "failed"), post=MANAGE_OBJECT_WRITE,
        data=lambda ctx, caller: {"lines": [_qc(ctx)["failed_line"]], "due_on": "2099-12-31",
                                  "severity": "major"}),
    "qc:assessment-flag": Entry(
        POST_ONLY_GET, url=_url("qc:assessment-flag", "assessment"), post=MANAGE_OBJECT_WRITE,
        data=lambda ctx, caller: {"description": f"体检报告系伪造 {caller}"}),
    "qc:assessment-indicators": Entry(
        signed_in(NOT_ALLOWED), url=_url("qc:assessment-indicators", "assessment"),
        post=_but(only(*QC, allowed=WRITTEN, other_province=NOT_FOUND), institution=NOT_FOUND),
        data=lambda ctx, caller: {"contraindications_found": "4", "contraindications_notified": "3"},
        note="an institution reaches only its own self-assessments here"),
    "qc:point-evidence": Entry(only(*QC, INSTITUTION, other_province=NOT_FOUND), url=_point_file_url),
    # The institution's side.
    "qc:response-list": Entry(FOR_INSTITUTION, url=_url("qc:response-list")),
    "qc:response": Entry(
        FOR_INSTITUTION, url=_url("qc:response", "sent"), post=INSTITUTION_ONLY_WRITE,
        data=lambda ctx, caller: {"text-1": f"事实错误 {caller}",
                                  "files-1": SimpleUploadedFile("证明.pdf", b"%PDF-1.4 x")},
        note="only the institution itself answers; a platform administrator reads but does not respond"),
    "qc:self-create": Entry(
        FOR_INSTITUTION, url=_url("qc:self-create"), post=_but(only(INSTITUTION, allowed=WRITTEN, other_province=FORBIDDEN), system_admin=REFUSED),
        data=lambda ctx, caller: {"institution": ctx.objects["organisation"].pk, "year": "2026",
                                  "assessed_on": "2026-04-02"},
        note="a platform administrator acts for no institution, so none is among the choices"),
    "qc:self-detail": Entry(
        FOR_INSTITUTION, url=_url("qc:self-detail", "self"),
        post=only(INSTITUTION, allowed=WRITTEN, other_province=FORBIDDEN),
        data=lambda ctx, caller: {f"d-{_qc(ctx)['self_sheet'].pk}-{_qc(ctx)['self_line'].pk}": "1"}),
    "qc:self-line": Entry(
        FOR_INSTITUTION,
        url=lambda ctx: reverse("qc:self-line", args=[_qc(ctx)["self"].pk, _qc(ctx)["self_sheet"].pk,
                                                      _qc(ctx)["self_line"].pk]),
        post=only(INSTITUTION, allowed=WRITTEN, other_province=FORBIDDEN),
        data=lambda ctx, caller: {"deducted": "0.5", "note": f"自查 {caller}",
                                  "status_seen": _qc(ctx)["self"].status}),
    "qc:self-evidence": Entry(
        FOR_INSTITUTION,
        url=lambda ctx: reverse("qc:self-evidence", args=[_qc(ctx)["self"].pk, _qc(ctx)["self_score"].pk])),
    "qc:self-finalise": Entry(INSTITUTION_POST_ONLY_GET, url=_url("qc:self-finalise", "self"),
                              post=INSTITUTION_ONLY_WRITE, data=lambda ctx, caller: {}),
    # The yearly plan.
    "qc:plan-list": Entry(
        MANAGE_PAGE, url=_url("qc:plan-list"), post=only(*QC, allowed=WRITTEN),
        data=lambda ctx, caller: {"year": "2031", "notes": caller, "province": ctx.objects["organisation"].province_id},
        note="a Liaoning administrator plans Liaoning's year"),
    "qc:plan-detail": Entry(MANAGE_OBJECT_PAGE, url=_url("qc:plan-detail", "plan")),
    "qc:plan-item-add": Entry(
        POST_ONLY_GET, url=_url("qc:plan-item-add", "plan"), post=MANAGE_OBJECT_WRITE,
        data=lambda ctx, caller: {"institution": ctx.objects["organisation"].pk, "planned_month": "9",
                                  "assessed_by": ctx.users[Role.QC_CENTER].organisation_id, "complaints": "1"}),
    "qc:plan-item-remove": Entry(
        POST_ONLY_GET,
        url=lambda ctx: reverse("qc:plan-item-remove", args=[_qc(ctx)["plan"].pk, _qc(ctx)["plan_item"].pk]),
        post=MANAGE_OBJECT_WRITE, data=lambda ctx, caller: {}),
})
