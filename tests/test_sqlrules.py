"""Scorecards compiled to SQL (issue #17) give what the Python evaluator
gives, on random scorecards and random feature rows."""

import json
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from leadcycle import engine
from leadcycle.rules import (Adjustment, Cap, Cond, Criterion, Dimension, GradeRule, Rating, Scorecard,
                             evaluate)
from leadcycle.sqlrules import DIALECT, _mentioned, column, compile_scorecard, features_of

FEATURES = ("a", "b", "c", "n_visit", "days")
GRADES = ("A", "B", "C", "D")
L = ("x", "x")

grade = st.sampled_from(GRADES)
value = st.one_of(st.none(), st.sampled_from(["", "A", "B", "C", "D", "E", "yes", "no", "A,B", "B,C,D"]),
                  st.integers(-2, 40))


@st.composite
def conds(draw, max_size=3):
    out = []
    for _ in range(draw(st.integers(0, max_size))):
        feature = draw(st.sampled_from(FEATURES))
        op = draw(st.sampled_from(("==", "!=", "in", "not_in", "set", "unset", "true", "false", ">=", "<",
                                   "has", "lacks", "any_of", "none_of")))
        if op in (">=", "<"):  # numeric features only: Python cannot order text against numbers
            feature = draw(st.sampled_from(("n_visit", "days")))
            operand = draw(st.integers(0, 30))
        elif op in ("in", "not_in", "any_of", "none_of"):
            operand = draw(st.lists(st.sampled_from(["A", "B", "yes", 1, None]), max_size=3))
        elif op in ("has", "lacks"):  # a multiple-choice field's parts (leadcycle.registry.part_wise)
            operand = draw(st.sampled_from(["A", "B", "A,B", "D"]))
        else:
            operand = draw(st.sampled_from(["A", "B", "yes", 1, 0, None]))
        out.append(Cond(feature, op, operand))
    return tuple(out)


@st.composite
def scorecards(draw):
    criteria = []
    for i in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            criteria.append(Rating(draw(st.sampled_from(("a", "b", "c"))), L,
                                   {g: draw(st.integers(0, 30)) for g in GRADES}))
        else:
            criteria.append(Criterion(f"c{i}", L, draw(st.integers(-10, 40)), draw(conds())))
    adjustments = []
    if draw(st.booleans()):
        bands = sorted(draw(st.lists(st.integers(0, 30), min_size=1, max_size=3, unique=True)))
        adjustments.append(Adjustment("decay", L, "days", tuple((u, draw(st.integers(-20, 5))) for u in bands),
                                      beyond=draw(st.integers(-30, 0))))
    scored = ("thresholds",) if criteria or adjustments else ()
    method = draw(st.sampled_from(("ladder", "dimensions", "none") + scored))
    ladder = dims = thresholds = ()
    if method == "ladder":
        ladder = tuple(GradeRule(draw(grade), draw(conds())) for _ in range(draw(st.integers(1, 3))))
    elif method == "dimensions":
        dims = tuple(Dimension(f, L, auxiliary=draw(st.booleans()))
                     for f in draw(st.lists(st.sampled_from(("a", "b", "c")), min_size=1, max_size=3, unique=True)))
    elif method == "thresholds":
        mins = sorted(draw(st.lists(st.integers(0, 60), min_size=1, max_size=3, unique=True)), reverse=True)
        thresholds = tuple(zip(GRADES, mins))
    caps = tuple(Cap(draw(grade), draw(conds(2)), L) for _ in range(draw(st.integers(0, 3))))
    floors = tuple(Cap(draw(grade), draw(conds(2)), L) for _ in range(draw(st.integers(0, 2))))
    require = tuple(draw(st.lists(st.sampled_from(("a", "b")), max_size=2, unique=True)))
    return Scorecard("card", L, criteria=tuple(criteria), adjustments=tuple(adjustments), ladder=ladder,
                     dimensions=dims, thresholds=thresholds, caps=caps, floors=floors, require=require,
                     require_all=draw(st.booleans()),
                     fallback=draw(st.sampled_from(("D", None, "C"))), maximum=draw(st.sampled_from((100.0, 50.0))))


number = st.one_of(st.none(), st.integers(-2, 40))
#: the day counts and tallies are numbers (or missing), as the core derives them
rows = st.lists(st.fixed_dictionaries({}, optional={f: number if f in ("days", "n_visit") else value
                                                   for f in FEATURES}), min_size=1, max_size=8)


