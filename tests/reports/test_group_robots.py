"""A union's group robot (企业微信 or 钉钉): configured by its administrators, posted to in
the background in each vendor's format, retried with backoff and logged.

The vendors are never reached: the robots post to a receiver run on 127.0.0.1 by the test.
"""

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from directives.models import Membership
from reports.models import GroupRobot, Notification, RobotDelivery
from reports.notifications import notify
from reports.robots import ROBOT_ATTEMPTS, robot_send, webhook_deliver
from tests.conftest import make_user


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it is sent and answers as told."""

    def __init__(self):
        self.requests = []
        self.status, self.answer = 200, {"errcode": 0, "errmsg": "ok"}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                receiver.requests.append((self.path, json.loads(self.rfile.read(length))))
                body = json.dumps(receiver.answer).encode()
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/robot/send?access_token=abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.GROUP_ROBOT_HOSTS = ["127.0.0.1"]
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def edu_admin(tree):
    return make_user("edu_admin", tree.edu, Membership.Role.STAFF, administrator=True)


def robot_of(union, receiver, kind=GroupRobot.Kind.WECOM, **fields):
    return GroupRobot.objects.create(union=union, kind=kind, url=receiver.url, **fields)


def test_an_administrator_sets_up_a_robot_and_sends_a_test_message(
    client, tree, edu_admin, receiver
):
    client.force_login(edu_admin)
    page = reverse("robot_settings", kwargs={"pk": tree.sdu.pk})
    response = client.post(page, {"kind": "wecom", "url": receiver.url, "enabled": "on"})
    assert response.status_code == 302
    robot = GroupRobot.objects.get(union=tree.sdu)

    client.post(reverse("robot_test", kwargs={"pk": tree.sdu.pk}))

    [(path, payload)] = receiver.requests
    assert path == "/robot/send?access_token=abc"
    assert payload["msgtype"] == "markdown"
    assert set(payload["markdown"]) == {"content"}
    assert "山东大学工会" in payload["markdown"]["content"]
    delivery = RobotDelivery.objects.get(robot=robot)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert "已发送" in client.get(page).content.decode()


def test_a_wecom_message_is_markdown_content(tree, receiver):
    robot_of(tree.sdu, receiver)
    webhook_deliver(tree.sdu, "催办通知", "请于11月30日前报送。", "https://gq.example/tasks/")

    [(_path, payload)] = receiver.requests
    assert payload == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**催办通知**\n\n请于11月30日前报送。\n\n[在工会督办中查看](https://gq.example/tasks/)"
        },
    }


def test_a_dingtalk_message_has_a_title_and_a_signed_address(tree, receiver):
    robot_of(tree.sdu, receiver, kind=GroupRobot.Kind.DINGTALK, secret="SECtest")
    webhook_deliver(tree.sdu, "催办通知", "请于11月30日前报送。", "https://gq.example/tasks/")

    [(path, payload)] = receiver.requests
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == "催办通知"
    assert payload["markdown"]["text"].startswith("**催办通知**\n\n请于11月30日前报送。")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    assert query["access_token"] == ["abc"]
    timestamp = query["timestamp"][0]
    expected = hmac.new(b"SECtest", f"{timestamp}\nSECtest".encode(), hashlib.sha256).digest()
    assert base64.b64decode(query["sign"][0]) == expected


def test_a_failing_receiver_is_retried_then_given_up_and_logged(tree, receiver):
    receiver.status = 500
    robot_of(tree.sdu, receiver)
    delivery = webhook_deliver(tree.sdu, "催办通知", "请报送。", "")

    delivery.refresh_from_db()
    assert len(receiver.requests) == ROBOT_ATTEMPTS
    assert delivery.status == RobotDelivery.Status.FAILED
    assert delivery.attempts == ROBOT_ATTEMPTS
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at is None


def test_a_vendor_refusal_counts_as_a_failure(tree, receiver):
    receiver.answer = {"errcode": 310000, "errmsg": "sign not match"}
    robot_of(tree.sdu, receiver, kind=GroupRobot.Kind.DINGTALK)
    delivery = webhook_deliver(tree.sdu, "催办通知", "请报送。", "")
    delivery.refresh_from_db()
    assert delivery.status == RobotDelivery.Status.FAILED
    assert delivery.last_error == "errcode 310000: sign not match"


def test_a_failure_on_the_worker_schedules_the_next_attempt_later(settings, tree, receiver):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    receiver.status = 502
    robot_of(tree.sdu, receiver)

    delivery = webhook_deliver(tree.sdu, "催办通知", "请报送。", "")
    # Queued, not sent: the request that called goes on at once.
    assert receiver.requests == []
    robot_send.call(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at > delivery.created_at
    from django_tasks_db.models import DBTaskResult

    retry = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert retry.run_after == delivery.next_attempt_at


def test_a_disabled_robot_is_not_posted_to(tree, receiver):
    robot_of(tree.sdu, receiver, enabled=False)
    assert webhook_deliver(tree.sdu, "催办通知", "请报送。", "") is None
    assert receiver.requests == []
    assert not RobotDelivery.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/cgi-bin/webhook/send?key=1",
        "ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1",
        "https://oapi.dingtalk.com/robot/send?access_token=1",
    ],
)
def test_only_the_vendors_address_is_accepted(client, tree, edu_admin, url):
    client.force_login(edu_admin)
    page = reverse("robot_settings", kwargs={"pk": tree.sdu.pk})
    response = client.post(page, {"kind": "wecom", "url": url, "enabled": "on"})
    assert response.status_code == 200
    assert not GroupRobot.objects.exists()


def test_the_vendors_address_is_accepted(client, tree, edu_admin):
    client.force_login(edu_admin)
    page = reverse("robot_settings", kwargs={"pk": tree.sdu.pk})
    url = "https://oapi.dingtalk.com/robot/send?access_token=1"
    response = client.post(page, {"kind": "dingtalk", "url": url, "secret": "SEC1"})
    assert response.status_code == 302
    robot = GroupRobot.objects.get(union=tree.sdu)
    assert (robot.kind, robot.url, robot.secret, robot.enabled) == ("dingtalk", url, "SEC1", False)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("sdu_staff", 403), ("edu", 403), ("qd_staff", 404), ("qingdao", 404), ("loner", 404)],
)
def test_only_the_unions_administrators_configure_its_robot(
    client, tree, people, receiver, persona, status
):
    robot = robot_of(tree.sdu, receiver)
    client.force_login(getattr(people, persona))
    page = reverse("robot_settings", kwargs={"pk": tree.sdu.pk})
    assert client.get(page).status_code == status
    response = client.post(page, {"kind": "dingtalk", "url": receiver.url})
    assert response.status_code == status
    assert client.post(reverse("robot_test", kwargs={"pk": tree.sdu.pk})).status_code == status
    robot.refresh_from_db()
    assert robot.kind == "wecom"
    assert receiver.requests == []
    assert not RobotDelivery.objects.exists()


def test_a_long_message_is_cut_to_what_wecom_accepts(tree, receiver):
    robot_of(tree.sdu, receiver)
    webhook_deliver(
        tree.sdu, "催办通知", "未报送单位：" + "济南市教育工会、" * 1000, "https://gq.example/"
    )

    [(_path, payload)] = receiver.requests
    content = payload["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.endswith("[在工会督办中查看](https://gq.example/)")


def test_the_union_tree_links_each_unions_robot(client, tree, edu_admin):
    client.force_login(edu_admin)
    response = client.get(reverse("union_tree"))
    assert reverse("robot_settings", kwargs={"pk": tree.sdu.pk}).encode() in response.content


def test_a_unions_people_told_of_an_event_are_posted_once_to_its_robot(tree, people, receiver):
    robot_of(tree.sdu, receiver)
    tell = {
        "text": "山东省教育工会就《通知》向你单位催办：请抓紧报送。",
        "url": "/tasks/",
        "key": "urge:1",
    }

    notify(Notification.Kind.URGE_RECEIVED, [people.sdu_staff, people.sdu_supervisor], **tell)
    notify(Notification.Kind.URGE_RECEIVED, [people.sdu_staff], **tell)  # the same event
    notify(Notification.Kind.URGE_RECEIVED, [people.jinan_staff], **tell)  # no robot there

    [(_path, payload)] = receiver.requests
    content = payload["markdown"]["content"]
    assert content.startswith("**收到催办**")
    assert "请抓紧报送。" in content and "/tasks/" in content
    assert RobotDelivery.objects.get().status == RobotDelivery.Status.SENT
