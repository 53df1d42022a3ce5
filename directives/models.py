import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

# The days a directive, a deadline or an activity may fall on. Wider dates are typing
# slips (9999-12-31, an Excel serial off by a digit) that would break date arithmetic.
EARLIEST_DAY = datetime.date(2000, 1, 1)
LATEST_DAY = datetime.date(2100, 12, 31)
DAY_OUT_OF_RANGE = _("Give a date from 2000-01-01 to 2100-12-31.")
DAY_VALIDATORS = [
    MinValueValidator(EARLIEST_DAY, message=DAY_OUT_OF_RANGE),
    MaxValueValidator(LATEST_DAY, message=DAY_OUT_OF_RANGE),
]


def text_limited(verbose_name, limit, **options):
    """A text field holding at most `limit` characters, in forms, the admin and imports
    alike: a pasted notice fits, a megabyte of text does not."""
    return models.TextField(
        verbose_name, max_length=limit, validators=[MaxLengthValidator(limit)], **options
    )


def in_subtree_q(union, field="path"):
    """Q for rows whose union `field` (a path, or a path across a relation) lies in the
    union's subtree, the union included."""
    # The range lets SQLite search the path index, which its LIKE cannot use;
    # PostgreSQL serves the prefix match from its pattern index.
    last = union.path + Union.alphabet[-1] * (Union.path_max_length - len(union.path))
    return Q(**{f"{field}__range": (union.path, last), f"{field}__startswith": union.path})


class UnionQuerySet(MP_NodeQuerySet):
    def in_subtree(self, union):
        """The union itself and every union beneath it, at any depth."""
        return self.filter(in_subtree_q(union))

    def active(self):
        """Unions that may receive new directives: not deactivated, not merged away."""
        return self.filter(is_active=True)

    def below(self, union):
        """Every union beneath the union, at any depth, without the union itself."""
        return self.in_subtree(union).filter(depth__gt=union.depth)

    def children_of(self, union):
        """The direct subordinates of the union."""
        return self.in_subtree(union).filter(depth=union.depth + 1)


class UnionManager(MP_NodeManager.from_queryset(UnionQuerySet)):
    def get_queryset(self):
        return UnionQuerySet(self.model, using=self._db).order_by("path")


class Union(MP_Node):
    """A node of the organisation tree: a federation, a union, a department or an institution.

    The tree is a materialized path (django-treebeard): every subtree is one indexed
    prefix query on `path`, whatever the depth, and moving a node under its own
    descendant is refused by the library, so cycles cannot arise.
    """

    class Kind(models.TextChoices):
        FEDERATION = "federation", _("Federation of trade unions")
        SECTOR = "sector", _("Sector or education union")
        UNIVERSITY = "university", _("University union")
        GRASSROOTS = "grassroots", _("Grassroots union")
        DEPARTMENT = "department", _("Department of a union")
        INSTITUTION = "institution", _("Affiliated institution")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("A stable identifier used by spreadsheets and imports."),
    )
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # A dissolved or merged union stays in the tree with everything it received and did:
    # dashboards and history still count it, but nothing new is sent to it.
    is_active = models.BooleanField(
        _("in use"),
        default=True,
        help_text=_("A deactivated union keeps its history but receives no new directives."),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("merged into"),
    )

    path_max_length = 255

    history = HistoricalRecords(excluded_fields=["numchild"])
    objects = UnionManager()

    class Meta:
        verbose_name = _("union")
        verbose_name_plural = _("unions")

    def __str__(self):
        return self.name

    @property
    def label(self):
        return self.short_name or self.name

    @property
    def choice_label(self):
        """The name with the code, for lists where namesakes must be told apart."""
        return f"{self.name}（{self.code}）"

    def subtree(self):
        return Union.objects.in_subtree(self)

    def ancestors(self):
        """From the root down to the parent."""
        return Union.objects.get_ancestors(self)

    def is_within(self, root):
        """Whether this union is `root` or lies beneath it: the Python side of `in_subtree_q`."""
        return self.path.startswith(root.path)


