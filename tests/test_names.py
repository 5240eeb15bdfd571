"""Name variants of one phone (issue #14): the duplicate check normalises
names (core/names.py) and a second person on a registered phone needs an
explicit decision — in lead add, lead set phone=…, LeadBook.register and
import."""

import json

import pytest

from leadcycle import LeadcycleError, names

# (registered, written at the desk, how they match)
SAME = [
    ("张伟", "张伟", "name"),
    ("张伟", "张 伟", "name"),
    ("张伟", "张\u3000伟", "name"),              # full-width space
    ("张伟", "張偉", "name"),                    # traditional
    ("張偉", "张伟", "name"),
    ("张伟", "张伟先生", "name"),
    ("张伟", "ZHANG Wei", "name"),
    ("张伟", "Zhang Wei", "name"),
    ("张伟", "zhangwei", "name"),
    ("张伟", "Wei Zhang", "name"),               # given name first
    ("张伟", "Mr. ZHANG Wei", "name"),
    ("张伟", "ＺＨＡＮＧ　Ｗｅｉ", "name"),       # full-width letters
    ("ZHANG Wei", "zhangwei", "name"),
    ("曾志", "Zeng Zhi", "name"),                 # every reading of 曾
    ("曾志", "Ceng Zhi", "name"),
    ("吕梅", "Lü Mei", "name"),
    ("吕梅", "LV MEI", "name"),
    ("王芳", "王芳女士", "name"),
    ("陈静", "陳靜小姐", "name"),
    ("张伟", "张先生", "surname"),
    ("张伟", "张总", "surname"),                  # a single-character honorific after a bare surname
    ("张伟", "张总经理", "surname"),
    ("张伟", "Mr Zhang", "surname"),
    ("ZHANG Wei", "张先生", "surname"),
    ("欧阳娜娜", "欧阳女士", "surname"),          # a compound surname
    ("张先生", "张太太", "surname"),
]
DIFFERENT = [
    ("张伟", "张维"),          # same pinyin, both in characters: different names
    ("张伟", "王伟"),
    ("张伟", "李先生"),
    ("张伟", "张伟总"),        # not a bare surname before 总: a name of its own
    ("张伟", "张伟太太"),      # after a full name a spouse's title names the spouse (close family)
    ("张伟", "张伟夫人"),
    ("张伟", "zhang"),         # a bare surname without an honorific is no surname form
    ("张伟", "Zhang Wen"),
    ("张伟", "Mr Wang"),
    ("欧阳娜娜", "欧先生"),
    ("张伟", "老张"),          # familiar forms are not handled
    ("David", "Dave"),
]


@pytest.mark.parametrize("registered, written, how", SAME)
def test_variants_match(registered, written, how):
    assert names.match(registered, written) == how
    assert names.match(written, registered) == how


@pytest.mark.parametrize("registered, written", DIFFERENT)
def test_different_names_do_not_match(registered, written):
    assert names.match(registered, written) is None
    assert names.match(written, registered) is None


def test_find_prefers_a_whole_name():
    assert names.find("张先生", [(1, "张丽"), (2, "张伟")]) == (1, "surname")
    assert names.find("張偉", [(1, "张丽"), (2, "张伟")]) == (2, "name")
    assert names.find("王五", [(1, "张伟")]) is None


# ---------------------------------------------------------------- lead add

NOW = "2026-03-05T10:00"


@pytest.fixture
def office(run):
    assert run("init", "--industry", "realestate").exit_code == 0
    for name in ("李娜", "王强"):
        run("agent", "add", name)
    return run


def add(run, name, *extra, phone="13800138000", now=NOW):
    return run("lead", "add", "--industry", "realestate", "--name", name, "--gender", "M",
               "--phone", phone, "--need", "三房", *extra, now=now)


def lead_count(run):
    return len(json.loads(run("list", "--json", now=NOW).output))


