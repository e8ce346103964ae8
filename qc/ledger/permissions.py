"""Ledger capabilities.

Every authority reads the ledger of its jurisdiction and the national level reads all of
it; institution staff read their own entries and answer them. The bodies that find
problems (QC centers, health commissions, supervision, the provincial administrator)
open entries and decide on the answers. Which entries a user reaches is decided by the
scoping mechanism (see selectors.ledger_entries).
"""

from portal.accounts.choices import Role
from portal.accounts.permissions import AUTHORITIES, register

LEDGER_DECIDERS = {
    Role.QC_CENTER, Role.COMMISSION_PROVINCE, Role.COMMISSION_CITY, Role.COMMISSION_COUNTY,
    Role.SUPERVISION, Role.PROVINCE_ADMIN,
}

register("ledger.view", AUTHORITIES | {Role.NATIONAL, Role.INSTITUTION})
register("ledger.open", LEDGER_DECIDERS)
register("ledger.decide", LEDGER_DECIDERS)
register("ledger.respond", {Role.INSTITUTION})
# Export, the per-institution summary and the case-report spot checks are for authorities.
register("ledger.oversee", AUTHORITIES | {Role.NATIONAL})
