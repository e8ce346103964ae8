from datetime import date

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Run the daily deadline scan now (what Celery beat queues at 07:00); safe to repeat: "
            "nothing is sent twice.")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="scan as of this day (YYYY-MM-DD); default today")

    def handle(self, *args, **options):
        from reporting.reminders.services import deadlines_scan

        try:
            today = date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        result = deadlines_scan(today=today)
        self.stdout.write(
            f"{result.today}: {result.deadlines} open deadlines, {result.staged} at a reminder stage, "
            f"{result.reminders_sent} reminders sent in {result.digests_sent} digests ({result.seconds:.1f} s)"
        )
