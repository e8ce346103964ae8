"""Who gets what on every ledger URL (see tests/permission_matrix.py for the vocabulary).

Every authority and the national level read the ledger of their reach; the institution reads
and answers its own entries. The matrix entries are opened by the provincial QC center for
the Nanguan institution and are not overdue, so a supervision body does not see them (it sees
escalated entries and its own) and gets 404, as does a Liaoning administrator. Spot checks are
the authorities' files: the institution is refused them.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

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
    expect,
    only,
)

DECIDERS = (Role.QC_CENTER, Role.COMMISSION_PROVINCE, Role.COMMISSION_CITY, Role.COMMISSION_COUNTY,
            Role.SUPERVISION, Role.PROVINCE_ADMIN)
READERS = (*AUTHORITIES_AND_NATIONAL, Role.INSTITUTION)

READ_LIST = only(*READERS)
OVERSEE = only(*AUTHORITIES_AND_NATIONAL)
# An entry of Nanguan that is not escalated: supervision does not see it.
READ_ENTRY = {**only(*READERS, other_province=NOT_FOUND), Role.SUPERVISION.value: NOT_FOUND}
RESPOND_GET = only(Role.INSTITUTION, allowed=NOT_ALLOWED)
RESPOND_POST = only(Role.INSTITUTION, allowed=WRITTEN)
DECIDE_GET = only(*DECIDERS, allowed=NOT_ALLOWED, other_province=NOT_ALLOWED)
DECIDE_POST = expect(FORBIDDEN, other_province=NOT_FOUND, system_admin=WRITTEN, supervision=NOT_FOUND,
                     **{role: WRITTEN for role in DECIDERS if role != Role.SUPERVISION})


def _ledger(ctx: Ctx) -> dict:
    """Jilin's ledger objects, made once per entry: one entry in each state a step starts from,
    and a spot check with one problem not yet on the ledger."""
    if "ledger" in ctx.objects:
        return ctx.objects["ledger"]
    from qc.ledger.services import case_report_check_record, ledger_entry_open

    from .builders import advance

    qc_user, respondent = ctx.users[Role.QC_CENTER], ctx.users[Role.INSTITUTION]
    org = ctx.objects["organisation"]
    due_on = timezone.localdate() + timedelta(days=30)

    def entry(state: str, text: str):
        opened = ledger_entry_open(actor=qc_user, institution=org, source="qc_assessment", description=text,
                                   severity="major", requirement="限期整改", due_on=due_on)
        return advance(opened, state, decider=qc_user, respondent=respondent)

    objects = {state: entry(state, f"矩阵问题 {state}") for state in ("open", "plan_submitted", "accepted",
                                                                      "fix_submitted")}
    objects["file"] = objects["plan_submitted"].steps.get(kind="plan_submitted").evidence.get().file
    objects["check"] = case_report_check_record(
        actor=qc_user, institution=org, report_kind="examination", report_number="MATRIX-1",
        sample_date=timezone.localdate(), problems=["个案卡信息缺失"])
    objects["problem"] = objects["check"].problems.get()
    ctx.objects["ledger"] = objects
    return objects


def _entry_url(name: str, state: str):
    return lambda ctx: reverse(name, args=[_ledger(ctx)[state].pk])


def _open_form(ctx: Ctx, caller: str) -> dict:
    return {"institution": ctx.objects["organisation"].pk, "source": "supervision", "severity": "minor",
            "description": f"矩阵新问题 {caller}", "requirement": "整改", "responsible_name": "",
            "due_on": (timezone.localdate() + timedelta(days=10)).isoformat()}


def _check_form(ctx: Ctx, caller: str) -> dict:
    return {"institution": ctx.objects["organisation"].pk, "report_kind": "examination",
            "report_number": f"M-{caller}", "sample_date": timezone.localdate().isoformat(),
            "problems": "结论填写不规范", "note": ""}


def _verification(prefix: str):
    def data(ctx: Ctx, caller: str) -> dict:
        return {f"{prefix}-verification_method": "documents", f"{prefix}-verified_on": timezone.localdate().isoformat(),
                f"{prefix}-verification_note": "资料审核"}

    return data


def _open_problems(ctx: Ctx, caller: str) -> dict:
    return {"problems": [_ledger(ctx)["problem"].pk], "severity": "minor", "requirement": "补报",
            "due_on": (timezone.localdate() + timedelta(days=10)).isoformat(), "responsible_name": ""}


MATRIX: dict[str, Entry] = {
    "ledger:list": Entry(READ_LIST),
    "ledger:mine": Entry(only(Role.INSTITUTION)),
    "ledger:export": Entry(OVERSEE),
    "ledger:institutions": Entry(OVERSEE),
    "ledger:open": Entry(
        only(*DECIDERS), post=only(*DECIDERS, allowed=WRITTEN, other_province=REFUSED), data=_open_form,
        note="other province: a Jilin institution is not among the choices",
    ),
    "ledger:detail": Entry(READ_ENTRY, url=_entry_url("ledger:detail", "open")),
    "ledger:evidence": Entry(
        READ_ENTRY, url=lambda ctx: reverse("ledger:evidence", args=[_ledger(ctx)["plan_submitted"].pk,
                                                                      _ledger(ctx)["file"].pk])),
    "ledger:submit-plan": Entry(RESPOND_GET, url=_entry_url("ledger:submit-plan", "open"), post=RESPOND_POST,
                                data=lambda ctx, caller: {"plan": f"整改方案 {caller}"}),
    "ledger:submit-fix": Entry(RESPOND_GET, url=_entry_url("ledger:submit-fix", "accepted"), post=RESPOND_POST,
                               data=lambda ctx, caller: {"report": f"整改完成 {caller}"}),
    "ledger:accept-plan": Entry(DECIDE_GET, url=_entry_url("ledger:accept-plan", "plan_submitted"),
                                post=DECIDE_POST, data=lambda ctx, caller: {"note": ""}),
    "ledger:return": Entry(DECIDE_GET, url=_entry_url("ledger:return", "plan_submitted"), post=DECIDE_POST,
                           data=lambda ctx, caller: {"return-reason": "措施不具体"}),
    "ledger:close": Entry(DECIDE_GET, url=_entry_url("ledger:close", "fix_submitted"), post=DECIDE_POST,
                          data=_verification("close")),
    "ledger:mark-failed": Entry(DECIDE_GET, url=_entry_url("ledger:mark-failed", "fix_submitted"), post=DECIDE_POST,
                                data=_verification("fail")),
    "ledger:mark-refused": Entry(DECIDE_GET, url=_entry_url("ledger:mark-refused", "open"), post=DECIDE_POST,
                                 data=lambda ctx, caller: {"refuse-reason": "拒绝提交整改方案"}),
    "ledger:check-list": Entry(OVERSEE),
    "ledger:check-create": Entry(
        only(*DECIDERS), post=only(*DECIDERS, allowed=WRITTEN, other_province=REFUSED), data=_check_form,
        note="other province: a Jilin institution is not among the choices",
    ),
    "ledger:check-detail": Entry(only(*AUTHORITIES_AND_NATIONAL, other_province=NOT_FOUND),
                                 url=lambda ctx: reverse("ledger:check-detail", args=[_ledger(ctx)["check"].pk])),
    "ledger:check-open-entries": Entry(
        DECIDE_GET, url=lambda ctx: reverse("ledger:check-open-entries", args=[_ledger(ctx)["check"].pk]),
        post=only(*DECIDERS, allowed=WRITTEN, other_province=NOT_FOUND), data=_open_problems,
        note="spot checks carry no escalation rule: a provincial supervision body reaches them",
    ),
}
