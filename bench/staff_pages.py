"""What a simulated staff member looks for in the app's pages, and the entry it posts.

Shared by bench/locustfile.py and tests/test_loadtest.py, so that a template change that
would leave the load test's users lost fails the test suite, not the next load test.
Plain Python: the locustfile may not import Django.
"""

import datetime
import html
import re

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ASSIGNMENT_LINK = re.compile(r'href="(/assignments/\d+/)"')
ENTRY_FORM_LINK = re.compile(r'href="(/assignments/\d+/requirements/\d+/entries/new/)"')
FIGURE_INPUT = re.compile(r'name="(figure_[a-z_]+)"')
# Every posted narrative carries a marker of its own, so that saved entries can be told
# apart from the rest and matched to the posts the server confirmed.
MARKER = re.compile(r"（压测 ([0-9a-f]{32})）")


def first(pattern, page):
    """The pattern's first group in the page, unescaped, or None."""
    match = pattern.search(page)
    return html.unescape(match.group(1)) if match else None


def entry_form(token, page, marker, rng):
    """The fields of a progress entry for the form on `page`: an activity of the last
    month, a narrative with the marker, and a value for every figure the form asks for."""
    day = datetime.date.today() - datetime.timedelta(days=rng.randint(1, 30))
    return {
        "csrfmiddlewaretoken": token,
        "occurred_on": day.isoformat(),
        "narrative": f"组织本单位职工集中学习，分组讨论落实措施。（压测 {marker}）",
        **{figure: str(rng.randint(1, 300)) for figure in FIGURE_INPUT.findall(page)},
    }
