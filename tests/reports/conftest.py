"""Progress and reports logged by the units of the shared tree, and the files they carry.

山东大学工会 (sdu) and 济南市教育工会 (jinan_edu) both receive edu_directive; each logs
one entry with figures and a piece of evidence, and writes a report with an attachment.
"""

import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from directives.models import Figure, Requirement
from reports.models import ProgressEntry, ReportAttachment
from reports.services import progress_entry_save, report_for, report_save
from tests.files import PDF

SDU_NARRATIVE = "山东大学工会组织全校教职工集中学习会议精神，三百二十人参加。"
SDU_REPORT = "山东大学工会关于学习贯彻会议精神情况的报告：已完成集中学习。"
JINAN_NARRATIVE = "济南市教育工会召开专题学习会，各校工会主席参加。"
JINAN_REPORT = "济南市教育工会关于学习贯彻会议精神情况的报告。"


def stored_files(media):
    return sorted(path for path in Path(media).rglob("*") if path.is_file())


def streamed(response):
    """The body of a file response. Reading to the end closes the file; a further
    response.close() would fire request_finished and close the test's PostgreSQL connection."""
    return b"".join(response.streaming_content)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    return settings.MEDIA_ROOT


def log_entry(assignment, *, user, narrative, requirement=None, figures=None, files=()):
    """Log progress as the service does for the entry form; files are (name, bytes, type)."""
    requirement = requirement or assignment.directive.requirements.get(kind=Requirement.Kind.STUDY)
    entry = ProgressEntry(
        assignment=assignment,
        requirement=requirement,
        occurred_on=datetime.date(2015, 10, 20),
        narrative=narrative,
    )
    return progress_entry_save(
        entry=entry,
        figures=figures or {},
        files=[(SimpleUploadedFile(name, content), kind, name) for name, content, kind in files],
        user=user,
    )


def attach_to_report(report, *, user, name="学习情况报告.pdf", content=PDF, kind="application/pdf"):
    return ReportAttachment.objects.create(
        report=report,
        file=SimpleUploadedFile(name, content),
        name=name,
        content_type=kind,
        size=len(content),
        uploaded_by=user,
    )


def unit_work(assignment, *, user, narrative, report_text):
    entry = log_entry(
        assignment,
        user=user,
        narrative=narrative,
        figures={Figure.STUDY_SESSIONS: 2, Figure.PARTICIPANTS: 320},
        files=[("学习现场.pdf", PDF, "application/pdf")],
    )
    report = report_save(report=report_for(assignment), text=report_text, figures={})
    return SimpleNamespace(
        assignment=assignment,
        entry=entry,
        evidence=entry.evidence.get(),
        report=report,
        attachment=attach_to_report(report, user=user),
    )


@pytest.fixture
def sdu_assignment(edu_directive, tree):
    return edu_directive.assignments.select_related("directive", "recipient").get(
        recipient=tree.sdu
    )


@pytest.fixture
def sdu_work(sdu_assignment, people, media):
    """山东大学工会's entry with evidence, and its draft report with one attachment."""
    return unit_work(
        sdu_assignment, user=people.sdu_staff, narrative=SDU_NARRATIVE, report_text=SDU_REPORT
    )


@pytest.fixture
def jinan_work(edu_directive, tree, people, media):
    """The same for 济南市教育工会, a sibling of 山东大学工会."""
    assignment = edu_directive.assignments.get(recipient=tree.jinan_edu)
    return unit_work(
        assignment, user=people.jinan_staff, narrative=JINAN_NARRATIVE, report_text=JINAN_REPORT
    )
