"""Demo filings for the demo province (Jilin): a few hundred institutions in every state.

Everything goes through the filing services (version_save_*, version_submit,
version_accept, change_start, filing_cancel, filed_item_set_status), so the demo data
passes the same completeness check and leaves the same audit trail as real filings.
Two shortcuts keep it fast: every document and licence copy points at one shared
stored PDF instead of hundreds of uploads, and receipts are not rendered at
acceptance (they are rendered on download, or by a worker when one runs).

The public filings are spread over the years since filing replaced approval (2019): the
services accept on the day they run, so the demo then dates each acceptance back (filing date,
number, submission and decision times, the date examinations started), one audited step per
filing. The verification case that inspections opens on filing_accepted is dated that day;
filing knows nothing of it, so the inspections demo (which runs next) dates each case as its
filing, and has those whose three months have passed verified in time, as a real province would
have (bar the few overdue cases it makes on purpose).

Deterministic (one seeded generator per institution) and safe to run twice: an
institution whose credit code already exists is left as it is.
"""

from __future__ import annotations

import hashlib
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation
from portal.accounts.services import organisation_create
from portal.audit.services import audit
from portal.core.demo import DEMO_PASSWORD
from portal.core.models import StoredFile
from portal.regions.models import Region, RegionLevel
from portal.workdays.models import CalendarYear
from portal.workdays.services import add_working_days

from .catalogue.choices import EditionKind, ExamType
from .catalogue.models import Disease, ExamItem
from .catalogue.selectors import current_editions
from .choices import (
    REQUIRED_DOCUMENTS,
    FilingStatus,
    InstitutionKind,
    ItemStatus,
    QualityDocumentType,
    StaffRole,
    Title,
)
from .models import AccountApplication, Filing, FilingVersion, QualityDocument
from .services import (
    RECEIPT_WORKING_DAYS,
    application_submit,
    change_start,
    filed_item_set_status,
    filing_cancel,
    filing_start,
    open_version,
    version_accept,
    version_return,
    version_save_basic,
    version_save_equipment,
    version_save_items,
    version_save_premises,
    version_save_staff,
    version_submit,
)

DEMO_SIZE = 300
SEED = 2026
# Filing (备案) replaced approval of examination institutions in 2019; the demo's filings date from then on.
FIRST_ACCEPTANCE = date(2019, 9, 1)
RECENT_DAYS = 90  # the share of filings accepted in the last three months (verification still pending)
RECENT_SHARE = 0.2

# What happens to each demo filing, with its weight.
OUTCOMES = [
    ("accepted", 56), ("changed", 10), ("change_pending", 4), ("cancelled", 6),
    ("draft", 9), ("submitted", 8), ("returned", 7),
]
RETURNED_LOGIN = "jg_th"
PUBLIC_OUTCOMES = frozenset({"accepted", "changed", "change_pending"})

EXAM_SUFFIXES = ["人民医院", "中心医院", "中医院", "第二人民医院", "职工医院", "中西医结合医院", "疾病预防控制中心",
                 "妇幼保健院", "第三人民医院", "康复医院", "铁路医院", "健康体检中心"]
