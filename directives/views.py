from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import services
from .access import (
    administer_or_403,
    administered_union,
    assignment_to_carry_out,
    assignment_to_forward,
    directive_for_attaching,
    directive_for_manager,
    directive_for_user,
    may_carry_out,
    may_forward,
    may_issue,
    membership_of,
    oversees_subtree,
    own_assignment,
    own_assignment_or_403,
    role_required,
    unions_in_scope,
    visible_directives,
)
from .forms import AttachmentForm, DirectiveForm, RequirementFormSet
from .models import (
    Assignment,
    CatalogueFigure,
    Directive,
    Membership,
    Union,
    past_due,
    subtree_with_counts,
)
from .paging import page_of
from .uploads import file_response


@login_required
@require_safe
def tasks(request):
    """What the user's union has been sent, unacknowledged first, then by deadline."""
    membership = membership_of(request.user)
    if membership is None:
        return render(request, "directives/no_membership.html")
    assignments = Assignment.objects.received_by(membership.union).for_tasks()
    if request.GET.get("show") != "all":
        assignments = assignments.filter(directive__state=Directive.State.ISSUED)
    return render(
        request,
        "directives/tasks.html",
        {"page": page_of(request, assignments), "show_all": request.GET.get("show") == "all"},
    )


@login_required
@require_safe
def directive_list(request):
    membership = membership_of(request.user)
    if membership is None:
        return render(request, "directives/no_membership.html")
    boxes = {
        "received": Exists(
            Assignment.objects.filter(directive=OuterRef("pk"), recipient=membership.union)
        ),
        "issued": Q(issuer=membership.union),
        "all": Q(),
    }
    box = request.GET.get("box")
    if box not in boxes:
        box = "issued" if oversees_subtree(membership) else "received"
    directives = (
        visible_directives(request.user).filter(boxes[box]).select_related("issuer").with_counts()
    )
    state = request.GET.get("state")
    if state in Directive.State.values:
        directives = directives.filter(state=state)
    query = request.GET.get("q", "").strip()
    if query:
        directives = directives.filter(Q(title__icontains=query) | Q(number__icontains=query))
    return render(
        request,
        "directives/directive_list.html",
        {
            "page": page_of(request, directives),
            "box": box,
            "state": state,
            "query": query,
            "states": Directive.State.choices,
            "may_issue": may_issue(request.user),
        },
    )


@login_required
@require_safe
def directive_detail(request, pk):
    directive, manages = directive_for_user(request, pk)
    membership = membership_of(request.user)
    visible = visible_directives(request.user)
    chain = directive.chain()
    visible_chain = set(visible.filter(pk__in=[d.pk for d in chain]).values_list("pk", flat=True))
    recipients = directive.assignments.select_related("recipient", "acknowledged_by")
    if not request.user.is_superuser:
        recipients = recipients.filter(recipient__in=unions_in_scope(request.user))
    assignment = own_assignment(request.user, directive)
    own_passing_on = (
        visible.filter(parent=directive, issuer_id=membership.union_id)
        if membership
        else Directive.objects.none()
    )
    return render(
        request,
        "directives/directive_detail.html",
        {
            "directive": directive,
            "requirements": directive.requirements.with_figures().select_related(
                "report_to", "directive__issuer", "source"
            ),
            "attachments": directive.attachments.all(),
            "chain": [(d, d.pk in visible_chain) for d in chain],
            "forwards": visible.filter(parent=directive).select_related("issuer"),
            "recipients": page_of(request, recipients.with_forward(), size=50),
            "recipient_totals": recipients.aggregate(
                total=Count("pk"), acknowledged=Count("acknowledged_at")
            ),
            "assignment": assignment,
            "may_manage": manages,
            "may_forward": may_forward(request.user, assignment),
            "may_carry_out": may_carry_out(request.user, assignment),
            "own_forward": own_passing_on.filter(relation=Directive.Relation.FORWARD).first(),
            "own_carry_outs": own_passing_on.filter(relation=Directive.Relation.CARRY_OUT),
            "attachment_form": AttachmentForm(),
        },
    )


def directive_form(request, directive, *, issuer):
    """The one form for a directive with its requirements and recipients, new or draft."""
    form = DirectiveForm(request.POST or None, instance=directive, issuer=issuer)
    formset = RequirementFormSet(
        request.POST or None,
        instance=directive,
        prefix="requirements",
        form_kwargs={
            "issuer": issuer,
            "carries_out": directive.parent if directive.carries_out else None,
            "catalogue": list(CatalogueFigure.objects.usable_in(directive)),
        },
    )
    valid = request.method == "POST" and form.is_valid() and formset.is_valid()
    if valid and form.lock_for_save():
        with transaction.atomic():
            directive = form.save()
            formset.instance = directive
            formset.save_requirements()
            services.directive_set_recipients(
                directive=directive,
                mode=form.cleaned_data["recipient_mode"],
                selected=form.cleaned_data["selected_recipients"],
            )
        messages.success(request, _("The directive was saved."))
        return redirect("directive_detail", pk=directive.pk)
    return render(
        request,
        "directives/directive_form.html",
        {
            "form": form,
            "formset": formset,
            "directive": directive,
            "past_due": past_due_message(directive) if directive.pk else "",
        },
        status=form.status_code,
    )


@login_required
def directive_create(request):
    if not may_issue(request.user):
        # A member is told that issuing takes a supervisor, and who that is in their union;
        # a superuser belongs to no union in whose name to issue.
        if membership_of(request.user) is None:
            raise PermissionDenied
        raise role_required(request.user, Membership.Role.SUPERVISOR)
    issuer = membership_of(request.user).union
    directive = Directive(issuer=issuer, created_by=request.user)
    return directive_form(request, directive, issuer=issuer)


