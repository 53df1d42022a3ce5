"""Who sees which directive, beyond the status codes of tests/test_permission_matrix.py:
what a page open to everyone lists, and ids reached through the wrong directive."""

import io

import pytest
from django.urls import reverse

from directives.models import DirectiveAttachment
from tests.conftest import make_directive


@pytest.mark.parametrize("url_name", ["tasks", "directive_list"])
def test_an_unrelated_union_does_not_list_the_directive(login, people, edu_directive, url_name):
    response = login(people.qd_staff).get(reverse(url_name), {"box": "all", "show": "all"})

    assert response.status_code == 200
    assert edu_directive.title not in response.content.decode()


def test_attachment_of_another_directive_is_not_reachable_through_a_visible_one(
    client, people, edu_directive, tree
):
    """The attachment id is looked up within the directive, never on its own."""
    secret = make_directive(tree.qingdao, title="青岛内部草稿")
    attachment = DirectiveAttachment(
        directive=secret, name="内部.pdf", content_type="application/pdf", size=9
    )
    attachment.file.save("x", io.BytesIO(b"%PDF-1.4\n"), save=False)
    attachment.save()
    client.force_login(people.sdu_staff)

    response = client.get(reverse("attachment_download", args=[edu_directive.pk, attachment.pk]))

    assert response.status_code == 404
