import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_audit_count"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordKey",
            fields=[
                ("id", models.UUIDField(primary_key=True, serialize=False)),
                ("org_id", models.UUIDField(db_index=True)),
                ("wrapped", models.TextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddField(
            model_name="audithead",
            name="trimmed_seq",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="audithead",
            name="trimmed_hash",
            field=models.CharField(
                default="0000000000000000000000000000000000000000000000000000000000000000", max_length=64
            ),
        ),
    ]
