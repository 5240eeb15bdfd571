"""Every setting reaches the lists (issue #17: "settings don't reach
lists"): each setting a projection reads, changed to other values it
accepts, gives the same grade, score, stage, owner and next follow-up in
``list`` as in ``show`` (which evaluates the lead afresh from its log)
for the demo's leads of every industry, at the clock of the demo's
stored rows and 40 days later — without a rescore between. (Checked to
fail when a changed setting leaves the stored rows in the lists.)"""

from __future__ import annotations

import datetime as dt

from conftest import DEMO_NOW

from leadcycle import LeadBook, LeadcycleError


def _other_values(setting) -> list:
    """Values a setting may take besides its default: each other choice, the
    other truth, a low and a high number (the registry refuses those its
    ordered siblings do not allow; they are left out)."""
    if setting.type == "choice":
        return [c.value for c in setting.choices if c.value != setting.default]
    if setting.type == "bool":
        return [not setting.default]
    if setting.type == "int":
        low = max(int(setting.minimum or 0), 1)
        high = int(setting.maximum) if setting.maximum is not None else max(int(setting.default) * 3, 5)
        return sorted({low, max(1, int(setting.default) // 2), high} - {setting.default})
    return []


def test_every_setting_changed_gives_lists_that_agree_with_show(demo_copy):
    now = dt.datetime.fromisoformat(DEMO_NOW)
    book = LeadBook.open(demo_copy, now)
    checked = set()
    try:
        ids = [r["id"] for r in book.list()]
        assert {book.lead(i).industry for i in ids} == {"realestate", "software_sales", "machinery"}
        for key in sorted(book.registry.settings):
            setting = book.registry.settings[key]
            if not setting.projection:
                continue
            for value in _other_values(setting):
                try:
                    book.set_setting(key, value)
                except LeadcycleError:  # out of order with a sibling (a's days below b's…)
                    continue
                checked.add(key)
                for clock in (now, now + dt.timedelta(days=40)):
                    with book.at(clock):
                        listed = {r["id"]: r for r in book.list()}
                        for lead_id in sorted(listed)[::8]:  # an eighth of them, of every industry
                            st = book.record(lead_id).state
                            row = listed[lead_id]
                            assert (row["grade"], row["score"], row["stage"], row["owner"],
                                    row["next_follow_up"]) == (
                                st.grade, st.score, st.stage, st.owner,
                                st.next_follow_up.isoformat() if st.next_follow_up else None), (
                                key, value, clock, lead_id)
                book.reset_setting(key)
    finally:
        book.close()
    # the sweep reached the settings that move grades, owners and follow-ups in each industry
    assert {"ownership.protection_days", "realestate.grading", "software_sales.ladder",
            "machinery.protection_days"} <= checked, sorted(checked)
