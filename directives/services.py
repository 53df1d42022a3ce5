"""Writes that touch several rows, each in one transaction."""

import re
import secrets

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .access import membership_of
from .models import (
    Assignment,
    CatalogueFigure,
    Directive,
    ExpectedFigure,
    Figure,
    Membership,
    Requirement,
    Union,
    past_due,
)
from .signals import directive_issued, union_merged


@transaction.atomic
def directive_set_recipients(*, directive, mode, selected=()):
    """Make the directive's assignments match the recipient mode, keeping acknowledgements."""
    unions = directive.recipient_unions(mode, selected)
    wanted = set(unions.values_list("pk", flat=True))
    existing = set(directive.assignments.values_list("recipient_id", flat=True))
    directive.assignments.exclude(recipient_id__in=wanted).delete()
    bulk_create_with_history(
        [Assignment(directive=directive, recipient_id=pk) for pk in wanted - existing],
        Assignment,
        batch_size=1000,
    )
    if directive.recipient_mode != mode:
        directive.recipient_mode = mode
        directive.save(update_fields=["recipient_mode"])


@transaction.atomic
def directive_issue(*, directive):
    """Issue a draft: date it, and send it to the unions its recipient mode names now."""
    directive = Directive.objects.select_for_update().get(pk=directive.pk)
    if directive.state != Directive.State.DRAFT:
        raise ValueError(_("Only a draft can be issued."))
    if directive.recipient_mode != Directive.RecipientMode.SELECTED:
        # The tree may have grown since the draft was saved.
        directive_set_recipients(directive=directive, mode=directive.recipient_mode)
    if not directive.assignments.exists():
        raise ValueError(_("A directive needs at least one recipient before it is issued."))
    if not directive.requirements.exists():
        raise ValueError(_("A directive needs at least one requirement before it is issued."))
    directive.state = Directive.State.ISSUED
    directive.issued_on = directive.issued_on or timezone.localdate()
    directive.report_due_on = directive.report_back_day()
    directive.version += 1
    directive.save(update_fields=["state", "issued_on", "report_due_on", "version", "updated_at"])
    answers = directive_issued.send(sender=Directive, directive=directive)
    directive.announcements = [str(answer) for _receiver, answer in answers if answer]
    return directive


@transaction.atomic
def directive_close(*, directive):
    """Close an issued directive: its recipients stop writing progress and reports."""
    directive = Directive.objects.select_for_update().get(pk=directive.pk)
    if directive.state != Directive.State.ISSUED:
        return directive
    directive.state = Directive.State.CLOSED
    directive.version += 1
    directive.save(update_fields=["state", "version", "updated_at"])
    return directive


def passing_on_refused(directive, union):
    """Why the union may not pass the directive on (forward or carry it out), or ""."""
    if (
        directive.state != Directive.State.ISSUED
        or not directive.assignments.filter(recipient=union).exists()
    ):
        return _("Only an issued directive your union received can be passed on.")
    return ""


def forward_title(title):
    """The title a forward proposes, as offices write it: 关于转发《…》的通知."""
    proposed = _("Forwarding “%(title)s”") % {"title": title}
    return proposed[: Directive._meta.get_field("title").max_length]


def carry_out_title(title):
    """The title a directive carrying one out proposes: 关于贯彻落实《…》的通知."""
    proposed = _("Carrying out “%(title)s”") % {"title": title}
    return proposed[: Directive._meta.get_field("title").max_length]


def readdressed(text, *, above, to):
    """The text of a copied requirement with the report it asks for sent to `to` instead
    of `above`: "报省总工会" (a short form of 山东省总工会) becomes "报青岛市总工会". Short
    forms are the endings of the union's names of four characters or more."""
    names = {above.name, above.short_name} - {""}
    endings = {name[start:] for name in names for start in range(len(name) - 3)}
    if not endings or not text:
        return text
    pattern = "报(送?)(" + "|".join(re.escape(e) for e in sorted(endings, key=len)[::-1]) + ")"
    return re.sub(pattern, lambda match: f"报{match.group(1)}{to.name}", text)