class Membership(models.Model):
    """The one union a user works for, and what the user may do there: the work role
    (staff or supervisor) and, besides it, whether they administer the union's subtree."""

    class Role(models.TextChoices):
        STAFF = "staff", _("Staff")
        SUPERVISOR = "supervisor", _("Supervisor")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership",
        verbose_name=_("user"),
    )
    union = models.ForeignKey(
        Union, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("union")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STAFF)
    # A role of its own, held beside staff or supervisor: a city's supervisor may keep its
    # tree and users too, with one account.
    administrator = models.BooleanField(
        _("administrator"),
        default=False,
        help_text=_(
            "Keeps the union tree and the users of this union and every union beneath it, "
            "in the admin and through imports."
        ),
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_(
            "Set with a one-time password: until the user has chosen their own, every page "
            "sends them to the password change."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} · {self.union} · {self.roles_display()}"

    def roles_display(self):
        """The roles held, as people read them: 上级工会人员、管理员."""
        roles = [str(self.get_role_display())]
        if self.administrator:
            roles.append(str(_("Administrator")))
        return str(_(", ")).join(roles)


def subtree_with_counts(root=None):
    """The unions of the root's subtree (the whole tree without a root), in tree order, each
    annotated with `units_beneath` (unions at any depth beneath it) and `user_count` (active
    users of it and every union beneath). Two queries whatever the size of the tree: the
    counts add up in Python along each union's path."""
    unions = Union.objects.select_related("merged_into")
    members = Membership.objects.filter(user__is_active=True)
    if root is not None:
        unions = unions.in_subtree(root)
        members = members.filter(in_subtree_q(root, "union__path"))
    unions = list(unions)
    own_users = dict(members.values_list("union").annotate(n=Count("pk")).values_list("union", "n"))
    by_path = {union.path: union for union in unions}
    for union in unions:
        union.units_beneath = 0
        union.user_count = 0
    step = Union.steplen
    for union in unions:
        users = own_users.get(union.pk, 0)
        for end in range(step, len(union.path) + 1, step):
            above = by_path.get(union.path[:end])
            if above is None:
                continue
            above.user_count += users
            if above is not union:
                above.units_beneath += 1
    return unions


class Figure(models.TextChoices):
    """The ten standard figures of the catalogue, kept stable by code: files, stored rows
    and the data migration that seeds `CatalogueFigure` name them so."""

    STUDY_SESSIONS = "study_sessions", _("Study sessions held")
    PARTICIPANTS = "participants", _("Participants")
    TRAINING_COURSES = "training_courses", _("Training courses held")
    TRAINEES = "trainees", _("People trained")
    LECTURES = "lectures", _("Lectures and briefings given")
    ARTICLES = "articles", _("Articles published")
    NEW_MEDIA_POSTS = "new_media_posts", _("New-media posts")
    SURVEYS = "surveys", _("Research visits and surveys")
    PROBLEMS_FOUND = "problems_found", _("Problems identified")
    MEASURES = "measures", _("Measures adopted")


def figure_label(code, name=None):
    """What a figure is called: a standard one by its translated name, any other by the
    name it was given (read from the catalogue when the caller does not have it)."""
    if code in Figure.values:
        return Figure(code).label
    if name is None:
        name = CatalogueFigure.objects.filter(code=code).values_list("name", flat=True).first()
    return name or code


class CatalogueFigureQuerySet(models.QuerySet):
    def shared(self):
        """The catalogue every directive may ask for: the standard figures and those
        administrators added."""
        return self.filter(directive=None)

    def usable_in(self, directive):
        """The shared catalogue and the figures added for this directive or for one it
        forwards (a forward passes its requirements on, figures included)."""
        if directive is None or directive.pk is None:
            return self.shared()
        owners = [directive.pk, *(d.pk for d in directive.chain())]
        return self.filter(Q(directive=None) | Q(directive__in=owners))


class CatalogueFigure(models.Model):
    """A figure a requirement may ask each union to report (填报数据): a standard one, one
    an administrator added to the catalogue, or one an issuer added for one directive."""

    code = models.SlugField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_(
            "A stable identifier used by spreadsheets (the column figure_<code>): lower-case "
            "letters, digits and underscores."
        ),
    )
    name = models.CharField(_("name"), max_length=60, help_text=_("For example 覆盖职工人数."))
    directive = models.ForeignKey(
        "Directive",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="own_figures",
        verbose_name=_("only for directive"),
        help_text=_("Empty for the shared catalogue; else the one directive that added it."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=100)

    history = HistoricalRecords()
    objects = CatalogueFigureQuerySet.as_manager()

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("catalogue of figures")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["directive", "name"], name="directives_cataloguefigure_unique_name"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(directive=None),
                name="directives_cataloguefigure_unique_shared_name",
            ),
        ]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        return figure_label(self.code, self.name)

    @property
    def is_standard(self):
        return self.code in Figure.values