def run_sql(card, docs):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE r (lead_id INTEGER PRIMARY KEY, doc TEXT)")
    conn.executemany("INSERT INTO r VALUES (?, ?)", [(i, json.dumps(d)) for i, d in enumerate(docs)])
    names = features_of(card)
    cols = ", ".join(f"{DIALECT['json'].format(col='doc', key=n)} AS {column(n)}" for n in names)
    source = f"SELECT lead_id{', ' + cols if cols else ''} FROM r"
    got = []
    # every column carried through the layers, and only those the rules read
    for keep in (None, ()):
        compiled = compile_scorecard(card, source, keep=keep)
        got.append({i: (score, grade) for i, score, grade in conn.execute(compiled.sql + " ORDER BY lead_id",
                                                                           compiled.args)})
    assert got[0] == got[1]
    assert "SELECT *" not in compiled.sql
    return got[0]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scorecards(), rows)
def test_sql_grades_and_scores_as_python_does(card, docs):
    got = run_sql(card, docs)
    for i, (doc, verdict) in enumerate(zip(docs, evaluate(card, [dict(d) for d in docs], explain=False))):
        score, grade = got[i]
        assert grade == verdict.grade, (doc, verdict)
        if verdict.score is None:
            assert score is None
        else:
            assert score == pytest.approx(verdict.score), (doc, verdict)


@pytest.mark.parametrize("method", ["table", "points", "visits"])
def test_the_realestate_scorecards_compile_and_grade_as_the_engine_does(fresh_db, method):
    """The real-estate cards (dimensions or points, ratings, signals, decay,
    review caps) over rows of features."""
    if method == "points":
        fresh_db.set_setting("realestate.grading", "points")
    card = fresh_db.context.for_industry("realestate").scorecard
    docs = [{}, {"motivation": "A", "region": "B", "product": "A", "price": "A", "funds": "A",
                 "expected_deal": "A", "mortgage": "A", "contact_level": "A", "days_since_last_return": 12},
            {"motivation": "C", "funds": "A", "review_cap": "C", "n_deep_question": 2, "days_since_last_return": 2}]
    got = run_sql(card, docs)
    for i, verdict in enumerate(evaluate(card, docs, explain=False)):
        assert got[i][1] == verdict.grade
        assert got[i][0] == pytest.approx(verdict.score)


def test_thresholds_without_anything_to_score_are_refused():
    with pytest.raises(ValueError, match="no criteria or adjustments"):
        Scorecard("card", L, thresholds=(("A", 0),))


def _numeric(card) -> set[str]:
    """The features a card compares by order or bands: numbers."""
    out = {a.feature for a in card.adjustments}
    conds = [c for r in card.ladder for c in r.when] + [c for cap in card.caps for c in cap.when]
    conds += [c for cr in card.criteria if isinstance(cr, Criterion) for c in cr.when]
    out |= {c.feature for c in conds if c.op in (">=", ">", "<=", "<")}
    return out


@pytest.mark.parametrize("industry, setting", [
    ("realestate", None), ("realestate", "points"), ("realestate", "visits"),
    ("software_sales", None), ("machinery", None)])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_built_in_card_compiles_to_what_python_says(fresh_db, industry, setting, data):
    if setting is not None and fresh_db.settings["realestate.grading"] != setting:
        fresh_db.set_setting("realestate.grading", setting)
    card = fresh_db.context.for_industry(industry).scorecard
    numeric = _numeric(card)
    texts = st.one_of(st.none(), st.sampled_from(["", "A", "B", "C", "D", "yes", "no", "unknown", "legal_representative"]),
                      st.booleans())
    docs = data.draw(st.lists(st.fixed_dictionaries({}, optional={
        f: number if f in numeric else texts for f in features_of(card)}), min_size=1, max_size=6))
    got = run_sql(card, docs)
    for i, verdict in enumerate(evaluate(card, [dict(d) for d in docs], explain=False)):
        assert got[i][1] == verdict.grade, (docs[i], verdict)
        assert (got[i][0] is None) == (verdict.score is None)
        if verdict.score is not None:
            assert got[i][0] == pytest.approx(verdict.score)


