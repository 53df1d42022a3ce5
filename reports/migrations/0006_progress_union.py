from django.db import migrations


class Migration(migrations.Migration):
    """One word for a node of the tree: the summary row's union is called so."""

    dependencies = [
        ("reports", "0005_job_kind_help"),
    ]

    operations = [
        migrations.RenameField(
            model_name="requirementprogress",
            old_name="unit",
            new_name="union",
        ),
    ]
