"""QC pages: scoring sheets and schemes, assessments and the scoring page.

Views fetch from the scoped selectors (another province's object is a 404), call a
service, and turn its ValidationError into form errors; nothing here decides on merit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from filing.catalogue.choices import ExamCategoryCode
from filing.choices import ItemStatus
from filing.models import FiledItem
from portal.accounts.choices import Role
from portal.accounts.permissions import has_capability, require_capability
from portal.core.uploads import stored_file_response

from . import selectors, services
from .choices import (
    ASSESSMENT_SCORABLE,
    DEFAULT_RESPONSE_DAYS,
    SHEET_VERSION_EDITABLE,
    AssessmentKind,
    AssessmentStatus,
    CoverageRule,
    SheetPart,
)
from .exporters import sheet_template_xlsx, sheet_version_export_xlsx
from .forms import (
    AssessmentCreateForm,
    IndicatorForm,
    LineForm,
    SchemeForm,
    SheetImportForm,
    apply_errors,
    bands_text,
    province_of,
)
from .models import Assessment, Indicator, Score
from .scoring import evaluate, load_inputs
from .services import ScoreEntry, line_key
from .services.assessments import sheet_label

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50
LINE_FIELD_RE = re.compile(r"^([don])-(\d+)-(\d+)$")


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# What the landing page may link to: template key -> capability.
INDEX_CAPABILITIES = {
    "view_sheets": "qc.view_sheets",
    "manage_sheets": "qc.manage_sheets",
    "view_assessments": "qc.view_assessments",
    "assess": "qc.assess",
    "plan": "qc.plan",
    "respond": "qc.respond",
    "self_assess": "qc.self_assess",
    "ledger": "ledger.view",
}


def _ledger_url() -> str | None:
    # The rectification ledger is a sub-app that a deployment may leave out of its URLconf.
    try:
        return reverse("ledger:list")
    except NoReverseMatch:
        return None


@require_capability("portal.home")
def index(request):
    """The QC landing page: one card per thing the user's role can do, nothing it cannot."""
    user = request.user
    can = {key: has_capability(user, capability) for key, capability in INDEX_CAPABILITIES.items()}
    ledger_url = _ledger_url() if can["ledger"] else None
    context = {"can": can, "ledger_url": ledger_url, "anything": any(can.values())}
    if can["view_assessments"]:
        context["recent"] = list(selectors.assessments_for_user(user)[:10])
    return render(request, "qc/index.html", context)


# ---------------------------------------------------------------- sheets


@require_capability("qc.view_sheets")
def sheet_list(request):
    return render(request, "qc/sheet_list.html", {
        "sheets": selectors.sheets_for_user(request.user).select_related("province"),
        "can_manage": has_capability(request.user, "qc.manage_sheets"),
    })


@require_capability("qc.manage_sheets")
def sheet_import(request):
    province = province_of(request.user)
    if province is not None:
        services.assert_sheet_manager(request.user, province)
    form = SheetImportForm(request.POST or None, request.FILES or None, user=request.user)
    result = None
    if request.method == "POST" and form.is_valid():
        target = province or form.cleaned_data["province"]
        result = services.sheet_import(province=target, file=form.cleaned_data["file"], actor=request.user)
        if result.ok:
            messages.success(request, _("已导入为「%(sheet)s」第 %(n)s 版（草稿），请核对后发布。")
                             % {"sheet": result.version.sheet.name, "n": result.version.number})
            return redirect("qc:version-detail", pk=result.version.pk)
    return render(request, "qc/sheet_import.html", {"form": form, "result": result})


@require_capability("qc.manage_sheets")
def sheet_template(request):
    return _xlsx_response(sheet_template_xlsx(), "scoring-sheet-template.xlsx")


@require_capability("qc.manage_sheets")
@require_POST
def sheet_activate(request, pk):
    sheet = get_object_or_404(selectors.sheets_for_user(request.user), pk=pk)
    services.sheet_activate(sheet_id=sheet.pk, actor=request.user)
    messages.success(request, _("新考核将使用「%(sheet)s」。") % {"sheet": sheet.name})
    return redirect("qc:sheet-list")