def assert_compiled_equals_engine(book, industry, at):
    """Every lead's score, grade, stage, next follow-up and its kind, owner,
    the end of its protection and the moment the clock alone changes the
    row (what a stored row is trusted until), from the compiled statement and from
    ``list`` (which evaluates stale leads in SQL), equal the engine's
    (``show``'s) at ``at``."""
    from leadcycle.engine import compile_sql

    def iso(value):
        return None if value is None else value.isoformat()

    expected = {}
    for batch in book.store.iter_lead_batches(industry=industry):
        present = [(lead, events) for lead, events in batch if lead.created_at <= at]
        for lead, state in engine.project_batch(book.context, present, at):
            expected[lead.id] = (state.score, state.grade, state.stage, iso(state.next_follow_up),
                                 state.follow_up_kind, state.owner, iso(state.owner_until),
                                 iso(state.expires_at))
    with book.at(at):
        listed = {r["id"]: (r["score"], r["grade"], r["stage"], r["next_follow_up"], r["follow_up_kind"], r["owner"])
                  for r in book.list(industry=industry)}
        got = book.store.compiled_grades(compile_sql(book.context.for_industry(industry), cadence=True), at,
                                         industry)
    assert set(got) == set(expected) == set(listed)
    # a Python feature's own expiry (machinery's site deadline, software's
    # sprint window) is the engine's alone: the moment is compared where
    # reads go through the compiled statement and Python only displays
    rules = book.context.for_industry(industry)
    exact = engine.read_plan(rules) is not None and all(
        f.name.startswith("x_") for f in rules.scorecard.features if type(f).__name__ == "Feature")
    for lead_id, (score, *rest) in expected.items():
        if not exact:
            got[lead_id], rest = got[lead_id][:-1], rest[:-1]
        assert got[lead_id][1:] == tuple(rest), (lead_id, got[lead_id], expected[lead_id])
        assert listed[lead_id][1:] == tuple(rest[:5]), (lead_id, listed[lead_id], expected[lead_id])
        assert listed[lead_id][0] == pytest.approx(score), (lead_id, listed[lead_id], expected[lead_id])
        assert got[lead_id][0] == pytest.approx(score), (lead_id, got[lead_id], expected[lead_id])


# ---------------------------------------------- compiled over a database


def test_a_card_that_reads_a_python_feature_is_named_not_compiled():
    """A third-party plugin's Python Feature is the slow path: the compiler
    says which value stops it, rather than reading an attribute of that name."""
    from leadcycle.rules import Feature
    from leadcycle.sqlrules import NotCompiled, Vocabulary, compile_industry

    card = Scorecard("custom", L, ladder=(GradeRule("A", Cond("mood", "==", "good")),),
                     features=(Feature("mood", L, lambda view: "good"),))
    with pytest.raises(NotCompiled, match="mood"):
        compile_industry(card, Vocabulary(("call",), ()))


@pytest.mark.parametrize("industry", ["realestate", "software_sales", "machinery"])
def test_every_built_in_industry_compiles(fresh_db, industry):
    from leadcycle.engine import compile_sql

    assert "SELECT" in compile_sql(fresh_db.context.for_industry(industry)).sql


ATTRS = st.fixed_dictionaries({}, optional={
    "bargaining": st.booleans(), "asked_price": st.booleans(), "brand_view": st.sampled_from(
        ["accepts", "relatively", "rejects"]), "commercial_terms": st.booleans(), "has_site": st.booleans(),
    "funds_ready": st.booleans(), "purchase_date": st.sampled_from(["2026-04-01", "2026-06-30"]),
    "model": st.sampled_from(["JS220", "3CX"]),
    "site_deadline": st.sampled_from(["2026-03-20", "2026-04-04", "2026-04-05", "2026-06-03", "2026-06-04",
                                      "2026-09-01"]),
    "purchase_volume": st.integers(1, 5), "profit_level": st.integers(1, 5), "cooperation": st.integers(1, 5)})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ATTRS, min_size=1, max_size=5), st.integers(0, 120))
def test_machinery_grades_by_sql_equal_the_engines_at_any_later_clock(attributes, later):
    """Every machinery lead's score and grade from the one compiled
    statement equal the engine's, at clocks on both sides of the site
    deadlines' 30- and 90-day boundaries."""
    import datetime as dt

    from leadcycle import LeadBook

    t0 = dt.datetime(2026, 3, 5, 10, 0)
    book = LeadBook.create(":memory:", ["machinery"], now=t0)
    book.add_agent("李娜")
    fields = {f.name for f in book.industry("machinery").fields}
    for i, raw in enumerate(attributes):
        lead = book.add_lead("machinery", name=f"客户{i}", gender="M", phone=f"1390013{i:04d}", need="挖掘机",
                             agent="李娜").lead
        changes = {k: v for k, v in raw.items() if k in fields}
        if changes.get("bargaining") is True and changes.get("asked_price") is False:
            del changes["asked_price"]  # refused: a client who bargains has asked the price
        if changes:
            with book.at(t0 + dt.timedelta(minutes=i + 1)):
                book.set(lead.id, changes, agent="李娜")
    clock = t0 + dt.timedelta(days=later, hours=1)
    assert_compiled_equals_engine(book, "machinery", clock)