@pytest.mark.parametrize("variant", ["张 伟", "張偉", "张伟先生", "张先生", "ZHANG Wei", "Zhang Wei", "zhangwei"])
def test_a_variant_on_a_registered_phone_is_that_lead(office, variant):
    assert add(office, "张伟", "--agent", "李娜").exit_code == 0
    again = add(office, variant, "--agent", "王强")
    assert again.exit_code == 1 and len(again.output.strip().splitlines()) == 1
    assert "already lead #1 (张伟, owner: 李娜)" in again.output
    assert lead_count(office) == 1


def test_another_name_needs_a_decision(office):
    add(office, "张伟", "--agent", "李娜")
    refused = add(office, "王芳", "--agent", "王强")
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        "Error: phone 138****8000 is already lead #1 (张伟, owner: 李娜) under another name; say who 王芳 is: "
        "--relation spouse|parent|child|sibling|partner (close family: recorded on lead #1) or "
        "--different-person (a lead of their own)")
    assert lead_count(office) == 1
    both = add(office, "王芳", "--relation", "spouse", "--different-person")
    assert both.exit_code == 1 and "not both" in both.output
    family = add(office, "王芳", "--relation", "spouse", "--agent", "王强")
    assert family.exit_code == 0 and "same lead #1: 王芳 is 张伟's spouse" in family.output
    other = add(office, "赵六", "--different-person", "--agent", "王强", "--json")
    assert other.exit_code == 0, other.output
    out = json.loads(other.output)
    assert out["id"] == 2 and out["owner"] == "王强" and out["status"] == "created"
    register = office("history", "2", "--json", now=NOW)
    assert register.exit_code == 0
    from leadcycle import LeadBook

    book = LeadBook.open("leads.db")
    try:
        assert book.store.events_for(2)[0].data["different_person_from"] == [1]
    finally:
        book.close()


def test_a_bare_surname_may_be_family_or_another_person_when_said(office):
    add(office, "张伟", "--agent", "李娜")
    assert add(office, "张先生").exit_code == 1
    father = add(office, "张先生", "--relation", "parent")
    assert father.exit_code == 0 and "same lead #1" in father.output
    other = add(office, "张先生", "--different-person")
    assert other.exit_code == 0 and lead_count(office) == 2
    # the same whole name is that lead, whatever is said
    assert add(office, "張偉", "--different-person").exit_code == 1
    assert add(office, "張偉", "--relation", "sibling").exit_code == 1


def test_different_person_on_a_free_phone_is_a_plain_registration(office):
    out = add(office, "张伟", "--different-person", "--agent", "李娜")
    assert out.exit_code == 0 and "note:" not in out.output


def test_register_json_applies_the_same_check(fresh_db):
    base = {"industry": "realestate", "gender": "M", "phone": "13800138000", "need": "三房", "agent": "李娜"}
    fresh_db.register({**base, "name": "张伟"})
    with pytest.raises(LeadcycleError, match=r"already lead #1 \(张伟, owner: 李娜\)"):
        fresh_db.register({**base, "name": "ZHANG Wei", "agent": "王强"})
    with pytest.raises(LeadcycleError, match="--different-person"):
        fresh_db.register({**base, "name": "王芳"})
    added = fresh_db.register({**base, "name": "王芳", "different_person": True})
    assert added.status == "created" and added.lead.id == 2
    with pytest.raises(LeadcycleError, match=r"expected bool @ \$\.different_person"):
        fresh_db.register({**base, "name": "赵六", "different_person": "yes"})


# ---------------------------------------------------------------- lead set