def _tree_rows(indicators):
    # The tree is shown flat in code order; the level indents it.
    return [{"ind": i, "indent": (i.level - 1) * 1.5} for i in indicators]


@require_capability("qc.view_sheets")
def version_detail(request, pk):
    version = get_object_or_404(selectors.versions_for_user(request.user), pk=pk)
    indicators = list(version.indicators.order_by("order"))
    can_manage = has_capability(request.user, "qc.manage_sheets")
    problems = []
    if version.status in SHEET_VERSION_EDITABLE:
        from .importers import validate_sheet

        problems = [str(i) for i in validate_sheet(services.version_data(version, indicators))]
    return render(request, "qc/version_detail.html", {
        "version": version, "sheet": version.sheet, "rows": _tree_rows(indicators),
        "leaf_count": sum(1 for i in indicators if i.is_leaf),
        "key_count": sum(1 for i in indicators if i.is_key),
        "editable": version.status in SHEET_VERSION_EDITABLE,
        "can_manage": can_manage, "problems": problems,
        "other_versions": version.sheet.versions.exclude(pk=version.pk).order_by("-number"),
    })


@require_capability("qc.view_sheets")
def version_export(request, pk):
    version = get_object_or_404(selectors.versions_for_user(request.user), pk=pk)
    return _xlsx_response(sheet_version_export_xlsx(version), f"{version.sheet.code}-v{version.number}.xlsx")


def _refused(request, exc: ValidationError, *, back: str, current: str | None = None):
    """A step the record's state does not allow: 409 when the state changed since the page was shown
    (the form carries ``status_seen``), else 400."""
    seen = request.POST.get("status_seen")
    status = 409 if seen and current and seen != current else 400
    return render(request, "qc/refused.html", {"problems": exc.messages, "back": back}, status=status)


# ---------------------------------------------------------------- concurrent changes to an assessment


class ConcurrentChange(Exception):
    """The assessment is no longer as the page showed it: someone acted on it in between."""

    def __init__(self, status: str, *, status_changed: bool):
        super().__init__(status)
        self.status = status
        self.status_changed = status_changed


def version_token(updated_at) -> str:
    """What a form carries as ``version_seen``: the assessment's last change, to the microsecond."""
    return f"{updated_at.timestamp():.6f}" if updated_at else ""


def locked_step(request, assessment_id: int, step, *, check_version: bool = False):
    """Run ``step`` (a service call) with the assessment row locked, once the state the page showed is
    confirmed under that lock.

    Two people pressing at the same moment are serialised by the lock; the second then finds a
    status (``status_seen``) or, for sending and finalising, a last change (``version_seen``) other
    than the one on their page and gets :class:`ConcurrentChange` rather than acting on a result
    they have not seen. The services take the same lock again, which costs nothing in the same
    transaction. A form without these fields is only checked by the service.
    """
    seen_status = request.POST.get("status_seen") or ""
    seen_version = (request.POST.get("version_seen") or "") if check_version else ""
    with transaction.atomic():
        status, updated_at = (Assessment.objects.select_for_update().filter(pk=assessment_id)
                              .values_list("status", "updated_at").get())
        if seen_status and seen_status != status:
            raise ConcurrentChange(status, status_changed=True)
        if seen_version and seen_version != version_token(updated_at):
            raise ConcurrentChange(status, status_changed=False)
        return step()


def conflict(request, exc: ConcurrentChange, *, back: str):
    """409: the page was out of date; nothing of this request was saved."""
    if exc.status_changed:
        problem = _("页面打开后该考核已被处理（也可能是重复提交），当前状态为“%(status)s”；本次操作未执行，请刷新页面后再操作。") % {
            "status": AssessmentStatus(exc.status).label}
    else:
        problem = _("页面打开后该考核又被修改过（评分或其他内容）；本次操作未执行，请刷新页面核对最新结果后再操作。")
    return render(request, "qc/refused.html", {"problems": [problem], "back": back}, status=409)


