"""The database refuses a customer or contact link on a response of an anonymous wave
(triggers; see ``research.db_guards``)."""

from django.db import migrations


def forward(apps, schema_editor):
    from research.db_guards import anonymous_guard_ensure

    anonymous_guard_ensure(schema_editor.connection)


def backward(apps, schema_editor):
    from research.db_guards import anonymous_guard_drop

    anonymous_guard_drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("research", "0002_response_wave_segment_idx"),
    ]

    operations = [migrations.RunPython(forward, backward)]
