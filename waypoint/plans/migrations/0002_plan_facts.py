"""Plan facts in plain columns: the plan's stage, and one row per domain and item with its step
counts and status, back-filled from the encrypted content of every existing plan."""

import json

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Read each plan's content (the field decrypts it) and write its stage and facts; running it
    again gives the same rows."""
    from waypoint.plans.spec import DOMAIN_KEYS, ITEM_KEYS, ActionStatus, domain_section, empty_content, item_section

    SafetyPlan = apps.get_model("plans", "SafetyPlan")
    PlanSectionFacts = apps.get_model("plans", "PlanSectionFacts")
    for plan in SafetyPlan.objects.only("id", "content_json").iterator(chunk_size=200):
        stored = json.loads(plan.content_json) if plan.content_json else {}
        content = empty_content()
        content.update({key: value for key, value in stored.items() if key in content})
        SafetyPlan.objects.filter(pk=plan.pk).update(stage=content["overview"].get("stage") or "staying")
        rows = []
        for key in DOMAIN_KEYS:
            value = content[domain_section(key)]
            current, future = value.get("current") or [], value.get("future") or []
            statuses = [step.get("status") for step in [*current, *future]]
            counts = {status: statuses.count(status) for status in ActionStatus.values}
            rows.append(
                PlanSectionFacts(
                    plan_id=plan.pk,
                    section=domain_section(key),
                    kind="domain",
                    steps_current=len(current),
                    steps_future=len(future),
                    item_status="",
                    **counts,
                )
            )
        for key in ITEM_KEYS:
            status = content[item_section(key)].get("status") or "not_discussed"
            rows.append(PlanSectionFacts(plan_id=plan.pk, section=item_section(key), kind="item", item_status=status))
        PlanSectionFacts.objects.filter(plan_id=plan.pk).delete()
        PlanSectionFacts.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="safetyplan",
            name="stage",
            field=models.CharField(
                choices=[("staying", "Still in the situation"), ("leaving", "Leaving"), ("after", "After leaving")],
                default="staying",
                max_length=8,
            ),
        ),
        migrations.CreateModel(
            name="PlanSectionFacts",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("section", models.CharField(max_length=40)),
                (
                    "kind",
                    models.CharField(
                        choices=[("domain", "Area of safety"), ("item", "Resources and next steps item")], max_length=8
                    ),
                ),
                ("steps_current", models.PositiveSmallIntegerField(default=0)),
                ("steps_future", models.PositiveSmallIntegerField(default=0)),
                ("to_do", models.PositiveSmallIntegerField(default=0)),
                ("doing", models.PositiveSmallIntegerField(default=0)),
                ("done", models.PositiveSmallIntegerField(default=0)),
                ("stopped", models.PositiveSmallIntegerField(default=0)),
                (
                    "item_status",
                    models.CharField(
                        blank=True,
                        choices=[("not_discussed", "Not discussed"), ("declined", "Declined"), ("filled", "Filled in")],
                        max_length=16,
                    ),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="facts", to="plans.safetyplan"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("plan", "section"), name="one_facts_row_per_plan_section")
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
