"""Accounts, sessions and roles (issue #10): secrets kept only as scrypt
hashes, sessions on the machine's clock, one-line refusals naming the role."""

import datetime as dt
import sqlite3

import pytest

from leadcycle import LeadBook, accounts, auth
from leadcycle.errors import LeadcycleError, Refused


def test_secrets_are_hashed_salted_and_checked():
    h1, h2 = auth.hash_secret("s3cret-1"), auth.hash_secret("s3cret-1")
    assert h1 != h2 and "s3cret" not in h1  # salted, never stored as typed
    assert auth.verify_secret("s3cret-1", h1)
    assert not auth.verify_secret("s3cret-2", h1)
    assert not auth.verify_secret("s3cret-1", None)
    assert not auth.verify_secret("s3cret-1", "md5$abc")
    with pytest.raises(LeadcycleError, match="at least 6"):
        auth.hash_secret("12345")
    assert auth.verify_secret("123456", auth.hash_secret("123456"))  # a six-digit PIN


def test_roles_rank():
    assert auth.at_least("admin", "manager") and auth.at_least("manager", "agent")
    assert not auth.at_least("agent", "manager") and not auth.at_least(None, "agent")
    with pytest.raises(Refused, match="needs the manager role .*李娜 is an agent"):
        auth.require_role("李娜", "agent", "manager", "approving a downgrade")
    with pytest.raises(Refused, match="sign in"):
        auth.require_role(None, None, "agent", "logging")


def test_the_first_admin_makes_an_office_database(tmp_path):
    book = LeadBook.create(str(tmp_path / "o.db"), ["realestate"])
    assert accounts.mode(book.store) is None
    admin = accounts.make_admin(book, "陈经理", "open-sesame")
    assert (admin.role, admin.is_manager) == ("admin", True)
    assert accounts.is_office(book.store)
    with pytest.raises(Refused, match="has an admin already"):
        accounts.make_admin(book, "王强", "open-sesame")
    with pytest.raises(Refused, match="office database"):
        accounts.mark_simulation(book)
    conn = sqlite3.connect(tmp_path / "o.db")
    stored = conn.execute("SELECT secret_hash FROM credentials").fetchone()[0]
    conn.close()
    assert stored.startswith("scrypt$") and "open-sesame" not in stored


def test_a_simulation_never_becomes_an_office(tmp_path):
    book = LeadBook.create(str(tmp_path / "s.db"), ["realestate"])
    accounts.mark_simulation(book)
    accounts.make_admin(book, "陈经理", "open-sesame")
    assert accounts.mode(book.store) == "simulation"


def test_sessions_expire_on_the_machine_clock_and_end_at_logout(tmp_path, monkeypatch):
    book = LeadBook.create(str(tmp_path / "o.db"), ["realestate"])
    book.actor = accounts.make_admin(book, "陈经理", "open-sesame")
    book.add_agent("李娜")
    accounts.set_secret(book, "李娜", "li-na-123")
    with pytest.raises(Refused, match="wrong name or password"):
        accounts.login(book, "李娜", "nope-nope")
    with pytest.raises(Refused, match="wrong name or password"):  # the same line: names cannot be probed
        accounts.login(book, "nobody", "li-na-123")
    token, expires = accounts.login(book, "李娜", "li-na-123")
    assert accounts.session_agent(book, token).name == "李娜"
    start = accounts.wall_clock(book)
    assert dt.timedelta(hours=11, minutes=59) < expires - start <= dt.timedelta(hours=12)
    # the simulated clock does not matter, the machine's does
    with book.at(dt.datetime(2030, 1, 1)):
        assert accounts.session_agent(book, token).name == "李娜"
    later = expires + dt.timedelta(seconds=1)
    monkeypatch.setattr(accounts, "wall_clock", lambda b: later)
    with pytest.raises(Refused, match="expired"):
        accounts.session_agent(book, token)
    monkeypatch.setattr(accounts, "wall_clock", lambda b: start)
    assert accounts.logout(book, token)
    with pytest.raises(Refused, match="signed out"):
        accounts.session_agent(book, token)
    with pytest.raises(Refused, match="not known"):
        accounts.session_agent(book, "lc_forged")


def test_a_new_password_ends_open_sessions_and_a_leaver_cannot_sign_in(tmp_path):
    book = LeadBook.create(str(tmp_path / "o.db"), ["realestate"])
    book.actor = accounts.make_admin(book, "陈经理", "open-sesame")
    book.add_agent("李娜")
    accounts.set_secret(book, "李娜", "li-na-123")
    token, _ = accounts.login(book, "李娜", "li-na-123")
    accounts.set_secret(book, "李娜", "li-na-456")
    with pytest.raises(Refused, match="signed out"):
        accounts.session_agent(book, token)
    token, _ = accounts.login(book, "李娜", "li-na-456")
    book.store.update_agent("李娜", active=0)
    with pytest.raises(Refused, match="has left"):
        accounts.session_agent(book, token)
    with pytest.raises(Refused, match="has left"):
        accounts.login(book, "李娜", "li-na-456")


def test_the_only_admin_keeps_the_role(tmp_path):
    book = LeadBook.create(str(tmp_path / "o.db"), ["realestate"])
    book.actor = accounts.make_admin(book, "陈经理", "open-sesame")
    with pytest.raises(Refused, match="only admin"):
        accounts.set_role(book, "陈经理", "manager")
    book.add_agent("王强")
    assert accounts.set_role(book, "王强", "admin").role == "admin"
    assert accounts.set_role(book, "陈经理", "manager").role == "manager"
    with pytest.raises(LeadcycleError, match="not one of"):
        accounts.set_role(book, "王强", "boss")


def test_the_python_api_takes_the_same_actor(tmp_path):
    path = str(tmp_path / "o.db")
    book = LeadBook.create(path, ["realestate"])
    accounts.make_admin(book, "陈经理", "open-sesame")
    with pytest.raises(Refused, match="sign in"):
        book.add_agent("李娜")
    token = book.sign_in("陈经理", "open-sesame")
    book.add_agent("李娜")
    accounts.set_secret(book, "李娜", "li-na-123")
    book.close()
    other = LeadBook.open(path)  # another process, the same session
    other.use_session(token)
    assert other.actor.name == "陈经理"
    added = other.add_lead("realestate", name="张伟", gender="M", phone="13800138000", need="三房")
    assert added.state.owner == "陈经理"
    other.sign_in("李娜", "li-na-123")
    with pytest.raises(Refused, match="signed in as 李娜, not 王强"):
        other.add_lead("realestate", name="王芳", gender="F", phone="13900139000", need="两房", agent="王强")
    other.close()