DIAGNOSIS_SUFFIXES = ["职业病防治院", "职业病医院", "职业病诊治中心", "矿区医院", "化工医院", "第一医院"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超", "秀兰", "霞", "平", "刚", "桂英", "晓东", "海燕", "建华", "志强", "玉兰", "春梅", "国庆"]
STREETS = ["人民大街", "解放大路", "建设街", "新华路", "胜利街", "长江路", "黄河路", "民主大街", "光明路",
           "和平大街", "工农大路", "自由大路", "迎宾路", "南湖大路", "松江路"]
ROOMS = ["内科检查室", "外科检查室", "眼科检查室", "耳鼻喉科检查室", "心电图室", "肺功能室", "纯音测听室",
         "放射检查室", "检验科", "采血室", "候检区", "档案室"]
EQUIPMENT = [("数字化X射线摄影系统（DR）", "DR-600"), ("肺功能仪", "MasterScreen"), ("纯音听力计", "AD629"),
             ("心电图机", "ECG-1350"), ("全自动生化分析仪", "BS-800"), ("血细胞分析仪", "BC-6800"),
             ("尿液分析仪", "UA-66"), ("裂隙灯显微镜", "SL-2G")]
RETURN_REASONS = ["医疗机构执业许可证副本不清晰，请重新上传。", "主检医师职业病诊断资格证书编号与证书不一致。",
                  "检查用房平面图未标明各检查室面积。", "放射诊疗许可证已过有效期，请上传有效证件。"]
CHANGE_SUMMARIES = ["机构地址变更", "联系电话变更", "增加备案检查项目", "法定代表人变更"]
# Account applications waiting for a decision: name, requested username, kind.
DEMO_APPLICATIONS = [
    ("吉林市昌邑区康泰医院", "kangtai_jl", InstitutionKind.EXAMINATION),
    ("延吉市职业病诊疗中心", "yanji_zyb", InstitutionKind.DIAGNOSIS),
]
STATUS_REASONS = {
    ItemStatus.SUSPENDED: "质量控制考核不合格，暂停该项目，整改后申请恢复。",
    ItemStatus.NOT_CAPABLE: "现场核查不具备开展该项目的设备条件。",
}

# A one-page PDF: every demo document and licence copy points at this one stored file.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def credit_code(prefix: str, region_code: str, body: str) -> str:
    """A well-formed unified social credit code (GB 32100-2015) with a GB 11714 organisation code.

    ``prefix`` is the registering authority and kind (12: public institution, 91: company).
    """
    org_check = 11 - sum(int(d) * w for d, w in zip(body, ORG_CODE_WEIGHTS, strict=True)) % 11
    org_code = body + {10: "X", 11: "0"}.get(org_check, str(org_check))
    first17 = prefix + region_code + org_code
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return first17 + CREDIT_ALPHABET[(31 - total % 31) % 31]


def with_check_character(code: str) -> str:
    """The same first 17 characters with the right check character."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(code[:17], CREDIT_WEIGHTS, strict=True))
    return code[:17] + CREDIT_ALPHABET[(31 - total % 31) % 31]


@dataclass
class DemoCatalogue:
    """The items in force, by category code: exam items for examination, diseases for diagnosis."""

    exam: dict[str, list[str]] = field(default_factory=dict)
    diseases: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> DemoCatalogue:
        catalogue = cls()
        exam_editions = [e.pk for e in current_editions(EditionKind.EXAM_ITEMS)]
        for code, category in (ExamItem.objects.filter(edition__in=exam_editions)
                               .order_by("category__order", "order").values_list("code", "category__code")):
            catalogue.exam.setdefault(category, []).append(code)
        disease_editions = [e.pk for e in current_editions(EditionKind.DISEASES)]
        for code, category in (Disease.objects.filter(edition__in=disease_editions)
                               .order_by("category__order", "order").values_list("code", "category__code")):
            catalogue.diseases.setdefault(category, []).append(code)
        return catalogue

    def choose(self, kind: str, rng: random.Random) -> list[dict]:
        """About thirty items, as version_save_items takes them."""
        if kind == InstitutionKind.EXAMINATION:
            # (category, probability of filing it, share of its items)
            plan = [("dust", 0.85, 1.0), ("chemical", 0.95, rng.uniform(0.2, 0.45)), ("physical", 0.8, 0.8),
                    ("biological", 0.2, 1.0), ("radiation", 0.25, 0.7), ("other", 0.6, 0.6)]
            source = self.exam
        else:
            categories = sorted(self.diseases)
            plan = [(c, 0.9 if i < 1 else 0.45, rng.uniform(0.2, 0.6) if len(self.diseases[c]) > 20 else 1.0)
                    for i, c in enumerate(categories)]
            source = self.diseases
        rows = []
        for category, chance, share in plan:
            codes = source.get(category, [])
            if not codes or rng.random() > chance:
                continue
            picked = sorted(rng.sample(codes, max(1, round(len(codes) * share))), key=codes.index)
            for code in picked:
                types = [ExamType.PRE_EMPLOYMENT, ExamType.ON_DUTY, ExamType.LEAVING]
                if rng.random() < 0.3:
                    types.append(ExamType.EMERGENCY)
                rows.append({"code": code, "category": category,
                             "exam_types": [str(t) for t in types] if kind == InstitutionKind.EXAMINATION else []})
        if not rows:
            category = next(iter(source))
            rows.append({"code": source[category][0], "category": category,
                         "exam_types": [ExamType.ON_DUTY.value] if kind == InstitutionKind.EXAMINATION else []})
        return rows


@dataclass
class Plan:
    """One demo institution: who it is and where its filing ends up."""

    index: int
    name: str
    credit_code: str
    region: Region
    kind: str
    outcome: str
    off_site: bool
    rng: random.Random
    second_kind: bool = False
    item_status: str | None = None
    items: list[dict] | None = None  # chosen at random from the catalogue unless given
    accepted_on: date | None = None  # when the initial filing was accepted; None: the day the demo runs


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _place_name(region: Region) -> str:
    if region.level == RegionLevel.COUNTY and region.name.endswith("区") and region.parent is not None:
        return region.parent.name + region.name
    return region.name


def demo_regions(province: Region) -> list[Region]:
    """Cities and counties of the province, each county once and every city as well."""
    return list(Region.objects.filter(province=province, level__in=[RegionLevel.CITY, RegionLevel.COUNTY])
                .select_related("parent").order_by("code"))


def plan_institution(index: int, regions: list[Region]) -> Plan:
    rng = random.Random(SEED * 100_000 + index)
    region = regions[index % len(regions)]
    round_ = index // len(regions)
    kind = InstitutionKind.DIAGNOSIS if rng.random() < 0.22 else InstitutionKind.EXAMINATION
    suffixes = DIAGNOSIS_SUFFIXES if kind == InstitutionKind.DIAGNOSIS else EXAM_SUFFIXES
    suffix = suffixes[round_ % len(suffixes)]
    name = _place_name(region) + suffix
    if round_ >= len(suffixes):
        name += f"（第{round_ // len(suffixes) + 1}院区）"
    private = suffix == "健康体检中心"
    if private:
        name = name.replace("健康体检中心", "仁和健康体检中心有限公司")
    body = "".join(str(rng.randrange(10)) for _ in range(8))
    code = credit_code("91" if private else "12", region.code, body)
    outcomes, weights = zip(*OUTCOMES, strict=True)
    outcome = rng.choices(outcomes, weights=weights)[0]
    return Plan(
        accepted_on=acceptance_date(index, outcome),
        index=index, name=name, credit_code=code, region=region, kind=kind, outcome=outcome,
        off_site=kind == InstitutionKind.EXAMINATION and rng.random() < 0.35, rng=rng,
        second_kind=kind == InstitutionKind.EXAMINATION and rng.random() < 0.08,
        item_status=(rng.choice([ItemStatus.SUSPENDED, ItemStatus.NOT_CAPABLE])
                     if outcome in PUBLIC_OUTCOMES and rng.random() < 0.18 else None),
    )


def acceptance_date(index: int, outcome: str, *, today: date | None = None) -> date | None:
    """When a demo filing was accepted: a fifth in the last three months, the others spread evenly
    back to 2019. Drawn from a generator of its own, so that the rest of the plan stays as it was.
    A filing later changed was accepted at least a month before its change (dated last week)."""
    if outcome not in PUBLIC_OUTCOMES and outcome != "cancelled":
        return None
    today = today or timezone.localdate()
    rng = random.Random(SEED * 7 + index)
    earliest = 30 if outcome in ("changed", "change_pending") else 0
    span = max(RECENT_DAYS, (today - FIRST_ACCEPTANCE).days)
    days = rng.randint(earliest, RECENT_DAYS) if rng.random() < RECENT_SHARE else rng.randint(RECENT_DAYS, span)
    return today - timedelta(days=days)


def date_back_acceptance(filing: Filing, accepted_on: date, *, actor) -> None:
    """Move a filing accepted today to ``accepted_on``: its filing date, its number (the year is in
    it), and the initial version's submission, decision, receipt due date and start of
    examinations, all by the same number of days, so the late-filing flag stays true to them.
    The services accept only on the day they run; this demo step is audited like the rest."""
    filing = Filing.objects.select_for_update().select_related("province").get(pk=filing.pk)
    today = timezone.localdate()
    shift = accepted_on - (filing.filed_on or today)
    if not shift:
        return
    old = {"filed_on": filing.filed_on, "filing_number": filing.filing_number}
    number = filing.filing_number
    if accepted_on.year != (filing.filed_on or today).year:
        prefix = f"{filing.province.code}-{accepted_on.year}-"
        last = Filing.objects.filter(filing_number__startswith=prefix).aggregate(m=Max("filing_number"))["m"]
        number = f"{prefix}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:04d}"
    Filing.objects.filter(pk=filing.pk).update(filed_on=accepted_on, filing_number=number)
    initial = filing.versions.order_by("number").first()
    submitted = initial.submitted_at + shift if initial.submitted_at else None
    due = initial.receipt_due_on + shift if initial.receipt_due_on else None
    if submitted and CalendarYear.objects.filter(year=timezone.localdate(submitted).year).exists():
        due = add_working_days(timezone.localdate(submitted), RECEIPT_WORKING_DAYS)
    FilingVersion.objects.filter(pk=initial.pk).update(
        submitted_at=submitted, decided_at=initial.decided_at + shift if initial.decided_at else None,
        exams_started_on=initial.exams_started_on + shift if initial.exams_started_on else None,
        receipt_due_on=due,
    )
    filing.refresh_from_db()
    audit(actor=actor, obj=filing, action="filing.demo.dated_back", old=old,
          new={"filed_on": accepted_on, "filing_number": number})


def demo_file(province: Region) -> StoredFile:
    """The one stored PDF that demo documents share (created once)."""
    digest = hashlib.sha256(DEMO_PDF).hexdigest()
    stored = StoredFile.objects.filter(sha256=digest, original_name="演示文件.pdf").first()
    if stored is None:
        stored = StoredFile(original_name="演示文件.pdf", extension=".pdf", content_type="application/pdf",
                            size=len(DEMO_PDF), sha256=digest, province=province)
        stored.file.save("demo.pdf", ContentFile(DEMO_PDF), save=False)
        stored.save()
    return stored


# ---- One filing's data, step by step through the services ------------------------------

def _staff(kind: str, rng: random.Random, qualifications: list[str]) -> list[dict]:
    def member(role, title, years, qualified=False):
        return {"name": _person(rng), "role": role, "title": title, "years_experience": years,
                "registration_number": f"1102{rng.randrange(10**10, 10**11)}",
                "diagnosis_qualification": qualifications if qualified else []}

    if kind == InstitutionKind.DIAGNOSIS:
        return [member(StaffRole.DIAGNOSIS_PHYSICIAN, Title.SENIOR, rng.randint(10, 30), True),
                member(StaffRole.DIAGNOSIS_PHYSICIAN, Title.ASSOCIATE_SENIOR, rng.randint(5, 20), True),
                member(StaffRole.DIAGNOSIS_PHYSICIAN, Title.INTERMEDIATE, rng.randint(3, 12), True),
                member(StaffRole.RADIOLOGY, Title.INTERMEDIATE, rng.randint(3, 15))]
    staff = [member(StaffRole.CHIEF_EXAMINER, rng.choice([Title.INTERMEDIATE, Title.ASSOCIATE_SENIOR]),
                    rng.randint(4, 25), True)]
    staff += [member(StaffRole.PHYSICIAN, rng.choice([Title.JUNIOR, Title.INTERMEDIATE]), rng.randint(1, 15))
              for _ in range(rng.randint(2, 4))]
    staff += [member(StaffRole.NURSE, Title.JUNIOR, rng.randint(1, 20)) for _ in range(rng.randint(1, 3))]
    staff += [member(StaffRole.RADIOLOGY, Title.INTERMEDIATE, rng.randint(2, 15)),
              member(StaffRole.LAB, Title.JUNIOR, rng.randint(1, 10))]
    return staff


def _basic(version: FilingVersion, plan: Plan, **changes) -> dict:
    rng = plan.rng
    values = {
        "name": version.name or plan.name, "credit_code": version.credit_code or plan.credit_code,
        "licence_number": version.licence_number or f"PDY{rng.randrange(10**8, 10**9)}{plan.region.code}",
        "radiation_licence_number": version.radiation_licence_number,
        "legal_representative": version.legal_representative or _person(rng),
        "quality_manager": version.quality_manager or _person(rng),
        "technical_manager": version.technical_manager or _person(rng),
        "address": version.address or f"{_place_name(plan.region)}{rng.choice(STREETS)}{rng.randint(1, 3999)}号",
        "region": version.region or plan.region,
        "phone": version.phone or f"0{rng.choice(['431', '432', '434', '435', '439'])}-{rng.randint(8000000, 8999999)}",
        "exams_started_on": version.exams_started_on or _started_on(rng),
    }
    values.update(changes)
    return values


def _started_on(rng: random.Random) -> date:
    # Most started within the 15 working days the rules allow before filing; some filed late.
    days = rng.randint(2, 12) if rng.random() < 0.85 else rng.randint(40, 400)
    return timezone.localdate() - timedelta(days=days)


def fill_version(version: FilingVersion, plan: Plan, catalogue: DemoCatalogue, shared: StoredFile, *,
                 actor, complete: bool = True) -> FilingVersion:
    """Everything a complete submission needs; ``complete=False`` stops half-way, as a draft does."""
    rng, kind = plan.rng, version.filing.kind
    items = plan.items if plan.items is not None else catalogue.choose(kind, rng)
    radiation = any(row["category"] == "radiation" for row in items)
    basic = _basic(version, plan, credit_code=plan.credit_code, radiation_licence_number=f"吉放证字〔{rng.randint(2018, 2025)}〕第{rng.randint(100, 999)}号"
                   if radiation else "")
    version_save_basic(version_id=version.pk, actor=actor, **basic)
    # One shared stored copy instead of an upload per institution.
    FilingVersion.objects.filter(pk=version.pk).update(
        licence_copy=shared, radiation_licence_copy=shared if radiation else None)
    qualifications = sorted({row["category"] for row in items})
    version_save_staff(version_id=version.pk, actor=actor, staff=_staff(kind, rng, qualifications))
    if not complete:
        return version
    rooms = [{"name": name, "area": Decimal(rng.randint(8, 40))} for name in rng.sample(ROOMS, rng.randint(5, 9))]
    version_save_premises(version_id=version.pk, actor=actor, total_area=Decimal(rng.randint(420, 3200)),
                          rooms=rooms)
    due = timezone.localdate() + timedelta(days=rng.randint(60, 400))
    equipment = [{"name": name, "model": model, "serial_number": f"SN{rng.randrange(10**6, 10**7)}",
                  "calibration_due_on": due, "for_off_site": plan.off_site and i < 2}
                 for i, (name, model) in enumerate(rng.sample(EQUIPMENT, rng.randint(4, len(EQUIPMENT))))]
    vehicles = ([{"plate_number": f"吉{rng.choice('ABCDEFGH')}{rng.randint(10000, 99999)}", "vehicle_type": "体检车",
                  "equipment_onboard": "DR、心电图机"}] if plan.off_site else [])
    version_save_equipment(version_id=version.pk, actor=actor, equipment=equipment, vehicles=vehicles)
    version_save_items(version_id=version.pk, actor=actor, off_site=plan.off_site, items=items)
    doc_types = list(REQUIRED_DOCUMENTS) + ([QualityDocumentType.OFF_SITE] if plan.off_site else [])
    QualityDocument.objects.filter(version=version).delete()
    QualityDocument.objects.bulk_create([QualityDocument(version=version, doc_type=t, file=shared)
                                         for t in doc_types])
    return version


def _change(filing: Filing, plan: Plan, catalogue: DemoCatalogue, *, actor) -> FilingVersion:
    rng = plan.rng
    summary = rng.choice(CHANGE_SUMMARIES)
    version = change_start(filing_id=filing.pk, actor=actor,
                           changed_on=timezone.localdate() - timedelta(days=rng.randint(1, 7)), summary=summary)
    if summary == "增加备案检查项目":
        existing = {row["code"] for row in _current_items(version)}
        extra = [row for row in catalogue.choose(filing.kind, rng) if row["code"] not in existing][:5]
        version_save_items(version_id=version.pk, actor=actor, off_site=version.off_site,
                           items=_current_items(version) + extra)
    else:
        changes = {
            "机构地址变更": {"address": f"{_place_name(plan.region)}{rng.choice(STREETS)}{rng.randint(1, 3999)}号"},
            "联系电话变更": {"phone": f"0431-{rng.randint(8000000, 8999999)}"},
            "法定代表人变更": {"legal_representative": _person(rng)},
        }[summary]
        version_save_basic(version_id=version.pk, actor=actor, **_basic(version, plan, **changes))
    return version


def _current_items(version: FilingVersion) -> list[dict]:
    rows = version.items.select_related("exam_item__category", "disease__category")
    return [{"code": (i.exam_item or i.disease).code, "category": (i.exam_item or i.disease).category.code,
             "exam_types": i.exam_types} for i in rows]


def build_filing(org: Organisation, kind: str, plan: Plan, catalogue: DemoCatalogue, shared: StoredFile, *,
                 actor, decider, queue_receipt: bool = False) -> Filing:
    """One filing of ``org`` taken to ``plan.outcome`` through the services."""
    filing = filing_start(institution=org, kind=kind, actor=actor)
    version = open_version(filing)
    outcome = plan.outcome
    fill_version(version, plan, catalogue, shared, actor=actor, complete=outcome != "draft")
    if outcome == "draft":
        return filing
    version_submit(version_id=version.pk, actor=actor)
    if outcome == "submitted":
        return filing
    if outcome == "returned":
        reasons = plan.rng.sample(RETURN_REASONS, plan.rng.randint(1, 3))
        version_return(version_id=version.pk, actor=decider, deficiencies=reasons, note="请一次性补正后重新提交。")
        return filing
    final = outcome in ("accepted", "cancelled", "change_pending")
    version_accept(version_id=version.pk, actor=decider, queue_receipt=queue_receipt and final)
    if plan.accepted_on is not None:
        date_back_acceptance(filing, plan.accepted_on, actor=decider)
    filing.refresh_from_db()
    if plan.item_status:
        item = version.items.select_related("exam_item", "disease").order_by("pk").first()
        filed_item_set_status(filing_id=filing.pk, item_code=(item.exam_item or item.disease).code,
                              status=plan.item_status, reason=STATUS_REASONS[plan.item_status], actor=decider)
    if outcome == "cancelled":
        filing_cancel(filing_id=filing.pk, actor=decider, reason="机构申请注销备案（停止开展职业健康检查）。")
    elif outcome in ("changed", "change_pending"):
        change = _change(filing, plan, catalogue, actor=actor)
        version_submit(version_id=change.pk, actor=actor)
        if outcome == "changed":
            version_accept(version_id=change.pk, actor=decider, queue_receipt=queue_receipt)
    filing.refresh_from_db()
    return filing


# ---- The demo as a whole ---------------------------------------------------------------

def demo_filing(*, name: str, decider, kind: str = InstitutionKind.EXAMINATION, outcome: str = "accepted",
                region_code: str = "220102", off_site: bool = False, items: list[dict] | None = None,
                item_status: str | None = None, seed: int = 0, actor=None) -> Filing:
    """One institution with one filing taken to ``outcome``: for tests and for trying a page out."""
    region = Region.objects.select_related("parent").get(code=region_code)
    plan = Plan(index=seed, name=name, credit_code=credit_code("12", region.code, f"{seed % 10**8:08d}"),
                region=region, kind=kind, outcome=outcome, off_site=off_site, rng=random.Random(seed),
                item_status=item_status, items=items)
    org = organisation_create(actor=actor, province=region.province, name=name, kind=OrgKind.INSTITUTION,
                              region=region, credit_code=plan.credit_code)
    return build_filing(org, kind, plan, DemoCatalogue.load(), demo_file(region.province), actor=actor,
                        decider=decider)


def _applications(province: Region, regions: list[Region]) -> int:
    """A few account applications waiting for the QC center (few: each hashes a password)."""
    created = 0
    for index, (name, username, kind) in enumerate(DEMO_APPLICATIONS):
        region = regions[(index * 7) % len(regions)]
        code = credit_code("12", region.code, f"{77000000 + index:08d}")
        if AccountApplication.objects.filter(credit_code=code).exists():
            continue
        application_submit(province=province, region=region, name=name, credit_code=code,
                           licence_number=f"PDY{region.code}{index:04d}", kind=kind, contact_name="刘洋",
                           contact_phone="0431-88886666", contact_email=f"{username}@example.invalid",
                           username=username, password=DEMO_PASSWORD)
        created += 1
    return created


@transaction.atomic
def seed_filing_demo(ctx, *, size: int | None = None, progress: Callable[[str], None] | None = None) -> dict:
    """Build the demo filings (DEMO_SIZE institutions unless ``size``); returns counts by outcome of the
    filings created this time."""
    say = progress or (lambda text: sys.stdout.write(text + "\n"))
    size = DEMO_SIZE if size is None else size
    province = ctx.province
    actor_admin = ctx.users.get("admin_jl")
    decider = ctx.users.get("zk_jl") or actor_admin
    catalogue = DemoCatalogue.load()
    if not catalogue.exam or not catalogue.diseases:
        say("filing demo: the catalogues are not loaded (run load_reference_data); skipped")
        return {}
    shared = demo_file(province)
    regions = demo_regions(province)
    counts: dict[str, int] = {}
    existing = set(Organisation.objects.filter(credit_code__isnull=False).values_list("credit_code", flat=True))
    for index in range(size):
        plan = plan_institution(index, regions)
        if plan.credit_code in existing:
            continue
        org = organisation_create(actor=actor_admin, province=province, name=plan.name,
                                  kind=OrgKind.INSTITUTION, region=plan.region, credit_code=plan.credit_code,
                                  contact_name=_person(plan.rng), contact_phone="")
        build_filing(org, plan.kind, plan, catalogue, shared, actor=None, decider=decider)
        counts[plan.outcome] = counts.get(plan.outcome, 0) + 1
        if plan.second_kind:
            second = Plan(**{**plan.__dict__, "outcome": "accepted", "item_status": None, "off_site": False})
            build_filing(org, InstitutionKind.DIAGNOSIS, second, catalogue, shared, actor=None, decider=decider)
            counts["accepted"] = counts.get("accepted", 0) + 1
        if (index + 1) % 50 == 0:
            say(f"filing demo: {index + 1}/{size} institutions")
    counts.update(_own_institution(ctx, catalogue, shared, decider))
    _returned_institution_login(ctx, regions, size)
    counts["applications"] = _applications(province, regions)
    public = Filing.objects.filter(province=province, status=FilingStatus.ACCEPTED).count()
    say(f"filing demo: {sum(v for k, v in counts.items() if k != 'applications')} filings created, "
        f"{public} in the public directory")
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        _queue_missing_receipts(province)
    return counts


def _own_institution(ctx, catalogue: DemoCatalogue, shared: StoredFile, decider) -> dict:
    """The demo institution user's own filing: accepted with an accepted change, and a diagnosis draft."""
    org = ctx.orgs.get("institution")
    if org is None or Filing.objects.filter(institution=org).exists():
        return {}
    user = next((u for u in ctx.users.values() if u.organisation_id == org.pk), None)
    rng = random.Random(SEED)
    # The core demo's credit code has a wrong check character; the filing carries the corrected one.
    code = with_check_character(org.credit_code) if org.credit_code else credit_code("12", "220104", "41234567")
    plan = Plan(index=-1, name=org.name, credit_code=code, region=org.region, kind=InstitutionKind.EXAMINATION,
                outcome="changed", off_site=True, rng=rng, item_status=ItemStatus.SUSPENDED,
                accepted_on=timezone.localdate() - timedelta(days=2 * 365))
    build_filing(org, InstitutionKind.EXAMINATION, plan, catalogue, shared, actor=user, decider=decider,
                 queue_receipt=True)
    draft = Plan(**{**plan.__dict__, "outcome": "draft", "item_status": None})
    build_filing(org, InstitutionKind.DIAGNOSIS, draft, catalogue, shared, actor=user, decider=decider)
    return {"own_institution": 2}


def _returned_institution_login(ctx, regions: list[Region], size: int) -> None:
    """A sign-in for an institution whose filing was returned, to show the correction step."""
    from portal.accounts.models import User
    from portal.accounts.services import user_create

    plan = next((p for p in (plan_institution(i, regions) for i in range(size)) if p.outcome == "returned"), None)
    org = plan and Organisation.objects.filter(credit_code=plan.credit_code).first()
    if org is None:
        return
    if not User.objects.filter(username=RETURNED_LOGIN).exists():
        user_create(actor=ctx.users.get("admin_jl"), username=RETURNED_LOGIN, password=DEMO_PASSWORD,
                    organisation=org, full_name=_person(random.Random(SEED + 1)))
    ctx.logins.append(("机构用户（备案已退回补正）", RETURNED_LOGIN, org.name))


def _queue_missing_receipts(province: Region) -> None:
    """With a real worker, receipts are rendered in the background after the demo commits."""
    from .tasks import render_receipt

    ids = list(Filing.objects.filter(province=province, status=FilingStatus.ACCEPTED,
                                     current_version__receipt__isnull=True)
               .values_list("current_version_id", flat=True))

    def queue() -> None:
        for pk in ids:
            render_receipt.delay(version_id=pk)

    transaction.on_commit(queue)
