"""Load version 1 of the questions and scripts, word for word from the practice guides."""

from django.db import migrations

# A frozen copy of waypoint/content/source.py at the time of this migration would be safest; the
# module is imported instead and treated as append-only: change wording through a new version.
from waypoint.content.source import CONTENT


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    ContentSet = apps.get_model("content", "ContentSet")
    ContentLine = apps.get_model("content", "ContentLine")
    for kind, lines in CONTENT.items():
        content_set, created = ContentSet.objects.get_or_create(org=None, kind=kind, version=1)
        if not created:
            continue
        for order, (key, english, spanish) in enumerate(lines):
            ContentLine.objects.create(content_set=content_set, key=key, order=order, language="en", text=english)
            ContentLine.objects.create(content_set=content_set, key=key, order=order, language="es", text=spanish)


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