@require_capability("qc.manage_sheets")
@require_POST
def version_publish(request, pk):
    version = get_object_or_404(selectors.versions_for_user(request.user), pk=pk)
    back = reverse("qc:version-detail", args=[version.pk])
    try:
        services.sheet_version_publish(version_id=version.pk, actor=request.user)
    except (services.TransitionError, services.SheetVersionLocked) as exc:
        return _refused(request, exc, back=back, current=version.status)
    except ValidationError as exc:
        # The tree does not add up: the draft page lists every problem.
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("第 %(n)s 版已发布。") % {"n": version.number})
    return redirect(back)


@require_capability("qc.manage_sheets")
@require_POST
def version_copy(request, pk):
    version = get_object_or_404(selectors.versions_for_user(request.user), pk=pk)
    try:
        draft = services.sheet_version_new_from(version_id=version.pk, actor=request.user)
    except ValidationError as exc:
        return _refused(request, exc, back=reverse("qc:version-detail", args=[version.pk]))
    messages.success(request, _("已另存为第 %(n)s 版（草稿），可逐条修改后发布。") % {"n": draft.number})
    return redirect("qc:version-detail", pk=draft.pk)


@require_capability("qc.manage_sheets")
@require_POST
def version_discard(request, pk):
    version = get_object_or_404(selectors.versions_for_user(request.user), pk=pk)
    try:
        services.sheet_version_discard(version_id=version.pk, actor=request.user)
    except ValidationError as exc:
        return _refused(request, exc, back=reverse("qc:version-detail", args=[version.pk]), current=version.status)
    messages.success(request, _("草稿已删除。"))
    return redirect("qc:sheet-list")


@require_capability("qc.manage_sheets")
def indicator_edit(request, pk):
    indicator = get_object_or_404(
        Indicator.objects.filter(version__in=selectors.versions_for_user(request.user))
        .select_related("version__sheet"), pk=pk)
    version = indicator.version
    initial = {name: getattr(indicator, name) for name in services.sheets.INDICATOR_FIELDS}
    form = IndicatorForm(request.POST or None, initial=initial)
    locked = None
    try:
        services.assert_version_editable(version)
    except ValidationError as exc:
        locked = exc.messages[0]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.indicator_update(indicator_id=indicator.pk, actor=request.user, title=data["title"],
                                      max_points=data["max_points"], deduction_rule=data["deduction_rule"],
                                      deduction_per_occurrence=data["deduction_per_occurrence"],
                                      is_key=data["is_key"], applicability=data["applicability"],
                                      applicable_category=data["applicable_category"])
        except services.SheetVersionLocked as exc:
            return render(request, "qc/indicator_form.html", {"form": form, "indicator": indicator,
                                                              "version": version, "locked": exc.messages[0]},
                          status=400)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("指标 %(code)s 已保存。") % {"code": indicator.code})
            return redirect(reverse("qc:version-detail", args=[version.pk]) + f"#i{indicator.pk}")
    return render(request, "qc/indicator_form.html",
                  {"form": form, "indicator": indicator, "version": version, "locked": locked})


# ---------------------------------------------------------------- schemes


@require_capability("qc.view_sheets")
def scheme_list(request):
    return render(request, "qc/scheme_list.html", {
        "schemes": selectors.schemes_for_user(request.user).select_related("province"),
        "can_manage": has_capability(request.user, "qc.manage_sheets"),
    })


def _scheme_kwargs(data) -> dict:
    return {key: data[key] for key in ("name", "institution_weight", "work_sample_weight", "work_sample_averaging",
                                       "key_item_fails", "key_item_pass_ratio", "response_days", "coverage_rule",
                                       "bands")}


