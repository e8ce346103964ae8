"""Who may read and write the provincial report.

The provincial health commission compiles and submits its province's report; the provincial
QC center and the provincial administrator read it (the QC center supplies most of its figures);
the national level reads every province's submitted reports and compares them, never a draft.
City and county authorities have no part in it. Which reports a reader reaches is decided by
selectors.visible_reports.
"""

from portal.accounts.choices import Role
from portal.accounts.permissions import register
from portal.regions.models import RegionLevel

PROVINCIAL_READERS = frozenset({Role.COMMISSION_PROVINCE, Role.PROVINCE_ADMIN, Role.QC_CENTER})

register("annual.view", PROVINCIAL_READERS | {Role.NATIONAL})
register("annual.manage", {Role.COMMISSION_PROVINCE})
register("annual.compare", {Role.NATIONAL})


def is_provincial_reader(user) -> bool:
    """A provincial reader belongs to a province-level body: a city's QC center does not report."""
    if user.role not in PROVINCIAL_READERS:
        return False
    org = user.organisation
    return org is not None and org.region is not None and org.region.level == RegionLevel.PROVINCE
