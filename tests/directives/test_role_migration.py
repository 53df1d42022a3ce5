"""Migration 0009: the old third role 管理员 becomes supervisor plus administrator, which is
what it allowed (it oversaw the subtree as a supervisor does, and kept its tree and users)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("directives", "0008_expected_figure_target")]
AFTER = [("directives", "0009_union_lifecycle_and_roles")]


@pytest.mark.django_db(transaction=True)
def test_an_old_administrator_becomes_a_supervisor_who_administers():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    union = old.get_model("directives", "Union").objects.create(
        code="SD", name="山东省总工会", kind="federation", path="0001", depth=1
    )
    users = old.get_model("auth", "User").objects
    Membership = old.get_model("directives", "Membership")
    Membership.objects.create(user=users.create(username="a"), union=union, role="admin")
    Membership.objects.create(user=users.create(username="s"), union=union, role="staff")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    new = executor.loader.project_state(AFTER).apps
    rows = new.get_model("directives", "Membership").objects.order_by("user__username")
    assert list(rows.values_list("user__username", "role", "administrator")) == [
        ("a", "supervisor", True),
        ("s", "staff", False),
    ]
    # Back to the latest state, for the tests after this one.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