def requirements_copy(*, directive, into, user):
    """Copy the directive's requirements into `into`, each passing its source on, with
    its figures. The copies name no addressee: their report goes to `into`'s issuer, not
    to the union above."""
    sources = list(directive.requirements.prefetch_related("expected_figures"))
    copies = bulk_create_with_history(
        [
            Requirement(
                directive=into,
                source=source,
                kind=source.kind,
                title=source.title,
                description=readdressed(source.description, above=directive.issuer, to=into.issuer),
                due_on=source.due_on,
                position=source.position,
            )
            for source in sources
        ],
        Requirement,
        default_user=user,
    )
    for copy in copies:
        copy.place_in_chain()
    Requirement.objects.bulk_update(copies, ["origin", "lineage"])
    ExpectedFigure.objects.bulk_create(
        ExpectedFigure(requirement=copy, figure_id=figure.figure_id, target=figure.target)
        for source, copy in zip(sources, copies, strict=True)
        for figure in source.expected_figures.all()
    )
    return copies


@transaction.atomic
def directive_forward(*, directive, union, user):
    """Start the union's own directive passing this one on, with its requirements copied.

    A union forwards a directive once; asking again returns the forward it already has.
    """
    existing = Directive.objects.filter(
        parent=directive, issuer=union, relation=Directive.Relation.FORWARD
    ).first()
    if existing is not None:
        return existing
    return passed_on_draft(
        directive=directive,
        union=union,
        user=user,
        relation=Directive.Relation.FORWARD,
        titled=forward_title,
    )


@transaction.atomic
def directive_carry_out(*, directive, union, user):
    """Start a directive of the union's own carrying out (承接) one it received: a new
    draft each time, linked to it, with its requirements copied for the union to rewrite,
    split or add to. Its units' work on them counts in the cascade as a forward's does."""
    return passed_on_draft(
        directive=directive,
        union=union,
        user=user,
        relation=Directive.Relation.CARRY_OUT,
        titled=carry_out_title,
    )


def passed_on_draft(*, directive, union, user, relation, titled):
    """The union's draft passing the directive on (a forward or a carrying-out directive):
    titled by `titled` from the directive's title, in the site's language, with the requirements
    copied and the union's children as recipients. Refused (ValueError) where the union
    may not pass it on."""
    refused = passing_on_refused(directive, union)
    if refused:
        raise ValueError(refused)
    with translation.override(settings.LANGUAGE_CODE):
        title = titled(directive.title)
    draft = Directive.objects.create(
        issuer=union,
        parent=directive,
        relation=relation,
        title=title,
        kind=Directive.Kind.NOTICE,
        body="",
        recipient_mode=Directive.RecipientMode.CHILDREN,
        created_by=user,
    )
    requirements_copy(directive=directive, into=draft, user=user)
    directive_set_recipients(directive=draft, mode=draft.recipient_mode)
    return draft


def directive_issue_preview(*, directive, today=None):
    """What issuing the draft would do, written nowhere: the unions it would reach, its
    requirements, those whose deadline has passed, and why it cannot be issued yet."""
    today = today or timezone.localdate()
    if directive.recipient_mode == Directive.RecipientMode.SELECTED:
        recipients = Union.objects.filter(assignments__directive=directive)
    else:
        recipients = directive.recipient_unions(directive.recipient_mode)
    requirements = list(
        directive.requirements.with_figures().select_related("report_to", "directive__issuer")
    )
    problems = []
    count = recipients.count()
    if not count:
        problems.append(_("A directive needs at least one recipient before it is issued."))
    if not requirements:
        problems.append(_("A directive needs at least one requirement before it is issued."))
    return {
        "recipient_count": count,
        "recipients": recipients[:PREVIEWED_RECIPIENTS],
        "requirements": requirements,
        "past_due": past_due(requirements, today),
        "problems": problems,
    }


PREVIEWED_RECIPIENTS = 50

