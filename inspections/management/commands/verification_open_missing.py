from django.core.management.base import BaseCommand

from inspections.services.verification import verification_cases_open_missing
from portal.regions.models import Region


class Command(BaseCommand):
    help = "Open the on-site verification case of every accepted filing that has none (filings accepted earlier)."

    def add_arguments(self, parser):
        parser.add_argument("--province", help="province code, e.g. 220000; default: every province")

    def handle(self, *args, province=None, **options):
        region = Region.objects.get(code=province) if province else None
        opened = verification_cases_open_missing(province=region)
        self.stdout.write(f"opened {opened} verification case(s)")
