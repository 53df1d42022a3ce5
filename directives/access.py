"""Who may see and change what: every who-may rule about unions, memberships, directives
and assignments. Views, forms, the admin and spreadsheets ask here and nowhere else.

A user works for one union (their membership). Staff see their own union's work;
supervisors see and direct their union's whole subtree; administrators (a role held beside
staff or supervisor) keep its tree and users and see its work; superusers see everything.
Outsiders get 404, never 403, so that nobody learns what exists in another union's
subtree; a user who may see an object but not change it gets 403, and one refused for want
of a role is told which role it takes and who holds it (`RoleRequired`).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Assignment, Directive, Membership, Union, in_subtree_q

# --- Roles ---------------------------------------------------------------------------------
#
# A membership holds a work role, staff or supervisor, and may hold the administrator role
# beside it: one person can direct their subtree's work and keep its tree and users.


def membership_of(user):
    """The user's membership, or None for users not attached to any union."""
    return getattr(user, "membership", None)


def oversees_subtree(membership):
    """Supervisors see and direct their union's whole subtree."""
    return membership is not None and membership.role == Membership.Role.SUPERVISOR


def sees_subtree(membership):
    """Supervisors, and administrators (who keep its users), see their union's subtree."""
    return membership is not None and (oversees_subtree(membership) or membership.administrator)


def may_track(user):
    """Members of a union, and superusers, follow work in the app: they read, log, import
    and export progress and reports, each within their scope."""
    return user.is_superuser or membership_of(user) is not None


def may_supervise(user):
    """Supervisors watch and direct their subtree; superusers all."""
    return user.is_superuser or oversees_subtree(membership_of(user))


def may_issue(user):
    """Supervisors issue directives in their union's name."""
    return oversees_subtree(membership_of(user))


def may_administer(user):
    """Administrators keep the union tree and the users of their subtree."""
    membership = membership_of(user)
    return user.is_superuser or bool(membership and membership.administrator)


class RoleRequired(PermissionDenied):
    """Refused for want of a role: the 403 page says which role it takes, what the role
    does, and who holds it in the user's union, rather than refusing bare."""

    def __init__(self, role, holders):
        super().__init__(role)
        self.role, self.holders = role, holders

    @property
    def role_name(self):
        return ROLES[self.role][0]

    @property
    def duties(self):
        return ROLES[self.role][1]

    @property
    def holders_text(self):
        return gettext(", ").join(self.holders)


ADMINISTRATOR = "administrator"

# What each role lets a person do, as the refusal page explains it.
ROLES = {
    Membership.Role.STAFF: (
        Membership.Role.STAFF.label,
        _(
            "acknowledges the directives the union receives, logs its progress and sends its "
            "report back."
        ),
    ),
    Membership.Role.SUPERVISOR: (
        Membership.Role.SUPERVISOR.label,
        _(
            "issues and forwards directives, follows the dashboards of every union beneath, "
            "and reviews the reports sent back."
        ),
    ),
    ADMINISTRATOR: (
        _("Administrator"),
        _(
            "keeps the union tree and the users of the union and every union beneath it: "
            "adds, moves, deactivates and merges unions, and imports units and users."
        ),
    ),
}


def role_holders(union, role):
    """The active people of the union who hold the role, by name."""
    members = Membership.objects.filter(union=union, user__is_active=True).select_related("user")
    if role == ADMINISTRATOR:
        members = members.filter(administrator=True)
    else:
        members = members.filter(role=role)
    # Chinese names: family name first, no space.
    return [
        f"{m.user.last_name}{m.user.first_name}" or m.user.username
        for m in members.order_by("user__username")
    ]


def role_required(user, role):
    """The refusal of a page that takes `role`, naming who holds it in the user's union."""
    membership = membership_of(user)
    holders = role_holders(membership.union, role) if membership else []
    return RoleRequired(role, holders)


def refusal(user, predicate):
    """The 403 for a user whom `predicate` (may_administer, may_supervise…) refuses: it
    names the role when the predicate is a role's."""
    role = {may_administer: ADMINISTRATOR, may_supervise: Membership.Role.SUPERVISOR}.get(predicate)
    return role_required(user, role) if role else PermissionDenied()


def administer_or_403(user):
    """Pages for administrators: anyone else is told which role it takes and who has it."""
    if not may_administer(user):
        raise role_required(user, ADMINISTRATOR)


def password_change_required(user):
    """A user given a one-time password may do nothing but choose their own password."""
    membership = membership_of(user)
    return membership is not None and membership.must_change_password


def supervisor_or_404(user):
    """Pages for supervisors only: anyone else learns nothing of them."""
    if not may_supervise(user):
        raise Http404


def administered_union(user):
    """The union whose subtree the user administers in the Django admin, or None.

    The administrator role is all it takes: nobody has to tick the staff status as well.
    Superusers are bound to no subtree and get None too: check is_superuser first.
    """
    membership = membership_of(user)
    if user.is_superuser or not user.is_active or membership is None:
        return None
    return membership.union if membership.administrator else None


def may_open_admin(user):
    """The admin site opens to staff users, as in Django, and to every administrator of a
    subtree, whose role is what grants it (gqtrack.admin_site)."""
    return user.is_active and (user.is_staff or administered_union(user) is not None)


# --- Scope: the unions whose data a user may see -----------------------------------------


