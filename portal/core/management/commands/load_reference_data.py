from django.core.management.base import BaseCommand

from portal.regions.services import regions_load
from portal.workdays.services import calendar_seed_from_package


class Command(BaseCommand):
    help = "Load the GB/T 2260 region tree and the statutory holiday calendar (idempotent)."

    def handle(self, *args, **options):
        regions = regions_load()
        self.stdout.write(f"regions: data year {regions['year']}, {regions['created']} created, "
                          f"{regions['updated']} updated, {regions['total']} in all")
        cal = calendar_seed_from_package()
        span = f"{cal['years'][0]}-{cal['years'][-1]}" if cal["years"] else "none (all entered by administrators)"
        self.stdout.write(f"calendar: package years {span}, {cal['created']} days created, {cal['updated']} updated")
        from django.apps import apps

        # Domain apps add their own catalogues by defining load_reference_data() in services.
        for config in apps.get_app_configs():
            loader = getattr(config, "load_reference_data", None)
            if loader:
                self.stdout.write(loader())
