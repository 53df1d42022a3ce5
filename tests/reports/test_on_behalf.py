"""代录: a supervisor records progress on behalf of a union beneath it, from the union's
page or from the directive's, and the entry says so; who may change it afterwards."""

import datetime

import pytest
from django.urls import reverse

from directives.models import Directive, Figure, Requirement
from reports.models import ProgressEntry

from .conftest import SDU_NARRATIVE, log_entry


@pytest.fixture
def sdu_assignment(edu_directive, tree):
    return edu_directive.assignments.select_related("directive", "recipient").get(
        recipient=tree.sdu
    )


@pytest.fixture
def study(edu_directive):
    return edu_directive.requirements.get(kind=Requirement.Kind.STUDY)


def record(client, assignment, requirement, narrative="据山东大学工会报来的表格代录", **extra):
    return client.post(
        reverse("entry_add", args=[assignment.pk, requirement.pk]),
        {
            "occurred_on": "2015-10-12",
            "narrative": narrative,
            f"figure_{Figure.STUDY_SESSIONS}": "3",
            f"figure_{Figure.PARTICIPANTS}": "150",
            **extra,
        },
    )


def test_a_supervisor_records_a_units_progress_on_its_behalf(
    login, people, tree, sdu_assignment, study
):
    client = login(people.edu)
    page = client.get(reverse("assignment_detail", args=[sdu_assignment.pk])).content.decode()
    assert reverse("entry_add", args=[sdu_assignment.pk, study.pk]) in page
    form = client.get(reverse("entry_add", args=[sdu_assignment.pk, study.pk]))
    assert form.status_code == 200
    assert 'data-testid="on-behalf"' in form.content.decode()

    response = record(client, sdu_assignment, study)

    assert response.status_code == 302
    entry = ProgressEntry.objects.get()
    assert (entry.assignment, entry.author, entry.recorded_by_union) == (
        sdu_assignment,
        people.edu,
        tree.edu,
    )
    assert entry.figure_values == {Figure.STUDY_SESSIONS: 3, Figure.PARTICIPANTS: 150}
    for viewer in (people.sdu_staff, people.edu, people.province):
        client = login(viewer)
        for url in (
            reverse("entry_detail", args=[entry.pk]),
            reverse("assignment_detail", args=[sdu_assignment.pk]),
        ):
            page = client.get(url).content.decode()
            assert 'data-testid="recorded-by"' in page
            assert "山东省教育工会" in page


def test_an_entry_the_union_writes_itself_names_no_recorder(login, people, sdu_assignment):
    entry = log_entry(sdu_assignment, user=people.sdu_staff, narrative=SDU_NARRATIVE)
    assert entry.recorded_by_union is None
    page = login(people.edu).get(reverse("entry_detail", args=[entry.pk])).content.decode()
    assert 'data-testid="recorded-by"' not in page


def test_the_union_and_the_recording_office_change_an_entry_recorded_on_behalf(
    login, people, tree, sdu_assignment
):
    entry = log_entry(sdu_assignment, user=people.edu, narrative="代录的学习情况")
    assert entry.recorded_by_union == tree.edu
    for user, status in (
        (people.sdu_staff, 200),
        (people.sdu_supervisor, 200),
        (people.edu, 200),
        # Above the recording office, but not the office that typed it.
        (people.province, 403),
        (people.edu_staff, 404),
        (people.jinan_staff, 404),
    ):
        response = login(user).get(reverse("entry_edit", args=[entry.pk]))
        assert response.status_code == status, user
    response = login(people.edu).post(
        reverse("entry_edit", args=[entry.pk]),
        {"occurred_on": "2015-10-20", "narrative": "改正后的代录", "version": entry.version},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.narrative, entry.recorded_by_union) == ("改正后的代录", tree.edu)


def test_a_supervisor_does_not_change_what_the_union_wrote_itself(login, people, sdu_assignment):
    entry = log_entry(sdu_assignment, user=people.sdu_staff, narrative=SDU_NARRATIVE)
    client = login(people.edu)
    page = client.get(reverse("assignment_detail", args=[sdu_assignment.pk])).content.decode()
    assert reverse("entry_edit", args=[entry.pk]) not in page
    response = client.post(
        reverse("entry_edit", args=[entry.pk]),
        {"occurred_on": "2015-10-20", "narrative": "上级改写", "version": entry.version},
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.narrative == SDU_NARRATIVE


def test_only_supervisors_above_record_and_only_while_the_directive_is_in_force(
    login, people, tree, edu_directive, sdu_assignment, study
):
    jinan = edu_directive.assignments.get(recipient=tree.jinan_edu)
    # Staff of the union above (who read their own union only), a sibling, an unrelated
    # supervisor: none records for SDU.
    assert record(login(people.edu_staff), sdu_assignment, study).status_code == 404
    assert record(login(people.jinan_staff), sdu_assignment, study).status_code == 404
    assert record(login(people.qingdao), sdu_assignment, study).status_code == 404
    # SDU's own supervisor writes for SDU, not on behalf of its sibling.
    assert record(login(people.sdu_supervisor), jinan, study).status_code == 404
    assert not ProgressEntry.objects.exists()
    Directive.objects.filter(pk=edu_directive.pk).update(state=Directive.State.CLOSED)
    assert record(login(people.edu), sdu_assignment, study).status_code == 403
    assert not ProgressEntry.objects.exists()


def test_a_supervisor_chooses_the_unit_on_the_directives_page(
    login, people, tree, edu_directive, sdu_assignment, study
):
    client = login(people.edu)
    detail = client.get(reverse("directive_detail", args=[edu_directive.pk])).content.decode()
    assert reverse("directive_record", args=[edu_directive.pk]) in detail
    page = client.get(reverse("directive_record", args=[edu_directive.pk]))
    assert [label for _pk, label in page.context["form"].fields["union"].choices] == [
        "济南市教育工会",
        "山东大学工会",
    ]
    response = client.get(
        reverse("directive_record", args=[edu_directive.pk]),
        {"union": sdu_assignment.pk, "requirement": study.pk},
    )
    assert response.url == reverse("entry_add", args=[sdu_assignment.pk, study.pk])
    # A union that did not receive the directive cannot be chosen.
    other = client.get(
        reverse("directive_record", args=[edu_directive.pk]),
        {"union": 999999, "requirement": study.pk},
    )
    assert other.status_code == 400


def test_staff_choose_only_their_own_union(login, people, edu_directive):
    page = login(people.sdu_staff).get(reverse("directive_record", args=[edu_directive.pk]))
    assert [label for _pk, label in page.context["form"].fields["union"].choices] == [
        "山东大学工会"
    ]
    assert login(people.edu_staff).get(
        reverse("directive_record", args=[edu_directive.pk])
    ).status_code == (403)
    assert login(people.qd_staff).get(
        reverse("directive_record", args=[edu_directive.pk])
    ).status_code == (404)


def test_a_date_is_kept_as_typed(login, people, sdu_assignment, study):
    record(login(people.province), sdu_assignment, study)
    entry = ProgressEntry.objects.get()
    assert entry.occurred_on == datetime.date(2015, 10, 12)
    assert entry.recorded_by_union.code == "SD"
