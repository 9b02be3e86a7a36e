"""Add the closing line for "not safe to talk" to version 1 of the scripts (a new line; no existing
wording changes)."""

from django.db import migrations

EN = "Sorry, I think I have the wrong number. Have a good day."
ES = "Disculpe, creo que me equivoqué de número. Que tenga un buen día."


def add(apps, schema_editor):  # type: ignore[no-untyped-def]
    ContentSet = apps.get_model("content", "ContentSet")
    ContentLine = apps.get_model("content", "ContentLine")
    scripts = ContentSet.objects.filter(org=None, kind="scripts", version=1).first()
    if scripts is None or ContentLine.objects.filter(content_set=scripts, key="cover_closing").exists():
        return
    order = ContentLine.objects.filter(content_set=scripts).count()
    ContentLine.objects.create(content_set=scripts, key="cover_closing", order=order, language="en", text=EN)
    ContentLine.objects.create(content_set=scripts, key="cover_closing", order=order, language="es", text=ES)


class Migration(migrations.Migration):
    dependencies = [("content", "0002_load_source_wording")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
