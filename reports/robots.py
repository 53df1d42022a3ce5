"""Posting a union's notifications to its group chat, through the group robot (群机器人) of
企业微信 (WeCom) or 钉钉 (DingTalk) that its administrators configured.

`webhook_deliver` is all a sender calls: it logs the message as a `RobotDelivery` and
queues `robot_send` on the tasks backend, so that a request never waits on a vendor. The
task posts the message once, with a short timeout; on failure it schedules the next attempt
after a delay that doubles each time, until `ROBOT_ATTEMPTS` are spent.

What each vendor accepts (both document it for their custom robots): a JSON POST to the
robot's address with `msgtype` "markdown". WeCom reads the message from `markdown.content`;
DingTalk from `markdown.text`, with `markdown.title` shown in the chat list, and when the
robot is set to sign (加签) the address also carries `timestamp` (milliseconds) and `sign`,
the Base64 of HMAC-SHA256 over "timestamp\\nsecret" keyed by the secret. Both answer
`{"errcode": 0, ...}` when the message is accepted.
"""

import base64
import datetime
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from .models import GroupRobot, RobotDelivery

# Where each vendor's robots live: an address elsewhere is refused, unless the setting
# GROUP_ROBOT_HOSTS adds the host (a test's receiver, a company's relay).
VENDOR_HOSTS = {
    GroupRobot.Kind.WECOM: "qyapi.weixin.qq.com",
    GroupRobot.Kind.DINGTALK: "oapi.dingtalk.com",
}
# Attempts at one message, and the wait before the second; each later wait doubles.
ROBOT_ATTEMPTS = 5
ROBOT_FIRST_RETRY = datetime.timedelta(minutes=1)
# Seconds to wait on the vendor: the worker, not a person, waits, but never for long.
ROBOT_TIMEOUT = 5
# WeCom refuses a markdown message over 4096 bytes; DingTalk's limit is larger.
MESSAGE_LIMIT = 4000


def robot_url_problem(kind, url):
    """Why the address cannot be a robot of that kind, or None when it can."""
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return _("The address must begin with https://.")
    allowed = {VENDOR_HOSTS[kind], *settings.GROUP_ROBOT_HOSTS}
    if parts.hostname.lower() not in allowed:
        return _(
            "A %(kind)s robot's address is on %(host)s: copy it from the group's settings."
        ) % {
            "kind": GroupRobot.Kind(kind).label,
            "host": VENDOR_HOSTS[kind],
        }
    return None


def message_text(title, text, url):
    """The message in Markdown, as both vendors render it: the title in bold, the text, and
    a link to the page; cut to what the vendors accept."""
    label = _("Open in gqtrack")
    link = f"\n\n[{label}]({url})" if url else ""
    body = f"**{title}**\n\n{text}".strip()
    room = MESSAGE_LIMIT - len(link.encode())
    encoded = body.encode()
    if len(encoded) > room:
        body = encoded[: room - 3].decode(errors="ignore") + "…"
    return body + link


def robot_payload(kind, title, text, url):
    """The JSON body the vendor's robot takes for a Markdown message."""
    content = message_text(title, text, url)
    if kind == GroupRobot.Kind.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title[:100], "text": content}}
    return {"msgtype": "markdown", "markdown": {"content": content}}


def signed_url(robot, now=None):
    """The address to post to: a signing DingTalk robot's carries the time and signature."""
    if robot.kind != GroupRobot.Kind.DINGTALK or not robot.secret:
        return robot.url
    timestamp = str(int((now or time.time()) * 1000))
    digest = hmac.new(
        robot.secret.encode(), f"{timestamp}\n{robot.secret}".encode(), hashlib.sha256
    ).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    separator = "&" if urllib.parse.urlsplit(robot.url).query else "?"
    return f"{robot.url}{separator}timestamp={timestamp}&sign={sign}"


def delivery_create(robot, title, text, url):
    """Log a message to the robot and queue its sending."""
    delivery = RobotDelivery.objects.create(
        robot=robot,
        title=title[:200],
        payload=robot_payload(robot.kind, title, text, url),
        next_attempt_at=timezone.now(),
    )
    robot_send.enqueue(delivery.pk)
    return delivery


def webhook_deliver(union, title, text, url):
    """Post a notification to the union's group chat, in the background: the logged
    delivery, or None when the union has no enabled robot."""
    robot = GroupRobot.objects.filter(union=union, enabled=True).first()
    if robot is None:
        return None
    return delivery_create(robot, title, text, url)


def post_to_robot(robot, payload):
    """Post once; raise `RobotError` saying why the vendor did not take the message."""
    problem = robot_url_problem(robot.kind, robot.url)
    if problem:
        raise RobotError(problem)
    request = urllib.request.Request(
        signed_url(robot),
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        # The scheme and host were checked just above: http(s) to the vendor only.
        with urllib.request.urlopen(request, timeout=ROBOT_TIMEOUT) as response:  # nosec B310
            answer = response.read(10_000)
    except urllib.error.HTTPError as error:
        raise RobotError(f"HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        raise RobotError(str(getattr(error, "reason", error))) from error
    try:
        result = json.loads(answer)
    except ValueError as error:
        raise RobotError(_("The robot's answer was not JSON.")) from error
    if not isinstance(result, dict) or result.get("errcode") != 0:
        errmsg = result.get("errmsg", "") if isinstance(result, dict) else ""
        raise RobotError(
            f"errcode {result.get('errcode') if isinstance(result, dict) else '?'}: {errmsg}"
        )


class RobotError(Exception):
    pass


def robot_attempt(delivery):
    """One attempt at a delivery still pending: sent, or the error logged and the next
    attempt scheduled (None when the attempts are spent and it is given up)."""
    delivery.attempts += 1
    try:
        post_to_robot(delivery.robot, delivery.payload)
    except RobotError as error:
        delivery.last_error = str(error)[:2000]
        if delivery.attempts >= ROBOT_ATTEMPTS:
            delivery.status = RobotDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            wait = ROBOT_FIRST_RETRY * 2 ** (delivery.attempts - 1)
            delivery.next_attempt_at = timezone.now() + wait
    else:
        delivery.status = RobotDelivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.next_attempt_at = None
    delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at", "sent_at"])
    return delivery.next_attempt_at


@task()
def robot_send(delivery_id):
    """Send a logged message to its robot, and queue the next attempt if it failed."""
    with transaction.atomic():
        delivery = (
            RobotDelivery.objects.select_for_update()
            .select_related("robot")
            .filter(pk=delivery_id, status=RobotDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return
        next_attempt_at = robot_attempt(delivery)
    if next_attempt_at is None:
        return
    if robot_send.get_backend().supports_defer:
        robot_send.using(run_after=next_attempt_at).enqueue(delivery_id)
    else:
        # A backend that runs tasks at once (the tests') cannot wait: retry now.
        robot_send.enqueue(delivery_id)