def unions_in_scope(user):
    """The unions whose data the user may see: the whole subtree for supervisors and
    administrators, the own union for staff. Every union for superusers, and without a
    user (the management commands)."""
    if user is None or user.is_superuser:
        return Union.objects.all()
    membership = membership_of(user)
    if membership is None:
        return Union.objects.none()
    if sees_subtree(membership):
        return Union.objects.in_subtree(membership.union)
    return Union.objects.filter(pk=membership.union_id)


def scope_q(membership, field):
    """Q for rows whose union `field` (a relation to Union) is in the member's scope. A join
    and a path comparison, which plans better than `field__in=unions_in_scope()` on big
    trees."""
    if sees_subtree(membership):
        return in_subtree_q(membership.union, f"{field}__path")
    return Q(**{field: membership.union_id})


def in_scope(user, union):
    """Whether the user may see the union's data."""
    if user.is_superuser:
        return True
    membership = membership_of(user)
    if membership is None:
        return False
    if sees_subtree(membership):
        return union.is_within(membership.union)
    return union.pk == membership.union_id


def administered_users(user):
    """The users an administrator looks after: the members of the unions in their subtree,
    superusers never among them. Every user for a superuser; nobody for anyone else."""
    User = get_user_model()
    if user.is_superuser:
        return User.objects.all()
    if not may_administer(user):
        return User.objects.none()
    return User.objects.filter(is_superuser=False, membership__union__in=unions_in_scope(user))


def union_in_scope_or_404(user, pk):
    return get_object_or_404(unions_in_scope(user), pk=pk)


# --- Directives ----------------------------------------------------------------------------


def visible_directives(user):
    """Directives the user may read: sent to or issued by a union in their scope, and their
    own union's drafts (for those who issue)."""
    if user.is_superuser:
        return Directive.objects.all()
    membership = membership_of(user)
    if membership is None:
        return Directive.objects.none()
    scope = unions_in_scope(user)
    sent_into_scope = Exists(
        Assignment.objects.filter(directive=OuterRef("pk"), recipient__in=scope)
    )
    published = ~Q(state=Directive.State.DRAFT) & (Q(issuer__in=scope) | sent_into_scope)
    if oversees_subtree(membership):
        return Directive.objects.filter(
            published | Q(state=Directive.State.DRAFT, issuer=membership.union)
        )
    return Directive.objects.filter(published)


def may_manage(user, directive):
    """Supervisors and administrators of the issuing union edit, issue and close it, and
    review the reports sent back on it."""
    membership = membership_of(user)
    return oversees_subtree(membership) and membership.union_id == directive.issuer_id


def directive_for_user(request, pk):
    """A directive the user may read, or 404; and whether the user may manage it."""
    directive = get_object_or_404(
        visible_directives(request.user).select_related("issuer", "parent"), pk=pk
    )
    return directive, may_manage(request.user, directive)


def directive_for_manager(request, pk):
    """A directive the user may edit, issue and close (its issuer's supervisors), or 404/403."""
    directive, manages = directive_for_user(request, pk)
    if not manages:
        raise PermissionDenied
    return directive


def directive_for_attaching(request, pk, *, removing=False):
    """A directive whose attachments the user may add (until it is closed) or remove
    (while it is a draft: recipients may have downloaded them since), or 404/403."""
    directive = directive_for_manager(request, pk)
    allowed = directive.is_draft if removing else directive.state != Directive.State.CLOSED
    if not allowed:
        raise PermissionDenied
    return directive


# --- Assignments ---------------------------------------------------------------------------


def own_assignment(user, directive):
    """The assignment of the published directive to the user's own union, or None."""
    membership = membership_of(user)
    if membership is None or directive.is_draft:
        return None
    return Assignment.objects.filter(directive=directive, recipient=membership.union).first()


def own_assignment_or_403(user, directive):
    assignment = own_assignment(user, directive)
    if assignment is None:
        raise PermissionDenied
    return assignment


def assignment_to_forward(user, directive):
    """The user's union's assignment of the directive, if the user may forward it; else 403
    (the directive itself is already known to be visible)."""
    assignment = own_assignment_or_403(user, directive)
    if not may_forward(user, assignment):
        raise PermissionDenied
    return assignment


def may_forward(user, assignment):
    """Supervisors of a recipient union pass the directive on to the unions beneath it."""
    membership = membership_of(user)
    return bool(
        assignment
        and oversees_subtree(membership)
        and membership.union_id == assignment.recipient_id
        and assignment.directive.state == Directive.State.ISSUED
        and assignment.recipient.numchild > 0
    )


def may_carry_out(user, assignment):
    """Those who may forward a directive may also carry it out with directives of their
    own (承接): both pass it on to the unions beneath, under the same rule."""
    return may_forward(user, assignment)


def assignment_to_carry_out(user, directive):
    """The user's union's assignment of the directive, if the user may carry it out; else
    403 (the directive itself is already known to be visible)."""
    assignment = own_assignment_or_403(user, directive)
    if not may_carry_out(user, assignment):
        raise PermissionDenied
    return assignment


def may_edit_directive(user, directive):
    """A directive and its requirements change while it is a draft, and only by the issuing
    union's supervisors (a new one is issued in their own union's name): the forms' rule,
    and every spreadsheet's. Superusers and the management commands (no user) may write any
    union's drafts. Once issued, recipients work on it: it changes no more."""
    if not directive.is_draft:
        return False
    return user is None or user.is_superuser or may_manage(user, directive)
