import pytest

from leadcycle.errors import LeadcycleError
from leadcycle.model import Field, parse_date
from leadcycle.validate import normalize_gender, normalize_phone


@pytest.mark.parametrize("raw,expected", [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("+86-13812345678", "13812345678"),
    ("008613812345678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("(010) 8888 6666", "010-88886666"),
    ("0755-12345678", "0755-12345678"),
])
def test_phones_are_normalised(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "23812345678", "1381234567", "138123456789", "abc", "12812345678"])
def test_bad_phones_are_refused_in_one_line(raw):
    with pytest.raises(LeadcycleError) as e:
        normalize_phone(raw)
    assert "\n" not in str(e.value) and "mobile" in str(e.value)


def test_gender_accepts_chinese():
    assert normalize_gender("男") == "M" and normalize_gender("f") == "F"
    with pytest.raises(LeadcycleError):
        normalize_gender("x")


@pytest.mark.parametrize("raw", ["2026-03-05", "2026/3/5", "2026.3.5", "2026年3月5日", 46086, "46086",
                                 "2026-03-05T10:30:00"])
def test_dates_in_the_forms_offices_type(raw):
    assert parse_date(raw).isoformat() == "2026-03-05"


def test_field_coercion_and_bounds():
    f = Field("budget", "int", ("budget", "预算"), minimum=0)
    assert f.coerce("1,200") == 1200
    with pytest.raises(LeadcycleError, match="not a whole number"):
        f.coerce("lots")
    with pytest.raises(LeadcycleError, match="below the minimum"):
        f.coerce("-1")
    c = Field("level", "choice", ("level", "级别"), choices=(("A", ("top", "最高")), ("B", ("next", "次高"))))
    assert c.coerce("A") == "A" and c.coerce("最高") == "A" and c.coerce("top") == "A"
    with pytest.raises(LeadcycleError, match="use one of A, B"):
        c.coerce("Z")


@pytest.mark.parametrize("kind", ["int", "float"])
def test_a_number_without_its_own_maximum_is_at_most_a_million_million(kind):
    """``amount=1e300`` is a slip (sums of such numbers overflow to
    infinity): refused, on both sides of NUMBER_MAX; a field that declares
    its maximum is held to that instead."""
    from leadcycle.model import NUMBER_MAX

    f = Field("amount", kind, ("amount", "金额"))
    assert f.coerce(str(NUMBER_MAX)) == NUMBER_MAX and f.coerce(str(-NUMBER_MAX)) == -NUMBER_MAX
    for raw in (str(NUMBER_MAX + 1), "1e300" if kind == "float" else "9" * 13, "-" + str(NUMBER_MAX + 1)):
        with pytest.raises(LeadcycleError, match="too large; a number here is at most 1,000,000,000,000"):
            f.coerce(raw)
    wide = Field("distance", kind, ("distance", "距离"), maximum=10**15)
    assert wide.coerce(str(10**15)) == 10**15


def test_a_planned_date_is_not_before_2000():
    """A deadline, an agreed call, an expected purchase: ``PLAN_MIN`` is
    the first day of the clocks a database holds (a birth date may be
    earlier)."""
    from leadcycle import PLAN_MIN

    f = Field("site_deadline", "date", ("on site by", "进场期限"), minimum=PLAN_MIN)
    assert f.coerce("2000-01-01") == "2000-01-01"
    with pytest.raises(LeadcycleError, match="1999-12-31 is before 2000-01-01"):
        f.coerce("1999-12-31")


@pytest.mark.parametrize("industry, args", [
    ("software_sales", ("next_contact", "--set", "on=1900-01-01")),
    ("software_sales", ("quote", "--set", "amount=1e300")),
    ("machinery", ("order", "--set", "amount=1e300", "--set", "units=1", "--set", "model=JS205")),
    ("machinery", ("order", "--set", "amount=100", "--set", "units=1", "--set", "model=JS205",
                   "--set", "delivery_due=1999-12-31")),
])
def test_absurd_amounts_and_dates_are_refused_at_the_command_line(run, industry, args):
    assert run("init", "--simulation", "--industry", industry).exit_code == 0
    run("agent", "add", "李娜")
    r = run("lead", "add", "--industry", industry, "--name", "王总", "--gender", "男", "--phone", "13600000001",
            "--need", "ERP", "--agent", "李娜", now="2026-03-02T10:00")
    assert r.exit_code == 0, r.output
    before = run("export", "--format", "json", now="2026-03-02T11:00").stdout
    r = run("log", "1", *args, "--agent", "李娜", now="2026-03-02T11:00")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.output, r.output
    assert run("export", "--format", "json", now="2026-03-02T11:00").stdout == before


@pytest.mark.parametrize("raw, code", [("先生", "M"), ("女士", "F"), ("小姐", "F"), ("Mr.", "M"), ("Ms", "F"),
                                       ("男", "M"), ("f", "F")])
def test_gender_as_registers_write_it(raw, code):
    from leadcycle.validate import normalize_gender

    assert normalize_gender(raw) == code


@pytest.mark.parametrize("raw", ["太太先生", "x", "老板"])
def test_other_genders_are_one_line(raw):
    from leadcycle.validate import normalize_gender

    with pytest.raises(LeadcycleError, match="is not M or F"):
        normalize_gender(raw)


@pytest.mark.parametrize("raw", ["", "  ", None])
def test_no_gender_is_missing_like_the_other_basics(raw):
    """Not given is missing, not a gender called ``None``."""
    from leadcycle.validate import normalize_gender

    with pytest.raises(LeadcycleError, match="^gender is missing; a lead needs the three basics"):
        normalize_gender(raw)
