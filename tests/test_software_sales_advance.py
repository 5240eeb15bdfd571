"""``LeadBook.advance`` / ``leadcycle advance`` are core behaviour: any
industry whose StageLadder has mode="advanced" gets them. Exercised here with
a throw-away industry so the software plugin is not what makes it work."""

import datetime as dt

import pytest

from leadcycle import (
    Cond,
    EventKind,
    Field,
    Industry,
    Label,
    LeadBook,
    LeadcycleError,
    Stage,
    StageLadder,
    hookimpl,
    loader,
)

T0 = dt.datetime(2026, 3, 5, 10, 0)


class Builder:
    @hookimpl
    def register_industries(self, register):
        register(Industry(
            "builder", Label("builder", "装修"),
            fields=(Field("drawing", "str", Label("floor plan", "户型图")),
                    Field("style", "str", Label("style", "风格"))),
            event_kinds=(EventKind("measured", Label("site measured", "量房")),),
        ))

    @hookimpl
    def stages(self, industry, settings):
        if industry != "builder":
            return None
        return StageLadder((
            Stage("lead", Label("lead", "线索")),
            Stage("design", Label("design", "设计"), requires=(
                Cond("drawing", "set", None, Label("floor plan", "户型图")),
                Cond("n_measured", ">=", 1, Label("site measured", "已量房")))),
            Stage("build", Label("build", "施工"), requires=Cond("style", "set", None, Label("style", "风格"))),
            Stage("dropped", Label("dropped", "放弃"), terminal=True),
        ), mode="advanced")


@pytest.fixture
def book():
    pm = loader.get_pm()
    pm.register(Builder(), name="builder")
    b = LeadBook.create(":memory:", ["builder"], now=T0)
    b.add_agent("李娜")
    yield b
    b.close()
    pm.unregister(name="builder")


def test_any_advanced_ladder(book):
    lead = book.add_lead("builder", name="王芳", gender="F", phone="13900000001", need="两房翻新",
                         agent="李娜").lead.id
    assert book.record(lead).state.stage == "lead"
    with pytest.raises(LeadcycleError) as e:
        book.advance(lead, "build", agent="李娜")
    msg = str(e.value)
    # the target's requirement and every earlier stage's, with how to record them
    assert "floor plan (户型图)" in msg and "site measured (已量房)" in msg and "style (风格)" in msg
    assert "leadcycle lead set 1 drawing=… style=…" in msg and "leadcycle log 1 measured" in msg
    assert [e.kind for e in book.record(lead).events] == ["register"]
    book.set(lead, {"drawing": "A户型"}, agent="李娜")
    book.log(lead, "measured", agent="李娜")
    with book.at(T0 + dt.timedelta(days=3)):
        book.advance(lead, "design", agent="李娜", note="方案确认")
        rec = book.record(lead)
    assert rec.state.stage == "design"
    stage_event = rec.events[-1]
    assert stage_event.kind == "stage" and stage_event.data == {"stage": "design", "from": "lead"}
    assert stage_event.note == "方案确认" and stage_event.agent == "李娜"
    assert any("since 2026-03-08" in r.text.en for r in rec.state.reasons)
    with book.at(T0 + dt.timedelta(days=4)):
        book.advance(lead, "dropped", agent="李娜")  # a terminal stage from any stage
        assert book.record(lead).state.stage == "dropped"
        # re-opened (the client came back) only to a stage whose requirements hold, and those before it
        with pytest.raises(LeadcycleError, match="cannot enter build"):
            book.advance(lead, "build", agent="李娜")
        book.advance(lead, "design", agent="李娜")
        rec = book.record(lead)
        assert rec.state.stage == "design"
        assert rec.events[-1].data == {"stage": "design", "from": "dropped", "reopened": True}


def test_computed_ladders_and_unknown_agents_are_refused(book):
    lead = book.add_lead("builder", name="王芳", gender="F", phone="13900000001", need="翻新").lead.id
    book.set(lead, {"drawing": "A"}, agent="李娜")
    book.log(lead, "measured", agent="李娜")
    with pytest.raises(LeadcycleError, match="unknown agent"):
        book.advance(lead, "design", agent="无名")
    assert book.record(lead).state.stage == "lead"
    realestate = LeadBook.create(":memory:", ["realestate"], now=T0)
    other = realestate.add_lead("realestate", name="张伟", gender="M", phone="13800000001", need="三房").lead.id
    with pytest.raises(LeadcycleError, match="computed from the record"):
        realestate.advance(other, "subscribed", agent="李娜")
    realestate.close()
