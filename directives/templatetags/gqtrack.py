from django import template

from directives.models import figure_label as label_of_figure

register = template.Library()


@register.filter
def person(user):
    """A user's name as union offices write it: family name first, no space, for Chinese."""
    if user is None:
        return ""
    family, given = user.last_name.strip(), user.first_name.strip()
    if family and given and not (family + given).isascii():
        return f"{family}{given}"
    return user.get_full_name() or user.get_username()


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