@login_required
def directive_edit(request, pk):
    directive = directive_for_manager(request, pk)
    if not directive.is_draft:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("directive_detail", pk=directive.pk)
    return directive_form(request, directive, issuer=directive.issuer)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def directive_issue(request, pk):
    """Issuing, confirmed: the page says whom it reaches and what it asks by when; the
    POST issues it."""
    directive = directive_for_manager(request, pk)
    if not directive.is_draft:
        messages.info(request, _("This directive has already been issued."))
        return redirect("directive_detail", pk=directive.pk)
    if request.method != "POST":
        preview = services.directive_issue_preview(directive=directive)
        return render(
            request,
            "directives/directive_issue.html",
            {"directive": directive, **preview},
        )
    try:
        issued = services.directive_issue(directive=directive)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The directive was issued to its recipients."))
        for announcement in issued.announcements:
            messages.info(request, announcement)
    return redirect("directive_detail", pk=directive.pk)


def past_due_message(directive):
    """A warning naming the directive's requirements whose deadline has passed, or ""."""
    late = past_due(directive.requirements.all(), timezone.localdate())
    if not late:
        return ""
    return _(
        "The deadline of these requirements has already passed: %(requirements)s. "
        "Set dates your units can still meet before you issue it."
    ) % {"requirements": _(", ").join(f"{r.title} ({date_format(r.due_on)})" for r in late)}


@login_required
@require_POST
def directive_close(request, pk):
    directive = directive_for_manager(request, pk)
    if directive.state == Directive.State.ISSUED:
        services.directive_close(directive=directive)
        messages.success(request, _("The directive was closed."))
    return redirect("directive_detail", pk=directive.pk)


@login_required
@require_POST
def directive_forward(request, pk):
    directive, _manages = directive_for_user(request, pk)
    assignment = assignment_to_forward(request.user, directive)
    forward = services.directive_forward(
        directive=directive, union=assignment.recipient, user=request.user
    )
    if forward.is_draft:
        messages.info(
            request,
            _(
                "A draft forwarding this directive was prepared with its requirements. "
                "Adjust it and issue it to your unions."
            ),
        )
        return redirect("directive_edit", pk=forward.pk)
    return redirect("directive_detail", pk=forward.pk)


@login_required
@require_POST
def directive_carry_out(request, pk):
    """Start a directive of the user's union's own carrying out one it received (承接)."""
    directive, _manages = directive_for_user(request, pk)
    assignment = assignment_to_carry_out(request.user, directive)
    draft = services.directive_carry_out(
        directive=directive, union=assignment.recipient, user=request.user
    )
    messages.info(
        request,
        _(
            "A draft of your own carrying out this directive was prepared, with its "
            "requirements to rewrite, split or add to. Give it your number, title and text, "
            "and issue it to your unions."
        ),
    )
    return redirect("directive_edit", pk=draft.pk)


@login_required
@require_POST
def directive_acknowledge(request, pk):
    directive, _manages = directive_for_user(request, pk)
    assignment = own_assignment_or_403(request.user, directive)
    assignment.acknowledge(request.user)
    if request.htmx:
        assignment = Assignment.objects.for_tasks().get(pk=assignment.pk)
        return render(request, "includes/_task_row.html", {"assignment": assignment})
    messages.success(request, _("Receipt acknowledged."))
    return redirect(safe_next(request, "tasks"))


def safe_next(request, default):
    """The page the form asks to go back to, if it is one of this site's; else `default`."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
@require_POST
def attachment_add(request, pk):
    directive = directive_for_attaching(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        form.save(directive=directive, user=request.user)
        messages.success(request, _("The attachment was added."))
    else:
        for error in form.errors.get("file", []):
            messages.error(request, error)
    return redirect("directive_detail", pk=directive.pk)


@login_required
@require_safe
def attachment_download(request, pk, attachment_pk):
    directive, _manages = directive_for_user(request, pk)
    attachment = get_object_or_404(directive.attachments, pk=attachment_pk)
    return file_response(
        attachment.file, name=attachment.name, content_type=attachment.content_type
    )


@login_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    directive = directive_for_attaching(request, pk, removing=True)
    attachment = get_object_or_404(directive.attachments, pk=attachment_pk)
    attachment.file.delete(save=False)
    attachment.delete()
    messages.success(request, _("The attachment was removed."))
    return redirect("directive_detail", pk=directive.pk)


@login_required
@require_safe
def union_tree(request):
    """The union tree an administrator keeps (the whole tree for a superuser): each union
    with the units and users beneath it and links to edit them in the admin; deactivated
    and merged unions listed apart. A search by name or code lists the matches, each with
    the unions above it, so that namesakes can be told apart."""
    administer_or_403(request.user)
    root = administered_union(request.user)
    unions = subtree_with_counts(root)
    top = root.depth if root else 1
    by_path = {union.path: union for union in unions}
    query = request.GET.get("q", "").strip()
    for union in unions:
        union.level = min(union.depth - top, 5)
        union.above = [
            by_path[union.path[:end]]
            for end in range(Union.steplen, len(union.path), Union.steplen)
            if union.path[:end] in by_path
        ]
    if query:
        needle = query.casefold()
        unions = [
            union
            for union in unions
            if needle in union.name.casefold()
            or needle in union.code.casefold()
            or needle in union.short_name.casefold()
        ]
    return render(
        request,
        "directives/union_tree.html",
        {
            "query": query,
            "active": [union for union in unions if union.is_active],
            "inactive": [union for union in unions if not union.is_active],
        },
    )
