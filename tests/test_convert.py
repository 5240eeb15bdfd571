"""The private cattrs converter (STYLE.md "Data"), ``LeadBook.register`` and
``leadcycle lead add --from-json`` (issue 2, item 1)."""

from __future__ import annotations

import datetime as dt
import json

import cattrs
import pytest

from leadcycle import Label, LeadcycleError, Reason
from leadcycle.convert import Registration, converter, make_converter, structure, unstructure

GOOD = {"industry": "realestate", "name": "张伟", "gender": "M", "phone": "13800138000", "need": "三房"}


def with_(**changes):
    return {**GOOD, **changes}


def without(key):
    return {k: v for k, v in GOOD.items() if k != key}


# ----------------------------------------------------------------- converter


def test_the_converter_is_private_and_built_by_a_factory():
    c = make_converter()
    assert isinstance(c, cattrs.Converter)
    assert c is not cattrs.global_converter and make_converter() is not c
    assert converter() is converter()


def test_a_good_registration_is_structured():
    reg = structure(with_(attributes={"budget": 300, "purpose": "自住", "loan": True, "area": 95.5,
                                      "note": None}, agent="李娜", channel="call",
                          referred_by=3, referral_proof="accompanied"), Registration)
    assert reg == Registration("realestate", "张伟", "M", "13800138000", "三房",
                               {"budget": 300, "purpose": "自住", "loan": True, "area": 95.5, "note": None},
                               agent="李娜", channel="call", referred_by=3, referral_proof="accompanied")
    assert reg.relation is None and reg.asks_for is None
    kwargs = reg.add_lead_kwargs()
    assert "industry" not in kwargs and kwargs["phone"] == "13800138000" and kwargs["channel"] == "call"


@pytest.mark.parametrize("data, message", [
    (with_(phone=13800138000), "bad registration: invalid value for type, expected str @ $.phone"),
    (without("need"), "bad registration: required field missing @ $.need"),
    (with_(channel="mail"), "bad registration: invalid value for type, expected one of 'visit', 'call' @ $.channel"),
    (with_(relation="cousin"), "bad registration: invalid value for type, expected one of 'spouse', "
                               "'parent', 'child', 'sibling', 'partner' or null @ $.relation"),
    (with_(referred_by="3"), "bad registration: invalid value for type, expected int or null @ $.referred_by"),
    (with_(referred_by=True), "bad registration: invalid value for type, expected int or null @ $.referred_by"),
    (with_(attributes={"budget": [300]}),
     "bad registration: invalid value for type, expected str, int, float, bool or null @ $.attributes['budget']"),
    (with_(attributes=["budget"]), "bad registration: expected a mapping @ $.attributes"),
    (with_(phon="1"), "bad registration: extra fields found (phon) @ $"),
    ("张伟", "bad registration: expected a JSON object @ $"),
    (None, "bad registration: expected a JSON object @ $"),
])
def test_a_bad_registration_is_one_line_naming_the_field(data, message):
    with pytest.raises(LeadcycleError) as e:
        structure(data, Registration, "registration")
    assert str(e.value) == message
    assert "\n" not in str(e.value)


def test_every_bad_field_is_named_on_the_same_line():
    with pytest.raises(LeadcycleError) as e:
        structure(with_(phone=1, gender=None), Registration, "registration")
    text = str(e.value)
    assert "\n" not in text
    assert "expected str @ $.phone" in text and "expected str @ $.gender" in text


def test_a_list_names_the_item():
    with pytest.raises(LeadcycleError, match=r"expected str @ \$\[1\]\.phone$"):
        structure([GOOD, with_(phone=1)], list[Registration], "registration")


def test_dates_labels_and_reasons_travel_as_json():
    assert unstructure(dt.datetime(2026, 3, 5, 10, 30)) == "2026-03-05T10:30:00"
    assert unstructure(dt.date(2026, 3, 5)) == "2026-03-05"
    assert structure("2026-03-05T10:30", dt.datetime) == dt.datetime(2026, 3, 5, 10, 30)
    assert structure("2026-03-05", dt.date) == dt.date(2026, 3, 5)
    assert unstructure(Label("grade A", "A类客户")) == {"en": "grade A", "zh": "A类客户"}
    assert structure({"en": "grade A", "zh": "A类客户"}, Label) == Label("grade A", "A类客户")
    assert structure("A", Label) == Label("A", "A")
    reason = Reason(Label("visited twice", "到访两次"), "visits")
    assert structure(unstructure(reason), Reason) == reason
    with pytest.raises(LeadcycleError, match="expected date @ \\$$"):
        structure("5 March", dt.date)
    with pytest.raises(LeadcycleError, match="expected datetime"):
        structure(20260305, dt.datetime)


# ----------------------------------------------------------------- LeadBook.register


