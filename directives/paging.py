"""Paging of long lists, the same on every page of both apps."""

from django.core.paginator import Paginator

PAGE_SIZE = 25


def page_of(request, items, size=PAGE_SIZE):
    """The page of `items` that the request's ?page= names (the last one past the end)."""
    return Paginator(items, size).get_page(request.GET.get("page"))
