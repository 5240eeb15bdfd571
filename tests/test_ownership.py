"""Ownership (DOMAIN §3): every rule with the documents' numbers."""

import datetime as dt
from fractions import Fraction

import pytest

from leadcycle import LeadcycleError, Refused
from leadcycle.ownership import resolve

T0 = dt.datetime(2026, 3, 5, 10, 0)


def add(book, phone="13800138000", name="张伟", agent="李娜", **kw):
    return book.add_lead("realestate", name=name, gender="M", phone=phone, need="三房", agent=agent, **kw)


def owner(book, lead_id):
    return book.record(lead_id).state.owner


def rules(book, lead_id):
    return [h.rule for h in book.history(lead_id).history]


def n_events(book):
    return book.store.conn.execute("SELECT count(*) FROM events").fetchone()[0]


@pytest.fixture
def book(fresh_db):
    fresh_db.add_agent("赵敏")
    return fresh_db


# ------------------------------------------------------------ registration


def test_first_contact_owns_a_visit(book):
    lead = add(book).lead
    assert owner(book, lead.id) == "李娜"
    assert rules(book, lead.id) == ["first_contact"]


def test_phone_only_contact_has_no_owner_until_the_first_visit(book):
    lead = add(book, channel="call", agent="王强").lead
    assert owner(book, lead.id) is None
    with book.at(T0 + dt.timedelta(days=2)):
        book.log(lead.id, "visit", agent="李娜")
        assert owner(book, lead.id) == "李娜"
        assert rules(book, lead.id)[-1] == "first_visit"


def test_caller_who_names_the_agent_belongs_to_that_agent_at_the_first_visit(book):
    lead = add(book, channel="call", agent="王强").lead
    assert owner(book, lead.id) is None
    with book.at(T0 + dt.timedelta(days=1)):
        book.log(lead.id, "visit", agent="李娜", data={"asks_for": "王强"})
        assert owner(book, lead.id) == "王强"
        assert rules(book, lead.id)[-1] == "named_request"


def test_named_at_the_visit_itself(book):
    lead = add(book, channel="call", agent="王强").lead
    with book.at(T0 + dt.timedelta(days=1)):
        book.log(lead.id, "visit", agent="李娜", data={"asks_for": "赵敏"})
        assert owner(book, lead.id) == "赵敏"


def test_named_request_at_registration(book):
    lead = add(book, agent="李娜", asks_for="王强").lead
    assert owner(book, lead.id) == "王强"
    assert "asked for 王强" in book.history(lead.id).reason.text.en


def test_referral_chain_is_transitive_with_proof(book):
    a = add(book, agent="李娜").lead
    b = add(book, phone="13900139000", name="刘洋", agent="王强", referred_by=a.id,
            referral_proof="accompanied").lead
    c = add(book, phone="13700137000", name="陈静", agent="赵敏", referred_by=b.id,
            referral_proof="named").lead
    assert owner(book, b.id) == "李娜" and owner(book, c.id) == "李娜"
    assert rules(book, c.id) == ["referral"]


def test_referral_without_proof_is_a_chance_meeting(book):
    a = add(book, agent="李娜").lead
    b = add(book, phone="13900139000", name="刘洋", agent="王强", referred_by=a.id).lead
    assert owner(book, b.id) == "王强"


def test_referral_walks_up_past_a_referrer_without_owner(book):
    a = add(book, agent="李娜").lead
    b = add(book, phone="13900139000", name="刘洋", agent="王强", referred_by=a.id,
            referral_proof="phoned").lead
    with book.at(T0 + dt.timedelta(days=1)):
        book.leave_agent("李娜")  # b had no deposit: pool
    with book.at(T0 + dt.timedelta(days=2)):
        assert owner(book, b.id) is None and owner(book, a.id) is None
        c = add(book, phone="13700137000", name="陈静", agent="赵敏", referred_by=b.id,
                referral_proof="named").lead
        assert owner(book, c.id) == "赵敏"  # nobody up the chain owns: the receiver


def test_agent_relation_recorded_beforehand(book, run, db_path):
    from leadcycle import reception

    reception.add_relation(book, "王强", "139 0013 9000", "relative", "王母")
    lead = add(book, phone="13900139000", name="王母", agent="李娜").lead
    assert owner(book, lead.id) == "王强"
    assert rules(book, lead.id) == ["relation"]


