from portal.accounts.choices import Role
from portal.accounts.permissions import register

register("reporting.manage_reminders", {Role.PROVINCE_ADMIN})
