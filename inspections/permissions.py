"""Inspections capabilities. Which cases and notices a user reaches is the scoping mechanism's
business (tenant, jurisdiction, own institution); these say what a role may do at all."""

from portal.accounts.choices import Role
from portal.accounts.permissions import AUTHORITIES, register

# The provincial QC center runs verifications [JL-1.3]; the administrator may step in.
VERIFIERS = {Role.QC_CENTER, Role.PROVINCE_ADMIN}

register("inspections.view_verifications", AUTHORITIES | {Role.NATIONAL, Role.INSTITUTION})
register("inspections.manage_verifications", VERIFIERS)
# Checklist evidence shows staff and premises: the provincial verifiers and supervisors, and the
# institution for its own case; not every authority that reads the verdict.
register("inspections.view_verification_evidence",
         VERIFIERS | {Role.COMMISSION_PROVINCE, Role.SUPERVISION, Role.INSTITUTION})
register("inspections.view_checklists", AUTHORITIES | {Role.NATIONAL})
register("inspections.manage_checklists", VERIFIERS)
register("inspections.notify_off_site", {Role.INSTITUTION})
register("inspections.view_notifications", AUTHORITIES | {Role.NATIONAL, Role.INSTITUTION})
# The month calendar of off-site work is a planning tool of the authorities (supervision visits).
register("inspections.view_off_site_calendar", AUTHORITIES | {Role.NATIONAL})
# The county commission where the employer is, or the city that supervises that county [JL-3].
register("inspections.acknowledge_notifications", {Role.COMMISSION_COUNTY, Role.COMMISSION_CITY})
