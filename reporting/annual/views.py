"""Pages of the provincial report: the province's years, a report with its figures and charts, the
typical cases, generation, submission and downloads; the national list and comparison.

Every write is its own POST that calls a service; a report is always fetched from the scoped
queryset, so another province's report and a national reader's draft are the same 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.choices import Role
from portal.accounts.permissions import has_capability, require_capability
from portal.core.uploads import stored_file_response

from .choices import CASES_EDITABLE, HAS_FILES, REPORT_TRANSITIONS, CaseKind, ReportStatus
from .figures import compute_figures
from .forms import TypicalCaseForm, YearForm
from .models import ProvincialReport
from .pdf import section_tables
from .permissions import is_provincial_reader
from .presentation import charts, comparison_chart
from .selectors import (
    case_summary,
    comparison_rows,
    default_year,
    penalty_candidates,
    spot_check_candidates,
    submitted_years,
    typical_cases,
    visible_reports,
    year_rows,
)
from .services import (
    TransitionError,
    report_generation_request,
    report_open,
    report_submit,
    typical_case_add,
    typical_case_remove,
)


def _report_or_404(user, pk: int) -> ProvincialReport:
    if not (user.is_superuser or user.role == Role.NATIONAL or is_provincial_reader(user)):
        raise PermissionDenied
    report = visible_reports(user).filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


def _refused(request, exc: ValidationError, report: ProvincialReport):
    """400 when the report's state does not allow the step; 409 when it changed since the page was shown."""
    seen = request.POST.get("status_seen")
    now = ProvincialReport.objects.filter(pk=report.pk).values_list("status", flat=True).first()
    conflict = bool(seen and now and seen != now)
    return render(request, "annual/refused.html", {
        "messages_list": exc.messages, "back": reverse("annual_reports:detail", args=[report.pk]),
        "conflict": conflict,
    }, status=409 if conflict else 400)


def _can_manage(user, report: ProvincialReport) -> bool:
    """The provincial commission of the report's own province (platform administrators too)."""
    if not has_capability(user, "annual.manage"):
        return False
    return user.is_superuser or (user.organisation is not None and user.organisation.province_id == report.province_id)


def _managed_report(request, pk: int) -> ProvincialReport:
    report = _report_or_404(request.user, pk)
    if not _can_manage(request.user, report):
        raise Http404
    return report


# ---- Lists ---------------------------------------------------------------------------------------

@require_capability("annual.view")
def index(request):
    user = request.user
    today = timezone.localdate()
    if user.is_superuser or user.role == Role.NATIONAL:
        return render(request, "annual/index_all.html", {
            "reports": visible_reports(user).order_by("-year", "province__code"),
            "can_compare": has_capability(user, "annual.compare"),
        })
    if not is_provincial_reader(user):
        raise PermissionDenied
    return render(request, "annual/index.html", {
        "rows": year_rows(user, today), "default_year": default_year(today),
        "can_manage": has_capability(user, "annual.manage"), "province": user.organisation.province,
    })


