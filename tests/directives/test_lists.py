"""My tasks, the directive lists and the directive page: what they show, in how many queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directives.models import Directive, Union
from directives.services import directive_issue, directive_set_recipients
from reports.services import report_for, report_review, report_save, report_submit
from tests.conftest import make_directive


def issue(issuer, *, number, mode=Directive.RecipientMode.CHILDREN, **fields):
    directive = make_directive(issuer, number=number, **fields)
    directive_set_recipients(directive=directive, mode=mode)
    return directive_issue(directive=directive)


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_my_tasks_lists_what_my_union_was_sent_unacknowledged_first(login, people, tree):
    first = issue(tree.edu, number="1号", title="第一份通知")
    second = issue(tree.edu, number="2号", title="第二份通知")
    issue(tree.qingdao, number="3号", title="青岛的通知")
    first.assignments.get(recipient=tree.sdu).acknowledge(people.sdu_staff)
    response = login(people.sdu_staff).get(reverse("tasks"))
    rows = list(response.context["page"].object_list)
    assert [a.directive for a in rows] == [second, first]
    assert str(rows[0].first_due) == "2015-10-31" and str(rows[0].last_due) == "2015-11-30"
    assert "青岛的通知" not in response.content.decode()


def test_closed_directives_leave_my_tasks_unless_asked_for(login, people, tree):
    directive = issue(tree.edu, number="1号", title="已办结的通知")
    Directive.objects.filter(pk=directive.pk).update(state=Directive.State.CLOSED)
    client = login(people.sdu_staff)
    assert "已办结的通知" not in client.get(reverse("tasks")).content.decode()
    assert "已办结的通知" in client.get(reverse("tasks") + "?show=all").content.decode()


def test_acknowledging_through_htmx_returns_the_row(login, people, edu_directive, tree):
    response = login(people.sdu_staff).post(
        reverse("directive_acknowledge", args=[edu_directive.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith("<tr")
    assignment = edu_directive.assignments.get(recipient=tree.sdu)
    assert assignment.acknowledged_by == people.sdu_staff
    assert assignment.history.filter(acknowledged_by=people.sdu_staff).exists()


@pytest.mark.parametrize(
    ("next_page", "expected"),
    [
        ("/directives/", "/directives/"),
        ("https://evil.example/", "/tasks/"),
        ("//evil.example/", "/tasks/"),
        ("", "/tasks/"),
    ],
)
def test_acknowledging_goes_back_only_to_a_page_of_this_site(
    login, people, edu_directive, next_page, expected
):
    response = login(people.sdu_staff).post(
        reverse("directive_acknowledge", args=[edu_directive.pk]), {"next": next_page}
    )
    assert response.status_code == 302
    assert response.url == expected


def test_a_second_acknowledgement_keeps_the_first(login, people, edu_directive, tree):
    login(people.sdu_staff).post(reverse("directive_acknowledge", args=[edu_directive.pk]))
    first = edu_directive.assignments.get(recipient=tree.sdu).acknowledged_at
    login(people.sdu_supervisor).post(reverse("directive_acknowledge", args=[edu_directive.pk]))
    assignment = edu_directive.assignments.get(recipient=tree.sdu)
    assert (assignment.acknowledged_at, assignment.acknowledged_by) == (first, people.sdu_staff)


def test_directive_boxes(login, people, tree, edu_directive, edu_draft):
    client = login(people.edu)
    issued = client.get(reverse("directive_list") + "?box=issued").context["page"].object_list
    assert set(issued) == {edu_directive, edu_draft}
    assert {d.recipient_count for d in issued} == {2}
    received = client.get(reverse("directive_list") + "?box=received").context["page"]
    assert list(received.object_list) == []
    staff = login(people.sdu_staff).get(reverse("directive_list")).context
    assert (staff["box"], list(staff["page"].object_list)) == ("received", [edu_directive])


def test_directive_list_searches_titles_and_numbers(login, people, tree):
    issue(tree.edu, number="鲁教工发〔2015〕1号", title="关于开展调研的通知")
    issue(tree.edu, number="鲁教工发〔2015〕2号", title="关于培训的通知")
    client = login(people.edu)
    found = client.get(reverse("directive_list"), {"box": "issued", "q": "培训"}).context["page"]
    assert [d.number for d in found.object_list] == ["鲁教工发〔2015〕2号"]
    found = client.get(reverse("directive_list"), {"box": "issued", "q": "1号"}).context["page"]
    assert [d.title for d in found.object_list] == ["关于开展调研的通知"]


def test_a_supervisor_sees_directives_of_units_beneath_it_but_not_beside_it(login, people, tree):
    issue(tree.sdu, number="校工发1号", title="山东大学工会的通知")
    issue(tree.qingdao, number="青工发1号", title="青岛市总工会的通知")
    listed = login(people.edu).get(reverse("directive_list") + "?box=all").context["page"]
    assert [d.title for d in listed.object_list] == ["山东大学工会的通知"]


def grow(tree, count):
    """Add `count` grassroots unions under the education union's university union."""
    for number in range(count):
        Union.objects.add_child(
            Union.objects.get(pk=tree.sdu.pk),
            {"code": f"SDU-{number}", "name": f"分工会{number}", "kind": "grassroots"},
        )


