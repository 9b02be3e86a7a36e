"""Contact rules become structured answers (issue 10).

The old free-text rules (how to identify ourselves, if someone else answers, if disconnected) could
hold a whole answer such as "text only, no voicemail, say it's the pharmacy", so none of them is
split or guessed into a permission: they move to ``to_confirm`` (shown as older answers to confirm,
never used to decide a contact), ``identify_as`` starts empty, and those rules count as not
confirmed (what was confirmed can no longer be read as it was).  The plan's device item held the
phone questions, the safe word and the battery plan as the same structured answers the rules now
have: they move to the rules one for one, and the plan's permissions and device items keep no copy
(the plan versions keep their history).  Every row is saved again so each new encrypted column has
its own nonce.  Reversible."""

import json
import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import waypoint.core.fields
from waypoint.core.fields import settle_deferred_checks

OLD_TEXT_RULES = ("identify_as", "if_someone_answers", "disconnection_plan")
DEVICE = {  # plan device item field -> rule field
    "given_by_exploiter": "phone_from_exploiter",
    "seen_by_exploiter": "phone_seen_by_exploiter",
    "shared": "device_shared",
    "safe_word": "safe_word",
    "battery": "battery_plan",
}
PERMISSIONS = ("voicemail", "text", "email", "chat")


def _content(plan):
    return json.loads(plan.content_json) if plan.content_json else {}


def _store(plan, content):
    plan.content_json = json.dumps(content, ensure_ascii=False, sort_keys=True)
    plan.save(update_fields=["content_json"])


def split_rules(apps, schema_editor):
    Rules = apps.get_model("contact", "ContactRules")
    Plan = apps.get_model("plans", "SafetyPlan")
    Task = apps.get_model("contact", "FollowUpTask")
    for rules in Rules.objects.all():
        rules.to_confirm = {name: getattr(rules, name) for name in OLD_TEXT_RULES if getattr(rules, name)}
        rules.identify_as = ""
        if rules.to_confirm:  # what was confirmed can no longer be read as it was: confirm again
            rules.confirmed_at, rules.reconfirm_due = None, True
        rules.save()
    for plan in Plan.objects.all():
        content = _content(plan)
        device = content.get("resource:device") or {}
        fields = device.get("fields") or {}
        moved = {rule: fields[old] for old, rule in DEVICE.items() if fields.get(old) not in (None, "", "unknown")}
        if moved:
            rules, _created = Rules.objects.get_or_create(person_id=plan.person_id)
            for name, value in moved.items():
                setattr(rules, name, value)
            rules.save()
        for section in ("resource:device", "resource:permissions"):
            if section in content:
                content[section] = {**content[section], "fields": {}}
        _store(plan, content)
    for task in Task.objects.all():
        task.save()
    settle_deferred_checks(schema_editor)  # PostgreSQL: the columns are dropped right after