class Versioned(models.Model):
    """A row whose edits carry the version they started from, so a stale save is refused."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True

    def lock_if_unchanged(self, version):
        """Lock the row and tell whether it is still at `version`; if so, count up for the save.

        The lock makes check and save one step: of two people saving the same version,
        only the first gets through.
        """
        current = (
            type(self)._default_manager.select_for_update().filter(pk=self.pk, version=version)
        )
        if not current.exists():
            return False
        self.version = version + 1
        return True


class DirectiveQuerySet(models.QuerySet):
    def published(self):
        """Issued or closed: what recipients can see."""
        return self.exclude(state=Directive.State.DRAFT)

    def with_counts(self):
        """Annotate recipients and acknowledgements; subqueries, so only shown rows pay."""
        assignments = Assignment.objects.filter(directive=OuterRef("pk")).values("directive")
        return self.annotate(
            recipient_count=Subquery(assignments.annotate(n=Count("pk")).values("n")),
            acknowledged_count=Subquery(
                assignments.annotate(n=Count("acknowledged_at")).values("n")
            ),
        )


def set_own_origin(row):
    """A directive that forwards nothing is the origin of its own chain; a new one learns
    its key only once inserted."""
    if row.origin_id is None:
        row.origin_id = row.pk
        type(row).objects.filter(pk=row.pk).update(origin=row.pk)


class Directive(Versioned):
    """A document issued by a union to the unions beneath it: a notice, a resolution..."""

    class Kind(models.TextChoices):
        NOTICE = "notice", _("Notice")
        RESOLUTION = "resolution", _("Resolution")
        OPINION = "opinion", _("Opinion")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")
        CLOSED = "closed", _("Closed")

    class RecipientMode(models.TextChoices):
        SELECTED = "selected", _("Selected unions")
        CHILDREN = "children", _("All direct subordinates")
        SUBTREE = "subtree", _("Every union beneath, at all levels")

    class Relation(models.TextChoices):
        """How a directive passes on the one above it: a union forwards a directive once,
        and may carry it out (承接) with as many directives of its own as it needs."""

        FORWARD = "forward", pgettext_lazy("relation to the directive above", "Forwards")
        CARRY_OUT = "carry_out", pgettext_lazy("relation to the directive above", "Carries out")

    issuer = models.ForeignKey(
        Union, on_delete=models.PROTECT, related_name="issued_directives", verbose_name=_("issuer")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    number = models.CharField(
        _("document number"),
        max_length=100,
        blank=True,
        help_text=_("The issuer's document number (文号), if it has one."),
    )
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.NOTICE)
    issued_on = models.DateField(
        _("issued on"),
        null=True,
        blank=True,
        help_text=_("Leave empty to date it on the day it is issued."),
        validators=DAY_VALIDATORS,
    )
    body = text_limited(_("text"), 50_000, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    recipient_mode = models.CharField(
        _("recipients"),
        max_length=16,
        choices=RecipientMode.choices,
        default=RecipientMode.CHILDREN,
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="forwards",
        verbose_name=_("forwarded directive"),
        help_text=_("The directive from above that this one forwards or implements."),
    )
    relation = models.CharField(
        _("relation to the directive above"),
        max_length=16,
        choices=Relation.choices,
        default=Relation.FORWARD,
        help_text=_(
            "A forward passes the directive above on with its requirements; a directive "
            "carrying it out is the union's own, with its own number, title and text. Both "
            "count in the cascade."
        ),
    )
    # The day the report back is due, fixed when the directive is issued (its requirements
    # cannot change after that), so that lists and dashboards need not read requirements.
    report_due_on = models.DateField(_("report due on"), null=True, editable=False)
    # The topmost directive of the chain (itself when it forwards nothing): every forward
    # of a cascade shares it, so dashboards find a whole cascade with one indexed filter.
    origin = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, editable=False, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["origin"])
    objects = DirectiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("directive")
        verbose_name_plural = _("directives")
        ordering = ["-issued_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "number"],
                condition=~Q(number=""),
                name="directives_directive_unique_number",
            ),
            models.UniqueConstraint(
                fields=["parent", "issuer"],
                condition=Q(parent__isnull=False, relation="forward"),
                name="directives_directive_unique_forward",
            ),
        ]
        indexes = [models.Index(fields=["issuer", "state"], name="directives_directive_issuer")]

    def __str__(self):
        return f"{self.number} {self.title}".strip()

    def save(self, *args, **kwargs):
        self.origin_id = self.parent.origin_id if self.parent_id else self.pk
        super().save(*args, **kwargs)
        set_own_origin(self)

    @property
    def is_draft(self):
        return self.state == self.State.DRAFT

    @property
    def carries_out(self):
        """Whether this directive is a union's own carrying out (承接) of its parent."""
        return self.parent_id is not None and self.relation == self.Relation.CARRY_OUT

    @property
    def is_forward(self):
        return self.parent_id is not None and self.relation == self.Relation.FORWARD

    def report_addressee(self):
        """To whom the report back goes (see `report_addressee`)."""
        return report_addressee(
            self, self.requirements.select_related("report_to", "directive__issuer")
        )

    def report_back_day(self):
        """The due date of the report-back requirement, else the last due date."""
        requirements = list(self.requirements.all())
        report_back = [r.due_on for r in requirements if r.kind == Requirement.Kind.REPORT]
        dates = report_back or [r.due_on for r in requirements]
        return max(dates) if dates else None

    def chain(self):
        """The directives this one forwards, from the topmost down to its parent."""
        chain = []
        parent_id = self.parent_id
        while parent_id is not None:
            parent = Directive.objects.select_related("issuer").get(pk=parent_id)
            chain.append(parent)
            parent_id = parent.parent_id
        return chain[::-1]

    def recipient_unions(self, mode, selected=()):
        """The unions a directive of this issuer reaches under a recipient mode: active
        ones only, for a deactivated or merged union receives nothing new."""
        if mode == self.RecipientMode.CHILDREN:
            return Union.objects.children_of(self.issuer).active()
        if mode == self.RecipientMode.SUBTREE:
            return Union.objects.below(self.issuer).active()
        return Union.objects.below(self.issuer).active().filter(pk__in=[u.pk for u in selected])