@pytest.mark.parametrize("days_left, grade", [(30, "A"), (31, "B"), (90, "B"), (91, "C")])
def test_the_compiled_machinery_grade_at_both_sides_of_the_site_deadlines(days_left, grade):
    """A: on site within 30 days; B: within 90 (DOMAIN §5); the clock moves, nothing is written."""
    import datetime as dt

    from leadcycle import LeadBook
    from leadcycle.engine import compile_sql

    t0 = dt.datetime(2026, 3, 5, 10, 0)
    book = LeadBook.create(":memory:", ["machinery"], now=t0)
    book.add_agent("李娜")
    lead = book.add_lead("machinery", name="王总", gender="M", phone="13900130000", need="挖掘机", agent="李娜").lead
    with book.at(t0 + dt.timedelta(minutes=1)):
        book.set(lead.id, {"bargaining": True, "brand_view": "accepts", "commercial_terms": True,
                           "has_site": True, "funds_ready": True, "purchase_date": "2026-09-01", "model": "JS220",
                           "site_deadline": "2026-09-01"}, agent="李娜")
    clock = dt.datetime(2026, 9, 1, 9, 0) - dt.timedelta(days=days_left)
    compiled = compile_sql(book.context.for_industry("machinery"))
    assert book.store.compiled_grades(compiled, clock, "machinery")[lead.id][1] == grade
    with book.at(clock):
        assert book.record(lead.id).state.grade == grade


REALESTATE_STEPS = st.lists(st.tuples(
    st.sampled_from(["visit", "call", "deep_question", "bargaining", "rate", "review", "approve", "void",
                     "deposit", "contract", "follow_up", "wait"]),
    st.integers(0, 2), st.integers(0, 20), st.sampled_from(["A", "B", "C", "D"])), max_size=14)