@require_capability("qc.manage_sheets")
def scheme_create(request):
    province = province_of(request.user)
    if province is not None:
        services.assert_sheet_manager(request.user, province)
    initial = {"institution_weight": Decimal(40), "work_sample_weight": Decimal(60), "key_item_fails": True,
               "key_item_pass_ratio": Decimal("1.00"), "response_days": DEFAULT_RESPONSE_DAYS,
               "coverage_rule": CoverageRule.BIENNIAL_ALL, "bands": "优秀 90 合格\n合格 70 合格\n不合格 0 不合格"}
    form = SchemeForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.scheme_create(province=province or data["province"], year=data["year"], actor=request.user,
                                   **_scheme_kwargs(data))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(year)s 年度考核方案已保存。") % {"year": data["year"]})
            return redirect("qc:scheme-list")
    return render(request, "qc/scheme_form.html", {"form": form, "scheme": None})


@require_capability("qc.manage_sheets")
def scheme_edit(request, pk):
    scheme = get_object_or_404(selectors.schemes_for_user(request.user), pk=pk)
    initial = {name: getattr(scheme, name) for name in ("name", "institution_weight", "work_sample_weight",
                                                         "work_sample_averaging", "key_item_fails",
                                                         "key_item_pass_ratio", "response_days",
                                                         "coverage_rule")}
    initial["bands"] = bands_text(scheme.bands.all())
    form = SchemeForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.scheme_update(scheme_id=scheme.pk, actor=request.user, **_scheme_kwargs(form.cleaned_data))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(year)s 年度考核方案已保存。") % {"year": scheme.year})
            return redirect("qc:scheme-list")
    return render(request, "qc/scheme_form.html", {"form": form, "scheme": scheme})


# ---------------------------------------------------------------- assessments


@require_capability("qc.view_assessments")
def assessment_list(request):
    qs = selectors.assessments_for_user(request.user)
    year = request.GET.get("year", "")
    if year.isdigit():
        qs = qs.filter(year=int(year))
    # The dashboards' pass-rate charts link here: final official results, of one city or county.
    if request.GET.get("final") == "1":
        qs = qs.filter(pk__in=selectors.final_official_assessments().values("pk"))
    region = request.GET.get("region", "")
    if region.isdigit():
        qs = qs.filter(Q(institution__region_id=int(region)) | Q(institution__region__parent_id=int(region)))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "qc/assessment_list.html", {
        "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query.urlencode(), "year": year,
        "can_assess": has_capability(request.user, "qc.assess"),
    })


@require_capability("qc.assess")
def assessment_create(request):
    # Started from a planned row, the institution and year come filled in.
    initial = {key: request.GET[key] for key in ("institution", "year") if request.GET.get(key, "").isdigit()}
    form = AssessmentCreateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        institution = data["institution"]
        try:
            assessment = services.assessment_create(
                province=institution.province, institution=institution, year=data["year"],
                assessed_on=data["assessed_on"], kind=data["kind"], team_ids=[u.pk for u in data["team"]],
                categories=data["categories"] or None, actor=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("考核已创建，可以开始评分。"))
            return redirect("qc:assessment-detail", pk=assessment.pk)
    return render(request, "qc/assessment_form.html", {"form": form})


@dataclass
class PageRow:
    """One indicator on the scoring page; leaves carry the values shown in their inputs."""

    ind: Indicator
    applies: bool
    suffix: str = ""
    group_code: str = ""
    deducted: str = ""
    occurrences: str = ""
    note: str = ""
    awarded: Decimal | None = None
    score: Score | None = None
    errors: list[str] = field(default_factory=list)
    group: object = None
    self_score: Score | None = None  # the same line of the institution's self-assessment, if any


def _text(value) -> str:
    return "" if value is None else f"{value}"


