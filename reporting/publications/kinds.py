"""The registry of publication kinds: the columns of each list and where its rows come from.

Every kind reads the other apps' selectors of *final* records only [241-5]: accepted filings
(not submitted, returned or cancelled), final official QC assessments (never a draft or a
result still with the institution), signed-off verifications, final penalties, and ledger
entries as they stand. Rows are plain dicts of text, whole numbers and dates (stored as ISO dates in the snapshot),
in the order they are published; the rendering and the pages number them (序号).

``data_as_of`` bounds the records that carry a date (assessments finalised, verifications
signed off, penalties decided on or before it); the directory and the ledger are read as they
stand when the list is published, which the service checks is not before ``data_as_of``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import PublicationKind


@dataclass(frozen=True)
class ColumnSpec:
    """A column of a list (the rendering module's ``Column`` is built from it when rendering)."""

    key: str
    label: object  # a lazy translation, made text when the snapshot is taken
    width: int = 1

    def as_json(self) -> dict:
        return {"key": self.key, "label": str(self.label), "width": self.width}


@dataclass(frozen=True)
class Kind:
    value: str
    columns: tuple[ColumnSpec, ...]
    collect: Callable[[int, date], Iterable[dict]]  # (province id, data as of) -> rows without "no"
    notes: object = ""  # a standing note printed under the list

    @property
    def label(self) -> str:
        return str(PublicationKind(self.value).label)


def _text(value) -> str:
    return "" if value is None else str(value)


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return timezone.localdate(value)
    return value


def _score(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def _region(region) -> str:
    return region.full_name if region is not None else ""


# ---- 1. Filed institutions (备案机构名单) ---------------------------------------------------

def filed_institutions(province_id: int, as_of: date) -> Iterator[dict]:
    """The public directory of the province: accepted, not cancelled filings only."""
    from filing.choices import InstitutionKind
    from filing.public_selectors import DirectoryQuery, directory_iter
    from portal.regions.models import Region

    kinds = dict(InstitutionKind.choices)
    query = DirectoryQuery(region=Region.objects.get(pk=province_id))
    for entry in directory_iter(query):
        region = entry["region"]
        yield {
            "filing_number": entry["filing_number"],
            "name": entry["name"],
            "kind": str(kinds.get(entry["kind"], entry["kind"])),
            "region": region["name"] if region else "",
            "address": entry["address"],
            "phone": entry["phone"],
            "categories": "、".join(c["name"] for c in entry["categories"]),
            "off_site": str(_("开展") if entry["off_site"] else _("不开展")),
            "filed_on": _day(entry["filed_on"]),
        }


# ---- 2. QC-qualified institutions (质量控制合格名单) -----------------------------------------

def _latest_final_of_year(province_id: int, as_of: date):
    """Each institution's latest final official assessment of ``as_of``'s year, finalised by then,
    for institutions whose filing is still public."""
    from filing.choices import PUBLIC_FILING_STATUSES
    from qc.selectors import final_official_assessments

    rows = (final_official_assessments()
            .filter(province_id=province_id, year=as_of.year, finalised_at__lte=_end_of(as_of),
                    filing__status__in=PUBLIC_FILING_STATUSES)
            .select_related("institution__region__parent__parent", "filing")
            .order_by("institution__name", "institution_id", "-assessed_on", "-finalised_at", "-pk"))
    seen: set[int] = set()
    for assessment in rows.iterator(chunk_size=1000):
        if assessment.institution_id not in seen:
            seen.add(assessment.institution_id)
            yield assessment


def qc_qualified(province_id: int, as_of: date) -> Iterator[dict]:
    for assessment in _latest_final_of_year(province_id, as_of):
        if not assessment.passed:
            continue
        yield {
            "name": assessment.institution.name,
            "filing_number": _text(assessment.filing.filing_number),
            "region": _region(assessment.institution.region),
            "year": assessment.year,
            "assessed_on": _day(assessment.assessed_on),
            "score": _score(assessment.total_score),
            "grade": assessment.grade,
        }


# ---- 3. Institutions or items found not fit (不具备条件的机构或项目) ---------------------------

def unfit(province_id: int, as_of: date) -> Iterator[dict]:
    """Signed-off verifications as the record stood at the end of ``as_of`` (corrections honoured)."""
    from inspections.choices import VerificationOutcome
    from inspections.selectors import unfit_as_of

    outcomes = dict(VerificationOutcome.choices)
    for row in unfit_as_of(province_id=province_id, on=as_of):
        yield {
            "name": row["institution"].name,
            "filing_number": _text(row["filing_number"]),
            "outcome": str(outcomes.get(row["outcome"], row["outcome"])),
            "items": "；".join(f"{i['name']}（{i['reason']}）" if i["reason"] else i["name"] for i in row["items"]),
            "signed_off_on": _day(row["signed_off_on"]),
        }


# ---- 4. QC results with rectification demands and progress (质控结果及整改情况) ---------------

def qc_rectification(province_id: int, as_of: date) -> Iterator[dict]:
    """Final official results of the year that failed or raised rectification, with where each
    demand stands on the ledger now."""
    from django.contrib.contenttypes.models import ContentType

    from qc.ledger.choices import LedgerStatus
    from qc.ledger.models import LedgerEntry
    from qc.models import Assessment

    assessments = list(_latest_final_of_year(province_id, as_of))
    content_type = ContentType.objects.get_for_model(Assessment)
    entries: dict[str, list] = {}
    for entry in (LedgerEntry.objects.in_province(province_id)
                  .filter(source_type=content_type, source_id__in=[str(a.pk) for a in assessments])
                  .only("source_id", "requirement", "description", "due_on", "status", "closed_on")
                  .order_by("due_on", "pk")):
        entries.setdefault(entry.source_id, []).append(entry)
    labels = dict(LedgerStatus.choices)
    for assessment in assessments:
        demands = entries.get(str(assessment.pk), [])
        if assessment.passed and not demands:
            continue
        counts: dict[str, int] = {}
        for entry in demands:
            counts[entry.status] = counts.get(entry.status, 0) + 1
        progress = "；".join(f"{labels[status]} {n}" for status, n in sorted(counts.items(),
                                                                           key=lambda pair: pair[0]))
        yield {
            "name": assessment.institution.name,
            "filing_number": _text(assessment.filing.filing_number),
            "assessed_on": _day(assessment.assessed_on),
            "score": _score(assessment.total_score),
            "result": str(_("合格") if assessment.passed else _("不合格")),
            "demands": "；".join(e.requirement for e in demands) or str(_("无")),
            "due_on": _day(max((e.due_on for e in demands), default=None)),
            "progress": progress or str(_("未列入整改")),
        }


# ---- 5. Refused or failed to rectify (拒不整改或整改不到位) ------------------------------------

def unrectified(province_id: int, as_of: date) -> Iterator[dict]:
    from qc.ledger.selectors import refused_or_failed_institutions

    for item in refused_or_failed_institutions(province_id):
        yield {
            "name": item.name,
            "region": item.region_name,
            "refused": item.refused,
            "failed": item.failed,
            "problems": "；".join(item.main_problems),
        }


# ---- 6. Penalties (行政处罚) -----------------------------------------------------------------

def penalties(province_id: int, as_of: date) -> Iterator[dict]:
    from inspections.supervision.selectors import final_penalties

    for penalty in final_penalties(province_id, as_of):
        parts = []
        if penalty.warning:
            parts.append(str(_("警告")))
        if penalty.fine:
            parts.append(str(_("罚款 %(amount)s 万元")) % {"amount": f"{penalty.fine.normalize():f}"})
        yield {
            "decision_number": penalty.decision_number,
            "name": penalty.institution.name,
            "penalty": "；".join(parts),
            "problems": "；".join(f.description for f in penalty.spot_check.findings.all()),
            "decided_on": _day(penalty.decided_on),
        }


KINDS: dict[str, Kind] = {k.value: k for k in (
    Kind(PublicationKind.FILED_INSTITUTIONS, (
        ColumnSpec("filing_number", _("备案编号"), 2), ColumnSpec("name", _("机构名称"), 4),
        ColumnSpec("kind", _("机构类型"), 2), ColumnSpec("region", _("所在地区"), 2),
        ColumnSpec("address", _("地址"), 4), ColumnSpec("phone", _("联系电话"), 2),
        ColumnSpec("categories", _("备案类别"), 4), ColumnSpec("off_site", _("外出体检"), 1),
        ColumnSpec("filed_on", _("备案日期"), 2),
    ), filed_institutions, _("备案不是行政许可；机构的检查类别和项目以备案机构名录为准。")),
    Kind(PublicationKind.QC_QUALIFIED, (
        ColumnSpec("name", _("机构名称"), 4), ColumnSpec("filing_number", _("备案编号"), 2),
        ColumnSpec("region", _("所在地区"), 3), ColumnSpec("year", _("考核年度"), 1),
        ColumnSpec("assessed_on", _("考核日期"), 2), ColumnSpec("score", _("总分"), 1),
        ColumnSpec("grade", _("等级"), 1),
    ), qc_qualified, _("依据本年度最近一次已定稿的质量控制考核结果。")),
    Kind(PublicationKind.UNFIT, (
        ColumnSpec("name", _("机构名称"), 4), ColumnSpec("filing_number", _("备案编号"), 2),
        ColumnSpec("outcome", _("核查结论"), 3), ColumnSpec("items", _("不具备能力的项目"), 6),
        ColumnSpec("signed_off_on", _("签发日期"), 2),
    ), unfit),
    Kind(PublicationKind.QC_RECTIFICATION, (
        ColumnSpec("name", _("机构名称"), 4), ColumnSpec("filing_number", _("备案编号"), 2),
        ColumnSpec("assessed_on", _("考核日期"), 2), ColumnSpec("score", _("总分"), 1),
        ColumnSpec("result", _("考核结果"), 1), ColumnSpec("demands", _("整改要求"), 6),
        ColumnSpec("due_on", _("整改期限"), 2), ColumnSpec("progress", _("整改进展"), 3),
    ), qc_rectification),
    Kind(PublicationKind.UNRECTIFIED, (
        ColumnSpec("name", _("机构名称"), 4), ColumnSpec("region", _("所在地区"), 3),
        ColumnSpec("refused", _("拒不整改（项）"), 1), ColumnSpec("failed", _("整改不到位（项）"), 1),
        ColumnSpec("problems", _("主要问题"), 8),
    ), unrectified),
    Kind(PublicationKind.PENALTIES, (
        ColumnSpec("decision_number", _("处罚决定书文号"), 3), ColumnSpec("name", _("机构名称"), 4),
        ColumnSpec("penalty", _("处罚内容"), 2), ColumnSpec("problems", _("主要违法事实"), 6),
        ColumnSpec("decided_on", _("处罚决定日期"), 2),
    ), penalties),
)}


def kind_for(value: str) -> Kind:
    return KINDS[value]


def iter_rows(kind: str, *, province_id: int, as_of: date) -> Iterator[dict]:
    """The kind's rows in order (the renderer and the pages number them), values text, whole numbers
    or dates, read as they are consumed."""
    return iter(KINDS[kind].collect(province_id, as_of))


def collect_rows(kind: str, *, province_id: int, as_of: date) -> list[dict]:
    return list(iter_rows(kind, province_id=province_id, as_of=as_of))
