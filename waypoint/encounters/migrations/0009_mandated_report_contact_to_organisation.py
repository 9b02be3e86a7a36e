"""The separation protocol's child protective services contact moves to the organisation's
mandated-report settings (Settings, Minors and jurisdiction), its one place from issue 13.

Forward: a contact the organisation typed (not empty, not an old "(add the number)" placeholder) is
copied to ``Organisation.mandated_report_contact`` when that is still empty, with the agency named
as the old field was labelled ("Child protective services") when no agency is set; then the field
goes.  Backward: the field comes back and the organisation's contact is copied into it."""

from typing import Any

from django.db import migrations, models

PLACEHOLDER = "(add the"
OLD_LABEL = "Child protective services"


def _real(text: str) -> str:
    text = (text or "").strip()
    return "" if PLACEHOLDER in text.casefold() else text


def to_organisation(apps: Any, schema_editor: Any) -> None:
    Protocol = apps.get_model("encounters", "SeparationProtocol")
    Organisation = apps.get_model("orgs", "Organisation")
    for protocol in Protocol.objects.all().only("id", "org_id", "cps_contact"):
        contact = _real(protocol.cps_contact)
        if not contact:
            continue
        org = Organisation.objects.get(pk=protocol.org_id)
        if _real(org.mandated_report_contact):
            continue  # already set on the organisation: that one is kept
        org.mandated_report_contact = contact[:300]
        if not _real(org.mandated_report_agency):
            org.mandated_report_agency = OLD_LABEL
        org.save(update_fields=["mandated_report_contact", "mandated_report_agency"])


def to_protocol(apps: Any, schema_editor: Any) -> None:
    Protocol = apps.get_model("encounters", "SeparationProtocol")
    Organisation = apps.get_model("orgs", "Organisation")
    contacts = dict(Organisation.objects.values_list("id", "mandated_report_contact"))
    for protocol in Protocol.objects.all().only("id", "org_id"):
        protocol.cps_contact = (contacts.get(protocol.org_id) or "")[:300]
        protocol.save(update_fields=["cps_contact"])


class Migration(migrations.Migration):
    dependencies = [
        ("encounters", "0008_safe_to_talk_step_and_call_back_comfort_choices"),
        ("orgs", "0007_organisation_mandated_report_agency_and_more"),
    ]

    operations = [
        migrations.RunPython(to_organisation, to_protocol),
        # A default first, so that running back can add the column again to existing rows.
        migrations.AlterField(
            model_name="separationprotocol",
            name="cps_contact",
            field=models.CharField(default="", max_length=300, verbose_name="Child protective services contact"),
        ),
        migrations.RemoveField(
            model_name="separationprotocol",
            name="cps_contact",
        ),
    ]
