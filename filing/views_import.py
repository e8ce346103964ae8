"""Pages of the bulk import: upload, the dry run's findings, confirmation and progress."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.accounts.permissions import require_capability

from .forms_import import ImportUploadForm
from .importing.services import import_job_create, import_job_start, job_progress
from .importing.template import import_template_xlsx
from .models_import import ImportJob, ImportStatus

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_PER_PAGE = 200
SKIPPED_SHOWN = 500
RECENT_JOBS = 20
PHASES = {
    "read_institutions": gettext_lazy("读取「机构」表"),
    "read_items": gettext_lazy("读取「备案项目」表"),
    "check_institutions": gettext_lazy("检查机构"),
    "check_items": gettext_lazy("检查备案项目"),
    "write": gettext_lazy("写入数据"),
}


def _user_province(user):
    return user.organisation.province if user.organisation_id else None


@require_capability("filing.import")
def import_start(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        province = form.cleaned_data.get("province") or _user_province(request.user)
        try:
            job = import_job_create(upload=form.cleaned_data["file"], actor=request.user, province=province)
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            return redirect("filing:import-job", pk=job.pk)
    # select_related: each row shows the file name and who uploaded it.
    jobs = ImportJob.objects.restrict(request.user).select_related("file", "created_by", "province")[:RECENT_JOBS]
    return render(request, "filing/import/start.html", {"form": form, "jobs": jobs},
                  status=400 if form.errors else 200)


@require_capability("filing.import")
def import_template(request):
    response = HttpResponse(import_template_xlsx(_user_province(request.user)), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="filing-import-template.xlsx"'
    return response


def _job(request, pk: int) -> ImportJob:
    # From the scoped queryset: another province's job is "not there" (404).
    return get_object_or_404(
        ImportJob.objects.restrict(request.user).select_related("file", "created_by", "committed_by", "province"),
        pk=pk)


@require_capability("filing.import")
def import_job_detail(request, pk: int):
    job = _job(request, pk)
    progress = job_progress(job)
    summary = job.summary or {}
    skipped = summary.get("skipped", [])
    return render(request, "filing/import/job.html", {
        "job": job,
        "progress": progress,
        "phase": PHASES.get(progress.get("phase"), ""),
        "summary": summary,
        "skipped": skipped[:SKIPPED_SHOWN],
        "skipped_hidden": max(len(skipped) - SKIPPED_SHOWN, 0),
        "page": Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page")) if job.errors else None,
        "errors_hidden": max(job.error_count - len(job.errors), 0),
        "can_commit": job.status == ImportStatus.READY,
    })


@require_capability("filing.import")
def import_job_progress(request, pk: int):
    job = _job(request, pk)
    progress = job_progress(job)
    return JsonResponse({
        "status": job.status,
        "status_label": job.get_status_display(),
        "running": job.is_running,
        "phase": progress.get("phase"),
        "done": progress.get("done", 0),
        "total": progress.get("total", 0),
        "error_count": job.error_count,
    })


@require_capability("filing.import")
@require_POST
def import_job_commit(request, pk: int):
    job = _job(request, pk)
    try:
        import_job_start(job_id=job.pk, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        job.refresh_from_db()
        if job.status == ImportStatus.DONE:
            messages.success(request, _("已导入 %(n)s 个机构的备案。") % {"n": job.summary.get("create", 0)})
    return redirect("filing:import-job", pk=job.pk)