def _page_sheets(inputs, result, *, posted=None, errors=None):
    result_by_id = {r.assessment_sheet_id: r for r in result.sheets}
    blocks = []
    for assessment_sheet, sheet_input in zip(inputs.assessment_sheets, inputs.sheets, strict=True):
        lines = {line.indicator_id: line for line in sheet_input.lines}
        applying_codes = [line.code for line in sheet_input.lines if line.applies]
        sheet_result = result_by_id[assessment_sheet.pk]
        groups = {g.code: g for g in sheet_result.groups}
        rows = []
        for ind in inputs.indicators_by_version[assessment_sheet.version_id]:
            if not ind.is_leaf:
                applies = any(code.startswith(ind.code + ".") for code in applying_codes)
                rows.append(PageRow(ind, applies, group=groups.get(ind.code) if ind.level == 1 else None))
                continue
            line = lines[ind.pk]
            suffix = f"{assessment_sheet.pk}-{ind.pk}"
            score = inputs.scores.get((assessment_sheet.pk, ind.pk))
            row = PageRow(ind, line.applies, suffix=suffix, group_code=line.group_code, score=score,
                          errors=(errors or {}).get(line_key(assessment_sheet.pk, ind.pk), []))
            if posted is not None:
                row.deducted = posted.get(f"d-{suffix}", "")
                row.occurrences = posted.get(f"o-{suffix}", "")
                row.note = posted.get(f"n-{suffix}", "")
            elif score is not None:
                row.deducted = _text(score.deducted) if score.deducted else ""
                row.occurrences = _text(score.occurrences)
                row.note = score.note
            if line.applies:
                deducted = score.deducted if score else Decimal(0)
                row.awarded = ind.max_points - deducted
            rows.append(row)
        blocks.append({"sheet": assessment_sheet, "result": sheet_result, "rows": rows,
                       "label": sheet_label(sheet_input.part, sheet_input.category, sheet_input.sheet_name)})
    return blocks


def _entries_from_post(post) -> list[ScoreEntry]:
    values: dict[tuple[int, int], dict] = {}
    for name, value in post.items():
        match = LINE_FIELD_RE.match(name)
        if match:
            kind, sheet_id, indicator_id = match.groups()
            values.setdefault((int(sheet_id), int(indicator_id)), {})[kind] = value
    return [ScoreEntry(assessment_sheet_id=sheet_id, indicator_id=indicator_id, deducted=v.get("d"),
                       occurrences=v.get("o"), note=v.get("n", ""))
            for (sheet_id, indicator_id), v in values.items()]


def _scoring_context(assessment, *, posted=None, errors=None, user):
    inputs = load_inputs(assessment, with_evidence=True)
    result = evaluate(inputs.sheets, inputs.deductions(), inputs.rules)
    team = list(assessment.team.all())
    # The QC side scores official assessments only; a self-assessment is the institution's (self_detail).
    may_score = (assessment.kind == AssessmentKind.OFFICIAL and assessment.status in ASSESSMENT_SCORABLE
                 and has_capability(user, "qc.assess")
                 and (user.is_superuser or user.role == Role.PROVINCE_ADMIN
                      or any(member.pk == user.pk for member in team)))
    rules = inputs.rules
    config = {
        "weights": {part: str(weight) for part, weight in rules.weights.items()},
        "averaging": rules.averaging, "keyFails": rules.key_item_fails, "keyRatio": str(rules.key_item_pass_ratio),
        "bands": [[b.label, str(b.min_score), b.passed] for b in rules.bands],
        "sheets": [{"id": s.assessment_sheet_id, "part": s.part} for s in inputs.sheets],
    }
    self_beside = selectors.self_assessment_beside(assessment)
    blocks = _page_sheets(inputs, result, posted=posted, errors=errors)
    if self_beside is not None:
        _add_self_lines(blocks, selectors.self_assessment_lines(self_beside))
    return {
        "assessment": assessment, "blocks": blocks, "self_beside": self_beside,
        "result": result, "may_score": may_score, "config": config,
        "team": team,
        "parts": [(part, SheetPart(part).label, result.part_scores.get(part), rules.weights.get(part))
                  for part in SheetPart.values],
        "filed_labels": [ExamCategoryCode(c).label for c in assessment.filed_categories
                         if c in ExamCategoryCode.values],
        "all_errors": [m for messages_ in (errors or {}).values() for m in messages_],
        **_workflow_context(assessment, result, may_score=may_score, user=user),
    }


