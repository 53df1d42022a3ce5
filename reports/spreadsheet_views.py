"""The spreadsheet screens: upload a file, see its preview, confirm it, see the result;
download the tables the user may export, big ones written by the background worker.

Every kind of file (reports.imports.IMPORTABLES, reports.exports.EXPORTS) goes through
the same views. A job is only ever fetched among the user's own: anyone else's is 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh

from directives.access import administered_users, may_supervise
from directives.paging import page_of
from directives.services import invitable, invitations_send
from directives.spreadsheets.writing import (
    CSV_TYPE,
    XLSX_TYPE,
    download_name,
    spreadsheet_response,
    table_bytes,
    template_file,
)

from . import jobs, tasks
from .access import assignments_to_record, dashboard_place, directive_for_recording
from .exports import exports_for, progress_template_table, table_for
from .forms import SpreadsheetUploadForm
from .imports import IMPORTABLES, importable_for, importables_for
from .models import SpreadsheetJob

CONTENT_TYPES = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}


def job_for_user(request, pk):
    return get_object_or_404(
        SpreadsheetJob.objects.of(request.user).filter(direction=SpreadsheetJob.Direction.IMPORT),
        pk=pk,
    )


@login_required
@require_safe
def import_list(request):
    """The user's imports, newest first, and the files they may import."""
    imports = SpreadsheetJob.objects.of(request.user).filter(
        direction=SpreadsheetJob.Direction.IMPORT
    )
    return render(
        request,
        "reports/import_list.html",
        {
            "page": page_of(request, imports),
            "importables": importables_for(request.user),
            "labels": {kind: importable.label for kind, importable in IMPORTABLES.items()},
        },
    )


@login_required
@require_safe
def import_formats(request):
    """Every file format, column by column, with examples and the rules for every file,
    in the user's language: built from the import definitions themselves."""
    may = {importable.kind for importable in importables_for(request.user)}
    sections = [
        {
            "importable": importable,
            "columns": importable.columns(request.user, every=True),
            "may_import": importable.kind in may,
        }
        for importable in IMPORTABLES.values()
    ]
    return render(request, "reports/import_formats.html", {"sections": sections})


@login_required
def import_new(request, kind):
    """Upload a file of one kind; its preview follows."""
    return import_upload(request, importable_for(request.user, kind))


