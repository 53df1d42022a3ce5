def membership(request):
    """The signed-in user's membership, for the header of every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"membership": getattr(user, "membership", None)}
