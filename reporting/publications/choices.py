"""Kinds and statuses of publications (公示 / 通报), the one transition table, and the numbering words."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicationKind(models.TextChoices):
    """The public lists of [241-5]; each is collected by :mod:`reporting.publications.kinds`."""

    FILED_INSTITUTIONS = "filed_institutions", _("备案机构名单")
    QC_QUALIFIED = "qc_qualified", _("质量控制合格名单")
    UNFIT = "unfit", _("不具备备案条件的机构或项目名单")
    QC_RECTIFICATION = "qc_rectification", _("质量控制结果及整改情况")
    UNRECTIFIED = "unrectified", _("拒不整改或整改不到位机构名单")
    PENALTIES = "penalties", _("行政处罚信息")


class PublicationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待发布")
    PUBLISHED = "published", _("已发布")
    FAILED = "failed", _("发布失败")
    CANCELLED = "cancelled", _("已取消")
    WITHDRAWN = "withdrawn", _("已撤回")


# The one table of the workflow. A published list never changes: new data makes a new
# publication; a wrong one is withdrawn (it leaves the public site, its snapshot stays on record).
PUBLICATION_TRANSITIONS: dict[str, set[str]] = {
    PublicationStatus.SCHEDULED: {PublicationStatus.PUBLISHED, PublicationStatus.FAILED, PublicationStatus.CANCELLED},
    PublicationStatus.FAILED: {PublicationStatus.CANCELLED},
    PublicationStatus.PUBLISHED: {PublicationStatus.WITHDRAWN},
    PublicationStatus.CANCELLED: set(),
    PublicationStatus.WITHDRAWN: set(),
}
# What the public sees (site, feed, API); everything else answers 404 there.
PUBLIC_STATUSES = frozenset({PublicationStatus.PUBLISHED})
# Once in one of these, the snapshot (rows, columns, number, files, dates) is frozen.
SNAPSHOT_STATUSES = frozenset({PublicationStatus.PUBLISHED, PublicationStatus.WITHDRAWN})
STATUS_BADGE = {
    PublicationStatus.PUBLISHED: "ok", PublicationStatus.SCHEDULED: "warn",
    PublicationStatus.FAILED: "bad", PublicationStatus.WITHDRAWN: "bad",
}

# The word of each kind in its document number: "吉卫职健质控公示〔2026〕3号". One sequence per
# province, kind and year, so the word keeps the numbers of different kinds apart.
NUMBER_WORDS = {
    PublicationKind.FILED_INSTITUTIONS: "备案公示",
    PublicationKind.QC_QUALIFIED: "质控公示",
    PublicationKind.UNFIT: "核查公示",
    PublicationKind.QC_RECTIFICATION: "质控通报",
    PublicationKind.UNRECTIFIED: "整改通报",
    PublicationKind.PENALTIES: "处罚公示",
}

# Short names (简称) of the provincial-level divisions, by the first two digits of the GB/T 2260 code.
PROVINCE_ABBREVIATIONS = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "黔",
    "53": "滇", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新", "71": "台",
    "81": "港", "82": "澳",
}

# How far ahead a publication may be scheduled.
MAX_SCHEDULE_DAYS = 366
