"""Settings read from the environment, and the language and time zone users see.

Settings are read once per process, so the environment cases run Django in a
subprocess with a clean environment of their own.
"""

import datetime
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from directives.models import Assignment

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Anything the settings or Django's checks read; the surrounding environment (a CI run
# on PostgreSQL, the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE) must not leak in.
SETTINGS_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "UPLOAD_MAX_BYTES",
    "LOG_LEVEL",
    "SESSION_COOKIE_AGE",
)
SETTINGS_PREFIXES = (
    "DJANGO_",
    "EMAIL_",
    "AWS_",
    "SECURE_",
    "SESSION_COOKIE_",
    "CSRF_COOKIE_",
    "AXES_",
)

PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps({'databases': settings.DATABASES, 'storages': settings.STORAGES, "
    "'debug': settings.DEBUG, 'email_port': settings.EMAIL_PORT, "
    "'axes_failure_limit': settings.AXES_FAILURE_LIMIT, "
    "'axes_cooloff': settings.AXES_COOLOFF_TIME and settings.AXES_COOLOFF_TIME.total_seconds()}, "
    "default=str))"
)


def run_django(args, tmp_path, **env):
    """Run Python in the project with only these settings variables; None removes one."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTINGS_VARIABLES and not key.startswith(SETTINGS_PREFIXES)
    }
    clean.update(
        DJANGO_SETTINGS_MODULE="gqtrack.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    clean.update(env)
    clean = {key: value for key, value in clean.items() if value is not None}
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def django_settings(tmp_path, **env):
    result = run_django(["-c", PRINT_SETTINGS], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_env():
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "gq.example.org",
    }


def test_deploy_check_passes_with_production_settings(tmp_path):
    result = run_django(["manage.py", "check", "--deploy"], tmp_path, **production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


def test_deploy_check_warns_about_development_defaults(tmp_path):
    result = run_django(["manage.py", "check", "--deploy"], tmp_path)

    output = result.stdout + result.stderr
    assert "security.W018" in output  # DEBUG is on
    assert "System check identified no issues" not in output


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_django(["-c", "import django; django.setup()"], tmp_path, DEBUG="false")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_development_runs_without_a_secret_key(tmp_path):
    assert django_settings(tmp_path)["debug"] is True


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("EMAIL_PORT", "abc"),
        ("UPLOAD_MAX_BYTES", "20MB"),
        ("AXES_FAILURE_LIMIT", "five"),
        ("AXES_FAILURE_LIMIT", "0"),
        ("AXES_COOLOFF_MINUTES", "-1"),
    ],
)
def test_a_bad_value_is_refused_by_name(tmp_path, variable, value):
    result = run_django(["-c", "import django; django.setup()"], tmp_path, **{variable: value})

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured")
    assert variable in last_line
    assert repr(value) in last_line


def test_email_port_is_read_as_a_number(tmp_path):
    assert django_settings(tmp_path, EMAIL_PORT="587")["email_port"] == 587


def test_five_wrong_passwords_lock_for_fifteen_minutes_by_default(tmp_path):
    found = django_settings(tmp_path)

    assert found["axes_failure_limit"] == 5
    assert found["axes_cooloff"] == 15 * 60


def test_the_lockout_is_read_from_the_environment(tmp_path):
    found = django_settings(tmp_path, AXES_FAILURE_LIMIT="10", AXES_COOLOFF_MINUTES="60")

    assert found["axes_failure_limit"] == 10
    assert found["axes_cooloff"] == 60 * 60


def test_no_cool_off_locks_until_an_administrator_unlocks(tmp_path):
    assert django_settings(tmp_path, AXES_COOLOFF_MINUTES="0")["axes_cooloff"] is None


def test_sqlite_in_the_project_folder_is_the_default_database(tmp_path):
    database = django_settings(tmp_path, DATABASE_URL=None)["databases"]["default"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == PROJECT_ROOT / "db.sqlite3"
    # Writes get their transaction from gqtrack.middleware.WriteTransactionMiddleware.
    assert database["ATOMIC_REQUESTS"] is False


def test_database_url_selects_postgresql(tmp_path):
    found = django_settings(tmp_path, DATABASE_URL="postgres://u:p@h:5432/db")

    database = found["databases"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["NAME"] == "db"
    assert database["USER"] == "u"
    assert database["PASSWORD"] == "p"
    assert database["HOST"] == "h"
    assert int(database["PORT"]) == 5432
    assert database["ATOMIC_REQUESTS"] is False


def test_files_stay_on_disk_without_a_bucket(tmp_path):
    storages = django_settings(tmp_path)["storages"]

    assert storages["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_a_bucket_name_selects_s3_storage(tmp_path):
    storages = django_settings(
        tmp_path,
        AWS_STORAGE_BUCKET_NAME="gq-evidence",
        AWS_S3_ENDPOINT_URL="https://s3.example.org",
    )["storages"]

    assert storages["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storages["default"]["OPTIONS"]["bucket_name"] == "gq-evidence"
    assert storages["default"]["OPTIONS"]["endpoint_url"] == "https://s3.example.org"
    assert storages["default"]["OPTIONS"]["default_acl"] == "private"


# --- Language ------------------------------------------------------------------------


def html_lang(response):
    return response.content.decode().split("<html lang=", 1)[1].split(">", 1)[0].strip("\"'")


def switch_language(client, language):
    response = client.post(reverse("set_language"), {"language": language})
    assert response.status_code == 302
    return response


def test_pages_are_in_chinese_by_default(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert html_lang(response) == "zh-hans"


def test_an_english_browser_still_gets_chinese(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response["Content-Language"] == "zh-hans"
    assert html_lang(response) == "zh-hans"


def test_the_language_switch_turns_pages_english_and_back(client, db):
    switch_language(client, "en")

    response = client.get(reverse("login"))
    assert response["Content-Language"] == "en"
    assert html_lang(response) == "en"

    switch_language(client, "zh-hans")

    response = client.get(reverse("login"))
    assert response["Content-Language"] == "zh-hans"
    assert html_lang(response) == "zh-hans"


def test_an_unknown_language_falls_back_to_chinese(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    response = client.get(reverse("login"))

    assert response["Content-Language"] == "zh-hans"
    assert html_lang(response) == "zh-hans"


def test_dates_are_written_the_chinese_way(login, people, edu_directive):
    client = login(people.sdu_staff)
    detail = reverse("directive_detail", args=[edu_directive.pk])

    response = client.get(detail)
    assert response.status_code == 200
    assert "2015年10月31日" in response.content.decode()
    assert "Oct. 31, 2015" not in response.content.decode()

    switch_language(client, "en")

    response = client.get(detail)
    assert "Oct. 31, 2015" in response.content.decode()
    assert "2015年10月31日" not in response.content.decode()


# --- Time zone -----------------------------------------------------------------------


def test_the_time_zone_is_beijing_time():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_times_show_in_beijing_time(login, people, edu_directive, tree):
    # 17:00 on 30 September in UTC is already 1 October in Shandong.
    Assignment.objects.filter(directive=edu_directive, recipient=tree.sdu).update(
        acknowledged_at=datetime.datetime(2015, 9, 30, 17, 0, tzinfo=datetime.UTC),
        acknowledged_by=people.sdu_staff,
    )

    response = login(people.sdu_staff).get(reverse("directive_detail", args=[edu_directive.pk]))

    page = response.content.decode()
    assert "2015年10月1日 01:00" in page
    assert "2015年9月30日" not in page
