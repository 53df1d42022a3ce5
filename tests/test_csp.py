"""The Content-Security-Policy: its header on every page, and pages that keep to it.

The policy allows only the app's own files to run and style the page, so nothing inline
may remain: no <script> with a body (JSON data excepted, it never runs), no on…=
handler, no style attribute or <style> element. A page that needs one (a library's admin
page, the standalone server error page) must allow exactly that text by its hash in its
own header. The pages are found by following links, as each demo persona would.
"""

import re
from base64 import b64encode
from hashlib import sha256
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, path, resolve, reverse

from gqtrack import urls as project_urls
from tests.test_settings import run_django

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
# Where the browser looks for each kind of inline code, most specific directive first.
SOURCES = {
    "script": ("script-src-elem", "script-src", "default-src"),
    "handler": ("script-src-attr", "script-src", "default-src"),
    "style": ("style-src-elem", "style-src", "default-src"),
    "style attribute": ("style-src-attr", "style-src", "default-src"),
}


def broken_view(request):
    raise RuntimeError("a bug")


# The project's URLs and one that fails, for the server error page.
urlpatterns = [path("broken/", broken_view), *project_urls.urlpatterns]
handler500 = getattr(project_urls, "handler500", "django.views.defaults.server_error")


def policy_of(response):
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def hashed(text):
    return f"'sha256-{b64encode(sha256(text.encode()).digest()).decode()}'"


class Page(HTMLParser):
    """The parts of a page the policy governs, and the links a person could follow."""

    def __init__(self):
        super().__init__()
        self.inline = []  # (kind, text)
        self.outside = []  # files loaded from elsewhere than the app
        self.links = []
        self.body = None  # (kind, chunks) while inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.inline.append(("handler", value or ""))
            elif name == "style":
                self.inline.append(("style attribute", value or ""))
            elif name in ("href", "src", "action") and (value or "").startswith("javascript:"):
                self.inline.append(("handler", value))
        if tag == "script":
            if attrs.get("src"):
                self.check_own(attrs["src"])
            elif attrs.get("type") != "application/json":
                self.body = ("script", [])
        elif tag == "style":
            self.body = ("style", [])
        elif tag == "link" and "stylesheet" in (attrs.get("rel") or ""):
            self.check_own(attrs.get("href") or "")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if attrs.get("hx-get"):
            self.links.append(attrs["hx-get"])

    def handle_data(self, data):
        if self.body:
            self.body[1].append(data)

    def handle_endtag(self, tag):
        if self.body and tag == self.body[0]:
            kind, chunks = self.body
            if "".join(chunks).strip():
                self.inline.append((kind, "".join(chunks)))
            self.body = None

    def check_own(self, url):
        if not url.startswith("/") or url.startswith("//"):
            self.outside.append(url)


def refused(response, page):
    """What a browser would refuse on this page under the page's own header."""
    policy = policy_of(response)
    problems = [f"loads {url} from elsewhere" for url in page.outside]
    for kind, text in page.inline:
        directive = next(name for name in SOURCES[kind] if name in policy)
        sources = policy[directive]
        by_hash = hashed(text) in sources
        if kind in ("handler", "style attribute"):
            by_hash = by_hash and "'unsafe-hashes'" in sources
        if not by_hash:
            problems.append(f"inline {kind}: {text[:80]!r}")
    return problems


def parsed(response):
    page = Page()
    page.feed(response.content.decode())
    page.close()
    return page


def is_html(response):
    return response.get("Content-Type", "").startswith("text/html")


