from django import template

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