@pytest.mark.parametrize("url_name", ["tasks", "directive_list"])
def test_lists_take_the_same_number_of_queries_whatever_their_length(login, people, tree, url_name):
    client = login(people.sdu_supervisor)
    issue(tree.edu, number="1号")
    small = query_count(client, reverse(url_name) + "?box=received")
    for number in range(2, 30):
        issue(tree.edu, number=f"{number}号")
    assert query_count(client, reverse(url_name) + "?box=received") == small


def test_directive_page_takes_the_same_number_of_queries_whatever_the_tree(login, people, tree):
    directive = issue(tree.sdu, number="校1号", mode=Directive.RecipientMode.SUBTREE)
    client = login(people.sdu_supervisor)
    url = reverse("directive_detail", args=[directive.pk])
    small = query_count(client, url)
    grow(tree, 60)
    bigger = issue(tree.sdu, number="校2号", mode=Directive.RecipientMode.SUBTREE)
    assert bigger.assignments.count() == 61
    assert query_count(client, reverse("directive_detail", args=[bigger.pk])) == small


def test_directive_form_takes_the_same_number_of_queries_whatever_the_tree(login, people, tree):
    client = login(people.sdu_supervisor)
    small = query_count(client, reverse("directive_create"))
    grow(tree, 40)
    assert query_count(client, reverse("directive_create")) == small


def test_recipients_list_shows_only_units_in_the_viewers_scope(login, people, tree):
    directive = issue(tree.edu, number="全体1号", mode=Directive.RecipientMode.SUBTREE)
    response = login(people.sdu_supervisor).get(reverse("directive_detail", args=[directive.pk]))
    shown = {a.recipient.name for a in response.context["recipients"]}
    assert shown == {"山东大学工会", "文学院分工会"}
    assert response.context["recipient_totals"] == {"total": 2, "acknowledged": 0}


def test_the_header_names_the_union_the_role_and_the_person_family_name_first(login, people):
    people.sdu_staff.last_name, people.sdu_staff.first_name = "陈", "静"
    people.sdu_staff.save()
    page = login(people.sdu_staff).get(reverse("tasks")).content.decode()
    assert "山东大学工会" in page
    assert "陈静" in page
    assert "工作人员" in page  # the role, in Chinese


def test_my_tasks_label_the_two_deadlines(login, people, tree):
    issue(tree.edu, number="1号", title="第一份通知")

    html = login(people.sdu_staff).get(reverse("tasks")).content.decode()
    cell = html[html.index('data-testid="deadlines"') :]
    cell = " ".join(cell[: cell.index("</td>")].split())

    assert "要求截止 2015年10月31日" in cell
    assert "报送截止 2015年11月30日" in cell
    assert "–" not in cell


def return_report(assignment, *, author, reviewer, comment):
    report = report_save(report=report_for(assignment), text="情况报告", figures={})
    report_submit(report=report, user=author)
    report_review(report=report, user=reviewer, decision="returned", comment=comment)


def test_a_returned_report_shows_on_my_tasks_with_the_reviewers_comment(login, people, tree):
    returned = issue(tree.edu, number="1号", title="被退回的通知")
    issue(tree.edu, number="2号", title="未报送的通知")
    people.edu.last_name, people.edu.first_name = "张", "伟"
    people.edu.save()
    return_report(
        returned.assignments.get(recipient=tree.sdu),
        author=people.sdu_staff,
        reviewer=people.edu,
        comment="请补充参加人数。",
    )

    html = login(people.sdu_staff).get(reverse("tasks")).content.decode()

    rows = {
        title: html[html.index(title) : html.index("</tr>", html.index(title))]
        for title in ("被退回的通知", "未报送的通知")
    }
    assert 'data-testid="returned"' in rows["被退回的通知"]
    assert "情况报告被退回修改" in rows["被退回的通知"]
    assert "张伟" in rows["被退回的通知"] and "请补充参加人数。" in rows["被退回的通知"]
    report_url = reverse("report_edit", args=[returned.assignments.get(recipient=tree.sdu).pk])
    assert report_url in rows["被退回的通知"]
    assert 'data-testid="returned"' not in rows["未报送的通知"]


def test_my_tasks_take_the_same_queries_however_many_reports_were_returned(login, people, tree):
    client = login(people.sdu_staff)
    first = issue(tree.edu, number="1号")
    return_report(
        first.assignments.get(recipient=tree.sdu),
        author=people.sdu_staff,
        reviewer=people.edu,
        comment="请修改。",
    )
    small = query_count(client, reverse("tasks"))
    for number in range(2, 12):
        directive = issue(tree.edu, number=f"{number}号")
        return_report(
            directive.assignments.get(recipient=tree.sdu),
            author=people.sdu_staff,
            reviewer=people.edu,
            comment="请修改。",
        )
    assert query_count(client, reverse("tasks")) == small
