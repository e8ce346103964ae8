"""A verification case ends with its filing: cases of filings cancelled before they were verified."""

from django.db import migrations, models

PENDING = ("open", "scheduled", "in_progress")


def withdraw_cases_of_cancelled_filings(apps, schema_editor):
    """Cases left pending by filings cancelled before this step existed end now, each audited."""
    VerificationCase = apps.get_model("inspections", "VerificationCase")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    cases = list(VerificationCase.objects.filter(status__in=PENDING, filing__status="cancelled"))
    if not cases:
        return
    content_type, _created = ContentType.objects.get_or_create(app_label="inspections", model="verificationcase")
    for case in cases:
        old = case.status
        case.status = "withdrawn"
        case.save(update_fields=["status", "updated_at"])
        AuditEntry.objects.create(
            province_id=case.province_id, actor=None, actor_name="system", action="inspections.verification.withdrawn",
            content_type=content_type, object_id=str(case.pk), object_repr=f"{case.institution.name} 现场核查"[:255],
            old={"reason": None, "status": old}, new={"reason": "filing_cancelled", "status": "withdrawn"},
        )


class Migration(migrations.Migration):

    dependencies = [
        ('inspections', '0001_initial'),
        ('filing', '0001_initial'),
        ('audit', '0002_immutable_trigger'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AlterField(
            model_name='verificationcase',
            name='status',
            field=models.CharField(choices=[('open', '待安排'), ('scheduled', '已安排'), ('in_progress', '核查中'), ('signed_off', '已签发'), ('withdrawn', '已终止（备案已注销）')], db_index=True, default='open', max_length=16, verbose_name='状态'),
        ),
        migrations.RunPython(withdraw_cases_of_cancelled_filings, migrations.RunPython.noop),
    ]
