from .access import may_administer, may_open_admin, membership_of, oversees_subtree


def membership(request):
    """The signed-in user's membership, whether it oversees a subtree and whether the admin
    site opens to them, for the header of every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = membership_of(user)
    return {
        "membership": membership,
        "oversees_subtree": oversees_subtree(membership),
        "may_open_admin": may_open_admin(user),
        "may_administer": may_administer(user),
    }
