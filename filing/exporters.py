"""Downloads of the public directory: the current list, as filtered, one institution per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _

from portal.core.exports import Exporter

from .choices import InstitutionKind, ItemStatus
from .public_selectors import DirectoryQuery, directory_iter


def _item_text(item: dict) -> str:
    if item["status"] == ItemStatus.ACTIVE:
        return item["name"]
    return f"{item['name']}（{ItemStatus(item['status']).label}）"


class DirectoryExporter(Exporter):
    """备案机构名录: the public entries, with items marked when suspended or not capable."""

    def __init__(self, query: DirectoryQuery | None = None) -> None:
        super().__init__()
        self.query = query
        self.filename = _("备案机构名录")
        self.sheet_title = _("备案机构名录")

    def header(self) -> Sequence[str]:
        return [_("备案编号"), _("机构名称"), _("机构类型"), _("区划代码"), _("所在区划"), _("地址"),
                _("联系电话"), _("备案日期"), _("外出职业健康检查"), _("备案类别"), _("备案项目")]

    def rows(self) -> Iterable[Sequence]:
        kinds = dict(InstitutionKind.choices)
        for entry in directory_iter(self.query):
            region = entry["region"] or {"code": "", "name": ""}
            categories = entry["categories"]
            yield [
                entry["filing_number"], entry["name"], str(kinds.get(entry["kind"], entry["kind"])),
                region["code"], region["name"], entry["address"], entry["phone"], entry["filed_on"],
                _("是") if entry["off_site"] else _("否"),
                "；".join(c["name"] for c in categories),
                "；".join(_item_text(i) for c in categories for i in c["items"]),
            ]
