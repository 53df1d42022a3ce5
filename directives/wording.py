"""How the app words what it composes, in the active language: a person's name, a list of
items, a label before its value. Chinese joins a list with 、 and ends a label with a
full-width colon; English with a comma and a colon and a space. The separators are
messages of the catalogue, so each language says them its own way."""

from django.utils.translation import pgettext


def person_name(family, given, username):
    """A name as union offices write it: family name first, no space, for Chinese; the
    login name only when the person has none."""
    family, given = (family or "").strip(), (given or "").strip()
    if family and given and not (family + given).isascii():
        return f"{family}{given}"
    return " ".join(part for part in (given, family) if part) or username or ""


def person(user):
    """A user's name (see `person_name`), or "" without a user."""
    if user is None:
        return ""
    return person_name(user.last_name, user.first_name, user.get_username())


def join_list(items):
    """Items joined as a list in the active language: 学习、培训 / study, training."""
    return pgettext("between the items of a list", ", ").join(str(item) for item in items)


def labelled(label):
    """A label as it stands before its value: 参加人次：/ Participants: (with the space)."""
    return pgettext("a label before its value", "%(label)s: ") % {"label": label}