@pytest.mark.parametrize("kw, message", [
    ({"agent": "无名"}, "unknown agent"),
    ({"asks_for": "无名"}, "unknown agent"),
    ({"referred_by": 99, "referral_proof": "named"}, "no lead #99"),
    ({"referral_proof": "named"}, "needs --referred-by"),
])
def test_bad_registration_writes_nothing(book, kw, message):
    before = n_events(book)
    with pytest.raises(LeadcycleError, match=message):
        add(book, **kw)
    assert n_events(book) == before and book.store.count_leads() == 0


# ------------------------------------------------------ protection and pool


def test_returning_visit_within_protection_keeps_the_owner(book):
    lead = add(book).lead
    with book.at(T0 + dt.timedelta(days=30)):  # the client names 李娜: 王强 stands in
        book.log(lead.id, "visit", agent="王强", data={"asks_for": "李娜"})
        assert owner(book, lead.id) == "李娜"
        assert book.history(lead.id).stand_ins[-1][1] == "王强"


def test_protection_day_30_vs_day_31(book):
    lead = add(book).lead
    with book.at(dt.datetime(2026, 4, 4, 23, 59)):  # day 30
        assert owner(book, lead.id) == "李娜"
    with book.at(dt.datetime(2026, 4, 5, 0, 0)):  # day 31
        assert owner(book, lead.id) is None
        assert rules(book, lead.id)[-1] == "lapsed"
        book.log(lead.id, "visit", agent="王强")
        assert owner(book, lead.id) == "王强"
        assert rules(book, lead.id)[-1] == "new_client"


def test_protection_runs_from_the_owners_last_follow_up(book):
    lead = add(book).lead
    with book.at(T0 + dt.timedelta(days=20)):
        book.log(lead.id, "follow_up", agent="李娜", data={"reaction": "positive"}, note="电话回访")
    with book.at(T0 + dt.timedelta(days=50)):
        assert owner(book, lead.id) == "李娜"
    with book.at(T0 + dt.timedelta(days=51)):
        assert owner(book, lead.id) is None


def test_a_colleagues_follow_up_does_not_extend_protection(book):
    lead = add(book).lead
    with book.at(T0 + dt.timedelta(days=20)):
        with pytest.raises(Refused, match="belongs to 李娜"):  # a colleague may not follow up at all
            book.log(lead.id, "follow_up", agent="王强", data={"reaction": "neutral"}, note="电话回访")
        book.log(lead.id, "follow_up", agent="陈经理", data={"reaction": "neutral"}, note="经理回访")
    with book.at(T0 + dt.timedelta(days=31)):
        assert owner(book, lead.id) is None  # nor does a manager's


def test_protection_setting_changes_the_period(book):
    book.set_setting("ownership.protection_days", 15)
    lead = add(book).lead
    with book.at(T0 + dt.timedelta(days=15)):
        assert owner(book, lead.id) == "李娜"
    with book.at(T0 + dt.timedelta(days=16)):
        assert owner(book, lead.id) is None


def test_a_deposit_stops_the_lapse(book):
    lead = add(book).lead
    book.log(lead.id, "deposit", agent="李娜", data={"amount": 20000})
    with book.at(T0 + dt.timedelta(days=200)):
        assert owner(book, lead.id) == "李娜"


def test_pool_and_claim(book, run, db_path):
    book.set_setting("ownership.pool_claims", "open")
    lead = add(book).lead
    with book.at(T0 + dt.timedelta(days=31)):
        assert [r["id"] for r in book.list(pool=True)] == [lead.id]
        book.claim(lead.id, "王强")
        assert owner(book, lead.id) == "王强"
        with pytest.raises(LeadcycleError, match="owned by 王强"):
            book.claim(lead.id, "赵敏")
        assert rules(book, lead.id)[-2:] == ["lapsed", "claimed"]


# ------------------------------------------------------------- recognition


def _lapsed_and_received(book):
    """李娜's client, called back on day 5, comes back on day 10 and does
    not name her: 王强 receives (within protection and 004's 15 days)."""
    lead = add(book).lead
    with book.at(T0 + dt.timedelta(days=5)):
        book.log(lead.id, "follow_up", agent="李娜", data={"reaction": "positive"}, note="电话回访")
    at = T0 + dt.timedelta(days=10)
    with book.at(at):
        book.log(lead.id, "visit", agent="王强")
    return lead, at


