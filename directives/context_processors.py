from .access import membership_of, oversees_subtree


def membership(request):
    """The signed-in user's membership, and whether it oversees a subtree, for the header
    of every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = membership_of(user)
    return {"membership": membership, "oversees_subtree": oversees_subtree(membership)}
