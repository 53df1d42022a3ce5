import datetime

import pytest
from django.core.management import call_command
from django.db.models import RestrictedError
from django.urls import reverse

from directives.models import CatalogueFigure, Directive, Figure, Membership, Requirement
from directives.services import directive_forward, figure_for_directive
from tests.conftest import make_directive, make_user


def requirement_rows(*rows, initial=0):
    """POST data for the requirements formset; each row a dict of field values."""
    data = {
        "requirements-TOTAL_FORMS": str(len(rows)),
        "requirements-INITIAL_FORMS": str(initial),
        "requirements-MIN_NUM_FORMS": "1",
        "requirements-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"requirements-{index}-{key}"] = value
    return data


STUDY = {
    "kind": "study",
    "title": "组织专题学习",
    "due_on": "2015-10-31",
    "figures": [Figure.STUDY_SESSIONS, Figure.PARTICIPANTS],
}
REPORT = {"kind": "report", "title": "报送情况", "due_on": "2015-11-30"}


def directive_data(**fields):
    return {
        "title": "关于学习宣传贯彻会议精神的通知",
        "number": "鲁教工发〔2015〕30号",
        "kind": "notice",
        "issued_on": "",
        "body": "各市教育工会、各高校工会：……",
        "recipient_mode": "children",
        **fields,
    }


def test_supervisor_creates_a_directive_with_requirements_and_recipients(login, people, tree):
    response = login(people.edu).post(
        reverse("directive_create"), {**directive_data(), **requirement_rows(STUDY, REPORT)}
    )
    directive = Directive.objects.get(number="鲁教工发〔2015〕30号")
    assert response.status_code == 302
    assert response.url == reverse("directive_detail", args=[directive.pk])
    assert directive.issuer == tree.edu
    assert directive.state == Directive.State.DRAFT
    assert directive.created_by == people.edu
    assert [(r.position, r.title, r.due_on) for r in directive.requirements.all()] == [
        (1, "组织专题学习", datetime.date(2015, 10, 31)),
        (2, "报送情况", datetime.date(2015, 11, 30)),
    ]
    assert set(directive.requirements.first().figure_codes) == {"study_sessions", "participants"}
    assert {a.recipient.name for a in directive.assignments.all()} == {
        "济南市教育工会",
        "山东大学工会",
    }


def test_recipients_can_be_the_whole_subtree_or_chosen_units(login, people, tree):
    client = login(people.edu)
    client.post(
        reverse("directive_create"),
        {**directive_data(number="A1", recipient_mode="subtree"), **requirement_rows(STUDY)},
    )
    assert Directive.objects.get(number="A1").assignments.count() == 4
    client.post(
        reverse("directive_create"),
        {
            **directive_data(number="A2", recipient_mode="selected"),
            "selected_recipients": [tree.sdu.pk, tree.jinan_school.pk],
            **requirement_rows(STUDY),
        },
    )
    recipients = {a.recipient.name for a in Directive.objects.get(number="A2").assignments.all()}
    assert recipients == {"山东大学工会", "济南第一中学工会"}


def test_units_outside_the_issuers_subtree_cannot_be_chosen(login, people, tree):
    response = login(people.edu).post(
        reverse("directive_create"),
        {
            **directive_data(recipient_mode="selected"),
            "selected_recipients": [tree.qingdao.pk],
            **requirement_rows(STUDY),
        },
    )
    assert response.status_code == 200
    assert "selected_recipients" in response.context["form"].errors
    assert not Directive.objects.exists()


def test_selected_mode_needs_a_unit(login, people):
    response = login(people.edu).post(
        reverse("directive_create"),
        {**directive_data(recipient_mode="selected"), **requirement_rows(STUDY)},
    )
    assert response.context["form"].errors["selected_recipients"]
    assert not Directive.objects.exists()


def test_a_directive_needs_a_requirement(login, people):
    response = login(people.edu).post(
        reverse("directive_create"), {**directive_data(), **requirement_rows()}
    )
    assert response.context["formset"].non_form_errors()
    assert not Directive.objects.exists()


def test_document_numbers_are_unique_per_issuer(login, people, edu_directive, tree):
    response = login(people.edu).post(
        reverse("directive_create"),
        {**directive_data(number=edu_directive.number), **requirement_rows(STUDY)},
    )
    assert response.context["form"].errors["number"]
    assert Directive.objects.filter(number=edu_directive.number).count() == 1
    # Another union may use the same number.
    login(people.qingdao).post(
        reverse("directive_create"),
        {**directive_data(number=edu_directive.number), **requirement_rows(STUDY)},
    )
    assert Directive.objects.filter(number=edu_directive.number, issuer=tree.qingdao).exists()


def edit_data(directive, **fields):
    requirements = list(directive.requirements.all())
    rows = [
        {
            "id": r.pk,
            "kind": r.kind,
            "title": r.title,
            "due_on": r.due_on.isoformat(),
            "figures": r.figure_codes,
        }
        for r in requirements
    ]
    return {
        **directive_data(title=directive.title, number=directive.number),
        "version": directive.version,
        **requirement_rows(*rows, initial=len(rows)),
        **fields,
    }


def test_editing_a_draft_changes_it_and_bumps_its_version(login, people, edu_draft):
    data = edit_data(edu_draft, title="关于开展专题调研的通知")
    data["requirements-1-DELETE"] = "on"
    response = login(people.edu).post(reverse("directive_edit", args=[edu_draft.pk]), data)
    assert response.status_code == 302
    edu_draft.refresh_from_db()
    assert edu_draft.title == "关于开展专题调研的通知"
    assert edu_draft.version == 2
    assert [r.title for r in edu_draft.requirements.all()] == ["组织集体学习"]
    assert edu_draft.history.count() >= 2


def test_a_save_over_someone_elses_change_is_refused_and_keeps_the_input(login, people, edu_draft):
    stale = edit_data(edu_draft, title="我的修改")
    Directive.objects.filter(pk=edu_draft.pk).update(title="别人的修改", version=2)
    response = login(people.edu).post(reverse("directive_edit", args=[edu_draft.pk]), stale)
    assert response.status_code == 409
    assert response.context["form"]["title"].value() == "我的修改"
    assert "我的修改" in response.content.decode()
    edu_draft.refresh_from_db()
    assert (edu_draft.title, edu_draft.version) == ("别人的修改", 2)


@pytest.fixture
def forward(edu_directive, tree, people):
    return directive_forward(directive=edu_directive, union=tree.sdu, user=people.sdu_supervisor)


def test_forwarding_starts_a_draft_with_the_requirements_of_the_directive_above(
    forward, edu_directive, tree
):
    assert forward.parent == edu_directive
    assert forward.issuer == tree.sdu
    assert forward.state == Directive.State.DRAFT
    copies = list(forward.requirements.all())
    assert [c.source for c in copies] == list(edu_directive.requirements.all())
    assert [(c.title, c.due_on) for c in copies] == [
        (s.title, s.due_on) for s in edu_directive.requirements.all()
    ]
    assert set(copies[0].figure_codes) == {"study_sessions", "participants"}
    assert [a.recipient.name for a in forward.assignments.all()] == ["文学院分工会"]


def test_forwarding_twice_returns_the_same_forward(forward, edu_directive, tree, people):
    again = directive_forward(directive=edu_directive, union=tree.sdu, user=people.sdu_supervisor)
    assert again == forward
    assert Directive.objects.filter(parent=edu_directive).count() == 1


def test_a_union_that_did_not_receive_a_directive_cannot_forward_it(edu_directive, tree, people):
    with pytest.raises(ValueError):
        directive_forward(directive=edu_directive, union=tree.qingdao, user=people.qingdao)
    assert not Directive.objects.filter(parent=edu_directive).exists()


def test_a_forward_may_tighten_a_deadline_but_not_loosen_it(login, people, forward):
    client = login(people.sdu_supervisor)
    data = edit_data(forward)
    data["requirements-0-due_on"] = "2015-11-15"  # the source is due 2015-10-31
    response = client.post(reverse("directive_edit", args=[forward.pk]), data)
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["due_on"]
    data["requirements-0-due_on"] = "2015-10-20"
    response = client.post(reverse("directive_edit", args=[forward.pk]), data)
    assert response.status_code == 302
    assert Requirement.objects.get(pk=data["requirements-0-id"]).due_on == datetime.date(
        2015, 10, 20
    )


def test_a_forward_may_add_requirements_of_its_own(login, people, forward):
    data = edit_data(forward)
    rows = int(data["requirements-TOTAL_FORMS"])
    data["requirements-TOTAL_FORMS"] = str(rows + 1)
    for key, value in {
        "kind": "research",
        "title": "开展教职工思想状况调研",
        "due_on": "2015-12-15",
    }.items():
        data[f"requirements-{rows}-{key}"] = value
    login(people.sdu_supervisor).post(reverse("directive_edit", args=[forward.pk]), data)
    titles = [r.title for r in forward.requirements.all()]
    assert titles[-1] == "开展教职工思想状况调研"
    assert forward.requirements.get(title="开展教职工思想状况调研").source is None


def test_the_chain_of_forwards_is_shown_both_ways(login, people, forward, edu_directive):
    client = login(people.sdu_supervisor)
    client.post(reverse("directive_issue", args=[forward.pk]))
    page = client.get(reverse("directive_detail", args=[forward.pk])).content.decode()
    assert "山东省教育工会" in page and edu_directive.title in page
    page = login(people.edu).get(reverse("directive_detail", args=[edu_directive.pk]))
    assert list(page.context["forwards"]) == [forward]
    forwarded = {r.recipient.name: r.forwarded for r in page.context["recipients"]}
    assert forwarded == {"山东大学工会": True, "济南市教育工会": False}


def test_a_draft_forward_stays_hidden_from_the_directive_above(
    login, people, forward, edu_directive
):
    page = login(people.edu).get(reverse("directive_detail", args=[edu_directive.pk]))
    assert list(page.context["forwards"]) == []


def test_issuing_sends_the_directive_and_dates_it(login, people, edu_draft, tree):
    login(people.edu).post(reverse("directive_issue", args=[edu_draft.pk]))
    edu_draft.refresh_from_db()
    assert edu_draft.state == Directive.State.ISSUED
    assert edu_draft.issued_on is not None
    tasks = login(people.sdu_staff).get(reverse("tasks"))
    assert edu_draft.title in tasks.content.decode()


def test_issuing_reaches_units_added_after_the_draft_was_saved(login, people, edu_draft, tree):
    from directives.models import Union

    Union.objects.add_child(
        tree.edu, {"code": "YT-EDU", "name": "烟台市教育工会", "kind": "sector"}
    )
    login(people.edu).post(reverse("directive_issue", args=[edu_draft.pk]))
    assert edu_draft.assignments.filter(recipient__code="YT-EDU").exists()


def test_a_directive_without_requirements_is_not_issued(login, people, edu_draft):
    edu_draft.requirements.all().delete()
    response = login(people.edu).post(reverse("directive_issue", args=[edu_draft.pk]), follow=True)
    edu_draft.refresh_from_db()
    assert edu_draft.state == Directive.State.DRAFT
    assert list(response.context["messages"])


@pytest.mark.parametrize(
    ("field", "day"),
    [("due_on", "9999-12-31"), ("due_on", "1999-12-31"), ("issued_on", "2101-01-01")],
)
def test_a_date_outside_2000_to_2100_is_a_form_error_and_nothing_is_saved(
    login, people, tree, field, day
):
    """9999-12-31 once made the reports pages fail for good."""
    study = {**STUDY, "due_on": day} if field == "due_on" else STUDY
    directive = directive_data(issued_on=day) if field == "issued_on" else directive_data()
    response = login(people.edu).post(
        reverse("directive_create"), {**directive, **requirement_rows(study, REPORT)}
    )

    assert response.status_code == 200
    errors = (
        response.context["formset"].forms[0].errors
        if field == "due_on"
        else response.context["form"].errors
    )
    assert errors[field] == ["日期须在2000年1月1日至2100年12月31日之间。"]
    assert not Directive.objects.exists()


def test_an_issuer_sets_targets_and_adds_figures_of_its_own(login, people, tree):
    client = login(people.edu)
    study = {
        **STUDY,
        "figures": [Figure.STUDY_SESSIONS],
        # A target on a figure left unticked asks for it too.
        f"target_{Figure.TRAINEES}": "200",
        "new_figures": "覆盖职工人数、发放学习资料份数",
    }
    response = client.post(
        reverse("directive_create"), {**directive_data(), **requirement_rows(study, REPORT)}
    )
    assert response.status_code == 302
    directive = Directive.objects.get(number="鲁教工发〔2015〕30号")
    requirement = directive.requirements.first()
    expected = {e.figure.name: e.target for e in requirement.expected_figures.all()}
    assert expected == {
        "组织学习场次": None,
        "培训人次": 200,
        "覆盖职工人数": None,
        "发放学习资料份数": None,
    }
    own = CatalogueFigure.objects.filter(directive=directive)
    assert set(own.values_list("name", flat=True)) == {"覆盖职工人数", "发放学习资料份数"}

    # The draft offers them again, now with a target to set; other directives do not.
    covered = own.get(name="覆盖职工人数")
    page = client.get(reverse("directive_edit", args=[directive.pk]))
    assert f'value="{covered.code}"' in page.content.decode()
    data = edit_data(directive)
    data["requirements-0-figures"] = [*requirement.figure_codes]
    data[f"requirements-0-target_{covered.code}"] = "500"
    data[f"requirements-0-target_{Figure.TRAINEES}"] = "200"
    assert client.post(reverse("directive_edit", args=[directive.pk]), data).status_code == 302
    assert requirement.expected_figures.get(figure=covered.code).target == 500
    other = client.get(reverse("directive_create"))
    assert f'value="{covered.code}"' not in other.content.decode()

    detail = client.get(reverse("directive_detail", args=[directive.pk])).content.decode()
    assert "培训人次 · 每单位目标200" in detail
    assert "覆盖职工人数 · 每单位目标500" in detail


def test_a_figure_the_admin_adds_is_offered_to_every_issuer(login, people, tree, client):
    admin_user = make_user(
        "edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True, is_staff=True
    )
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:directives_cataloguefigure_add"),
        {"name": "覆盖职工人数", "code": "workers_covered", "position": "20"},
    )
    assert response.status_code == 302
    assert CatalogueFigure.objects.shared().filter(code="workers_covered").exists()
    # An office need not invent a code.
    response = client.post(
        reverse("admin:directives_cataloguefigure_add"),
        {"name": "发放学习资料份数", "code": "", "position": "21"},
    )
    assert response.status_code == 302
    handed_out = CatalogueFigure.objects.get(name="发放学习资料份数")
    assert handed_out.code.startswith("f_") and handed_out.directive is None
    # The ten standard figures stay as they are.
    standard = CatalogueFigure.objects.get(code=Figure.PARTICIPANTS)
    refused = client.post(
        reverse("admin:directives_cataloguefigure_change", args=[standard.pk]),
        {"name": "人数", "position": "1"},
    )
    assert refused.status_code == 403
    assert CatalogueFigure.objects.get(code=Figure.PARTICIPANTS).name == "参加人次"

    page = login(people.qingdao).get(reverse("directive_create")).content.decode()
    assert 'value="workers_covered"' in page and "组织学习场次" in page


def test_the_standard_figures_come_back_when_missing(db):
    CatalogueFigure.objects.filter(code=Figure.MEASURES).delete()
    call_command("migrate", verbosity=0)
    assert CatalogueFigure.objects.get(code=Figure.MEASURES).name == "制定措施条数"
    assert CatalogueFigure.objects.shared().count() == 10


def test_a_directives_own_figures_go_with_it_and_shared_ones_in_use_stay(tree, people):
    directive = make_directive(tree.edu, user=people.edu)
    requirement = directive.requirements.first()
    own = figure_for_directive(directive=directive, name="覆盖职工人数")
    shared = CatalogueFigure.objects.create(code="workers_covered", name="职工覆盖面")
    requirement.set_figures([Figure.PARTICIPANTS, own.code, shared.code])
    with pytest.raises(RestrictedError):
        shared.delete()
    directive.delete()
    assert not CatalogueFigure.objects.filter(pk=own.pk).exists()
    assert CatalogueFigure.objects.filter(pk=shared.pk).exists()
