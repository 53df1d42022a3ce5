"""Logging progress on a requirement: entries, their history, status and deadlines.

Staff of 山东大学工会 work on 鲁教工发〔2015〕12号 from 山东省教育工会: the study requirement
(due 2015-10-31, asking for study sessions and participants) and the report back.
"""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from directives.models import DirectiveAttachment, Figure, Requirement
from directives.services import figure_for_directive
from reports.models import Completion, EntryFigure, ProgressEntry
from tests.files import PDF

UTC = datetime.UTC


@pytest.fixture
def assignment(edu_directive, tree):
    return edu_directive.assignments.get(recipient=tree.sdu)


@pytest.fixture
def study(edu_directive):
    return edu_directive.requirements.get(kind=Requirement.Kind.STUDY)


@pytest.fixture
def report_back(edu_directive):
    return edu_directive.requirements.get(kind=Requirement.Kind.REPORT)


@pytest.fixture
def named(people):
    """The two members of 山东大学工会, with the names their colleagues know them by."""
    people.sdu_staff.last_name, people.sdu_staff.first_name = "王", "芳"
    people.sdu_staff.save()
    people.sdu_supervisor.last_name, people.sdu_supervisor.first_name = "李", "强"
    people.sdu_supervisor.save()
    return people


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def add_url(assignment, requirement):
    return reverse("entry_add", args=[assignment.pk, requirement.pk])


