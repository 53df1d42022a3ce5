"""The report-back requirement is done once the report is submitted and not returned: set
the dashboards' summary rows of existing reports so, whatever a union had ticked."""

from django.db import migrations
from django.utils import timezone

SENT_STATES = ("submitted", "accepted")


def follow_reports(apps, schema_editor):
    RequirementProgress = apps.get_model("reports", "RequirementProgress")
    Report = apps.get_model("reports", "Report")
    sent = dict(
        Report.objects.filter(state__in=SENT_STATES).values_list("assignment", "submitted_at")
    )
    rows = list(RequirementProgress.objects.filter(requirement__kind="report"))
    for row in rows:
        row.done_at = sent.get(row.assignment_id)
        row.done_on = timezone.localdate(row.done_at) if row.done_at else None
    RequirementProgress.objects.bulk_update(rows, ["done_at", "done_on"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0011_figure_codes"),
    ]

    operations = [migrations.RunPython(follow_reports, migrations.RunPython.noop)]
