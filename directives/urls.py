from django.urls import path

from . import views

urlpatterns = [
    path("tasks/", views.tasks, name="tasks"),
    path("unions/", views.union_tree, name="union_tree"),
    path("directives/", views.directive_list, name="directive_list"),
    path("directives/new/", views.directive_create, name="directive_create"),
    path("directives/<int:pk>/", views.directive_detail, name="directive_detail"),
    path("directives/<int:pk>/edit/", views.directive_edit, name="directive_edit"),
    path("directives/<int:pk>/issue/", views.directive_issue, name="directive_issue"),
    path("directives/<int:pk>/close/", views.directive_close, name="directive_close"),
    path("directives/<int:pk>/forward/", views.directive_forward, name="directive_forward"),
    path("directives/<int:pk>/carry-out/", views.directive_carry_out, name="directive_carry_out"),
    path(
        "directives/<int:pk>/acknowledge/",
        views.directive_acknowledge,
        name="directive_acknowledge",
    ),
    path(
        "directives/<int:pk>/attachments/",
        views.attachment_add,
        name="attachment_add",
    ),
    path(
        "directives/<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "directives/<int:pk>/attachments/<int:attachment_pk>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
]
