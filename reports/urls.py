from django.urls import path

from . import views

urlpatterns = [
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path(
        "assignments/<int:pk>/requirements/<int:requirement_pk>/entries/new/",
        views.entry_add,
        name="entry_add",
    ),
    path(
        "assignments/<int:pk>/requirements/<int:requirement_pk>/done/",
        views.requirement_done,
        name="requirement_done",
    ),
    path("assignments/<int:pk>/report/", views.report_edit, name="report_edit"),
    path("assignments/<int:pk>/report/roll-up/", views.report_roll_up, name="report_roll_up"),
    path(
        "assignments/<int:pk>/report/attachments/<int:attachment_pk>/remove/",
        views.report_attachment_remove,
        name="report_attachment_remove",
    ),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path(
        "report-attachments/<int:pk>/",
        views.report_attachment_download,
        name="report_attachment_download",
    ),
    path("reviews/", views.review_queue, name="review_queue"),
    path("reports/<int:pk>/review/", views.report_review, name="report_review"),
    path("directives/<int:pk>/reports/", views.directive_reports, name="directive_reports"),
]
