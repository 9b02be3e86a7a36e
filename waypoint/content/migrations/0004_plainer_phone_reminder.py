"""Version 2 of Waypoint's default scripts: the hang-up reminder in plainer words (US grade 6 or
below, checked by tests/test_readability.py).  Version 1 stays, so answers and screens recorded
with it keep their wording; every other line is copied unchanged."""

from django.db import migrations

KEY = "phone_reminder"
EN = "You are free to hang up at any time. Do it if you think someone is listening, or if you are in danger."
ES = "Puede colgar en cualquier momento. Hágalo si cree que alguien está escuchando o si está en peligro."


def add_version(apps, schema_editor):  # type: ignore[no-untyped-def]
    ContentSet = apps.get_model("content", "ContentSet")
    ContentLine = apps.get_model("content", "ContentLine")
    first = ContentSet.objects.filter(org=None, kind="scripts", version=1).first()
    if first is None or ContentSet.objects.filter(org=None, kind="scripts", version=2).exists():
        return
    second = ContentSet.objects.create(org=None, kind="scripts", version=2)
    for line in ContentLine.objects.filter(content_set=first).order_by("order", "language"):
        text = {"en": EN, "es": ES}.get(line.language, line.text) if line.key == KEY else line.text
        ContentLine.objects.create(
            content_set=second, key=line.key, order=line.order, language=line.language, text=text
        )


class Migration(migrations.Migration):
    dependencies = [("content", "0003_cover_closing_line")]
    operations = [migrations.RunPython(add_version, migrations.RunPython.noop)]