def test_recognition_at_minute_15(book):
    lead, at = _lapsed_and_received(book)
    with book.at(at + dt.timedelta(minutes=15)):
        book.recognize(lead.id, "李娜")
        assert owner(book, lead.id) == "李娜"
        assert rules(book, lead.id)[-1] == "recognized"


def test_recognition_at_minute_16_is_refused(book):
    lead, at = _lapsed_and_received(book)
    before = n_events(book)
    with book.at(at + dt.timedelta(minutes=16)):
        with pytest.raises(LeadcycleError, match="16 minutes .* outside the 15-minute window"):
            book.recognize(lead.id, "李娜")
        assert owner(book, lead.id) == "王强" and n_events(book) == before


def test_recognition_by_someone_who_never_owned_it(book):
    lead, at = _lapsed_and_received(book)
    with book.at(at + dt.timedelta(minutes=1)):
        with pytest.raises(LeadcycleError, match="never owned"):
            book.recognize(lead.id, "赵敏")


def test_recognition_window_variant_5(book):
    book.set_setting("ownership.recognition_minutes", 5)
    lead, at = _lapsed_and_received(book)
    with book.at(at + dt.timedelta(minutes=6)):
        with pytest.raises(LeadcycleError, match="5-minute window"):
            book.recognize(lead.id, "李娜")


# ----------------------------------------------------------------- credit


def shares(book, lead_id):
    """The lead's last deal's shares, read once its entries have happened
    (a read at an earlier clock has no deal yet)."""
    with book.at(max(book.now, book.store.events_for(lead_id)[-1].at)):
        deal = book.credit(lead_id)[-1]
    assert sum(s.share for s in deal.shares) == 1
    return {s.agent: s.share for s in deal.shares}, deal


def test_owner_closes_alone(book):
    lead = add(book).lead
    book.log(lead.id, "contract", agent="李娜")
    assert shares(book, lead.id)[0] == {"李娜": 1}


def test_owner_closes_after_substantial_help_70_30(book):
    lead = add(book).lead
    book.log(lead.id, "assist", agent="王强")
    book.log(lead.id, "contract", agent="李娜")
    got, deal = shares(book, lead.id)
    assert got == {"李娜": Fraction(7, 10), "王强": Fraction(3, 10)} and deal.rule == "assisted"


def _office_002(book):
    """002's office: no 004 new-client rule, so a late owner keeps a share."""
    book.set_setting("ownership.first_callback_days", 0)
    book.set_setting("ownership.new_intent_days", 0)


def test_collision_with_timely_follow_up_50_50_and_late_80_20(book):
    _office_002(book)
    timely = add(book).lead
    late = add(book, phone="13900139000", name="刘洋").lead
    with book.at(T0 + dt.timedelta(days=5)):
        book.log(timely.id, "follow_up", agent="李娜", data={"reaction": "positive"}, note="电话回访")
    with book.at(T0 + dt.timedelta(days=20)):  # 15 days after the follow-up: on time
        book.log(timely.id, "visit", agent="王强")
        book.log(timely.id, "contract", agent="王强")
        book.log(late.id, "visit", agent="王强")  # no follow-up at all by 李娜
        book.log(late.id, "contract", agent="王强")
    assert shares(book, timely.id)[0] == {"李娜": Fraction(1, 2), "王强": Fraction(1, 2)}
    assert shares(book, late.id)[0] == {"王强": Fraction(4, 5), "李娜": Fraction(1, 5)}


def test_follow_up_16_days_before_the_collision_is_late(book):
    _office_002(book)
    lead = add(book).lead
    with book.at(T0 + dt.timedelta(days=4)):
        book.log(lead.id, "follow_up", agent="李娜", data={"reaction": "positive"}, note="电话回访")
    with book.at(T0 + dt.timedelta(days=20)):
        book.log(lead.id, "visit", agent="王强")
        book.log(lead.id, "contract", agent="王强")
    assert shares(book, lead.id)[1].rule == "collision_late"


def test_stand_in_while_owner_away_50_50_and_referral_2_3(book):
    from leadcycle import reception

    a = add(book).lead
    reception.set_away(book, "李娜", "personal")
    ref = add(book, phone="13900139000", name="刘洋", agent="王强", referred_by=a.id,
              referral_proof="accompanied").lead
    book.log(a.id, "visit", agent="王强")
    book.log(a.id, "contract", agent="王强")
    book.log(ref.id, "contract", agent="王强")
    got, deal = shares(book, a.id)
    assert got == {"李娜": Fraction(1, 2), "王强": Fraction(1, 2)} and deal.rule == "stand_in_away"
    got, deal = shares(book, ref.id)
    assert got == {"王强": Fraction(2, 3), "李娜": Fraction(1, 3)} and deal.rule == "referral_away"


