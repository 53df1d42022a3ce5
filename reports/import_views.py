"""The import screens: upload a spreadsheet, see its preview, confirm it, see the result.

Every kind of file (reports.imports.IMPORTABLES) goes through the same views. A job is
only ever fetched among the user's own: anyone else's is 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from directives.spreadsheets.writing import CSV_TYPE, XLSX_TYPE, template_file
from directives.views import page_of

from .forms import SpreadsheetUploadForm
from .imports import formats_html, importable_for, importables_for
from .models import SpreadsheetJob

CONTENT_TYPES = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}


def job_for_user(request, pk):
    return get_object_or_404(
        SpreadsheetJob.objects.of(request.user).filter(direction=SpreadsheetJob.Direction.IMPORT),
        pk=pk,
    )


@login_required
def import_list(request):
    """The user's imports, newest first, and the files they may import."""
    jobs = SpreadsheetJob.objects.of(request.user).filter(direction=SpreadsheetJob.Direction.IMPORT)
    return render(
        request,
        "reports/import_list.html",
        {"page": page_of(request, jobs), "importables": importables_for(request.user)},
    )


@login_required
def import_formats(request):
    """Every file format, column by column: docs/spreadsheets.md, as the app serves it."""
    return render(request, "reports/import_formats.html", {"formats": formats_html()})


@login_required
def import_new(request, kind):
    """Upload a file of one kind; its preview follows."""
    importable = importable_for(request.user, kind)
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = SpreadsheetJob.upload(
            user=request.user,
            importable=importable,
            upload=form.cleaned_data["file"],
            language=request.LANGUAGE_CODE,
        )
        return redirect("import_job", pk=job.pk)
    return render(
        request,
        "reports/import_new.html",
        {"importable": importable, "form": form, "columns": importable.columns(request.user)},
        status=400 if form.errors else 200,
    )


@login_required
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


@login_required
def import_job(request, pk):
    """An import's progress, preview (with the button to confirm it) or result."""
    job = job_for_user(request, pk)
    return render(request, "reports/import_job.html", {"job": job})


@transaction.non_atomic_requests
@login_required
def import_job_progress(request, pk):
    """The progress bar that the job's page polls; the whole page once the job is over.

    Outside a transaction: on SQLite every transaction here takes the write lock, which a
    running import holds, while a plain read goes through at once."""
    return job_progress(request, job_for_user(request, pk))


def job_progress(request, job):
    """The bar of a job still running, or a refresh of its page once it is over; for
    imports and exports alike."""
    if job.finished:
        return HttpResponseClientRefresh()
    return render(request, "includes/_job_progress.html", {"job": job})


@require_POST
@login_required
def import_confirm(request, pk):
    """Import the previewed file for real: it is read and checked again first."""
    job = job_for_user(request, pk)
    importable_for(request.user, job.kind)
    if not job.confirm():
        messages.error(
            request, _("This preview can no longer be confirmed. Upload the file again.")
        )
    return redirect("import_job", pk=job.pk)
