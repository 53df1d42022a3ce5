"""Who may see and change what. Views fetch objects only through these helpers.

Outsiders get 404, never 403, so that nobody learns what exists in another union's
subtree. A user who may see an object but not change it gets 403.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .models import Assignment, Directive, Membership, Union


def membership_of(user):
    """The user's membership, or None for users not attached to any union."""
    return getattr(user, "membership", None)


def directive_for_user(request, pk):
    """A directive the user may read, or 404."""
    return get_object_or_404(
        Directive.objects.visible_to(request.user).select_related("issuer", "parent"), pk=pk
    )


def directive_for_manager(request, pk):
    """A directive the user may edit, issue and close (its issuer's supervisors), or 404/403."""
    directive = directive_for_user(request, pk)
    if not directive.may_be_managed_by(request.user):
        raise PermissionDenied
    return directive


def own_assignment(request, directive):
    """The assignment of the directive to the user's own union, or None."""
    membership = membership_of(request.user)
    if membership is None or directive.is_draft:
        return None
    return Assignment.objects.filter(directive=directive, recipient=membership.union).first()


def own_assignment_or_403(request, directive):
    assignment = own_assignment(request, directive)
    if assignment is None:
        raise PermissionDenied
    return assignment


def may_forward(user, assignment):
    """Supervisors of a recipient union pass the directive on to the units beneath it."""
    membership = membership_of(user)
    return bool(
        assignment
        and membership
        and membership.oversees_subtree
        and membership.union_id == assignment.recipient_id
        and assignment.directive.state == Directive.State.ISSUED
        and assignment.recipient.numchild > 0
    )


def may_issue(user):
    membership = membership_of(user)
    return bool(membership and membership.oversees_subtree)


def is_member(user):
    return user.is_superuser or membership_of(user) is not None


def supervises(user):
    """Supervisors and administrators watch and direct their subtree; superusers all."""
    membership = membership_of(user)
    return user.is_superuser or bool(membership and membership.oversees_subtree)


def administers(user):
    """Administrators keep the union tree and the users of their subtree."""
    membership = membership_of(user)
    return user.is_superuser or bool(membership and membership.role == Membership.Role.ADMIN)


def unions_in_scope(user):
    """The unions whose rows a spreadsheet of this user reads and writes. Without a user
    (the library's management commands) and for superusers, all of them."""
    if user is None or user.is_superuser:
        return Union.objects.all()
    membership = membership_of(user)
    return membership.scope() if membership else Union.objects.none()
