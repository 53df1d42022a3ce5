from django.urls import path

from . import dashboard_views, feed_views, notification_views, spreadsheet_views, views

urlpatterns = [
    path("imports/", spreadsheet_views.import_list, name="import_list"),
    path("imports/jobs/<int:pk>/", spreadsheet_views.import_job, name="import_job"),
    path(
        "imports/jobs/<int:pk>/progress/",
        spreadsheet_views.import_job_progress,
        name="import_job_progress",
    ),
    path("imports/jobs/<int:pk>/confirm/", spreadsheet_views.import_confirm, name="import_confirm"),
    path("imports/jobs/<int:pk>/invite/", spreadsheet_views.import_invite, name="import_invite"),
    path("imports/formats/", spreadsheet_views.import_formats, name="import_formats"),
    path("imports/<slug:kind>/", spreadsheet_views.import_new, name="import_new"),
    *(
        path(
            f"imports/<slug:kind>/template.{extension}",
            spreadsheet_views.import_template,
            {"extension": extension},
            name=f"import_template_{extension}",
        )
        for extension in ("xlsx", "csv")
    ),
    path("directives/<int:pk>/record/", views.directive_record, name="directive_record"),
    path(
        "directives/<int:pk>/progress/import/",
        spreadsheet_views.directive_progress_import,
        name="directive_progress_import",
    ),
    *(
        path(
            f"directives/<int:pk>/progress/template.{extension}",
            spreadsheet_views.directive_progress_template,
            {"extension": extension},
            name=f"directive_progress_template_{extension}",
        )
        for extension in ("xlsx", "csv")
    ),
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
    path("assignments/<int:pk>/report/submit/", views.report_submit, name="report_submit"),
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
    path("dashboard/", dashboard_views.overview, name="overview"),
    path("directives/<int:pk>/dashboard/", dashboard_views.directive_dashboard, name="dashboard"),
    path(
        "directives/<int:pk>/dashboard/units/",
        dashboard_views.dashboard_units,
        name="dashboard_units",
    ),
    path(
        "directives/<int:pk>/dashboard/entries/",
        dashboard_views.dashboard_entries,
        name="dashboard_entries",
    ),
    path(
        "directives/<int:pk>/dashboard/relay/",
        dashboard_views.dashboard_relay,
        name="dashboard_relay",
    ),
    path(
        "directives/<int:pk>/dashboard/urge/",
        dashboard_views.dashboard_urge,
        name="dashboard_urge",
    ),
    path("urges/<int:pk>/notice/", dashboard_views.urge_notice, name="urge_notice"),
    path("units/<int:pk>/scorecard/", dashboard_views.unit_scorecard, name="unit_scorecard"),
    path(
        "directives/<int:pk>/dashboard/export/",
        spreadsheet_views.dashboard_export,
        name="dashboard_export",
    ),
    path("notifications/", notification_views.notification_list, name="notification_list"),
    path(
        "notifications/<int:pk>/read/",
        notification_views.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/read/",
        notification_views.notification_read_all,
        name="notification_read_all",
    ),
    path(
        "notifications/settings/",
        notification_views.notification_settings,
        name="notification_settings",
    ),
    path("exports/", spreadsheet_views.export_list, name="export_list"),
    path("exports/jobs/<int:pk>/", spreadsheet_views.export_job, name="export_job"),
    path(
        "exports/jobs/<int:pk>/progress/",
        spreadsheet_views.export_job_progress,
        name="export_job_progress",
    ),
    path("exports/jobs/<int:pk>/file/", spreadsheet_views.export_download, name="export_download"),
    path("exports/<slug:kind>/", spreadsheet_views.export, name="export"),
    path("calendar/", feed_views.calendar_settings, name="calendar_settings"),
    path("calendar/address/", feed_views.calendar_token, name="calendar_token"),
    path(
        "calendar/<int:pk>/<str:secret>/deadlines.ics",
        feed_views.calendar_feed,
        name="calendar_feed",
    ),
    path("units/<int:pk>/robot/", feed_views.robot_settings, name="robot_settings"),
    path("units/<int:pk>/robot/test/", feed_views.robot_test, name="robot_test"),
]
