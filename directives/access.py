"""Who may see and change what: every who-may rule about unions, memberships, directives
and assignments. Views, forms, the admin and spreadsheets ask here and nowhere else.

A user works for one union (their membership). Staff see their own union's work;
supervisors and administrators see and direct their union's whole subtree; superusers
see everything. Outsiders get 404, never 403, so that nobody learns what exists in
another union's subtree; a user who may see an object but not change it gets 403.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Assignment, Directive, Membership, Union, in_subtree_q

# --- Roles ---------------------------------------------------------------------------------

OVERSEEING_ROLES = (Membership.Role.SUPERVISOR, Membership.Role.ADMIN)


def membership_of(user):
    """The user's membership, or None for users not attached to any union."""
    return getattr(user, "membership", None)


def oversees_subtree(membership):
    """Supervisors and administrators see and direct their union's whole subtree."""
    return membership is not None and membership.role in OVERSEEING_ROLES


def may_track(user):
    """Members of a union, and superusers, follow work in the app: they read, log, import
    and export progress and reports, each within their scope."""
    return user.is_superuser or membership_of(user) is not None


def may_supervise(user):
    """Supervisors and administrators watch and direct their subtree; superusers all."""
    return user.is_superuser or oversees_subtree(membership_of(user))


def may_issue(user):
    """Supervisors and administrators issue directives in their union's name."""
    return oversees_subtree(membership_of(user))


def may_administer(user):
    """Administrators keep the union tree and the users of their subtree."""
    membership = membership_of(user)
    return user.is_superuser or bool(membership and membership.role == Membership.Role.ADMIN)


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
    if (
        user.is_superuser
        or not user.is_active
        or membership is None
        or membership.role != Membership.Role.ADMIN
    ):
        return None
    return membership.union


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
    if oversees_subtree(membership):
        return Union.objects.in_subtree(membership.union)
    return Union.objects.filter(pk=membership.union_id)


def scope_q(membership, field):
    """Q for rows whose union `field` (a relation to Union) is in the member's scope. A join
    and a path comparison, which plans better than `field__in=unions_in_scope()` on big
    trees."""
    if oversees_subtree(membership):
        return in_subtree_q(membership.union, f"{field}__path")
    return Q(**{field: membership.union_id})


def in_scope(user, union):
    """Whether the user may see the union's data."""
    if user.is_superuser:
        return True
    membership = membership_of(user)
    if membership is None:
        return False
    if oversees_subtree(membership):
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