@pytest.mark.parametrize("received_by", ["李娜", "王强"])
def test_referral_received_with_owner_present_then_closed_by_stand_in_is_50_50(book, received_by):
    """The referral split (2/3–1/3) is for the referral received while its
    owner was away; received while she was there, then closed by a stand-in
    while she was away, it is the stand-in's 50/50 (§3.6)."""
    from leadcycle import reception

    a = add(book).lead
    ref = add(book, phone="13900139000", name="刘洋", agent=received_by, referred_by=a.id,
              referral_proof="accompanied").lead
    with book.at(T0 + dt.timedelta(days=3)):
        reception.set_away(book, "李娜", "personal")
        book.log(ref.id, "visit", agent="王强")
        book.log(ref.id, "contract", agent="王强")
    got, deal = shares(book, ref.id)
    assert got == {"李娜": Fraction(1, 2), "王强": Fraction(1, 2)} and deal.rule == "stand_in_away"


def test_knowingly_working_anothers_client_and_dispute_days(book):
    lead = add(book).lead
    book.log(lead.id, "follow_up", agent="李娜", data={"reaction": "positive"}, note="回访")  # on time
    with book.at(T0 + dt.timedelta(days=1)):
        book.log(lead.id, "visit", agent="王强")
        book.log(lead.id, "deposit", agent="王强", data={"amount": 10000})
    with book.at(T0 + dt.timedelta(days=2)):
        book.log(lead.id, "contract", agent="王强")
    before = n_events(book)
    with book.at(T0 + dt.timedelta(days=5)):  # day 4 after the subscription
        with pytest.raises(LeadcycleError, match="dispute window closed on 2026-03-09"):
            book.dispute(lead.id, claim="knowingly", claimant="李娜")
    assert n_events(book) == before
    with book.at(T0 + dt.timedelta(days=4)):  # day 3
        book.dispute(lead.id, claim="knowingly", claimant="李娜")
        assert shares(book, lead.id)[1].rule == "collision"  # raised, not decided: the credit stands
        with pytest.raises(LeadcycleError, match="not a manager"):
            book.decide(lead.id, "upheld", manager="王强", reason="登记表在先")
        book.decide(lead.id, "upheld", manager="陈经理", reason="登记表在先")
    got, deal = shares(book, lead.id)
    assert got == {"李娜": 1} and deal.violation is not None
    ledger = book.store.credit_rows(lead.id)
    assert [(r["agent"], r["share_num"], r["share_den"]) for r in ledger] == [("李娜", 1, 1)]


def test_unrecognized_earlier_reception_gets_half(book):
    lead = add(book).lead
    book.log(lead.id, "follow_up", agent="李娜", data={"reaction": "positive"}, note="回访")
    at = T0 + dt.timedelta(days=10)  # 李娜 called the client back 10 days before: on time
    with book.at(at):
        book.log(lead.id, "visit", agent="王强")
    with book.at(at + dt.timedelta(minutes=16)):  # not recognised: 王强's client
        book.log(lead.id, "contract", agent="王强")
        assert shares(book, lead.id)[0] == {"王强": 1}
        with pytest.raises(LeadcycleError, match="no recorded reception"):
            book.dispute(lead.id, claim="unrecognized", claimant="赵敏")
        book.dispute(lead.id, claim="unrecognized", claimant="李娜")
        book.decide(lead.id, "upheld", manager="陈经理", reason="登记表可证")
        got, deal = shares(book, lead.id)
        assert got == {"李娜": Fraction(1, 2), "王强": Fraction(1, 2)} and deal.rule == "unrecognized"


def test_unrecognized_does_not_apply_to_a_lapsed_lead(book):
    lead = add(book).lead
    with book.at(T0 + dt.timedelta(days=40)):  # lapsed: 王强's new client
        book.log(lead.id, "visit", agent="王强")
        book.log(lead.id, "contract", agent="王强")
        with pytest.raises(LeadcycleError, match="did not lose lead #1 by failing to recognise"):
            book.dispute(lead.id, claim="unrecognized", claimant="李娜")


