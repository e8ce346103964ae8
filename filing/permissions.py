from portal.accounts.choices import Role
from portal.accounts.permissions import AUTHORITIES, register

# Who receives and decides filings: the provincial QC center and the provincial commission.
FILING_DECIDERS = {Role.QC_CENTER, Role.COMMISSION_PROVINCE, Role.PROVINCE_ADMIN}

register("filing.apply_account", set())  # anonymous visitors apply; checked by the view, not a role
register("filing.decide_application", {Role.QC_CENTER, Role.PROVINCE_ADMIN})
register("filing.edit_own", {Role.INSTITUTION})
register("filing.view", AUTHORITIES | {Role.INSTITUTION, Role.NATIONAL})
register("filing.view_queue", FILING_DECIDERS)
register("filing.decide", FILING_DECIDERS)
register("filing.import", {Role.PROVINCE_ADMIN, Role.QC_CENTER})
register("filing.set_item_status", {Role.QC_CENTER, Role.PROVINCE_ADMIN})
