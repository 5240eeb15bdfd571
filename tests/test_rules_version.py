"""The settings a lead's projection does not read (credit splits, claim
limits, the lunch break…) are declared so, and leave every stored
projection good: changing one does not make every read evaluate every
lead again (issue #17). The declaration is held to the rules here: each
such setting, changed, gives every lead of the demo the same projection
at every clock."""

import datetime as dt

import pytest

from leadcycle import LeadBook, engine
from leadcycle.registry import Registry


def _not_projected():
    return sorted((s for s in Registry.current().settings.values() if not s.projection), key=lambda s: s.key)


def _other_value(setting):
    """A valid value of ``setting`` other than its default."""
    if setting.choices:
        return next(c.value for c in setting.choices if c.value != setting.default)
    if setting.pattern:  # a time of day
        return {"12:00": "11:30", "13:30": "14:00"}[setting.default]
    if setting.type == "str":
        return "李娜"
    top = setting.maximum if setting.maximum is not None else setting.default + 2
    return setting.default + 1 if setting.default + 1 <= top else setting.default - 1


def _projections(book, leads, clock):
    out = {}
    for lead, state in engine.project_batch(book.context, leads, clock, {}, explain=False):
        out[lead.id] = (state.score, state.grade, state.stage, state.owner, state.next_follow_up,
                        state.follow_up_kind, state.owner_until, state.expires_at,
                        {k: v for k, v in state.extra.items() if k in state.kept})
    return out


def test_the_settings_left_out_are_those_of_credit_claims_and_reception():
    keys = {s.key for s in _not_projected()}
    assert {"ownership.split_late_owner", "ownership.commission_loan_pct", "ownership.claim_daily_limit",
            "ownership.lunch_start", "ownership.dispute_days", "auth.session_hours"} <= keys
    # what the ownership fold and the rules read stays in
    assert not keys & {"ownership.protection_days", "ownership.recognition_minutes", "core.timezone",
                       "realestate.cadence_a_days", "software_sales.grade_a_haves"}


def test_a_setting_no_projection_reads_changes_no_lead_s_projection(demo_copy):
    book = LeadBook.open(demo_copy)
    leads = [pair for batch in book.store.iter_lead_batches() for pair in batch]
    start = max(e.at for _, events in leads for e in events)
    clocks = [start + dt.timedelta(days=d) for d in (0, 4, 16, 31, 95, 400)]
    before = {clock: _projections(book, leads, clock) for clock in clocks}
    version = book.rules_version
    industries = {lead.industry for lead, _ in leads}
    assert industries == {"realestate", "software_sales", "machinery"}
    for setting in _not_projected():
        value = _other_value(setting)
        book.set_setting(setting.key, value)
        assert book.settings[setting.key] != setting.default, setting.key
        assert book.rules_version == version, setting.key  # the stored rows stay trusted
        for clock in clocks:
            assert _projections(book, leads, clock) == before[clock], (setting.key, value, clock)
        book.reset_setting(setting.key)
    book.close()


@pytest.mark.parametrize("key, value", [("ownership.protection_days", 20), ("realestate.cadence_c_days", 6)])
def test_a_setting_a_projection_reads_changes_the_rules_version(demo_copy, key, value):
    book = LeadBook.open(demo_copy)
    version = book.rules_version
    book.set_setting(key, value)
    assert book.rules_version != version
    book.close()
