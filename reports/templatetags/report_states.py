"""What the pages of the directives app show of reports, which that app cannot import."""

from django import template

from reports.models import Report, Submission

register = template.Library()


@register.simple_tag
def mark_returned(assignments):
    """Give each assignment whose report was returned `returned`: the submission that was
    returned, with the reviewer's comment. One query for the whole page."""
    assignments = list(assignments)
    returned = {}
    for submission in (
        Submission.objects.filter(
            report__assignment__in=[a.pk for a in assignments],
            report__state=Report.State.RETURNED,
        )
        .select_related("report", "reviewed_by")
        .order_by("report", "-number")
    ):
        returned.setdefault(submission.report.assignment_id, submission)
    for assignment in assignments:
        assignment.returned = returned.get(assignment.pk)
    return ""