@require_capability("annual.manage")
@require_POST
def report_create(request):
    user = request.user
    form = YearForm(request.POST)
    if user.organisation is None or user.organisation.province_id is None:
        messages.error(request, _("只有省级卫生健康行政部门可以编制本省的年度报告。"))
        return redirect("annual_reports:index")
    if not form.is_valid():
        messages.error(request, _("请选择有效的报告年度。"))
        return redirect("annual_reports:index")
    try:
        report = report_open(province=user.organisation.province, year=form.cleaned_data["year"], actor=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("annual_reports:index")
    return redirect(report)


@require_capability("annual.compare")
def national_comparison(request):
    years = submitted_years()
    try:
        year = int(request.GET.get("year") or (years[0] if years else default_year(timezone.localdate())))
    except ValueError:
        raise Http404 from None
    rows = comparison_rows(year)
    return render(request, "annual/compare.html", {
        "year": year, "years": years, "rows": rows, "chart": comparison_chart(rows) if rows else "",
    })


# ---- One report ----------------------------------------------------------------------------------

@require_capability("annual.view")
def detail(request, pk: int):
    user = request.user
    report = _report_or_404(user, pk)
    can_manage = _can_manage(user, report)
    cases = typical_cases(report)
    # A draft (or a failed generation) shows the figures as they stand now, and says so.
    live = report.status in (ReportStatus.DRAFT, ReportStatus.FAILED) or not report.figures
    if live:
        figures = compute_figures(report.province_id, report.year)
        figures["typical_cases"] = [case_summary(c) for c in cases]
    else:
        figures = report.figures
    context = {
        "report": report, "figures": figures, "live": live, "tables": section_tables(figures),
        "charts": charts(figures), "cases": cases, "can_manage": can_manage,
        "can_generate": can_manage and ReportStatus.GENERATING in REPORT_TRANSITIONS[report.status],
        "can_submit": can_manage and report.status == ReportStatus.READY,
        "cases_editable": can_manage and report.status in CASES_EDITABLE,
        "has_files": report.status in HAS_FILES and report.xlsx_file_id and report.pdf_file_id,
        "late_now": timezone.localdate() > report.due_on,
    }
    if context["cases_editable"]:
        chosen_checks = {c.spot_check_id for c in cases if c.spot_check_id}
        chosen_penalties = {c.penalty_id for c in cases if c.penalty_id}
        context["check_candidates"] = [c for c in spot_check_candidates(report) if c.pk not in chosen_checks]
        context["penalty_candidates"] = [p for p in penalty_candidates(report) if p.pk not in chosen_penalties]
        context["case_form"] = TypicalCaseForm()
        context["kinds"] = CaseKind
    return render(request, "annual/detail.html", context)


@require_capability("annual.manage")
@require_POST
def generate(request, pk: int):
    report = _managed_report(request, pk)
    try:
        report = report_generation_request(report_id=report.pk, actor=request.user)
    except TransitionError as exc:
        return _refused(request, exc, report)
    report.refresh_from_db()
    if report.status == ReportStatus.READY:
        messages.success(request, _("报告已生成，请核对数据和文件后报送。"))
    elif report.status == ReportStatus.FAILED:
        messages.error(request, report.generation_error)
    else:
        messages.success(request, _("报告正在后台生成，完成后刷新本页即可下载。"))
    return redirect(report)


@require_capability("annual.manage")
@require_POST
def submit(request, pk: int):
    report = _managed_report(request, pk)
    try:
        report = report_submit(report_id=report.pk, actor=request.user)
    except TransitionError as exc:
        return _refused(request, exc, report)
    if report.submitted_late:
        messages.warning(request, _("报告已报送国家级；已超过报送截止日期（%(due)s），记为逾期报送。")
                         % {"due": report.due_on.isoformat()})
    else:
        messages.success(request, _("报告已报送国家级。"))
    return redirect(report)


@require_capability("annual.manage")
@require_POST
def case_add(request, pk: int):
    report = _managed_report(request, pk)
    form = TypicalCaseForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(report)
    data = form.cleaned_data
    try:
        typical_case_add(report_id=report.pk, kind=data["kind"], object_id=data["object_id"], note=data["note"],
                         actor=request.user)
    except TransitionError as exc:
        return _refused(request, exc, report)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(report)
    messages.success(request, _("已选为典型案例。报告需重新生成后才能报送。"))
    return redirect(report)


@require_capability("annual.manage")
@require_POST
def case_remove(request, pk: int, case_pk: int):
    report = _managed_report(request, pk)
    if not report.typical_cases.filter(pk=case_pk).exists():
        raise Http404
    try:
        typical_case_remove(report_id=report.pk, case_id=case_pk, actor=request.user)
    except TransitionError as exc:
        return _refused(request, exc, report)
    messages.success(request, _("已移除该典型案例。"))
    return redirect(report)


@require_capability("annual.view")
def download(request, pk: int, fmt: str):
    report = _report_or_404(request.user, pk)
    if fmt not in ("xlsx", "pdf") or report.status not in HAS_FILES:
        raise Http404
    stored = report.xlsx_file if fmt == "xlsx" else report.pdf_file
    if stored is None:
        raise Http404
    return stored_file_response(stored)
