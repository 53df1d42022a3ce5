from django import template

from directives import wording
from directives.models import figure_label as label_of_figure

register = template.Library()


@register.filter
def person(user):
    """A user's name as union offices write it: family name first, no space, for Chinese."""
    return wording.person(user)


@register.filter
def join_list(items):
    """Items joined as a list in the active language (directives.wording)."""
    return wording.join_list(items)


@register.filter
def labelled(label):
    """A label with the colon (and space) of the active language before its value."""
    return wording.labelled(label)


@register.filter
def lookup(mapping, key):
    """mapping[key] in a template, or None (also when there is no mapping)."""
    return mapping.get(key) if mapping else None


@register.filter
def figure_label(code):
    """The name of a figure code: a standard one translated."""
    return label_of_figure(code)


@register.filter
def bar_width(percent):
    """The class that sizes a progress bar (static/css/bar-widths.css): a style attribute
    would be refused by the Content-Security-Policy."""
    try:
        percent = round(float(percent))
    except (TypeError, ValueError):
        percent = 0
    return f"gq-w-{min(100, max(0, percent))}"