@pytest.mark.parametrize("method", ["table", "points", "visits"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(steps=REALESTATE_STEPS, later=st.integers(0, 40))
def test_realestate_grades_by_sql_equal_the_engines(method, steps, later):
    """Random logs of three real-estate leads — visits and calls (the
    derived contact level, the return-cycle decay), buying signals,
    ratings, weekly-review downgrades (the review cap and what lifts it),
    voids — then a clock up to 40 days on: the compiled statement's score
    and grade equal the engine's for every lead."""
    import datetime as dt

    from leadcycle import LeadBook
    from leadcycle.corrections import effective_events

    t0 = dt.datetime(2026, 3, 2, 10, 0)
    book = LeadBook.create(":memory:", ["realestate"], now=t0)
    book.add_agent("李娜")
    book.add_agent("陈经理", manager=True)
    if method != "table":
        book.set_setting("realestate.grading", method)
    leads = [book.add_lead("realestate", name=n, gender="F", phone=p, need="三房", agent="李娜",
                           channel="call" if i == 2 else "visit").lead
             for i, (n, p) in enumerate((("王芳", "13900139000"), ("李雷", "13900139001"), ("韩梅", "13900139002")))]
    fields = [f.name for f in book.industry("realestate").fields]
    rated = [f for f in ("motivation", "region", "product", "price", "funds", "expected_deal", "mortgage",
                         "buying_power", "urgency", "interaction") if f in fields]
    clock = t0
    for what, which, n, level in steps:
        clock += dt.timedelta(days=n % 6, hours=1)
        lead = leads[which]
        with book.at(clock):
            if what in ("visit", "call"):
                book.log(lead.id, what, agent="李娜")
            elif what in ("deep_question", "bargaining"):
                book.log(lead.id, what, agent="李娜")
            elif what in ("deposit", "contract", "follow_up"):  # the stage ladder, the cadence and its stop
                from leadcycle import LeadcycleError

                data = {"reaction": "positive"} if what == "follow_up" else {}
                try:
                    book.log(lead.id, what, agent="李娜", data=data, note="跟进" if what == "follow_up" else None)
                except LeadcycleError:
                    pass  # a step the documents' order refuses
            elif what == "rate":
                field = rated[n % len(rated)]
                choices = [c.value for c in book.industry("realestate").field(field).choices]
                book.set(lead.id, {field: choices[min(n % len(choices), len(choices) - 1)]}, agent="李娜")
            elif what == "review":
                book.review()
            elif what == "approve":  # a manager approves a pending C → D
                from leadcycle import LeadcycleError
                from leadcycle.plugins.realestate import review

                try:
                    review.approve(book, lead.id, "陈经理")
                except LeadcycleError:
                    pass  # nothing pending
            elif what == "void":
                mine = [e for e in effective_events(book.store.events_for(lead.id)) if e.kind in ("visit", "call")]
                if mine:
                    book.void(lead.id, mine[n % len(mine)].id, reason="录错了", agent="李娜")
    at = clock + dt.timedelta(days=later, hours=1)
    assert_compiled_equals_engine(book, "realestate", at)


SOFTWARE_STEPS = st.lists(st.tuples(
    st.sampled_from(["signal", "set", "wait"]), st.integers(0, 1), st.integers(0, 30),
    st.sampled_from(["yes", "no", "unknown"])), max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=SOFTWARE_STEPS, intent_from=st.integers(1, 3))
def test_software_grades_by_sql_equal_the_engines(steps, intent_from):
    """The five haves (has_intent shown by signals), the distinct signals
    and the decision-maker cap, compiled, equal the engine."""
    import datetime as dt

    from leadcycle import LeadBook
    from leadcycle.plugins.software_sales import model

    t0 = dt.datetime(2026, 3, 2, 10, 0)
    book = LeadBook.create(":memory:", ["software_sales"], now=t0)
    book.add_agent("李娜")
    book.set_setting("software_sales.intent_from_signals", intent_from)
    leads = [book.add_lead("software_sales", name=n, gender="M", phone=p, need="ERP", agent="李娜",
                           attributes={"company": f"公司{i}"}).lead
             for i, (n, p) in enumerate((("王总", "13900139000"), ("李总", "13900139001")))]
    signals = list(model.SIGNAL_KINDS)
    keys = [name for name, _, _ in model.HAVES] + ["decision_maker"]
    clock = t0
    for what, which, n, value in steps:
        clock += dt.timedelta(hours=1 + n)
        with book.at(clock):
            if what == "signal":
                book.log(leads[which].id, signals[n % len(signals)], agent="李娜")
            elif what == "set":
                key = keys[n % len(keys)]
                if key == "decision_maker" and n % 3 == 0:
                    book.set(leads[which].id, {"contact_role": "legal_representative"}, agent="李娜")
                else:
                    book.set(leads[which].id, {key: value}, agent="李娜")
    at = clock + dt.timedelta(days=1)
    assert_compiled_equals_engine(book, "software_sales", at)


@pytest.mark.parametrize("industry", ["realestate", "software_sales", "machinery"])
def test_the_compiled_statement_reads_facts_and_events_by_key(fresh_db, industry):
    """The plan is the generator's: one pass over the leads, every fact
    and every event looked up by its key — never a scan of the facts or
    of the log, and no automatic index (which the planner builds when it
    has lost the key)."""
    from leadcycle.engine import compile_sql
    from leadcycle.sqlrules import bind

    compiled = compile_sql(fresh_db.context.for_industry(industry), cadence=True)
    plan = [r[3] for r in fresh_db.store.conn.execute("EXPLAIN QUERY PLAN " + compiled.sql,
                                                       bind(compiled, "2026-03-05T10:00:00", industry))]
    reads = [step for step in plan if " facts " in f" {step} " or " events " in f" {step} " or " e " in f" {step} "]
    assert reads and all("USING PRIMARY KEY" in step or "USING INTEGER PRIMARY KEY" in step for step in reads), plan
    assert sum(step.startswith("SCAN l") for step in plan) == 1, plan
    assert not any("AUTOMATIC" in step for step in plan), plan


OWNER_STEPS = st.lists(st.tuples(
    st.sampled_from(["visit", "call", "follow_up", "recognize", "claim", "give_up", "reassign", "deposit", "wait"]),
    st.integers(0, 1), st.integers(0, 2), st.sampled_from([1, 9, 14, 16, 60, 60 * 20, 60 * 24 * 4])),
    max_size=12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=OWNER_STEPS, days=st.sampled_from([3, 5, 30]), colleague_last=st.booleans(),
       later=st.one_of(st.integers(0, 30), st.integers(0, 60 * 24 * 12)))
def test_the_owner_by_sql_equals_the_engines(steps, days, colleague_last, later):
    """Random ownership histories — colleagues receiving the owner's client
    (the 15-minute recognition window), recognitions, claims, give-ups,
    reassignments, deposits, minutes to days apart — then a clock minutes
    to days on, across window ends and protection lapses: the owner and the
    end of its protection computed in SQL from the stored fold equal the
    engine's, under several protection periods."""
    import datetime as dt

    from leadcycle import LeadBook, LeadcycleError

    t0 = dt.datetime(2026, 3, 2, 10, 0)
    book = LeadBook.create(":memory:", ["realestate"], now=t0)
    agents = ("李娜", "王强", "赵敏")
    for name in agents:
        book.add_agent(name)
    book.add_agent("陈经理", manager=True)
    book.set_setting("ownership.protection_days", days)
    leads = [book.add_lead("realestate", name=n, gender="F", phone=p, need="三房", agent="李娜").lead
             for n, p in (("王芳", "13900139000"), ("李雷", "13900139001"))]
    clock = t0
    for what, which, who, minutes in steps:
        clock += dt.timedelta(minutes=minutes)
        lead, agent = leads[which], agents[who]
        with book.at(clock):
            try:
                if what in ("visit", "call"):
                    book.log(lead.id, what, agent=agent)
                elif what == "follow_up":
                    book.log(lead.id, what, agent=agent, data={"reaction": "positive"}, note="跟进")
                elif what == "deposit":
                    book.log(lead.id, what, agent=agent)
                elif what == "recognize":
                    book.recognize(lead.id, agent)
                elif what == "claim":
                    book.claim(lead.id, "陈经理" if who == 2 else agent)
                elif what == "give_up":
                    book.give_up(lead.id, agent, "客户不再考虑")
                elif what == "reassign":
                    book.reassign(lead.id, agent, reason="redistribute", manager="陈经理")
            except LeadcycleError:
                pass  # refused by the rules: nothing written
    if colleague_last:  # the window still open after the last event: the read closes it, or not
        clock += dt.timedelta(minutes=1)
        with book.at(clock):
            book.log(leads[0].id, "visit", agent="王强")
    assert_compiled_equals_engine(book, "realestate", clock + dt.timedelta(minutes=later))


def test_a_row_reads_the_columns_it_names_quoted_or_bare_not_in_literals():
    sql = 'coalesce("n_visit" >= ?, 0), owner, \'stage\' AS x, "a ""b""", NULL AS stage, 1 as "grade"'
    assert _mentioned(sql, ["n_visit", "owner", "stage", 'a "b"', "grade", "x"]) == ["n_visit", "owner", 'a "b"']


def test_a_read_plan_compiles_when_first_used_and_is_refused_where_a_rule_reads_python(fresh_db):
    """Whether an industry's reads compile is decided from the rules alone
    (no SQL built: a read whose leads all hold compiles nothing); a Python
    feature read only by the cadence refuses the plan as the compiler would."""
    import attrs

    from leadcycle.rules import Feature
    from leadcycle.sqlrules import NotCompiled

    rules = fresh_db.context.for_industry("realestate")
    plan = engine.read_plan(rules)
    assert plan is not None and not plan._compiled
    assert plan.statement is plan.statement and set(plan._compiled) == {"scoped"}
    card = attrs.evolve(rules.scorecard, features=(*rules.scorecard.features, Feature("mood", L, lambda v: "ok")))
    assert engine.read_plan(attrs.evolve(rules, scorecard=card)) is not None  # declared, read by nothing
    moody = attrs.evolve(rules, scorecard=card, cadence=attrs.evolve(rules.cadence, stop=(Cond("mood", "==", "bad"),)))
    assert engine.read_plan(moody) is None
    with pytest.raises(NotCompiled, match="mood"):
        engine.compile_sql(moody, cadence=True)


@pytest.mark.parametrize("industry", ["realestate", "software_sales", "machinery"])
def test_a_row_compiles_without_a_stage_ladder(fresh_db, industry):
    """A third-party industry may have a cadence and no stages: the row's
    stage is NULL, and the layers carry no column the source lacks."""
    import attrs

    from leadcycle.engine import compile_sql
    from leadcycle.sqlrules import bind

    rules = attrs.evolve(fresh_db.context.for_industry(industry), stages=None)
    for scoped in (False, True):
        compiled = compile_sql(rules, cadence=True, scoped=scoped)
        fresh_db.store.conn.execute(compiled.sql, bind(compiled, "2026-03-05T10:00:00", industry, "[]")).fetchall()