class RequirementQuerySet(models.QuerySet):
    def with_figures(self):
        """With the figures each asks for and their names, in one more query."""
        return self.prefetch_related(
            models.Prefetch(
                "expected_figures", queryset=ExpectedFigure.objects.select_related("figure")
            )
        )


class Requirement(models.Model):
    """One action a directive asks of every recipient, with its deadline."""

    class Kind(models.TextChoices):
        STUDY = "study", _("Study")
        TRAINING = "training", _("Training")
        PUBLICITY = "publicity", _("Publicity")
        RESEARCH = "research", _("Research")
        IMPLEMENTATION = "implementation", _("Implementation")
        REPORT = "report", _("Report back")
        OTHER = "other", _("Other")

    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="requirements")
    source = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forwarded_as",
        verbose_name=_("source requirement"),
        help_text=_("The requirement of the directive above that this one passes on."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = text_limited(_("description"), 5_000, blank=True)
    due_on = models.DateField(_("due on"), validators=DAY_VALIDATORS)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    # The topmost requirement it passes on (itself when it has no source), and the keys of
    # the whole chain down to itself ("/1/5/23/"): a dashboard finds everything that passes
    # one requirement on, at any depth, with one prefix match.
    origin = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, editable=False, related_name="+"
    )
    lineage = models.CharField(max_length=255, editable=False, blank=True)
    # To whom the report goes (报送对象): a union, and a department of it named in words
    # when the tree has no node for it. Empty, the issuer: so a forward's copies go to the
    # forwarding union, never to the union above.
    report_to = models.ForeignKey(
        Union,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("report to"),
        help_text=_("The union the report goes to; the issuer when left empty."),
    )
    report_to_department = models.CharField(
        _("department reported to"),
        max_length=100,
        blank=True,
        help_text=_("A department of that union, such as 组织部, if the report goes there."),
    )

    history = HistoricalRecords(excluded_fields=["origin", "lineage"])
    objects = RequirementQuerySet.as_manager()

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if self.place_in_chain():
            Requirement.objects.filter(pk=self.pk).update(
                origin=self.origin_id, lineage=self.lineage
            )

    def place_in_chain(self):
        """Set origin and lineage from the source, once saved; tell whether they changed."""
        source = self.source
        origin = source.origin_id if source else self.pk
        lineage = f"{source.lineage if source else '/'}{self.pk}/"
        changed = (self.origin_id, self.lineage) != (origin, lineage)
        self.origin_id, self.lineage = origin, lineage
        return changed

    def clean(self):
        if self.source_id and self.due_on and self.due_on > self.source.due_on:
            raise ValidationError(
                {
                    "due_on": _(
                        "A forwarded requirement may not fall due after the one it passes on "
                        "(%(date)s); an earlier date is allowed."
                    )
                    % {"date": self.source.due_on.isoformat()}
                }
            )

    @property
    def addressee(self):
        """To whom the report goes, in words: 青岛市总工会组织部."""
        union = (self.report_to or self.directive.issuer).name
        if not self.report_to_department:
            return union
        return _("%(union)s, %(department)s") % {
            "union": union,
            "department": self.report_to_department,
        }

    @property
    def shows_addressee(self):
        """A report back always says where it goes; other requirements when they name it."""
        return self.kind == self.Kind.REPORT or bool(self.report_to_id or self.report_to_department)

    @property
    def figure_codes(self):
        return [f.figure_id for f in self.expected_figures.all()]

    @transaction.atomic
    def set_figures(self, codes, targets=None):
        """Ask for the figures of these codes and drop the others. `targets` (code → number
        or None) sets each one's target per unit; without it, the targets stay as they were
        (a spreadsheet of requirements names figures, not targets)."""
        codes = list(dict.fromkeys(str(code) for code in codes))
        self.expected_figures.exclude(figure__in=codes).delete()
        existing = {f.figure_id: f for f in self.expected_figures.all()}
        if targets is None:
            targets = {code: expected.target for code, expected in existing.items()}
        for code, expected in existing.items():
            if expected.target != targets.get(code):
                expected.target = targets.get(code)
                expected.save(update_fields=["target"])
        ExpectedFigure.objects.bulk_create(
            ExpectedFigure(requirement=self, figure_id=code, target=targets.get(code))
            for code in codes
            if code not in existing
        )


