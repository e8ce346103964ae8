from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError

from filing.catalogue.services import catalogue_import_xlsx


class Command(BaseCommand):
    help = "Import a catalogue edition (e.g. GBZ 188-2025) from an .xlsx file in the import template layout."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check the file and list every problem")

    def handle(self, *args, path: Path, dry_run: bool, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        upload = ContentFile(path.read_bytes(), name=path.name)
        try:
            result = catalogue_import_xlsx(file=upload, actor=None, dry_run=dry_run)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        if result.issues:
            raise CommandError("\n".join(result.messages))
        if dry_run:
            self.stdout.write(f"{result.data.code}: {len(result.data.rows)} entries, no problems found")
        else:
            self.stdout.write(f"{result.edition.code}: imported {len(result.data.rows)} entries")
