"""The rules a process asks of the plugins are kept for the same settings
and industries (the next book opened on them reuses them, and the read
plans compiled from them for the same database constants); a change of
setting, of industries or of the database's constants asks and compiles
anew."""

import datetime as dt

from leadcycle import LeadBook
from leadcycle.settings import Settings

T0 = dt.datetime(2026, 3, 2, 10)


def office(path):
    book = LeadBook.create(str(path), ["realestate"], now=T0)
    book.add_agent("李娜")
    book.add_lead("realestate", name="王芳", gender="F", phone="13900139000", need="三房", agent="李娜",
                  attributes={"funds": "A"})
    return book


def test_the_same_settings_give_the_same_rules_and_another_setting_other_rules(tmp_path):
    book = office(tmp_path / "a.db")
    registry = book.registry
    first = registry.context(Settings(registry.settings, {}), ["realestate"])
    assert registry.context(Settings(registry.settings, {}), ["realestate"]) is first
    changed = registry.context(Settings(registry.settings, {"ownership.protection_days": 15}), ["realestate"])
    assert changed is not first and changed.settings.get("ownership.protection_days") == 15
    assert registry.context(Settings(registry.settings, {}), ["realestate", "machinery"]) is not first


def test_a_book_opened_again_reuses_the_plans_and_a_setting_changed_meanwhile_is_read(tmp_path):
    path = tmp_path / "a.db"
    office(path).close()
    one, two = LeadBook.open(str(path), T0), LeadBook.open(str(path), T0)
    assert one.context is two.context
    assert one._read_plan("realestate") is two._read_plan("realestate")
    one.set_setting("ownership.protection_days", 15)
    three = LeadBook.open(str(path), T0)
    assert three.context is not two.context
    assert three.context.settings.get("ownership.protection_days") == 15
    assert three._read_plan("realestate") is not two._read_plan("realestate")
    assert three._read_plan("realestate").protection_days == 15


def test_another_database_with_other_constants_compiles_its_own_plan(tmp_path):
    a = office(tmp_path / "a.db")
    b = LeadBook.create(str(tmp_path / "b.db"), ["realestate"], now=T0)
    b.add_agent("李娜")
    b.add_lead("realestate", name="李雷", gender="M", phone="13900139001", need="两房", agent="李娜",
               attributes={"trust": "B", "funds": "C"})  # trust at place 0 here, funds at 1
    assert a.store.constants() != b.store.constants()
    assert a._read_plan("realestate") is not b._read_plan("realestate")
    assert a.list()[0]["grade"] == a.record(1).state.grade
    assert b.list()[0]["grade"] == b.record(1).state.grade