def report_addressee(directive, requirements):
    """To whom the report back on the directive goes, from its requirements already read:
    the addressee of its report-back requirement, else its issuer."""
    for requirement in requirements:
        if requirement.kind == Requirement.Kind.REPORT:
            return requirement.addressee
    return directive.issuer.name


def past_due(requirements, today):
    """Those of the requirements whose deadline is already behind `today`: what an office
    is warned of before it passes a directive on or issues it."""
    return [r for r in requirements if r.due_on < today]


class ExpectedFigure(models.Model):
    """A figure each union reports against a requirement, such as participants."""

    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="expected_figures"
    )
    # RESTRICT, not PROTECT: a figure some requirement asks for stays, but a directive's
    # own figures go with the directive, its requirements with them.
    figure = models.ForeignKey(
        CatalogueFigure,
        on_delete=models.RESTRICT,
        to_field="code",
        db_column="figure",
        related_name="+",
        verbose_name=_("figure"),
    )
    target = models.PositiveIntegerField(
        _("target per unit"),
        null=True,
        blank=True,
        help_text=_("The least each union should reach, if the issuer set one."),
    )

    class Meta:
        verbose_name = _("expected figure")
        verbose_name_plural = _("expected figures")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "figure"], name="directives_expectedfigure_unique"
            )
        ]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        if self.figure_id in Figure.values:
            return Figure(self.figure_id).label
        return self.figure.name