def join_rules(apps, schema_editor):
    Rules = apps.get_model("contact", "ContactRules")
    Plan = apps.get_model("plans", "SafetyPlan")
    for rules in Rules.objects.all():
        notes = rules.to_confirm or {}
        rules.identify_as = rules.identify_as or notes.get("identify_as", "")  # a recorded cover wins
        rules.if_someone_answers = notes.get("if_someone_answers", "")
        rules.disconnection_plan = notes.get("disconnection_plan", "")
        rules.save()
    for plan in Plan.objects.all():
        rules = Rules.objects.filter(person_id=plan.person_id).first()
        if rules is None:
            continue
        content = _content(plan)
        device = {old: getattr(rules, rule) for old, rule in DEVICE.items() if getattr(rules, rule)}
        permissions = {name: getattr(rules, name) for name in PERMISSIONS}
        if "resource:device" in content and device:
            content["resource:device"] = {**content["resource:device"], "fields": device}
        if "resource:permissions" in content:
            content["resource:permissions"] = {**content["resource:permissions"], "fields": permissions}
        _store(plan, content)
    settle_deferred_checks(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("contact", "0003_encrypt_channels"),
        ("orgs", "0004_staff_interviews_as"),
        ("people", "0002_encrypt_person_facts_org_index"),
        ("plans", "0003_encrypt_carry"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="contactrules",
            name="battery_plan",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=2000),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="best_times",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="best_way",
            field=waypoint.core.fields.EncryptedCharField(
                blank=True,
                choices=[
                    ("call", "Phone call"),
                    ("voicemail", "Voicemail"),
                    ("text", "Text message"),
                    ("email", "E-mail"),
                    ("chat", "Chat or messaging app"),
                    ("post", "Post"),
                    ("visit", "Home visit"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="call",
            field=waypoint.core.fields.EncryptedCharField(
                choices=[
                    ("unknown", "Not asked (treated as not allowed)"),
                    ("allowed", "Allowed"),
                    ("not_allowed", "Not allowed"),
                ],
                default="unknown",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="call_back_after",
            field=waypoint.core.fields.EncryptedIntegerField(blank=True, max_value=10080, min_value=0, null=True),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="changed_by_id",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="chat_address",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="confirmed_how",
            field=waypoint.core.fields.EncryptedCharField(
                blank=True, choices=[("in_person", "In person"), ("phone", "By phone")], max_length=10
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="danger_word",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="danger_word_action",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="device_shared",
            field=waypoint.core.fields.EncryptedCharField(
                choices=[("unknown", "Not asked"), ("yes", "Yes"), ("no", "No"), ("unsure", "Unsure")],
                default="unknown",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="email_address",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="may_name_org",
            field=waypoint.core.fields.EncryptedCharField(
                choices=[("unknown", "Not asked"), ("yes", "Yes"), ("no", "No"), ("unsure", "Unsure")],
                default="unknown",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="on_disconnect",
            field=waypoint.core.fields.EncryptedCharField(
                blank=True,
                choices=[
                    ("call_back", "We call back"),
                    ("they_call", "They call us"),
                    ("neither", "Neither: wait for the next planned contact"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="phone_from_exploiter",
            field=waypoint.core.fields.EncryptedCharField(
                choices=[("unknown", "Not asked"), ("yes", "Yes"), ("no", "No"), ("unsure", "Unsure")],
                default="unknown",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="phone_number",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="phone_seen_by_exploiter",
            field=waypoint.core.fields.EncryptedCharField(
                choices=[("unknown", "Not asked"), ("yes", "Yes"), ("no", "No"), ("unsure", "Unsure")],
                default="unknown",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="post",
            field=waypoint.core.fields.EncryptedCharField(
                choices=[
                    ("unknown", "Not asked (treated as not allowed)"),
                    ("allowed", "Allowed"),
                    ("not_allowed", "Not allowed"),
                ],
                default="unknown",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="post_address",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="reconfirm_due",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="safe_to_contact",
            field=waypoint.core.fields.EncryptedCharField(
                choices=[
                    ("not_asked", "Not asked (no contact)"),
                    ("yes", "Yes"),
                    ("no", "No"),
                    ("not_sure", "Not sure (no contact)"),
                ],
                default="not_asked",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="safe_word",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="safe_word_action",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="someone_answers",
            field=waypoint.core.fields.EncryptedCharField(
                blank=True,
                choices=[
                    ("hang_up", "Hang up"),
                    ("say_cover", "Say you are the cover they chose"),
                    ("wrong_number", "Say it is a wrong number"),
                    ("other", "Something else, in their words"),
                ],
                max_length=14,
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="someone_answers_words",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="text_number",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="to_confirm",
            field=waypoint.core.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="visit",
            field=waypoint.core.fields.EncryptedCharField(
                choices=[
                    ("unknown", "Not asked (treated as not allowed)"),
                    ("allowed", "Allowed"),
                    ("not_allowed", "Not allowed"),
                ],
                default="unknown",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="visit_address",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="whereabouts",
            field=waypoint.core.fields.EncryptedCharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="contactrules",
            name="whereabouts_safe",
            field=waypoint.core.fields.EncryptedCharField(
                choices=[("unknown", "Not asked"), ("yes", "Yes"), ("no", "No"), ("unsure", "Unsure")],
                default="unknown",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="followuptask",
            name="channel",
            field=waypoint.core.fields.EncryptedCharField(
                blank=True,
                choices=[
                    ("call", "Phone call"),
                    ("voicemail", "Voicemail"),
                    ("text", "Text message"),
                    ("email", "E-mail"),
                    ("chat", "Chat or messaging app"),
                    ("post", "Post"),
                    ("visit", "Home visit"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="followuptask",
            name="overdue",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="followuptask",
            name="source",
            field=waypoint.core.fields.EncryptedCharField(
                choices=[
                    ("plan", "Safety plan"),
                    ("manual", "Added by staff"),
                    ("callback", "Callback agreed in a call"),
                    ("not_safe", "Not safe to talk on an attempt"),
                ],
                default="manual",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="followuptask",
            name="what",
            field=waypoint.core.fields.EncryptedTextField(blank=True),
        ),
        migrations.CreateModel(
            name="ContactAttempt",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "channel",
                    waypoint.core.fields.EncryptedCharField(
                        choices=[
                            ("call", "Phone call"),
                            ("voicemail", "Voicemail"),
                            ("text", "Text message"),
                            ("email", "E-mail"),
                            ("chat", "Chat or messaging app"),
                            ("post", "Post"),
                            ("visit", "Home visit"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "outcome",
                    waypoint.core.fields.EncryptedCharField(
                        choices=[
                            ("reached", "Reached them"),
                            ("no_answer", "No answer"),
                            ("not_safe", "Not safe to talk"),
                            ("someone_else", "Someone else answered"),
                            ("wrong_number", "Wrong number"),
                        ],
                        max_length=14,
                    ),
                ),
                ("voicemail_left", waypoint.core.fields.EncryptedBooleanField(default=False)),
                ("note", waypoint.core.fields.EncryptedTextField(blank=True)),
                ("rules_version", models.PositiveIntegerField(blank=True, null=True)),
                ("at", models.DateTimeField(auto_now_add=True)),
                ("next_task_id", models.UUIDField(blank=True, null=True)),
                (
                    "by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "org",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orgs.organisation"
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="contact_attempts", to="people.person"
                    ),
                ),
                (
                    "task",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attempts",
                        to="contact.followuptask",
                    ),
                ),
            ],
            options={
                "ordering": ["-at"],
            },
        ),
        migrations.RunPython(split_rules, join_rules),
        migrations.RemoveField(
            model_name="contactrules",
            name="disconnection_plan",
        ),
        migrations.RemoveField(
            model_name="contactrules",
            name="if_someone_answers",
        ),
    ]
