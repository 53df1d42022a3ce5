"""Someone leaves by being deactivated, never deleted: they can no longer sign in, and the
entries, reports and history they wrote keep their name. Administrators of a subtree may not
delete people; superusers still may."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from directives.models import Directive, Membership, Requirement, Union
from directives.services import directive_issue, directive_set_recipients
from reports.models import ProgressEntry
from reports.services import report_for, report_save, report_submit
from tests.conftest import PASSWORD, make_directive, make_user
from tests.reports.conftest import log_entry

USERS = reverse("admin:auth_user_changelist")
MEMBERSHIPS = reverse("admin:directives_membership_changelist")


@pytest.fixture
def edu_admin(tree):
    return make_user("edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True)


def run_action(client, url, action, objects):
    return client.post(
        url,
        {"action": action, ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects]},
        follow=True,
    )


def is_active(user):
    user.refresh_from_db()
    return user.is_active


def test_a_subtree_administrator_may_not_delete_a_user(login, edu_admin, people, superuser):
    client = login(edu_admin)
    user = people.sdu_staff

    page = client.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    delete = client.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"})
    run_action(client, USERS, "delete_selected", [user])

    assert reverse("admin:auth_user_delete", args=[user.pk]) not in page
    assert delete.status_code == 403
    assert get_user_model().objects.filter(pk=user.pk).exists()
    # A superuser still may, e.g. to take back an import's mistake.
    client = login(superuser)
    assert client.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"}).url
    assert not get_user_model().objects.filter(pk=user.pk).exists()


def test_a_subtree_administrator_may_not_delete_a_membership(login, edu_admin, people):
    client = login(edu_admin)
    membership = people.sdu_staff.membership

    delete = reverse("admin:directives_membership_delete", args=[membership.pk])
    response = client.post(delete, {"post": "yes"})
    run_action(client, MEMBERSHIPS, "delete_selected", [membership])

    assert response.status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize("url", [USERS, MEMBERSHIPS])
def test_the_lists_offer_deactivation_instead_of_deletion(login, edu_admin, people, url):
    actions = dict(login(edu_admin).get(url).context["action_form"].fields["action"].choices)

    assert "deactivate" in actions
    assert "delete_selected" not in actions


def test_an_administrator_deactivates_users_of_their_subtree_from_the_user_list(
    login, edu_admin, people
):
    client = login(edu_admin)
    ticked = [people.sdu_staff, people.jinan_staff, people.qd_staff]

    response = run_action(client, USERS, "deactivate", ticked)

    assert "2 位用户已停用" in response.content.decode()
    assert not is_active(people.sdu_staff) and not is_active(people.jinan_staff)
    assert is_active(people.sdu_supervisor)
    assert is_active(people.qd_staff)
    logged = LogEntry.objects.filter(user=edu_admin, object_id=str(people.sdu_staff.pk)).get()
    assert "有效" in logged.get_change_message()


def test_an_administrator_deactivates_users_from_the_membership_list(login, edu_admin, people):
    client = login(edu_admin)
    ticked = [people.sdu_staff.membership, people.qingdao.membership]

    run_action(client, MEMBERSHIPS, "deactivate", ticked)

    assert not is_active(people.sdu_staff)
    assert Membership.objects.filter(user=people.sdu_staff).exists()
    assert is_active(people.qingdao)


def test_an_administrator_cannot_deactivate_themself(login, edu_admin, people):
    client = login(edu_admin)

    response = run_action(client, USERS, "deactivate", [edu_admin, people.edu_staff])

    assert "不能停用自己" in response.content.decode()
    assert is_active(edu_admin)
    assert not is_active(people.edu_staff)


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(people, edu_admin):
    signed_in = Client()
    signed_in.force_login(people.sdu_staff)
    admin = Client()
    admin.force_login(edu_admin)

    run_action(admin, USERS, "deactivate", [people.sdu_staff])

    assert signed_in.get(reverse("tasks")).url.startswith(reverse("login"))
    response = Client().post(
        reverse("login"), {"username": "sdu_staff", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in response.wsgi_request.session


def test_a_deactivated_users_entries_reports_and_history_keep_their_name(
    people, edu_directive, tree, edu_admin
):
    author = people.sdu_staff
    author.last_name, author.first_name = "王", "芳"
    author.save()
    assignment = edu_directive.assignments.get(recipient=tree.sdu)
    study = edu_directive.requirements.get(kind=Requirement.Kind.STUDY)
    own = Client()
    own.force_login(author)
    own.post(
        reverse("entry_add", args=[assignment.pk, study.pk]),
        {"occurred_on": "2015-10-20", "narrative": "组织全校教职工集中学习。"},
    )
    entry = ProgressEntry.objects.get()
    report = report_save(report=report_for(assignment), text="学习情况报告。", figures={})
    report_submit(report=report, user=author)
    admin = Client()
    admin.force_login(edu_admin)

    run_action(admin, USERS, "deactivate", [author])

    assert not is_active(author)
    colleague = Client()
    colleague.force_login(people.sdu_supervisor)
    entry_page = colleague.get(reverse("entry_detail", args=[entry.pk])).content.decode()
    history = entry_page[entry_page.index('data-testid="history"') :]
    assert "2015年10月20日 · 王芳" in entry_page
    assert "王芳" in history
    assignment_page = colleague.get(reverse("assignment_detail", args=[assignment.pk]))
    assert "王芳" in assignment_page.content.decode()
    reviewer = Client()
    reviewer.force_login(people.edu)
    review = reviewer.get(reverse("report_review", args=[report.pk])).content.decode()
    assert "第1版，王芳于" in review


# --- Unions: deactivated when dissolved, merged when combined -----------------------------

UNIONS = reverse("admin:directives_union_changelist")


def issued_to(issuer, recipients, *, user, title="关于开展专题学习的通知"):
    directive = make_directive(issuer, user=user, title=title)
    directive_set_recipients(
        directive=directive, mode=Directive.RecipientMode.SELECTED, selected=recipients
    )
    return directive_issue(directive=directive)


def fresh(union):
    return Union.objects.get(pk=union.pk)


def test_a_deactivated_union_keeps_its_work_but_receives_nothing_new(
    login, edu_admin, tree, people, edu_directive
):
    client = login(edu_admin)

    run_action(client, UNIONS, "deactivate", [tree.sdu])

    assert not fresh(tree.sdu).is_active and not fresh(tree.sdu_college).is_active
    assert edu_directive.assignments.filter(recipient=tree.sdu).exists()
    assert LogEntry.objects.filter(object_id=str(tree.sdu.pk)).exists()
    later = make_directive(tree.edu, user=people.edu, title="关于开展读书活动的通知")
    directive_set_recipients(directive=later, mode=Directive.RecipientMode.SUBTREE)
    later = directive_issue(directive=later)
    assert set(later.assignments.values_list("recipient__code", flat=True)) == {
        "JN-EDU",
        "JN-EDU-01",
    }
    form = login(people.edu).get(reverse("directive_create")).context["form"]
    assert tree.sdu not in form.fields["selected_recipients"].queryset
    assert is_active(people.sdu_staff)


def test_an_administrator_cannot_deactivate_their_own_union(login, edu_admin, tree):
    response = run_action(login(edu_admin), UNIONS, "deactivate", [tree.edu])

    assert fresh(tree.edu).is_active
    assert "您所在的单位" in response.content.decode()


def test_a_reactivated_union_receives_directives_again(login, edu_admin, tree):
    client = login(edu_admin)
    run_action(client, UNIONS, "deactivate", [tree.jinan_edu])

    run_action(client, UNIONS, "reactivate", [tree.jinan_edu])

    assert fresh(tree.jinan_edu).is_active


def merge(client, union, into):
    return client.post(
        UNIONS,
        {"action": "merge", ACTION_CHECKBOX_NAME: [str(union.pk)], "post": "yes", "into": into.pk},
        follow=True,
    )


def dashboard_of(client, directive):
    response = client.get(reverse("dashboard", args=[directive.pk]))
    rows = {row.union.name: row for row in response.context["page"].object_list}
    total = response.context["total"]
    return rows, (total.counts.done, total.counts.total, total.assigned)


def test_merging_carries_people_units_and_work_over_and_the_dashboard_stays_right(
    login, edu_admin, tree, people
):
    directive = issued_to(tree.edu, [tree.sdu], user=people.edu)
    assignment = directive.assignments.get(recipient=tree.sdu)
    log_entry(assignment, user=people.sdu_staff, narrative="集体学习", figures={"participants": 86})
    supervisor = login(people.edu)
    rows, before = dashboard_of(supervisor, directive)
    # Jinan was not sent the directive: the dashboard lists it apart, as 未下发.
    assert rows["山东大学工会"].assigned == 1 and "济南市教育工会" not in rows

    page = merge(login(edu_admin), tree.sdu, tree.jinan_edu).content.decode()

    assert "山东大学工会已并入济南市教育工会" in page
    sdu = fresh(tree.sdu)
    assert not sdu.is_active and sdu.merged_into == tree.jinan_edu
    assert Union.objects.get_parent(fresh(tree.sdu_college)) == tree.jinan_edu
    assert Membership.objects.get(user=people.sdu_staff).union == tree.jinan_edu
    assert directive.assignments.get().recipient == tree.jinan_edu
    assert ProgressEntry.objects.get().assignment == assignment
    assert LogEntry.objects.filter(object_id=str(tree.jinan_edu.pk)).exists()
    assert LogEntry.objects.filter(object_id=str(tree.sdu.pk)).exists()
    rows, after = dashboard_of(supervisor, directive)
    assert rows["济南市教育工会"].assigned == 1
    assert "山东大学工会" not in rows or rows["山东大学工会"].assigned == 0
    assert after == before
    study = directive.requirements.get(kind=Requirement.Kind.STUDY).pk
    assert rows["济南市教育工会"].figures[study]["participants"] == 86
    # The people carried over go on working on it, now for the union they joined.
    staff = login(people.sdu_staff)
    assert staff.get(reverse("assignment_detail", args=[assignment.pk])).status_code == 200


def test_a_directive_both_received_stays_with_the_merged_union_as_history(
    login, edu_admin, tree, people, edu_directive
):
    _rows, before = dashboard_of(login(people.edu), edu_directive)

    merge(login(edu_admin), tree.sdu, tree.jinan_edu)

    recipients = edu_directive.assignments.values_list("recipient__code", flat=True)
    assert sorted(recipients) == ["JN-EDU", "SDU"]
    _rows, after = dashboard_of(login(people.edu), edu_directive)
    assert after == before


def test_a_union_cannot_be_merged_into_one_beneath_it_or_outside_the_subtree(
    login, edu_admin, tree
):
    client = login(edu_admin)

    beneath = merge(client, tree.sdu, tree.sdu_college)
    outside = merge(client, tree.sdu, tree.qingdao)

    assert beneath.status_code == outside.status_code == 200
    assert "into" in beneath.context["form"].errors and "into" in outside.context["form"].errors
    assert (
        fresh(tree.sdu).is_active and Union.objects.get_parent(fresh(tree.sdu_college)) == tree.sdu
    )