class AssignmentQuerySet(models.QuerySet):
    def received_by(self, union):
        """What the union was sent, drafts excluded."""
        return self.filter(recipient=union).exclude(directive__state=Directive.State.DRAFT)

    def for_tasks(self):
        """With the directive and its issuer, the first and last deadlines, unread first."""
        return (
            self.select_related("directive__issuer")
            .annotate(
                first_due=Min("directive__requirements__due_on"),
                last_due=Max("directive__requirements__due_on"),
            )
            .order_by(F("acknowledged_at").asc(nulls_first=True), "first_due", "pk")
        )

    def with_forward(self):
        """Annotate each assignment with whether its recipient has issued a forward of it."""
        return self.annotate(
            forwarded=Exists(
                Directive.objects.published().filter(
                    parent=OuterRef("directive"), issuer=OuterRef("recipient")
                )
            )
        )


class Assignment(models.Model):
    """A directive sent to one recipient union, and its acknowledgement (签收)."""

    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="assignments")
    recipient = models.ForeignKey(
        Union, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("recipient")
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )

    history = HistoricalRecords()
    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["recipient__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["directive", "recipient"], name="directives_assignment_unique_recipient"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "directive"], name="directives_assignment_inbox")
        ]

    def __str__(self):
        return f"{self.directive} → {self.recipient}"

    @property
    def is_acknowledged(self):
        return self.acknowledged_at is not None

    @transaction.atomic
    def acknowledge(self, user):
        """Record the first acknowledgement; a later or concurrent one changes nothing."""
        locked = Assignment.objects.select_for_update().get(pk=self.pk)
        if locked.acknowledged_at is None:
            locked.acknowledged_at = timezone.now()
            locked.acknowledged_by = user
            locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
        self.acknowledged_at = locked.acknowledged_at
        self.acknowledged_by_id = locked.acknowledged_by_id


def stored_file_path(instance, filename):
    # Never the uploaded name: it may hold ../ or be very long; it is kept for display.
    return f"{instance._meta.app_label}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class StoredFile(models.Model):
    """An uploaded file whose type was read from its bytes; served only through views."""

    file = models.FileField(_("file"), upload_to=stored_file_path, max_length=200)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.name

    @classmethod
    def store(cls, upload, *, user, **owner):
        """Save a checked upload, the (file, content type, display name) the forms give."""
        uploaded, content_type, name = upload
        return cls.objects.create(
            file=uploaded,
            name=name,
            content_type=content_type,
            size=uploaded.size,
            uploaded_by=user,
            **owner,
        )


class DirectiveAttachment(StoredFile):
    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="attachments")

    history = HistoricalRecords()

    class Meta(StoredFile.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
