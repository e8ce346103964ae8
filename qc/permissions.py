"""QC capabilities.

Sheets and schemes are provincial rules: every authority may read them, the
provincial QC center and administrator maintain them (a city QC center holds the
role too, so the services also check that the actor sits at province level).
Assessments are the QC centers' working files until results are published.
"""

from portal.accounts.choices import Role
from portal.accounts.permissions import AUTHORITIES, register

QC_STAFF = {Role.QC_CENTER, Role.PROVINCE_ADMIN}

register("qc.view_sheets", AUTHORITIES | {Role.NATIONAL})
register("qc.manage_sheets", QC_STAFF)
register("qc.view_assessments", QC_STAFF)
register("qc.assess", QC_STAFF)
# The institution's side: answering a sent result, and assessing itself on the same sheets.
register("qc.respond", {Role.INSTITUTION})
register("qc.self_assess", {Role.INSTITUTION})
# The yearly programme and its coverage.
register("qc.plan", QC_STAFF)