def entry_data(**overrides):
    data = {
        "occurred_on": "2015-10-20",
        "narrative": "组织全校工会干部集中学习会议精神",
        "figure_study_sessions": "2",
        "figure_participants": "120",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def status_on_page(client, assignment, requirement):
    """The requirement's status as the assignment page computes it and as it draws it."""
    response = client.get(reverse("assignment_detail", args=[assignment.pk]))
    assert response.status_code == 200
    computed = {r.pk: r.status for r in response.context["requirements"]}[requirement.pk]
    section = re.search(
        rf'data-requirement="{requirement.pk}">.*?data-status="(\w+)"',
        response.content.decode(),
        re.DOTALL,
    )
    assert section.group(1) == computed
    return computed


def history_lines(response):
    html = response.content.decode()
    history = html[html.index('data-testid="history"') :]
    history = history[: history.index("</ul>")]
    return [
        re.sub(r"\s+", " ", line).strip()
        for line in re.findall(r"<li[^>]*>(.*?)</li>", history, re.DOTALL)
    ]


def test_staff_logs_an_entry_with_the_expected_figures(client, people, assignment, study):
    client.force_login(people.sdu_staff)
    response = client.get(add_url(assignment, study))
    assert response.status_code == 200
    assert response.context["form"].figure_names == [
        "figure_study_sessions",
        "figure_participants",
    ]

    response = client.post(add_url(assignment, study), entry_data(figure_trainees="9"))

    assert response.status_code == 302
    assert response.url == reverse("assignment_detail", args=[assignment.pk])
    entry = ProgressEntry.objects.get()
    assert entry.assignment == assignment
    assert entry.requirement == study
    assert entry.author == people.sdu_staff
    assert entry.occurred_on == datetime.date(2015, 10, 20)
    assert entry.figure_values == {"study_sessions": 2, "participants": 120}

    response = client.get(response.url)
    html = response.content.decode()
    assert "组织全校工会干部集中学习会议精神" in html
    assert reverse("entry_detail", args=[entry.pk]) in html
    with translation.override(response.headers["Content-Language"]):
        assert f"{Figure.PARTICIPANTS.label} 120" in html
        assert str(Figure.TRAINEES.label) not in html
    shown = {r.pk: r.entries for r in response.context["requirements"]}
    assert shown[study.pk] == [entry]


def test_figures_are_ignored_on_a_requirement_that_expects_none(
    client, people, assignment, report_back
):
    client.force_login(people.sdu_staff)

    response = client.post(
        add_url(assignment, report_back),
        entry_data(narrative="起草学习贯彻情况报告", figure_participants="50"),
    )

    assert response.status_code == 302
    entry = ProgressEntry.objects.get()
    assert entry.requirement == report_back
    assert not EntryFigure.objects.exists()


def test_staff_edits_an_entry_and_the_history_names_both_people(named, assignment, study):
    first = client_for(named.sdu_staff)
    first.post(add_url(assignment, study), entry_data())
    entry = ProgressEntry.objects.get()

    second = client_for(named.sdu_supervisor)
    response = second.get(reverse("entry_edit", args=[entry.pk]))
    assert response.status_code == 200
    version = response.context["form"]["version"].value()
    assert version == entry.version == 1
    response = second.post(
        reverse("entry_edit", args=[entry.pk]),
        entry_data(
            narrative="补充：各学院分工会同步开展学习",
            figure_participants="180",
            figure_study_sessions="",
            version=version,
        ),
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.version == 2
    assert entry.narrative == "补充：各学院分工会同步开展学习"
    assert entry.figure_values == {"participants": 180}
    assert entry.author == named.sdu_staff

    response = first.get(reverse("entry_detail", args=[entry.pk]))
    assert response.status_code == 200
    assert "补充：各学院分工会同步开展学习" in response.content.decode()
    with translation.override(response.headers["Content-Language"]):
        created, changed = translation.gettext("created"), translation.gettext("changed")
    lines = history_lines(response)
    assert len(lines) == 2
    assert lines[0].endswith(f"· 李强 · {changed}")
    assert lines[1].endswith(f"· 王芳 · {created}")


def test_status_moves_from_not_started_to_done_and_back(client, people, assignment, study, clock):
    clock(datetime.datetime(2015, 10, 20, 4, 0, tzinfo=UTC))
    client.force_login(people.sdu_staff)
    assert status_on_page(client, assignment, study) == "not_started"

    client.post(add_url(assignment, study), entry_data())
    assert status_on_page(client, assignment, study) == "in_progress"

    done_url = reverse("requirement_done", args=[assignment.pk, study.pk])
    assert client.post(done_url, {"done": "1"}).status_code == 302
    assert status_on_page(client, assignment, study) == "done"

    assert client.post(done_url, {"done": "0"}).status_code == 302
    assert status_on_page(client, assignment, study) == "in_progress"


def test_overdue_is_judged_by_the_end_of_the_due_day_in_shanghai(
    client, people, assignment, study, report_back, clock
):
    client.force_login(people.sdu_staff)
    assert study.due_on == datetime.date(2015, 10, 31)

    clock(datetime.datetime(2015, 10, 31, 15, 59, tzinfo=UTC))  # 23:59 in Shanghai
    assert status_on_page(client, assignment, study) == "not_started"

    clock(datetime.datetime(2015, 10, 31, 16, 0, tzinfo=UTC))  # 00:00 on 11-01 in Shanghai
    assert status_on_page(client, assignment, study) == "overdue"
    assert status_on_page(client, assignment, report_back) == "not_started"

    client.post(add_url(assignment, study), entry_data(occurred_on="2015-10-31"))
    assert status_on_page(client, assignment, study) == "overdue"

    done_url = reverse("requirement_done", args=[assignment.pk, study.pk])
    client.post(done_url, {"done": "1"})
    assert status_on_page(client, assignment, study) == "done"

    client.post(done_url, {"done": "0"})
    assert status_on_page(client, assignment, study) == "overdue"


def test_the_second_of_two_concurrent_edits_is_refused(named, assignment, study):
    first = client_for(named.sdu_staff)
    second = client_for(named.sdu_supervisor)
    first.post(add_url(assignment, study), entry_data())
    entry = ProgressEntry.objects.get()
    edit_url = reverse("entry_edit", args=[entry.pk])
    first_version = first.get(edit_url).context["form"]["version"].value()
    second_version = second.get(edit_url).context["form"]["version"].value()
    assert first_version == second_version == 1

    saved = first.post(
        edit_url,
        entry_data(narrative="王芳的修改", figure_participants="130", version=first_version),
    )
    refused = second.post(
        edit_url,
        entry_data(narrative="李强的修改", figure_participants="999", version=second_version),
    )

    assert saved.status_code == 302
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "李强的修改" in html
    assert 'value="999"' in html
    assert refused.context["form"].has_error("__all__", "conflict")
    entry.refresh_from_db()
    assert entry.narrative == "王芳的修改"
    assert entry.figure_values == {"study_sessions": 2, "participants": 130}
    assert entry.version == 2


@pytest.mark.parametrize("value", ["-1", "abc", "1.5"])
def test_a_bad_figure_is_a_form_error_and_nothing_is_saved(
    client, people, assignment, study, value
):
    client.force_login(people.sdu_staff)

    response = client.post(add_url(assignment, study), entry_data(figure_participants=value))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["figure_participants"]
    assert not ProgressEntry.objects.exists()
    assert not EntryFigure.objects.exists()


def test_a_bad_figure_leaves_the_stored_entry_unchanged(client, people, assignment, study):
    client.force_login(people.sdu_staff)
    client.post(add_url(assignment, study), entry_data())
    entry = ProgressEntry.objects.get()

    response = client.post(
        reverse("entry_edit", args=[entry.pk]),
        entry_data(narrative="改了但数字不对", figure_study_sessions="-3", version=1),
    )

    assert response.status_code == 200
    assert "figure_study_sessions" in response.context["form"].errors
    entry.refresh_from_db()
    assert entry.narrative == "组织全校工会干部集中学习会议精神"
    assert entry.figure_values == {"study_sessions": 2, "participants": 120}
    assert entry.version == 1


@pytest.mark.parametrize("day", ["9999-12-31", "1999-12-31", "2101-01-01"])
def test_an_activity_date_outside_2000_to_2100_is_a_form_error(
    client, people, assignment, study, day
):
    client.force_login(people.sdu_staff)

    response = client.post(add_url(assignment, study), entry_data(occurred_on=day))

    assert "occurred_on" in response.context["form"].errors
    assert not ProgressEntry.objects.exists()


def test_an_activity_dated_in_the_future_is_refused_with_a_clear_message(
    client, people, assignment, study, clock
):
    clock(datetime.datetime(2015, 10, 20, 2, 0, tzinfo=UTC))
    client.force_login(people.sdu_staff)

    refused = client.post(add_url(assignment, study), entry_data(occurred_on="2015-10-21"))
    on_the_day = client.post(add_url(assignment, study), entry_data(occurred_on="2015-10-20"))

    assert refused.status_code == 200
    (error,) = refused.context["form"].errors["occurred_on"]
    assert "2015年10月20日" in error and "之后" in error
    assert on_the_day.status_code == 302
    assert list(ProgressEntry.objects.values_list("occurred_on", flat=True)) == [
        datetime.date(2015, 10, 20)
    ]


def test_the_activity_date_defaults_to_today_in_shanghai(client, people, assignment, study, clock):
    # 20 October 2015, 17:00 UTC is already the 21st in Shanghai.
    clock(datetime.datetime(2015, 10, 20, 17, 0, tzinfo=UTC))
    client.force_login(people.sdu_staff)

    response = client.get(add_url(assignment, study))

    assert 'value="2015-10-21"' in response.content.decode()
    assert 'max="2015-10-21"' in response.content.decode()


def test_a_narrative_over_ten_thousand_characters_is_a_form_error(
    client, people, assignment, study
):
    client.force_login(people.sdu_staff)

    response = client.post(add_url(assignment, study), entry_data(narrative="学" * 10_001))
    fits = client.post(add_url(assignment, study), entry_data(narrative="学" * 10_000))

    assert "narrative" in response.context["form"].errors
    assert fits.status_code == 302
    assert ProgressEntry.objects.get().narrative == "学" * 10_000


def test_staff_log_a_directives_own_figure_and_see_its_target(client, people, assignment, study):
    covered = figure_for_directive(directive=study.directive, name="覆盖职工人数")
    study.set_figures(
        [*study.figure_codes, covered.code], targets={Figure.PARTICIPANTS: 200, covered.code: 500}
    )
    client.force_login(people.sdu_staff)
    form_page = client.get(add_url(assignment, study)).content.decode()
    assert "目标：每单位200" in form_page and "目标：每单位500" in form_page
    assert "覆盖职工人数" in form_page

    client.post(add_url(assignment, study), entry_data(**{f"figure_{covered.code}": "640"}))

    entry = ProgressEntry.objects.get()
    assert entry.figure_values[covered.code] == 640
    task = client.get(reverse("assignment_detail", args=[assignment.pk])).content.decode()
    assert "覆盖职工人数 640" in task
    detail = client.get(reverse("entry_detail", args=[entry.pk])).content.decode()
    assert "覆盖职工人数：640" in detail


# --- The task page: what staff need to do the work ---------------------------------------


def detail_url(assignment):
    return reverse("assignment_detail", args=[assignment.pk])


def test_the_task_page_offers_acknowledgement_and_comes_back_to_itself(client, people, assignment):
    client.force_login(people.sdu_staff)

    page = client.get(detail_url(assignment)).content.decode()
    form = page[page.index('data-testid="acknowledge-form"') :]
    form = form[: form.index("</form>")]
    assert f'value="{detail_url(assignment)}"' in form
    response = client.post(
        reverse("directive_acknowledge", args=[assignment.directive_id]),
        {"next": detail_url(assignment)},
    )

    assert response.url == detail_url(assignment)
    assignment.refresh_from_db()
    assert assignment.acknowledged_by == people.sdu_staff
    page = client.get(detail_url(assignment)).content.decode()
    assert 'data-testid="acknowledged"' in page and "已签收" in page
    assert 'data-testid="acknowledge-form"' not in page


def test_supervisors_above_see_whether_it_was_acknowledged_but_cannot_acknowledge(
    client, people, assignment
):
    client.force_login(people.edu)

    page = client.get(detail_url(assignment)).content.decode()

    assert 'data-testid="not-acknowledged"' in page and "未签收" in page
    assert 'data-testid="acknowledge-form"' not in page


def test_the_task_page_shows_the_text_attachments_and_figures_asked_for(
    client, people, assignment, edu_directive, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    edu_directive.body = "各市教育工会、各高校工会：\n现将会议精神传达如下。"
    edu_directive.save()
    attachment = DirectiveAttachment.objects.create(
        directive=edu_directive,
        file=SimpleUploadedFile("会议精神.pdf", PDF),
        name="会议精神.pdf",
        content_type="application/pdf",
        size=len(PDF),
    )
    client.force_login(people.sdu_staff)

    page = client.get(detail_url(assignment)).content.decode()

    assert "现将会议精神传达如下。" in page
    download = reverse("attachment_download", args=[edu_directive.pk, attachment.pk])
    assert f'href="{download}"' in page and "会议精神.pdf" in page
    assert client.get(download).status_code == 200
    figures = re.search(r'data-testid="expected-figures">(.*?)</p>', page, re.DOTALL).group(1)
    assert "需填报数据：" in figures
    with translation.override("zh-hans"):
        assert f"{Figure.STUDY_SESSIONS.label}、{Figure.PARTICIPANTS.label}" in figures
    # Another union's staff cannot fetch the attachment through its own task.
    client.force_login(people.qd_staff)
    assert client.get(download).status_code == 404


@pytest.mark.parametrize("action", ["entry", "done", "report"])
def test_the_first_action_of_a_union_acknowledges_its_task(
    client, people, assignment, study, action
):
    client.force_login(people.sdu_staff)
    if action == "entry":
        client.post(add_url(assignment, study), entry_data())
    elif action == "done":
        client.post(reverse("requirement_done", args=[assignment.pk, study.pk]), {"done": "1"})
    else:
        client.post(reverse("report_edit", args=[assignment.pk]), {"text": "草稿", "version": 1})

    assignment.refresh_from_db()
    assert assignment.acknowledged_by == people.sdu_staff
    assert assignment.acknowledged_at is not None
    assert "已签收" in client.get(detail_url(assignment)).content.decode()


def test_an_action_refused_leaves_the_task_unacknowledged(client, people, assignment, study):
    client.force_login(people.sdu_staff)

    client.post(add_url(assignment, study), entry_data(figure_participants="-1"))

    assignment.refresh_from_db()
    assert assignment.acknowledged_at is None


def test_the_report_back_requirement_cannot_be_ticked_done_by_hand(
    client, people, assignment, report_back
):
    client.force_login(people.sdu_staff)

    page = client.get(detail_url(assignment)).content.decode()
    section = page[page.index(f'data-requirement="{report_back.pk}"') :]
    section = section[: section.index("</section>")]
    response = client.post(
        reverse("requirement_done", args=[assignment.pk, report_back.pk]),
        {"done": "1"},
        follow=True,
    )

    assert 'data-testid="follows-report"' in section
    assert reverse("requirement_done", args=[assignment.pk, report_back.pk]) not in section
    assert not Completion.objects.exists()
    assert any("报送后自动完成" in str(m) for m in response.context["messages"])