# --- The catalogue of figures ------------------------------------------------------------


def standard_figures_ensure(*, using="default"):
    """Put back any of the ten standard figures missing from the catalogue (a flushed
    database, a restore from an older backup): code holds them stable, not data."""
    figures = CatalogueFigure.objects.using(using)
    present = set(figures.filter(code__in=Figure.values).values_list("code", flat=True))
    with translation.override("zh-hans"):
        figures.bulk_create(
            CatalogueFigure(code=code, name=str(label), position=position)
            for position, (code, label) in enumerate(Figure.choices, start=1)
            if code not in present
        )


def figure_for_directive(*, directive, name):
    """The figure called `name` that the directive may ask for: the shared one of that
    name, else the directive's own, added if it has none."""
    name = name.strip()[: CatalogueFigure._meta.get_field("name").max_length]
    found = CatalogueFigure.objects.usable_in(directive).filter(name=name).first()
    if found is not None:
        return found
    return CatalogueFigure.objects.create(
        directive=directive, name=name, code=f"d{directive.pk}_{secrets.token_hex(4)}"
    )


# --- The union tree ------------------------------------------------------------------------


class MergeRefused(ValueError):
    """A merge that cannot be made; its message says why."""


@transaction.atomic
def unions_deactivate(*, unions):
    """Deactivate the unions and every union beneath them (a dissolved union's branches go
    with it). They keep all they received and did, and dashboards still count it; they
    receive nothing new. Their people keep their accounts. Returns how many changed."""
    beneath = Q()
    for union in unions:
        beneath |= Q(path__startswith=union.path)
    changed = list(Union.objects.filter(beneath, is_active=True)) if beneath else []
    for union in changed:
        union.is_active = False
    bulk_update_with_history(changed, Union, ["is_active"], batch_size=1000)
    return len(changed)


@transaction.atomic
def unions_reactivate(*, unions):
    """Let deactivated unions receive directives again; merged ones stay as they are."""
    changed = [u for u in unions if not u.is_active and u.merged_into_id is None]
    for union in changed:
        union.is_active = True
    bulk_update_with_history(changed, Union, ["is_active"], batch_size=1000)
    return len(changed)


def merge_problem(union, into):
    """Why the union cannot be merged into the other, or None."""
    if union.pk == into.pk:
        return _("A union cannot be merged into itself.")
    if into.is_within(union):
        return _("A union cannot be merged into a union beneath it.")
    if not union.is_active or not into.is_active:
        return _("Only active unions can be merged.")
    if union.depth == 1:
        return _("The top of the tree cannot be merged into another union.")
    return None


@transaction.atomic
def union_merge(*, union, into):
    """Merge a union into another, as when two unions are combined: its units beneath move
    under the other, its people join it, and its directives, received and issued, pass to
    it with all their progress and reports. Where the other already has the same directive
    (both received it, or a number or forward clashes) the union keeps its own, as history.
    The union stays in the tree, deactivated, pointing at the one it was merged into.

    Returns what moved, by kind, for the log.
    """
    # Locked, so that of two merges of one union made at once only the first goes through.
    locked = {u.pk: u for u in Union.objects.select_for_update().filter(pk__in=[union.pk, into.pk])}
    union, into = locked[union.pk], locked[into.pk]
    problem = merge_problem(union, into)
    if problem:
        raise MergeRefused(problem)
    units = list(Union.objects.children_of(union))
    for unit in units:
        Union.objects.move(
            Union.objects.get(pk=unit.pk), Union.objects.get(pk=into.pk), "last-child"
        )

    people = list(Membership.objects.filter(union=union))
    for membership in people:
        membership.union = into
    bulk_update_with_history(people, Membership, ["union"], batch_size=1000)

    received = Assignment.objects.filter(recipient=into).values("directive")
    assignments = list(Assignment.objects.filter(recipient=union).exclude(directive__in=received))
    for assignment in assignments:
        assignment.recipient = into
    bulk_update_with_history(assignments, Assignment, ["recipient"], batch_size=1000)

    taken = Directive.objects.filter(issuer=into)
    issued = list(
        Directive.objects.filter(issuer=union)
        .exclude(~Q(number="") & Q(number__in=taken.exclude(number="").values("number")))
        .exclude(parent__in=taken.filter(parent__isnull=False).values("parent"))
    )
    for directive in issued:
        directive.issuer = into
    bulk_update_with_history(issued, Directive, ["issuer"], batch_size=1000)

    union = Union.objects.get(pk=union.pk)  # moved units changed its numchild
    union.is_active = False
    union.merged_into = into
    union.save()
    union_merged.send(sender=Union, union=union, into=into, assignments=[a.pk for a in assignments])
    return {
        "units": len(units),
        "people": len(people),
        "received": len(assignments),
        "issued": len(issued),
    }