def test_commission_stages(book):
    lead = add(book).lead
    book.log(lead.id, "contract", agent="李娜")
    deal = book.credit(lead.id)[-1]
    assert [(s.name, s.percent) for s in deal.stages] == [
        ("accumulation", 30), ("contract", 50), ("mortgage", 70), ("loan", 100)]
    assert deal.payable_percent == 50
    book.log(lead.id, "mortgage_processed", agent="李娜")
    assert book.credit(lead.id)[-1].payable_percent == 70
    book.log(lead.id, "loan_released", agent="李娜")
    assert book.credit(lead.id)[-1].payable_percent == 100


def test_arbitration_is_final_and_takes_the_credit(book):
    lead = add(book).lead
    book.log(lead.id, "visit", agent="王强")
    book.log(lead.id, "contract", agent="王强")
    book.arbitrate(lead.id, "王强", reason="客户明确要求王强", manager="陈经理")
    got, deal = shares(book, lead.id)
    assert got == {"王强": 1} and deal.arbitrated
    with pytest.raises(LeadcycleError, match="final"):
        book.dispute(lead.id, claim="knowingly", claimant="李娜")


# --------------------------------------------- departures, complaints, managers


def test_departure_pool_and_handover(book):
    plain = add(book).lead
    subscribed = add(book, phone="13900139000", name="刘洋").lead
    book.log(subscribed.id, "deposit", agent="李娜", data={"amount": 5000})
    with book.at(T0 + dt.timedelta(hours=1)):
        moved = book.leave_agent("李娜", to="王强")
        assert sorted(moved) == [(plain.id, None, "departed_new_client"),
                                 (subscribed.id, "王强", "departed_handover")]
        assert owner(book, plain.id) is None and owner(book, subscribed.id) == "王强"
        with pytest.raises(LeadcycleError, match="has left"):
            book.claim(plain.id, "李娜")
        book.log(plain.id, "visit", agent="赵敏")
        assert owner(book, plain.id) == "赵敏"


def test_complaint_and_arbitration_need_a_manager(book):
    lead = add(book).lead
    before = n_events(book)
    with pytest.raises(LeadcycleError, match="not a manager"):
        book.reassign(lead.id, "王强", reason="complaint", manager="赵敏")
    with pytest.raises(LeadcycleError, match="not a manager"):
        book.arbitrate(lead.id, "王强", reason="x", manager="赵敏")
    assert n_events(book) == before
    book.reassign(lead.id, "王强", reason="complaint", manager="陈经理")
    assert owner(book, lead.id) == "王强"
    book.log(lead.id, "contract", agent="王强")
    assert shares(book, lead.id)[0] == {"王强": 1}
    assert rules(book, lead.id) == ["first_contact", "complaint"]


def test_a_complaint_after_the_subscription_moves_the_deal_s_credit_too(book):
    """§3.8: the client who asks to change agent moves with all credit —
    also when they had subscribed with the first agent and sign the
    contract with the new one; a complaint after the contract leaves the
    closed deal's credit where it was."""
    lead = add(book).lead
    book.log(lead.id, "deposit", agent="李娜", data={"amount": 20000})
    assert shares(book, lead.id)[0] == {"李娜": 1}
    with book.at(T0 + dt.timedelta(days=1)):
        book.reassign(lead.id, "赵敏", reason="complaint", manager="陈经理")
        assert shares(book, lead.id)[0] == {"赵敏": 1}  # before the contract too: the deal is the subscription
    with book.at(T0 + dt.timedelta(days=2)):
        book.log(lead.id, "contract", agent="赵敏")
        assert shares(book, lead.id)[0] == {"赵敏": 1}
        (deal,) = book.credit(lead.id)
        assert deal.rule == "complaint" and "all credit to 赵敏" in deal.reason.en
    other = add(book, phone="13900139000", name="刘洋").lead
    book.log(other.id, "deposit", agent="李娜", data={"amount": 20000})
    book.log(other.id, "contract", agent="李娜")
    with book.at(T0 + dt.timedelta(days=3)):
        book.reassign(other.id, "赵敏", reason="complaint", manager="陈经理")
        assert owner(book, other.id) == "赵敏" and shares(book, other.id)[0] == {"李娜": 1}


def test_owner_is_a_replay_of_the_log(book):
    lead = add(book).lead
    with book.at(T0 + dt.timedelta(days=40)):
        book.log(lead.id, "visit", agent="王强")
        events = book.store.events_for(lead.id)
        policy = book.context.for_industry("realestate").ownership
        assert resolve(events, policy, book.now).owner == owner(book, lead.id) == "王强"
