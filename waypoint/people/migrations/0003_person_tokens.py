"""The word index of people records (issue 11): a table of keyed hashes, and every existing record
indexed with the same code the app uses on every save (``waypoint.people.tokens``)."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

from waypoint.core import crypto
from waypoint.people import tokens

BATCH = 500


def index_existing(apps: Any, schema_editor: Any) -> None:
    """Read each record's name and alias (decrypted as the fields do), write its hashes."""
    token_model = apps.get_model("people", "PersonToken")
    alias = schema_editor.connection.alias
    rows = []
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, org_id, name, alias FROM people_person")
        for pk, org_id, name, other in cursor.fetchall():
            texts = [crypto.decrypt(value, f"people_person.{column}") if value else "" for column, value in
                     (("name", name), ("alias", other))]  # fmt: skip
            for digest in sorted(tokens.record_digests(org_id, *texts)):
                rows.append(token_model(person_id=pk, org_id=org_id, digest=digest))
    token_model.objects.using(alias).bulk_create(rows, batch_size=BATCH)


def forget_all(apps: Any, schema_editor: Any) -> None:
    apps.get_model("people", "PersonToken").objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0005_staff_conveniences"),
        ("people", "0002_encrypt_person_facts_org_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="PersonToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("digest", models.CharField(max_length=64)),
                (
                    "org",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="orgs.organisation"
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="tokens", to="people.person"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["org", "digest"], name="person_token_lookup")],
                "constraints": [models.UniqueConstraint(fields=("person", "digest"), name="person_token_once")],
            },
        ),
        migrations.RunPython(index_existing, forget_all),
    ]
