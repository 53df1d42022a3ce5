from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    """Expected figures name a figure of the catalogue (by the same code, in the same
    column) and may set a target per unit. Apart from 0007, whose rows it refers to:
    PostgreSQL cannot alter a table in the transaction that filled the one it points at."""

    dependencies = [
        ("directives", "0007_figure_catalogue"),
    ]

    operations = [
        migrations.AddField(
            model_name="expectedfigure",
            name="target",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="The least each union should reach, if the issuer set one.",
                null=True,
                verbose_name="target per unit",
            ),
        ),
        migrations.AlterField(
            model_name="expectedfigure",
            name="figure",
            field=models.ForeignKey(
                db_column="figure",
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="+",
                to="directives.cataloguefigure",
                to_field="code",
                verbose_name="figure",
            ),
        ),
    ]
