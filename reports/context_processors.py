from django.utils.functional import SimpleLazyObject

from .models import Notification


def notifications(request):
    """The signed-in user's unread notifications, counted for the bell in the header: one
    query, asked only by a page that shows the bell."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(recipient=user).unread().count()
        )
    }