def test_register_adds_the_lead(fresh_db):
    added = fresh_db.register(with_(agent="李娜", attributes={"funds": "A", "area": 95, "age": 36,
                                                             "ample_funds": True}))
    assert added.status == "created"
    lead = fresh_db.lead(added.lead.id)
    assert (lead.name, lead.phone, lead.need, lead.industry) == ("张伟", "13800138000", "三房", "realestate")
    assert lead.attributes["funds"] == "A" and lead.attributes["age"] == 36
    with pytest.raises(LeadcycleError, match="budget"):  # the industry's fields are add_lead's check
        fresh_db.register(with_(phone="13900139000", name="王芳", attributes={"budget": 300}))
    assert fresh_db.record(lead.id).state.owner == "李娜"


def test_register_checks_types_before_writing(fresh_db):
    with pytest.raises(LeadcycleError, match=r"^bad registration: invalid value for type, expected str @ \$\.phone$"):
        fresh_db.register(with_(phone=13800138000))
    assert fresh_db.list() == []


def test_register_keeps_the_domain_checks(fresh_db):
    fresh_db.register(GOOD)
    with pytest.raises(LeadcycleError, match="already lead #1"):
        fresh_db.register(GOOD)
    with pytest.raises(LeadcycleError):
        fresh_db.register(with_(phone="12345", name="李雷"))  # not a mainland mobile: add_lead's rule
    assert len(fresh_db.list()) == 1


# ----------------------------------------------------------------- CLI


@pytest.fixture
def office(run):
    assert run("init", "--industry", "realestate").exit_code == 0
    assert run("agent", "add", "李娜").exit_code == 0
    return run


def _ids(run):
    result = run("list", "--json", now="2026-03-05T10:00")
    assert result.exit_code == 0, result.output
    return [r["name"] for r in json.loads(result.stdout)]


def test_from_json_file_prints_as_lead_add(office, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(with_(agent="李娜")), encoding="utf-8")
    result = office("lead", "add", "--from-json", str(path), now="2026-03-05T10:00")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("lead #1 registered\n#1 张伟 138****8000")
    assert "owner 李娜" in result.stdout
    # the same output as the options give
    other = office("lead", "add", "--industry", "realestate", "--name", "王芳", "--gender", "F",
                   "--phone", "13900139000", "--need", "两房", "--agent", "李娜", now="2026-03-05T10:00")
    assert other.stdout.startswith("lead #2 registered\n#2 王芳 139****9000")


def test_from_json_stdin_list_with_json_output(office):
    items = [GOOD, with_(name="王芳", gender="F", phone="13900139000", channel="call")]
    result = office("lead", "add", "--from-json", "-", "--json", input=json.dumps(items),
                    now="2026-03-05T10:00")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [(o["id"], o["name"], o["status"]) for o in out] == [(1, "张伟", "created"), (2, "王芳", "created")]
    single = office("lead", "add", "--from-json", "-", "--json", now="2026-03-05T10:00",
                    input=json.dumps(with_(name="李雷", phone="13700137000")))
    assert json.loads(single.stdout)["name"] == "李雷"


@pytest.mark.parametrize("text, message", [
    ('{"industry": ', "Error: stdin is not valid JSON: Expecting value: line 1 column 14 (char 13); "
                      "give one object or a list of objects"),
    (json.dumps(with_(phone=13800138000)),
     "Error: bad registration: invalid value for type, expected str @ $.phone"),
    (json.dumps([GOOD, with_(name="王芳", phone=13900139000)]),
     "Error: bad registration: invalid value for type, expected str @ $[1].phone"),
    (json.dumps([GOOD, with_(name="王芳", phone="13900139000", agent="nobody")]), "Error: item 1 ($[1]): "),
    (json.dumps([GOOD, GOOD]), "Error: item 1 ($[1]): phone 138****8000 is already lead #1"),
    (json.dumps(with_(industry="flowers")), "Error: "),
    ("[]", "Error: stdin holds an empty list: nothing to register"),
    ('"张伟"', "Error: bad registration: expected a JSON object @ $"),
])
def test_bad_input_is_one_line_and_nothing_is_written(office, text, message):
    result = office("lead", "add", "--from-json", "-", input=text, now="2026-03-05T10:00")
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert "Traceback" not in result.output
    assert _ids(office) == []


def test_a_missing_file_and_mixed_options_are_refused(office, tmp_path):
    result = office("lead", "add", "--from-json", str(tmp_path / "nope.json"))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: cannot read {tmp_path / 'nope.json'}: No such file or directory"
    (tmp_path / "one.json").write_text(json.dumps(GOOD), encoding="utf-8")
    result = office("lead", "add", "--from-json", str(tmp_path / "one.json"), "--name", "王芳")
    assert result.exit_code == 2
    assert "--name cannot be combined with --from-json" in result.stderr
    result = office("lead", "add", "--name", "王芳")  # the office's one industry: the basics are asked for
    assert result.exit_code == 1
    assert result.stderr.strip() == ("Error: gender is missing; a lead needs the three basics: name with gender, "
                                     "phone and need")
    assert _ids(office) == []