def _workflow_context(assessment, result, *, may_score: bool, user) -> dict:
    """What the page shows around the scores: the figures, the fair-process step, the self-assessment
    beside, suspensions and findings."""
    from .services.workflow import COUNT_FIELDS, RATE_FIELDS, window_open

    indicator_fields = [(name, assessment._meta.get_field(name).verbose_name, getattr(assessment, name),
                         name in RATE_FIELDS) for name in (*COUNT_FIELDS, *RATE_FIELDS)]
    official = assessment.kind == AssessmentKind.OFFICIAL
    may_act = official and has_capability(user, "qc.assess")
    final = official and assessment.status == AssessmentStatus.FINAL
    deducted_lines = _deducted_lines(assessment) if final and may_act else []
    return {
        "indicator_fields": indicator_fields,
        "official": official, "may_act": may_act,
        "window_open": window_open(assessment),
        # Each of these is read only in the statuses where it can exist, so a draft costs one query more.
        "points": list(assessment.points.prefetch_related("evidence")) if official and assessment.responded_at else [],
        "version_seen": version_token(assessment.updated_at),
        "suspensions": list(assessment.suspensions.all()) if final else [],
        "deducted_lines": deducted_lines,
        "status_final": assessment.status == AssessmentStatus.FINAL,
        "filed_choices": [(c, ExamCategoryCode(c).label) for c in assessment.filed_categories
                          if c in ExamCategoryCode.values],
        "failed_categories": {f["category"] for f in assessment.failed_key_items if f.get("category")},
        "suspendable_items": _suspendable_items(assessment) if final and may_act and assessment.failed_key_items
        else [],
    }


def _suspendable_items(assessment: Assessment) -> list[tuple[str, list[dict]]]:
    """The institution's filed and capable items by category, to suspend single items (one query)."""
    rows = (FiledItem.objects.filter(version_id=assessment.filing.current_version_id,
                                     exam_item__category__code__in=assessment.filed_categories)
            .exclude(status=ItemStatus.NOT_CAPABLE)
            .order_by("exam_item__category__code", "exam_item__code")
            .values("exam_item__code", "exam_item__name", "exam_item__category__code", "status"))
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["exam_item__category__code"], []).append(row)
    return [(ExamCategoryCode(code).label if code in ExamCategoryCode.values else code, items)
            for code, items in grouped.items()]


def _add_self_lines(blocks, self_lines: dict) -> None:
    """Put the institution's own deduction, note and evidence beside each line the QC center scores."""
    for block in blocks:
        sheet = block["sheet"]
        for row in block["rows"]:
            if row.ind.is_leaf:
                row.self_score = self_lines.get((sheet.part, sheet.category, row.ind.code))


def _deducted_lines(assessment):
    """Lines with a deduction on a final assessment: the candidates for the rectification ledger."""
    scores = (Score.objects.filter(assessment_sheet__assessment=assessment, deducted__gt=0)
              .select_related("indicator", "assessment_sheet").order_by("assessment_sheet__order",
                                                                        "indicator__order"))
    return [(f"{s.assessment_sheet_id}-{s.indicator_id}", s) for s in scores]


@require_capability("qc.view_assessments")
def assessment_detail(request, pk):
    """The scoring page: every line with its deduction, the running totals and the grade."""
    assessment = get_object_or_404(selectors.assessments_for_user(request.user).select_related("filing"), pk=pk)
    if request.method == "POST":
        if not has_capability(request.user, "qc.assess"):
            raise PermissionDenied
        try:
            result = locked_step(request, assessment.pk, lambda: services.assessment_save_scores(
                assessment_id=assessment.pk, entries=_entries_from_post(request.POST), actor=request.user))
        except ConcurrentChange as exc:
            return conflict(request, exc, back=request.path)
        except services.TransitionError as exc:
            return _refused(request, exc, back=request.path)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            context = _scoring_context(assessment, posted=request.POST, errors=errors, user=request.user)
            return render(request, "qc/assessment_detail.html", context)
        messages.success(request, _("评分已保存：加权总分 %(total)s，等级“%(grade)s”。")
                         % {"total": result.total if result.total is not None else "—", "grade": result.grade or "—"})
        return redirect("qc:assessment-detail", pk=assessment.pk)
    return render(request, "qc/assessment_detail.html", _scoring_context(assessment, user=request.user))


