from django import template
from django.utils.http import urlencode

register = template.Library()

LIGHT_CLASSES = {"red": "table-danger", "yellow": "table-warning", "green": "table-success"}


@register.filter
def light_class(counts):
    """The table cell colour of a traffic light: red overdue, yellow due soon, green done."""
    return LIGHT_CLASSES.get(counts.light, "")


@register.simple_tag
def behind(row, **params):
    """The query string of the list behind a number in a dashboard row."""
    query = {"unit": row.union.pk} if row.union else {}
    if row.own:
        query["own"] = 1
    query.update({key: value for key, value in params.items() if value not in (None, "")})
    return urlencode(query)


@register.filter
def attr(counts, name):
    """counts.<name> in a template, for a name held in a variable."""
    return getattr(counts, str(name), None) if counts else None