def import_upload(request, importable, directive=None):
    """The upload page of a kind of file (of one directive's progress, if given), and the
    upload: a job started, whose page shows its preview."""
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = jobs.job_upload(
            user=request.user,
            kind=importable.kind,
            upload=form.cleaned_data["file"],
            language=request.LANGUAGE_CODE,
            parameters={"directive": directive.pk} if directive else None,
        )
        tasks.job_start(job)
        return redirect("import_job", pk=job.pk)
    return render(
        request,
        "reports/import_new.html",
        {
            "importable": importable,
            "directive": directive,
            "form": form,
            "columns": importable.columns(request.user, directive),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_safe
def import_template(request, kind, extension):
    """An empty file with the headers of one kind, in the user's language."""
    importable = importable_for(request.user, kind)
    response = HttpResponse(
        template_file(importable.resource(request.user), extension),
        content_type=CONTENT_TYPES[extension],
    )
    name = _("%(file)s template") % {"file": importable.label}
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.{extension}")
    return response


def directive_to_import(request, pk):
    """A published directive the user may log progress on, for its own (own union's, or
    a supervisor's units' too) progress imports: else 404/403."""
    directive = directive_for_recording(request, pk)
    importable_for(request.user, "progress")
    if not assignments_to_record(request.user, directive):
        raise PermissionDenied
    return directive


@login_required
def directive_progress_import(request, pk):
    """Upload the progress of one directive: the rows need no issuer or document number, so
    a directive without a 文号 can be imported against."""
    return import_upload(request, IMPORTABLES["progress"], directive_to_import(request, pk))


@login_required
@require_safe
def directive_progress_template(request, pk, extension):
    """A file to fill in for one directive: a row for each requirement of each union the
    user logs progress for (the own union, a supervisor's units beneath that received it)."""
    directive = directive_to_import(request, pk)
    table = progress_template_table(request.user, directive)
    response = HttpResponse(table_bytes(table, extension), content_type=CONTENT_TYPES[extension])
    response["Content-Disposition"] = content_disposition_header(True, f"{table.name}.{extension}")
    return response


@login_required
@require_safe
def import_job(request, pk):
    """An import's progress, preview (with the button to confirm it) or result; after users
    were imported, the button that invites those who can be invited."""
    job = job_for_user(request, pk)
    invitable_count = None
    if job.kind == "users" and job.written:
        invitable_count = invitable(administered_users(request.user)).count()
    return render(
        request,
        "reports/import_job.html",
        {"job": job, "importable": IMPORTABLES[job.kind], "invitable_count": invitable_count},
    )


@login_required
@require_POST
def import_invite(request, pk):
    """From the page of a users import: e-mail an invitation to set their first password to
    every user of the administrator's subtree who has an e-mail address but no password yet
    and has never logged in, the rows just imported among them."""
    job = job_for_user(request, pk)
    if job.kind != "users":
        raise Http404
    importable_for(request.user, job.kind)
    try:
        sent = invitations_send(users=administered_users(request.user), request=request)
    except OSError:
        messages.error(
            request,
            _(
                "The e-mail server could not be reached or refused the invitations: some may "
                "not have been sent. Try again later; a second invitation does no harm."
            ),
        )
    else:
        messages.success(
            request,
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent)
            % {"count": sent},
        )
    return redirect("import_job", pk=job.pk)


@transaction.non_atomic_requests
@login_required
@require_safe
def import_job_progress(request, pk):
    """The progress bar that the job's page polls; the whole page once the job is over.

    Outside a transaction: on SQLite every transaction here takes the write lock, which a
    running import holds, while a plain read goes through at once."""
    return job_progress(request, job_for_user(request, pk))


def job_progress(request, job):
    """The bar of a job still running, or a refresh of its page once it is over; for
    imports and exports alike. A run whose process died is over: failed."""
    if jobs.jobs_fail_abandoned(SpreadsheetJob.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    if job.finished:
        return HttpResponseClientRefresh()
    return render(request, "includes/_job_progress.html", {"job": job})


@login_required
@require_POST
def import_confirm(request, pk):
    """Import the previewed file for real: it is read and checked again first."""
    job = job_for_user(request, pk)
    importable_for(request.user, job.kind)
    if jobs.job_claim_confirmation(job):
        tasks.job_start(job)
    else:
        messages.error(
            request, _("This preview can no longer be confirmed. Upload the file again.")
        )
    return redirect("import_job", pk=job.pk)


# --- Exports ------------------------------------------------------------------------


def export_response(request, kind, parameters):
    """Send the export at once, or have the background worker write it when it is big."""
    parameters = {**parameters, "format": "csv" if request.GET.get("format") == "csv" else "xlsx"}
    table = table_for(request.user, kind, parameters)
    if table.count > settings.EXPORT_BACKGROUND_ROWS:
        job = jobs.job_export(
            user=request.user,
            kind=kind,
            parameters=parameters,
            file_name=download_name(table, parameters["format"]),
            rows_total=table.count,
            language=request.LANGUAGE_CODE,
        )
        tasks.job_start(job)
        return redirect("export_job", pk=job.pk)
    return spreadsheet_response(table, parameters["format"])


def export_jobs(user):
    return SpreadsheetJob.objects.of(user).filter(direction=SpreadsheetJob.Direction.EXPORT)


@login_required
@require_safe
def export_list(request):
    """The spreadsheets the user may download, and the big ones being written for them."""
    kinds = exports_for(request.user)
    if not kinds:
        raise PermissionDenied
    return render(
        request,
        "reports/exports.html",
        {
            "kinds": kinds,
            "jobs": export_jobs(request.user)[:10],
            "background_rows": settings.EXPORT_BACKGROUND_ROWS,
            "keep_days": jobs.KEEP_DAYS,
            "may_supervise": may_supervise(request.user),
        },
    )


ENTRY_FILTERS = ("directive", "unit", "own", "requirement")


@login_required
@require_safe
def export(request, kind):
    """One of the tables of the export page; progress entries of one directive with
    ?directive= (and, as its dashboard lists them, ?unit=, ?own=1, ?requirement=)."""
    parameters = {}
    if kind == "entries":
        parameters = {name: request.GET[name] for name in ENTRY_FILTERS if request.GET.get(name)}
    return export_response(request, kind, parameters)


@login_required
@require_safe
def dashboard_export(request, pk):
    """The completion matrix of the dashboard's directive at its union: unions × requirements."""
    _directive, node, _top = dashboard_place(request.user, pk, request.GET.get("unit"))
    return export_response(request, "matrix", {"directive": pk, "unit": node.pk})


@login_required
@require_safe
def export_job(request, pk):
    """A big export being written; its file once it is ready."""
    job = get_object_or_404(export_jobs(request.user), pk=pk)
    return render(request, "reports/export_job.html", {"job": job})


@transaction.non_atomic_requests
@login_required
@require_safe
def export_job_progress(request, pk):
    """The progress bar the job's page polls; the whole page once the file is ready."""
    return job_progress(request, get_object_or_404(export_jobs(request.user), pk=pk))


@login_required
@require_safe
def export_download(request, pk):
    job = get_object_or_404(
        export_jobs(request.user).filter(state=SpreadsheetJob.State.DONE).exclude(output=""),
        pk=pk,
    )
    return FileResponse(job.output.open("rb"), as_attachment=True, filename=job.file_name)