# --- Accounts ------------------------------------------------------------------------------


@transaction.atomic
def users_deactivate(*, users):
    """Deactivate the active ones among `users` and return them. Deactivation is how someone
    leaves: they can no longer sign in, and what they wrote keeps their name (deleting them
    would leave it nameless)."""
    deactivated = list(users.filter(is_active=True))
    for user in deactivated:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return deactivated


# Letters and digits that cannot be taken for one another (no 0/O, 1/l/I), for passwords
# read out over the telephone or written on a note.
ONE_TIME_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


def one_time_password():
    """A random password of twelve characters in three groups, e.g. `k7Qm-2xHd-9RtP`."""
    characters = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(12))
    return "-".join(characters[start : start + 4] for start in (0, 4, 8))


@transaction.atomic
def one_time_passwords_set(*, users):
    """Give each of `users` who belongs to a union a new random password that works until
    they choose their own, which they must do before anything else once signed in. Returns
    (user, password) pairs: the passwords are shown once and kept nowhere."""
    issued = []
    for user in users.filter(membership__isnull=False).select_related("membership"):
        password = one_time_password()
        user.set_password(password)
        user.save(update_fields=["password"])
        user.membership.must_change_password = True
        user.membership.save(update_fields=["must_change_password"])
        issued.append((user, password))
    return issued


@transaction.atomic
def password_set(*, user, password):
    """A password the user chose: it ends the hold of a one-time password."""
    user.set_password(password)
    user.save()
    membership = membership_of(user)
    if membership is not None and membership.must_change_password:
        membership.must_change_password = False
        membership.save(update_fields=["must_change_password"])
    return user


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """The links of invitations: Django's password reset tokens under a salt of their own,
    so that neither kind of link opens the other's page. Like those, a link stops working
    once the user has a password or has signed in, and after PASSWORD_RESET_TIMEOUT."""

    key_salt = "gqtrack.invitation"


invitation_tokens = InvitationTokenGenerator()


def invitable(users):
    """Those of `users` an invitation is for: active, with an e-mail address, never signed
    in and without a password yet (as an import or the admin creates them)."""
    no_password = Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(password="")
    return users.filter(no_password, is_active=True, last_login__isnull=True).exclude(email="")


def invitations_send(*, users, request):
    """E-mail each invitable one of `users` a one-time link to set their first password,
    and return how many were sent. The e-mails are in Chinese, the product's language, as
    the invitees have chosen none yet. An e-mail server that fails raises OSError (smtplib's
    errors are ones); those sent before it stay sent, and sending again is harmless."""
    invited = list(invitable(users).select_related("membership__union"))
    if not invited:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        messages = [invitation_message(user, request) for user in invited]
    return get_connection().send_messages(messages) or 0


def invitation_message(user, request):
    link = reverse(
        "invitation_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )
    context = {
        "user": user,
        "union": getattr(getattr(user, "membership", None), "union", None),
        "inviter": request.user,
        "link": request.build_absolute_uri(link),
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    subject = render_to_string("registration/invitation_subject.txt", context).strip()
    body = render_to_string("registration/invitation_email.txt", context)
    return EmailMessage(subject, body, to=[user.email])