def _line_or_404(assessment, sheet_id: int, indicator_id: int):
    inputs = load_inputs(assessment, with_evidence=True)
    for assessment_sheet, sheet_input in zip(inputs.assessment_sheets, inputs.sheets, strict=True):
        if assessment_sheet.pk != sheet_id:
            continue
        for line in sheet_input.lines:
            if line.indicator_id == indicator_id:
                indicator = next(i for i in inputs.indicators_by_version[assessment_sheet.version_id]
                                 if i.pk == indicator_id)
                return assessment_sheet, sheet_input, line, indicator, inputs.scores.get((sheet_id, indicator_id))
    raise Http404


def line_page(request, assessment, sheet_id: int, indicator_id: int, *, may_write: bool, self_mode: bool = False):
    """One line on its own: its rule, its values, and its evidence file; shared by the QC center's
    page of an official assessment and the institution's page of its self-assessment.

    ``may_write``: the caller is on the side that scores this assessment; whether its status still
    allows scoring is the service's to say (a refused step, not a forbidden one)."""
    may_score = may_write and assessment.status in ASSESSMENT_SCORABLE
    assessment_sheet, sheet_input, line, indicator, score = _line_or_404(assessment, sheet_id, indicator_id)
    detail = reverse("qc:self-detail" if self_mode else "qc:assessment-detail", args=[assessment.pk])
    initial = {"deducted": _text(score.deducted) if score and score.deducted else "",
               "occurrences": _text(score.occurrences) if score else "", "note": score.note if score else ""}
    form = LineForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not may_write:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            entry = ScoreEntry(assessment_sheet_id=sheet_id, indicator_id=indicator_id, deducted=data["deducted"],
                               occurrences=data["occurrences"], note=data["note"], evidence=data["evidence"],
                               clear_evidence=data["clear_evidence"])
            try:
                locked_step(request, assessment.pk, lambda: services.assessment_save_scores(
                    assessment_id=assessment.pk, entries=[entry], actor=request.user))
            except ConcurrentChange as exc:
                return conflict(request, exc, back=request.path)
            except services.TransitionError as exc:
                return _refused(request, exc, back=request.path)
            except ValidationError as exc:
                # All or nothing: neither the values nor the file are kept.
                if hasattr(exc, "error_dict"):
                    for messages_ in exc.message_dict.values():
                        form.add_error(None, messages_)
                else:
                    form.add_error(None, exc.messages)
            else:
                messages.success(request, _("指标 %(code)s 已保存。") % {"code": line.code})
                return redirect(f"{detail}#l{sheet_id}-{indicator_id}")
        status = 400
    return render(request, "qc/assessment_line.html", {
        "assessment": assessment, "indicator": indicator, "line": line, "score": score, "form": form,
        "anchor": f"l{sheet_id}-{indicator_id}", "detail_url": detail,
        "evidence_url_name": "qc:self-evidence" if self_mode else "qc:score-evidence",
        "label": sheet_label(sheet_input.part, sheet_input.category, sheet_input.sheet_name),
        "may_score": may_score,
    }, status=status)


@require_capability("qc.view_assessments")
def assessment_line(request, pk, sheet_id, indicator_id):
    assessment = get_object_or_404(selectors.assessments_for_user(request.user), pk=pk)
    may_write = assessment.kind == AssessmentKind.OFFICIAL and has_capability(request.user, "qc.assess")
    return line_page(request, assessment, sheet_id, indicator_id, may_write=may_write)


def evidence_download(score: Score):
    stored = score.evidence
    return stored_file_response(stored)


@require_capability("qc.view_assessments")
def score_evidence(request, pk, score_id):
    assessment = get_object_or_404(selectors.assessments_for_user(request.user), pk=pk)
    score = get_object_or_404(Score.objects.select_related("evidence"), pk=score_id,
                              assessment_sheet__assessment=assessment, evidence__isnull=False)
    return evidence_download(score)