def crawl(client, start, *, inside, skip=(), per_view=2, limit=250):
    """Follow links from `start` to pages under `inside`, as far as a person could go,
    taking at most `per_view` URLs of each view. Returns {url: problems} and the views seen."""
    queue, seen, problems, views = list(start), set(), {}, {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != "testserver":
            continue
        location = parts.path + (f"?{parts.query}" if parts.query else "")
        if location in seen or not parts.path.startswith(inside):
            continue
        if any(parts.path.startswith(prefix) for prefix in skip):
            continue
        try:
            view = resolve(parts.path).view_name
        except Resolver404:
            continue
        if views.get(view, 0) >= per_view:
            continue
        views[view] = views.get(view, 0) + 1
        seen.add(location)
        response = client.get(location)
        if response.status_code in (301, 302):
            queue.append(urljoin(location, response["Location"]))
            continue
        if not is_html(response):
            continue
        page = parsed(response)
        problems[location] = refused(response, page)
        queue.extend(urljoin(location, link) for link in page.links)
    return {url: found for url, found in problems.items() if found}, set(views)


@pytest.fixture
def demo(db):
    call_command("loaddemo", stdout=StringIO())


def demo_client(username):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


# --- The header -----------------------------------------------------------------------


def test_app_pages_send_the_policy(login, people, edu_directive):
    client = login(people.sdu_staff)

    for url in (reverse("tasks"), reverse("directive_detail", args=[edu_directive.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert policy_of(response) == POLICY


def test_the_login_page_sends_the_policy(client, db):
    assert policy_of(client.get(reverse("login"))) == POLICY


def test_admin_pages_send_the_policy(login, superuser):
    client = login(superuser)

    for name in ("admin:index", "admin:directives_union_changelist", "admin:auth_user_add"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert policy_of(response) == POLICY


def test_library_pages_of_the_admin_allow_exactly_their_inline_attributes(login, superuser):
    client = login(superuser)

    export = policy_of(client.get(reverse("admin:directives_membership_export")))
    importing = policy_of(client.get(reverse("admin:directives_membership_import")))
    changelist = policy_of(client.get(reverse("admin:directives_membership_changelist")))

    assert export == {
        **POLICY,
        "script-src-attr": ["'unsafe-hashes'", hashed("onSelectToggleChange(event)")],
        "style-src-attr": ["'unsafe-hashes'", hashed("padding: 0;"), hashed("font-weight: bold;")],
    }
    assert importing == {
        **POLICY,
        "style-src-attr": [
            "'unsafe-hashes'",
            hashed("background:#e6ffe6;"),
            hashed("background:#ffe6e6;"),
        ],
    }
    assert changelist == POLICY


def test_the_admin_import_preview_keeps_to_the_policy(login, superuser, tree):
    rows = [
        "单位代码,单位名称,简称,单位类型,上级单位代码",
        "JN-EDU-02,济南第二中学工会,,基层工会,JN-EDU",
        "JN-EDU,济南市教育工会（新名）,,产业（系统）工会,SD-EDU",  # a changed name: removed and added
    ]
    upload = SimpleUploadedFile("units.csv", "\n".join(rows).encode(), content_type="text/csv")

    response = login(superuser).post(
        reverse("admin:directives_union_import"),
        {"resource": "0", "format": "1", "import_file": upload},
    )

    assert response.context["confirm_form"]
    page = parsed(response)
    assert {kind for kind, _ in page.inline} == {"style attribute"}  # the diff's colours
    assert refused(response, page) == []


def test_a_deployment_adds_hosts_from_the_environment(tmp_path):
    show = (
        "import django; django.setup(); from django.conf import settings; "
        "d = settings.CONTENT_SECURITY_POLICY['DIRECTIVES']; "
        "print(d['script-src'], d['font-src'], d['default-src'])"
    )
    result = run_django(
        ["-c", show],
        tmp_path,
        CSP_SCRIPT_SRC="https://stats.example.org",
        CSP_FONT_SRC="https://fonts.example.org, data:",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == (
        "[\"'self'\", 'https://stats.example.org'] "
        "[\"'self'\", 'https://fonts.example.org', 'data:'] [\"'self'\"]"
    )


def test_a_keyword_in_a_host_list_is_refused(tmp_path):
    result = run_django(
        ["-c", "import django; django.setup()"], tmp_path, CSP_SCRIPT_SRC="'unsafe-inline'"
    )

    assert result.returncode != 0
    assert "CSP_SCRIPT_SRC" in result.stderr.strip().splitlines()[-1]


@pytest.mark.urls("tests.test_csp")
def test_the_server_error_page_allows_only_its_own_css(db):
    response = Client(raise_request_exception=False).get("/broken/")

    assert response.status_code == 500
    page = parsed(response)
    assert [kind for kind, _ in page.inline] == ["style"]
    assert refused(response, page) == []
    assert policy_of(response)["script-src"] == ["'self'"]


# --- Nothing inline ------------------------------------------------------------------

INLINE_IN_SOURCE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>\s*[^<\s]"  # a script with a body
    r"|\son[a-z]+\s*="  # an event handler
    r"|\sstyle\s*="  # a style attribute
    r"|<style"
)
TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)


def test_no_template_of_the_app_carries_inline_code():
    found = [
        f"{template.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for template in sorted(TEMPLATES.rglob("*.html"))
        if template.name not in {"500.html", "503.html"}  # standalone: their CSS goes by its hash
        for match in INLINE_IN_SOURCE.finditer(TEMPLATE_COMMENT.sub("", template.read_text()))
    ]

    assert found == []


EVERY_PERSONA_SEES = {"tasks", "directive_list", "directive_detail", "import_list", "export_list"}
SUPERVISORS_SEE = {"overview", "dashboard", "dashboard_units", "review_queue", "unit_scorecard"}


@pytest.mark.parametrize(
    ("username", "views"),
    [
        ("staff", EVERY_PERSONA_SEES | {"assignment_detail", "report_edit", "import_new"}),
        ("edu", EVERY_PERSONA_SEES | SUPERVISORS_SEE | {"directive_reports"}),
        ("province", EVERY_PERSONA_SEES | SUPERVISORS_SEE),
        ("qingdao", EVERY_PERSONA_SEES | SUPERVISORS_SEE),
        ("admin", EVERY_PERSONA_SEES | {"import_formats", "password_change"}),
    ],
)
def test_the_pages_of_each_demo_persona_keep_to_the_policy(demo, username, views):
    problems, seen = crawl(demo_client(username), ["/"], inside="/", skip=("/admin/", "/i18n/"))

    assert problems == {}
    assert views <= seen


def test_the_pages_before_logging_in_keep_to_the_policy(db):
    start = [reverse("login"), reverse("password_reset")]

    problems, seen = crawl(Client(), start, inside="/accounts/")

    assert problems == {}
    assert {"login", "password_reset"} <= seen


def test_an_import_preview_keeps_to_the_policy(demo):
    client = demo_client("admin")
    rows = "单位代码,单位名称,简称,单位类型,上级单位代码\nX-1,新单位,,基层工会,NO-SUCH-PARENT\n"
    upload = SimpleUploadedFile("units.csv", rows.encode(), content_type="text/csv")

    response = client.post(reverse("import_new", args=["unions"]), {"file": upload}, follow=True)

    assert response.resolver_match.url_name == "import_job"
    assert "NO-SUCH-PARENT" in response.content.decode()
    assert refused(response, parsed(response)) == []


def test_the_admin_keeps_to_the_policy(demo):
    problems, seen = crawl(
        demo_client("admin"), ["/admin/"], inside="/admin/", per_view=1, limit=400
    )

    assert problems == {}
    assert {
        "admin:directives_union_changelist",  # treebeard's tree
        "admin:directives_union_import",  # import-export
        "admin:directives_membership_export",  # import-export, inline attributes by hash
        "admin:directives_union_history",  # simple-history
        "admin:axes_accessattempt_changelist",
    } <= seen
