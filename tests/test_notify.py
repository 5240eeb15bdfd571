"""``leadcycle notify`` (issue #16): WeCom and DingTalk robot payloads
received by a local http.server on 127.0.0.1 (never an outside address),
DingTalk's signature, the robots' refusals as one line, and the .ics
calendar of an agent's follow-ups."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
import urllib.parse

import pytest
from click.testing import CliRunner

from leadcycle.cli import cli

NOW = "2026-09-12T19:00"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    from leadcycle import loader

    path = str(tmp_path_factory.mktemp("notify") / "demo.db")
    loader.reset()
    result = CliRunner().invoke(cli, ["--db", path, "--now", "2026-09-01T09:00", "demo", "--days", "11"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def robot():
    """A robot webhook on 127.0.0.1: records each POST, answers ``answer``."""
    received = []
    state = {"answer": {"errcode": 0, "errmsg": "ok"}}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(body)})
            out = json.dumps(state["answer"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received, state
    server.shutdown()
    server.server_close()


def invoke(path, *args, lang="zh"):
    return CliRunner().invoke(cli, ["--db", path, "--now", NOW, "--lang", lang, *args])


def test_wecom_receives_a_markdown_message_within_its_limit(office, robot):
    url, received, _ = robot
    result = invoke(office, "notify", "wecom", f"{url}/cgi-bin/webhook/send?key=abc", "--team", "一组")
    assert result.exit_code == 0, result.output
    [msg] = received
    assert msg["path"] == "/cgi-bin/webhook/send?key=abc" and msg["type"].startswith("application/json")
    body = msg["body"]
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert set(body["markdown"]) == {"content"} and len(content.encode()) <= 4096
    assert content.startswith("## 2026-09-12 每日客户报告（一组）")
    assert "**A类客户及今日跟进" in content and "****" in content
    # the demo's report is longer than WeCom takes: cut at a line, saying so
    assert "行，见 leadcycle report daily）" in content.splitlines()[-1]


def test_dingtalk_receives_title_and_text_and_a_valid_signature(office, robot):
    url, received, _ = robot
    result = invoke(office, "notify", "dingtalk", f"{url}/robot/send?access_token=t", "--secret", "SEC123",
                    lang="en")
    assert result.exit_code == 0, result.output
    [msg] = received
    body = msg["body"]
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
    assert body["markdown"]["title"] == "Daily leads report 2026-09-12 (all agents)"
    assert body["markdown"]["text"].startswith("## Daily leads report")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(msg["path"]).query)
    ts = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SEC123", f"{ts}\nSEC123".encode(), hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected] and query["access_token"] == ["t"]


def test_dry_run_sends_nothing(office, robot):
    url, received, _ = robot
    result = invoke(office, "notify", "wecom", url, "--dry-run")
    assert result.exit_code == 0 and json.loads(result.output)["msgtype"] == "markdown"
    assert received == []


def test_a_refusal_or_no_robot_is_one_line(office, robot):
    url, _, state = robot
    state["answer"] = {"errcode": 93000, "errmsg": "invalid webhook url"}
    result = invoke(office, "notify", "wecom", url)
    assert result.exit_code == 1 and "错误码 93000，invalid webhook url" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = invoke(office, "notify", "dingtalk", "http://127.0.0.1:9/nothing-listens", lang="en")
    assert result.exit_code == 1 and "could not reach the webhook" in result.output
    result = invoke(office, "notify", "wecom", "ftp://127.0.0.1/x", lang="en")
    assert result.exit_code == 1 and "not an http(s) URL" in result.output


def test_the_calendar_has_one_event_per_follow_up(office, tmp_path):
    out = tmp_path / "li.ics"
    result = invoke(office, "notify", "ics", "--agent", "李娜", "--days", "7", "-o", str(out), lang="en")
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    text = raw.decode().replace("\r\n ", "")  # unfold
    import datetime as dt

    from leadcycle import LeadBook

    book = LeadBook.open(office, dt.datetime(2026, 9, 12, 19))
    due = book.due("李娜", until=dt.date(2026, 9, 19))
    book.close()
    uids = [u.split(":", 1)[1] for u in text.split("\r\n") if u.startswith("UID:")]
    assert sorted(int(u.split("-")[1]) for u in uids) == sorted(r["id"] for r in due) and uids
    # oldest first, a day's leads by number: the same file whatever order the database reads them in
    assert [r["next_follow_up"] for r in due] == sorted(r["next_follow_up"] for r in due)
    order = [(u.split("-", 2)[2].split("@")[0], int(u.split("-")[1])) for u in uids]
    assert order == sorted(order)
    assert "DTSTART;VALUE=DATE:2026091" in text and "overdue" in text
    assert not any(i["phone"] in text for i in due)
    assert invoke(office, "notify", "ics", "--agent", "nobody", "-o", str(tmp_path / "x.ics")).exit_code == 1
    assert not (tmp_path / "x.ics").exists()


def test_unmask_shows_a_calendar_s_phones_to_whom_list_unmask_shows_them(office, tmp_path):
    """--unmask on a calendar is --unmask on a list: an agent sees their own
    leads' phones in full, a manager every one; no one else any (a
    colleague's calendar of 李娜's leads stays masked)."""
    import datetime as dt

    from leadcycle import LeadBook

    book = LeadBook.open(office, dt.datetime(2026, 9, 12, 19))
    phones = [r["phone"] for r in book.due("李娜", until=dt.date(2026, 9, 19))]
    managers = [a.name for a in book.agents() if a.is_manager]
    book.close()
    assert phones and managers
    for viewer, full in (("李娜", True), ("王强", False), (managers[0], True)):
        out = tmp_path / f"{viewer}.ics"
        r = invoke(office, "--as", viewer, "notify", "ics", "--agent", "李娜", "--unmask", "-o", str(out), lang="en")
        assert r.exit_code == 0, r.output
        text = out.read_text(encoding="utf-8").replace("\r\n ", "")
        assert all((p in text) is full for p in phones), viewer
