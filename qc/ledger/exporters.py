"""The ledger as a spreadsheet: the entries the user sees, as filtered on the list page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.core.exports import Exporter

from .choices import LedgerSource, LedgerStatus, Severity
from .selectors import LedgerFilters, ledger_entries

BATCH = 2000


class LedgerExporter(Exporter):
    """问题清单和整改台账: one entry per row, with where it stands and whether it is overdue."""

    def __init__(self, user, filters: LedgerFilters | None = None) -> None:
        super().__init__()
        self.user = user
        self.filters = filters
        self.filename = _("问题清单和整改台账")
        self.sheet_title = _("整改台账")

    def header(self) -> Sequence[str]:
        return [_("编号"), _("问题来源"), _("来源记录"), _("机构"), _("区划代码"), _("所在区划"), _("问题描述"),
                _("严重程度"), _("整改要求"), _("整改期限"), _("整改责任人"), _("状态"), _("是否逾期"),
                _("逾期天数"), _("提出单位"), _("列入时间"), _("最近进展时间"), _("销号日期")]

    def rows(self) -> Iterable[Sequence]:
        today = timezone.localdate()
        sources, severities, statuses = dict(LedgerSource.choices), dict(Severity.choices), dict(LedgerStatus.choices)
        # iterator(chunk_size): rows are read in batches, with their select_related joins, never one by one.
        entries = ledger_entries(self.user, self.filters).select_related("opened_by_organisation")
        for entry in entries.iterator(chunk_size=BATCH):
            overdue = entry.is_overdue(today)
            yield [
                entry.number, str(sources.get(entry.source, entry.source)), entry.source_label,
                entry.institution.name, entry.region.code, entry.region.full_name, entry.description,
                str(severities.get(entry.severity, entry.severity)), entry.requirement, entry.due_on,
                entry.responsible_name, str(statuses.get(entry.status, entry.status)),
                _("是") if overdue else _("否"), entry.overdue_days(today) if overdue else "",
                entry.opened_by_organisation.name if entry.opened_by_organisation else "", entry.opened_at,
                entry.status_changed_at, entry.closed_on,
            ]
