"""Every URL against every persona: who gets the page, who gets 403, who gets 404.

Outsiders must get 404 (they do not learn the object exists); members who may look but
not act get 403; and a refused POST changes nothing.
"""

import pytest
from django.urls import reverse

from directives.models import Directive, DirectiveAttachment

# Personas: the issuer's supervisor (edu), staff of the issuer (edu_staff), the province
# supervisor above the issuer, the recipients (sdu_staff, sdu_supervisor, jinan_staff), a
# supervisor of another subtree (qingdao) and staff of an unrelated union (qd_staff).
ISSUED_DETAIL = {
    "anonymous": 302,
    "edu": 200,
    "edu_staff": 200,
    "province": 200,
    "sdu_staff": 200,
    "sdu_supervisor": 200,
    "jinan_staff": 200,
    "qingdao": 404,
    "qd_staff": 404,
    "loner": 404,
}
DRAFT_DETAIL = {
    "anonymous": 302,
    "edu": 200,
    "edu_staff": 404,
    "province": 404,
    "sdu_staff": 404,
    "qingdao": 404,
    "qd_staff": 404,
}
DRAFT_EDIT = DRAFT_DETAIL
ISSUED_MANAGE = {  # closing an issued directive
    "anonymous": 302,
    "edu": 302,
    "edu_staff": 403,
    "province": 403,
    "sdu_staff": 403,
    "qingdao": 404,
    "qd_staff": 404,
}
DRAFT_ISSUE = {**DRAFT_DETAIL, "edu": 302}
ACKNOWLEDGE = {
    "anonymous": 302,
    "sdu_staff": 302,
    "jinan_staff": 302,
    "edu": 403,
    "province": 403,
    "qingdao": 404,
    "qd_staff": 404,
}
FORWARD = {
    "anonymous": 302,
    "sdu_supervisor": 302,
    "sdu_staff": 403,
    "jinan_staff": 403,
    "edu": 403,
    "qingdao": 404,
    "qd_staff": 404,
}
CREATE = {"anonymous": 302, "edu": 200, "province": 200, "sdu_staff": 403, "loner": 403}
LISTS = {"anonymous": 302, "edu": 200, "sdu_staff": 200, "qd_staff": 200, "loner": 200}


def as_persona(client, people, persona):
    if persona != "anonymous":
        client.force_login(getattr(people, persona))
    return client


def cases(table):
    return list(table.items())


@pytest.mark.parametrize(("persona", "expected"), cases(ISSUED_DETAIL))
def test_issued_directive_detail(client, people, edu_directive, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("directive_detail", args=[edu_directive.pk])
    )
    assert response.status_code == expected
    if expected == 404:
        assert edu_directive.title not in response.content.decode()


@pytest.mark.parametrize(("persona", "expected"), cases(DRAFT_DETAIL))
def test_draft_is_seen_only_by_its_issuer(client, people, edu_draft, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("directive_detail", args=[edu_draft.pk])
    )
    assert response.status_code == expected


@pytest.mark.parametrize(("persona", "expected"), cases(DRAFT_EDIT))
def test_draft_edit_page(client, people, edu_draft, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("directive_edit", args=[edu_draft.pk])
    )
    assert response.status_code == expected


@pytest.mark.parametrize(("persona", "expected"), cases(DRAFT_ISSUE))
def test_issue(client, people, edu_draft, persona, expected):
    response = as_persona(client, people, persona).post(
        reverse("directive_issue", args=[edu_draft.pk])
    )
    assert response.status_code == expected
    edu_draft.refresh_from_db()
    expected_state = Directive.State.ISSUED if persona == "edu" else Directive.State.DRAFT
    assert edu_draft.state == expected_state


@pytest.mark.parametrize(("persona", "expected"), cases(ISSUED_MANAGE))
def test_close(client, people, edu_directive, persona, expected):
    response = as_persona(client, people, persona).post(
        reverse("directive_close", args=[edu_directive.pk])
    )
    assert response.status_code == expected
    edu_directive.refresh_from_db()
    expected_state = Directive.State.CLOSED if persona == "edu" else Directive.State.ISSUED
    assert edu_directive.state == expected_state


@pytest.mark.parametrize(("persona", "expected"), cases(ISSUED_MANAGE))
def test_edit_of_issued_directive(client, people, edu_directive, persona, expected):
    """Nobody edits an issued directive; its issuer is sent back to the page with a message."""
    response = as_persona(client, people, persona).post(
        reverse("directive_edit", args=[edu_directive.pk]), {"title": "改了"}
    )
    assert response.status_code == expected
    edu_directive.refresh_from_db()
    assert edu_directive.title != "改了"


@pytest.mark.parametrize(("persona", "expected"), cases(ACKNOWLEDGE))
def test_acknowledge(client, people, edu_directive, persona, expected):
    response = as_persona(client, people, persona).post(
        reverse("directive_acknowledge", args=[edu_directive.pk])
    )
    assert response.status_code == expected
    acknowledged = set(
        edu_directive.assignments.filter(acknowledged_at__isnull=False).values_list(
            "acknowledged_by__username", flat=True
        )
    )
    assert acknowledged == ({persona} if expected == 302 and persona != "anonymous" else set())


@pytest.mark.parametrize(("persona", "expected"), cases(FORWARD))
def test_forward(client, people, edu_directive, persona, expected):
    response = as_persona(client, people, persona).post(
        reverse("directive_forward", args=[edu_directive.pk])
    )
    assert response.status_code == expected
    forwards = Directive.objects.filter(parent=edu_directive).count()
    assert forwards == (1 if persona == "sdu_supervisor" else 0)


@pytest.mark.parametrize(("persona", "expected"), cases(CREATE))
def test_create_page(client, people, persona, expected):
    response = as_persona(client, people, persona).get(reverse("directive_create"))
    assert response.status_code == expected


@pytest.mark.parametrize("url_name", ["tasks", "directive_list"])
@pytest.mark.parametrize(("persona", "expected"), cases(LISTS))
def test_lists(client, people, edu_directive, url_name, persona, expected):
    response = as_persona(client, people, persona).get(reverse(url_name))
    assert response.status_code == expected
    if persona == "qd_staff":
        assert edu_directive.title not in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("anonymous", 302), ("edu", 200), ("sdu_staff", 200), ("qingdao", 404), ("qd_staff", 404)],
)
def test_attachment_download(client, people, edu_directive, settings, tmp_path, persona, expected):
    settings.MEDIA_ROOT = tmp_path
    attachment = DirectiveAttachment(
        directive=edu_directive, name="通知.pdf", content_type="application/pdf", size=9
    )
    attachment.file.save("x", __import__("io").BytesIO(b"%PDF-1.4\n"), save=False)
    attachment.save()
    response = as_persona(client, people, persona).get(
        reverse("attachment_download", args=[edu_directive.pk, attachment.pk])
    )
    assert response.status_code == expected


def test_attachment_of_another_directive_is_not_reachable_through_a_visible_one(
    client, people, edu_directive, tree, settings, tmp_path
):
    """The attachment id is looked up within the directive, never on its own."""
    settings.MEDIA_ROOT = tmp_path
    from tests.conftest import make_directive

    secret = make_directive(tree.qingdao, title="青岛内部草稿")
    attachment = DirectiveAttachment(
        directive=secret, name="内部.pdf", content_type="application/pdf", size=9
    )
    attachment.file.save("x", __import__("io").BytesIO(b"%PDF-1.4\n"), save=False)
    attachment.save()
    response = as_persona(client, people, "sdu_staff").get(
        reverse("attachment_download", args=[edu_directive.pk, attachment.pk])
    )
    assert response.status_code == 404
