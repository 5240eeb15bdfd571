"""Push the evening report to a group robot, and an agent's follow-ups to a
calendar (``leadcycle notify``).

* WeCom (企业微信) group robot: ``POST`` the webhook with
  ``{"msgtype": "markdown", "markdown": {"content": …}}``; the content is
  at most 4096 bytes of UTF-8.
* DingTalk (钉钉) custom robot: ``POST`` the webhook with
  ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``; a robot
  with a signing secret also takes ``timestamp`` and ``sign`` (HMAC-SHA256
  of ``"{timestamp}\\n{secret}"``, base64, URL-encoded) in the query.

Both answer ``{"errcode": 0, "errmsg": "ok"}``; anything else is one line.
Only the standard library is used (urllib): nothing to install.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request

from leadcycle.errors import LeadcycleError

from . import daily
from ..i18n import M_, N_, render

WECOM_LIMIT = 4096
DINGTALK_LIMIT = 20000
ROBOTS = ("wecom", "dingtalk")


def markdown(report: dict, lang: str, limit: int) -> str:
    """The daily report as robot markdown, cut to ``limit`` bytes at a line
    boundary with a last line saying how many were left out."""
    out = [f"## {daily.title(report, lang)}"]
    for heading, items in daily.lines(report, lang):
        out.append(f"**{heading}**")
        out.extend(f"> {x}" for x in items)
    text = "\n".join(out)
    if len(text.encode()) <= limit:
        return text
    kept, size = [], 0
    for i, line in enumerate(out):
        more = len(out) - i
        tail = render(M_("… ({n} more lines: see leadcycle report daily)", n=more), lang)
        if size + len(line.encode()) + 1 + len(tail.encode()) > limit:
            kept.append(tail)
            break
        kept.append(line)
        size += len(line.encode()) + 1
    return "\n".join(kept)


def payload(robot: str, report: dict, lang: str) -> dict:
    """The JSON message of ``robot`` (``wecom`` or ``dingtalk``)."""
    if robot == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": markdown(report, lang, WECOM_LIMIT)}}
    if robot == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": daily.title(report, lang),
                                                   "text": markdown(report, lang, DINGTALK_LIMIT)}}
    raise LeadcycleError(N_("unknown robot {robot!r}; choose one of: {robots}"),
                         robot=robot, robots=', '.join(ROBOTS))


def signed_url(url: str, secret: str, now_ms: int) -> str:
    """A DingTalk webhook URL with ``timestamp`` and ``sign``."""
    digest = hmac.new(secret.encode(), f"{now_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={now_ms}&sign={sign}"


def post(url: str, body: dict, timeout: float = 10.0) -> dict:
    """POST ``body`` as JSON; the robot's answer, or one line saying why not."""
    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        raise LeadcycleError(N_("webhook {url!r} is not an http(s) URL; give the robot's webhook address"),
                             url=url)
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        raise LeadcycleError(N_("the robot answered HTTP {code} {reason}; check the webhook URL"),
                             code=e.code, reason=e.reason) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise LeadcycleError(N_("could not reach the webhook ({reason}); check the URL and the network"),
                             reason=reason) from None
    try:
        data = json.loads(answer)
    except ValueError:
        raise LeadcycleError(N_("the robot's answer is not JSON: {answer!r}"), answer=answer[:80]) from None
    if not isinstance(data, dict) or data.get("errcode", 0) != 0:
        if not isinstance(data, dict):
            raise LeadcycleError(N_("the robot's answer is odd: {answer!r}"), answer=answer[:80])
        raise LeadcycleError(N_("the robot refused the message: errcode {errcode}, {errmsg}"),
                             errcode=data.get("errcode"), errmsg=data.get("errmsg"))
    return data


# -------------------------------------------------------------- calendar


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets, continued with a space."""
    out, current = [], b""
    for ch in line:
        b = ch.encode()
        if len(current) + len(b) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += b
    out.append(current.decode())
    return "\r\n ".join(out)


def calendar(book, agent: str, days: int, phones, lang: str) -> str:
    """An iCalendar file of ``agent``'s follow-ups due up to ``days`` days
    ahead: one all-day event per lead on its due day (an overdue one on
    today, saying so), from ``book.due``; its phones as ``phones`` (a
    :class:`leadcycle.privacy.PhoneView`: masked unless the viewer may see
    them) shows them."""
    book.agent(agent, reading=True)
    today = book.now.date()
    stamp = book.now.strftime("%Y%m%dT%H%M%S")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//leadcycle//follow-ups//EN", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:" + _escape(render(M_("{agent}'s follow-ups", agent=agent), lang))]
    for r in book.due(agent, until=today + dt.timedelta(days=days)):
        due = dt.date.fromisoformat(r["next_follow_up"])
        day = max(due, today)
        phone = phones.phone(r["phone"], r["owner"])
        first = r["follow_up_kind"] == "first"
        what = render(M_("first call-back") if first else M_("follow-up"), lang)
        late = render(M_(" ({n} d overdue)", n=(today - due).days), lang) if due < today else ""
        summary = f"{what}{late}: #{r['id']} {r['name']} {phone} [{r['grade'] or '-'}]"
        lines += ["BEGIN:VEVENT", f"UID:lead-{r['id']}-{due.isoformat()}@leadcycle", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
                  f"SUMMARY:{_escape(summary)}",
                  "DESCRIPTION:" + _escape(f"leadcycle show {r['id']}"), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(x) for x in lines) + "\r\n"