def test_set_phone_to_a_registered_phone_is_checked(office):
    add(office, "张伟", "--agent", "李娜")
    add(office, "張偉", "--agent", "王强", phone="13900139000")    # another phone: another lead
    add(office, "王芳", "--agent", "王强", phone="13700137000")
    same = office("lead", "set", "2", "phone=13800138000", "--agent", "王强", now=NOW)
    assert same.exit_code == 1 and "already lead #1 (张伟, owner: 李娜) (張偉 is the same name)" in same.output
    other = office("lead", "set", "3", "phone=138 0013 8000", "--agent", "王强", now=NOW)
    assert other.exit_code == 1 and "--different-person" in other.output
    assert "close family belongs on lead #1" in other.output
    ok = office("lead", "set", "3", "phone=13800138000", "--different-person", "--agent", "王强", now=NOW)
    assert ok.exit_code == 0, ok.output
    # a new name on a shared phone that matches the other lead is refused too
    renamed = office("lead", "set", "3", "name=ZHANG Wei", "--agent", "王强", now=NOW)
    assert renamed.exit_code == 1 and "already lead #1" in renamed.output
    assert office("lead", "set", "3", "name=王芳芳", "--agent", "王强", now=NOW).exit_code == 0
    # its own phone, re-typed, is no conflict
    assert office("lead", "set", "1", "phone=+86 138 0013 8000", "--agent", "李娜", now=NOW).exit_code == 0


# ------------------------------------------------------------------ import


def test_import_merges_variants_and_rejects_an_undecided_name(office, tmp_path, db_path):
    path = tmp_path / "a.csv"
    path.write_text("姓名,性别,电话,需求,来访日期,置业顾问,关系\n"
                    "张伟,男,13800138000,三房,2026-03-01,李娜,\n"
                    "張偉,男,13800138000,三房,2026-03-02,李娜,\n"
                    "ZHANG Wei,男,13800138000,三房,2026-03-03,李娜,\n"
                    "张太太,女,13800138000,三房,2026-03-03,李娜,配偶\n"
                    "王五,男,13800138000,两房,2026-03-04,王强,\n", encoding="utf-8")
    result = office("import", str(path), "--industry", "realestate", "--json", now=NOW)
    out = json.loads(result.output)
    assert (out["imported"], out["merged"], out["rejected"]) == (1, 3, 1), out
    with open(str(path) + ".rejects.csv", encoding="utf-8-sig") as f:
        rejected = f.read()
    assert "王五" in rejected and "under another name" in rejected
    from leadcycle import LeadBook

    book = LeadBook.open(db_path)
    try:
        kinds = [(e.kind, e.data.get("family_member", {}).get("relation")) for e in book.store.events_for(1)]
    finally:
        book.close()
    assert kinds == [("register", None), ("visit", None), ("visit", None), ("set", "spouse")]


def test_a_bare_surname_refusal_names_both_ways_out(office):
    add(office, "张伟", "--agent", "李娜")
    out = add(office, "张先生")
    assert out.output.strip() == (
        "Error: phone 138****8000 is already lead #1 (张伟, owner: 李娜) and 张先生 may be 张伟 (a returning "
        "client is logged with: leadcycle log 1 visit --agent NAME); if not, say who 张先生 is: "
        "--relation spouse|parent|child|sibling|partner (close family: recorded on lead #1) or "
        "--different-person (a lead of their own)")


def test_close_family_recorded_on_a_lead_is_known_by_name(office, tmp_path):
    add(office, "张伟", "--agent", "李娜")
    assert add(office, "李梅", "--relation", "spouse").exit_code == 0
    again = add(office, "李 梅", "--agent", "王强")
    assert again.exit_code == 1
    assert "already lead #1 (张伟, owner: 李娜) (李 梅 is 李梅, recorded on it as close family)" in again.output
    assert add(office, "李梅", "--different-person").exit_code == 1
    # the importer knows them too: a returning visit of lead #1, not a rejected row
    path = tmp_path / "b.csv"
    path.write_text("姓名,性别,电话,需求,来访日期,置业顾问,关系\n"
                    "王丽,女,13800138000,三房,2026-03-06,李娜,子女\n"
                    "王丽,女,13800138000,三房,2026-03-07,李娜,\n"
                    "李梅,女,13800138000,三房,2026-03-07,李娜,\n", encoding="utf-8")
    later = "2026-03-08T10:00"
    out = json.loads(office("import", str(path), "--industry", "realestate", "--json", now=later).output)
    # 王丽 is recorded as family, then visits; 李梅 comes the same day (one visit of the lead that day)
    assert (out["imported"], out["merged"], out["unchanged"], out["rejected"]) == (0, 2, 1, 0), out
    assert lead_count(office) == 1
