"""The app's import screens: upload, preview, confirm, result; big files in the background."""

import datetime
import re

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks.signals import task_enqueued

from directives.models import Membership, Union
from directives.spreadsheets.files import estimate_rows
from directives.wording import join_list, labelled
from reports.imports import IMPORTABLES
from reports.jobs import ProgressWriter
from reports.models import Report, SpreadsheetJob
from reports.tasks import job_run_now
from tests.conftest import make_user
from tests.files import csv_bytes, sheet_bytes

from .conftest import upload

HEADERS = ["单位代码", "单位名称", "简称", "单位类型", "上级单位代码"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def edu_admin(tree):
    return make_user("edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True)


def units_csv(*rows):
    return csv_bytes([HEADERS, *rows])


def post_file(client, kind, name, content):
    return client.post(reverse("import_new", args=[kind]), {"file": upload(name, content)})


def job_of(response):
    assert response.status_code == 302, response.content.decode()[:2000]
    return SpreadsheetJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


def confirm(client, job):
    return client.post(reverse("import_confirm", args=[job.pk]))


def codes():
    return set(Union.objects.values_list("code", flat=True))


def test_a_file_with_a_bad_row_is_previewed_with_its_errors_and_nothing_is_written(
    login, edu_admin
):
    client = login(edu_admin)
    before = codes()
    content = units_csv(
        ["JN-EDU-02", "济南第二中学工会", "", "基层工会", "JN-EDU"],
        ["JN-EDU-03", "济南第三中学工会", "", "基层工会", "NOPE"],
    )

    job = job_of(post_file(client, "unions", "单位.csv", content))

    assert (job.state, job.dry_run, job.error_count) == ("done", True, 1)
    assert [(e.row, e.column) for e in job.errors] == [(3, "上级单位代码")]
    assert codes() == before
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "您的管辖范围内没有代码为NOPE的单位" in page
    assert 'data-testid="row-errors"' in page
    assert 'data-testid="confirm"' not in page
    assert confirm(client, job).status_code == 302
    assert codes() == before


def test_a_clean_file_is_previewed_then_written_once_confirmed(login, edu_admin, tree):
    client = login(edu_admin)
    content = sheet_bytes(
        [
            HEADERS,
            ["JN-EDU-02", "济南第二中学工会", "济南二中", "基层工会", "JN-EDU"],
            ["SDU-WX", "文学院工会", "", "基层工会", "SDU"],
        ]
    )

    job = job_of(post_file(client, "unions", "单位.xlsx", content))

    assert job.outcome["new"] == job.outcome["updated"] == 1
    assert "JN-EDU-02" not in codes()
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'data-testid="confirm"' in page
    assert "济南第二中学工会" in page

    response = confirm(client, job)

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.dry_run, job.written) == ("done", False, True)
    school = Union.objects.get(code="JN-EDU-02")
    assert Union.objects.get_parent(school) == tree.jinan_edu
    assert Union.objects.get(code="SDU-WX").name == "文学院工会"
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'data-job-state="imported"' in page


def test_confirming_reads_and_checks_the_file_again(login, edu_admin, tree):
    client = login(edu_admin)
    content = units_csv(
        ["JN-EDU-02", "济南第二中学工会", "", "基层工会", "JN-EDU"],
        ["JN-EDU-03", "济南第三中学工会", "", "基层工会", "JN-EDU"],
    )
    job = job_of(post_file(client, "unions", "单位.csv", content))
    assert job.error_count == 0
    # Meanwhile someone else takes the first code for a unit outside the administrator's scope.
    Union.objects.add_child(
        tree.qingdao, {"code": "JN-EDU-02", "name": "别处的单位", "kind": Union.Kind.GRASSROOTS}
    )

    confirm(client, job)

    job.refresh_from_db()
    assert (job.dry_run, job.written, job.error_count) == (False, False, 1)
    assert [(e.row, e.column) for e in job.errors] == [(2, "单位代码")]
    assert "JN-EDU-03" not in codes()
    assert Union.objects.get(code="JN-EDU-02").name == "别处的单位"


def test_another_users_job_is_not_found(login, edu_admin, people, tree):
    client = login(edu_admin)
    job = job_of(
        post_file(client, "unions", "单位.csv", units_csv(["X-1", "新单位", "", "基层工会", "SDU"]))
    )
    other_admin = make_user(
        "sd_admin", tree.province, Membership.Role.SUPERVISOR, administrator=True
    )

    client = login(other_admin)
    for name in ("import_job", "import_job_progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert confirm(client, job).status_code == 404
    assert "X-1" not in codes()
    assert job.pk not in [j.pk for j in client.get(reverse("import_list")).context["page"]]


def test_a_preview_is_confirmed_once_and_not_when_too_old(login, edu_admin):
    client = login(edu_admin)
    job = job_of(
        post_file(client, "unions", "单位.csv", units_csv(["X-1", "新单位", "", "基层工会", "SDU"]))
    )
    confirm(client, job)
    Union.objects.filter(code="X-1").update(name="改过的名称")

    response = confirm(client, job)

    assert response.status_code == 302
    assert Union.objects.get(code="X-1").name == "改过的名称"
    stale = job_of(
        post_file(
            client, "unions", "单位.csv", units_csv(["X-2", "另一单位", "", "基层工会", "SDU"])
        )
    )
    SpreadsheetJob.objects.filter(pk=stale.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=2)
    )
    page = client.get(reverse("import_job", args=[stale.pk])).content.decode()
    assert 'data-testid="confirm"' not in page
    confirm(client, stale)
    assert "X-2" not in codes()
    assert SpreadsheetJob.objects.get(pk=stale.pk).dry_run


def test_a_script_in_a_cell_shows_as_text(login, edu_admin):
    client = login(edu_admin)
    script = "<script>alert('x')</script>"
    bad = job_of(
        post_file(client, "unions", "单位.csv", units_csv(["X-1", "新单位", "", script, "SDU"]))
    )
    clean = job_of(
        post_file(client, "unions", "单位.csv", units_csv(["X-1", script, "", "基层工会", "SDU"]))
    )

    for job in (bad, clean):
        page = client.get(reverse("import_job", args=[job.pk])).content.decode()
        assert script not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert bad.error_count == 1


def test_a_big_file_is_previewed_and_imported_in_the_background(
    login, edu_admin, settings, monkeypatch, request
):
    settings.IMPORT_BACKGROUND_ROWS = 5
    queued, reported = [], []

    def note(sender, task_result, **kwargs):
        queued.extend(task_result.args)

    task_enqueued.connect(note)
    request.addfinalizer(lambda: task_enqueued.disconnect(note))
    call = ProgressWriter.__call__
    monkeypatch.setattr(
        ProgressWriter, "__call__", lambda self, *done: reported.append(done) or call(self, *done)
    )
    rows = [[f"SDU-{n:02}", f"第{n}分工会", "", "基层工会", "SDU"] for n in range(1, 13)]
    client = login(edu_admin)

    job = job_of(post_file(client, "unions", "单位.xlsx", sheet_bytes([HEADERS, *rows])))

    assert queued == [job.pk]
    assert (job.state, job.rows_total, job.rows_done, job.percent_done) == ("done", 12, 12, 100)
    assert reported[-1] == (12, 12)
    assert not Union.objects.filter(code__startswith="SDU-0").exists()

    confirm(client, job)

    job.refresh_from_db()
    assert queued == [job.pk, job.pk]
    assert (job.written, job.rows_done, job.rows_total) == (True, 12, 12)
    assert Union.objects.filter(code__in=[row[0] for row in rows]).count() == 12


def test_the_page_of_a_running_job_polls_its_progress(login, edu_admin):
    job = SpreadsheetJob.objects.create(
        user=edu_admin, kind="unions", file_name="单位.xlsx", dry_run=True, state="running"
    )
    SpreadsheetJob.objects.filter(pk=job.pk).update(rows_total=4000, rows_done=1000)
    client = login(edu_admin)

    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    partial = client.get(reverse("import_job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")

    assert 'hx-trigger="every 2s"' in page
    assert "已处理 1000 / 4000 行" in partial.content.decode()
    assert 'aria-valuenow="25"' in partial.content.decode()
    SpreadsheetJob.objects.filter(pk=job.pk).update(state="done")
    done = client.get(reverse("import_job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert done.headers["HX-Refresh"] == "true"


def test_the_list_of_imports_takes_the_same_queries_however_long(
    login, edu_admin, django_assert_num_queries
):
    client = login(edu_admin)
    for n in range(3):
        post_file(
            client, "unions", f"{n}.csv", units_csv([f"X-{n}", "新单位", "", "基层工会", "NOPE"])
        )
    # Reading pages open no transaction, so no savepoint queries either.
    with django_assert_num_queries(7):
        client.get(reverse("import_list"))
    for n in range(3, 20):
        post_file(
            client, "unions", f"{n}.csv", units_csv([f"X-{n}", "新单位", "", "基层工会", "SDU"])
        )
    with django_assert_num_queries(7):
        page = client.get(reverse("import_list"))
    assert len(page.context["page"].object_list) == 20


REPORT_HEADERS = ["发文单位代码", "文号", "单位代码", "情况报告"]


def report_file(unit, text):
    return csv_bytes([REPORT_HEADERS, ["SD-EDU", "鲁教工发〔2015〕12号", unit, text]])


def test_a_unit_writes_its_draft_report_from_a_file(login, people, tree, edu_directive):
    client = login(people.sdu_staff)
    job = job_of(post_file(client, "reports", "情况报告.csv", report_file("SDU", "已完成集中学习")))
    assert (job.error_count, job.outcome["new"]) == (0, 1)
    assert not Report.objects.exists()

    confirm(client, job)

    report = Report.objects.get(assignment__recipient=tree.sdu)
    assert (report.text, report.state) == ("已完成集中学习", Report.State.DRAFT)


def test_a_supervisor_cannot_write_a_units_report_from_a_file(login, people, tree, edu_directive):
    client = login(people.edu)
    job = job_of(post_file(client, "reports", "情况报告.csv", report_file("SDU", "代写的报告")))
    assert [(e.row, e.column) for e in job.errors] == [(2, "单位代码")]
    confirm(client, job)
    assert not Report.objects.exists()


def test_the_navigation_offers_imports_to_members(login, people):
    page = login(people.sdu_staff).get(reverse("import_list")).content.decode()
    assert 'data-testid="nav-import"' in page
    assert reverse("import_new", args=["progress"]) in page
    assert reverse("import_new", args=["unions"]) not in page


def test_templates_carry_the_chinese_headers_the_import_reads(login, edu_admin):
    import io

    import openpyxl

    client = login(edu_admin)
    response = client.get(reverse("import_template_xlsx", args=["unions"]))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook.active[1]] == HEADERS
    assert "attachment" in response["Content-Disposition"]
    csv = client.get(reverse("import_template_csv", args=["directives"])).content
    assert csv.decode("utf-8-sig").strip() == "发文单位代码,文号,标题,文件类型,发文日期,正文"
    page = client.get(reverse("import_new", args=["directives"])).content.decode()
    assert "通知、决议、意见、其他" in page


@pytest.mark.django_db(transaction=True)
def test_the_worker_shows_rows_done_while_the_import_runs(tree, settings, monkeypatch):
    """On PostgreSQL another connection sees the count move before the import commits; on
    SQLite nothing is written until the end, and nothing waits for a lock."""
    user = make_user(
        "edu_admin",
        Union.objects.get(code="SD-EDU"),
        Membership.Role.SUPERVISOR,
        administrator=True,
    )
    rows = [[f"SDU-{n:03}", f"第{n}分工会", "", "基层工会", "SDU"] for n in range(1, 301)]
    job = SpreadsheetJob.objects.create(
        user=user, kind="unions", file=upload("单位.csv", units_csv(*rows)), file_name="单位.csv"
    )
    seen = []
    call = ProgressWriter.__call__

    def watch(self, done, total):
        call(self, done, total)
        if done % 100 == 0:
            watcher = connections.create_connection("default")
            try:
                with watcher.cursor() as cursor:
                    cursor.execute(
                        "SELECT rows_done FROM reports_spreadsheetjob WHERE id = %s", [job.pk]
                    )
                    seen.append(cursor.fetchone()[0])
            finally:
                watcher.close()

    monkeypatch.setattr(ProgressWriter, "__call__", watch)
    started = timezone.now()

    job_run_now(job)

    job.refresh_from_db()
    assert (job.state, job.rows_done, job.written) == ("done", 300, True)
    assert timezone.now() - started < datetime.timedelta(seconds=15)
    if connection.vendor == "postgresql":
        # Written every 3 rows (a hundredth of the file), read after rows 100, 200, 300.
        assert all(0 <= done - value < 3 for done, value in zip((100, 200, 300), seen, strict=True))
    else:
        assert seen == [None, None, None]


def test_rows_are_estimated_without_reading_the_file():
    assert estimate_rows(upload("a.csv", b"h\n1\n2\n")) == 2
    assert estimate_rows(upload("a.csv", b"h\r\n1\r\n2")) == 2
    assert estimate_rows(upload("a.xlsx", sheet_bytes([["h"], [1], [2], [3]]))) == 3
    assert estimate_rows(upload("a.xlsx", b"not a workbook")) == 0


def test_the_import_page_links_to_its_section_of_the_formats(login, people):
    client = login(people.sdu_staff)
    page = client.get(reverse("import_new", args=["progress"])).content.decode()
    link = f'href="{reverse("import_formats")}#progress"'
    assert link in page
    # The section is named as the file is, in the user's language only.
    assert "“进展记录”" in page
    assert "Progress entries · 进展记录" not in page

    formats = client.get(reverse("import_formats")).content.decode()

    assert '<h2 class="h5" id="progress">进展记录</h2>' in formats
    assert "工作情况" in formats


def test_every_import_has_a_section_of_the_formats(login, people):
    formats = login(people.sdu_staff).get(reverse("import_formats")).content.decode()
    for importable in IMPORTABLES.values():
        assert f'id="{importable.docs_anchor}"' in formats, importable.kind


# --- The formats page and the words of the screens (issue 11) -------------------------------


def test_the_formats_page_speaks_to_users_in_chinese_with_columns_and_examples(login, people):
    formats = login(people.sdu_staff).get(reverse("import_formats")).content.decode()
    for developers in ("django-import-export", "Resource", "reports.", "directives."):
        assert developers not in formats, developers
    # Each column of the progress file: its Chinese header, its English one, an example.
    for text in ("工作要求", "Requirement", "召开专题会议集体学习", "2015-10-08", "仅导出"):
        assert text in formats, text
    assert "所有文件的通用规则" in formats
    # Staff are shown how to import their own files, not the administrators'.
    assert reverse("import_new", args=["progress"]) in formats
    assert reverse("import_new", args=["unions"]) not in formats


def test_every_link_of_the_formats_page_leads_somewhere(login, people):
    client = login(people.edu)
    formats = client.get(reverse("import_formats")).content.decode()
    assert "deployment.md" not in formats
    content = formats.split('data-testid="formats"', 1)[1]
    links = set(re.findall(r'href="(/[^"#]*)', content))
    assert links
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_imports_are_named_as_actions_in_english(login, people):
    client = login(people.sdu_staff)
    client.post(reverse("set_language"), {"language": "en"})
    page = client.get(reverse("import_list")).content.decode()
    assert "Import progress entries" in page and "Import reports back" in page
    assert "Import Progress entries" not in page
    assert (
        "Progress entries · 进展记录"
        not in client.get(reverse("import_new", args=["progress"])).content.decode()
    )


def test_the_language_picker_names_each_language_in_itself(login, people):
    page = login(people.sdu_staff).get(reverse("import_list")).content.decode()
    assert ">English</option>" in page and ">简体中文</option>" in page
    assert "英语" not in page


def test_the_import_preview_heads_its_record_column_as_a_record(login, edu_admin):
    client = login(edu_admin)
    content = sheet_bytes(
        [HEADERS, ["JN-EDU-02", "济南第二中学工会", "济南二中", "基层工会", "JN-EDU"]]
    )
    job = job_of(post_file(client, "unions", "单位.xlsx", content))
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'data-testid="preview-rows"' in page
    assert "对应记录" in page
    assert "落实情况" not in page


def test_the_admins_import_button_does_not_read_as_a_report_being_sent(login, people):
    """The import-export admin's button says 提交; only a report back is 报送."""
    submit = "Submit"  # the admin's button, translated by django-import-export's catalogue
    with translation.override("zh-hans"):
        assert translation.gettext(submit) == "提交"
        assert translation.pgettext("a report back", submit) == "报送"


def test_a_unions_record_reads_as_a_sentence(login, people, tree):
    client = login(people.edu)
    client.post(reverse("set_language"), {"language": "en"})
    page = client.get(reverse("unit_scorecard", args=[tree.sdu.pk])).content.decode()
    assert "Record of 山东大学工会 across directives" in page


def test_lists_and_labels_follow_the_language(db):
    with translation.override("en"):
        assert join_list(["Study", "Training"]) == "Study, Training"
        assert labelled("Study sessions held") + "3" == "Study sessions held: 3"
    with translation.override("zh-hans"):
        assert join_list(["学习", "培训"]) == "学习、培训"
        assert labelled("组织学习场次") + "3" == "组织学习场次：3"


def test_an_entrys_figures_are_labelled_in_english_with_a_colon_and_space(login, people, sdu_entry):
    client = login(people.sdu_staff)
    client.post(reverse("set_language"), {"language": "en"})
    page = client.get(reverse("entry_detail", args=[sdu_entry.pk])).content.decode()
    assert "Participants: 320" in page
    assert "：" not in page.split("<main", 1)[-1]


# --- The export page: where the files go ---------------------------------------------------


def test_the_export_page_says_where_downloaded_files_go(login, people, settings):
    settings.EXPORT_BACKGROUND_ROWS = 20000
    page = login(people.edu).get(reverse("export_list")).content.decode()
    assert "20000" in page and "下载文件夹" in page
    assert "督办看板上导出" in page  # where the completion tables are
    assert "近期没有在后台为您生成的大文件" in page
    client = login(people.sdu_staff)
    client.post(reverse("set_language"), {"language": "en"})
    page = client.get(reverse("export_list")).content.decode()
    assert "Reports back" in page
    assert ">Reports<" not in page
