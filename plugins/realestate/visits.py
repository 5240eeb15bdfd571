"""The visit-count method (案场日常来访客户意向等级评判标准, DOMAIN §2c, seed 004).

The document's table (written for an industrial park, usable for any sales
office) grades by the number of visits plus how the client interacts:

* A (准客户): ≥ 3 visits **or** frequent private interaction with the agent,
  and B's first traits (knows the project well, cares about the
  surroundings, a clear target) plus ample funds that accept the price and an
  urgent wish to buy;
* B (意向较强): ≥ 2 visits with frequent interaction;
* C (意向一般): ≥ 1 visit with some interaction;
* D (观光客): everything else (≤ 1 visit, no interaction, won't leave a
  contact or company information).

Our reading, where the document is terse: B's fourth trait ("visited many
times and brought friends") is covered by the visit count and is not
required for A; ``interaction`` must be recorded before any grade is given.
Visits are the core's ``n_visit`` (the registered visit included). The
numbers of visits are settings.
"""

from __future__ import annotations

from leadcycle import Choice, Cond, Field, GradeRule, Label, count_en

INTERACTION = Field(
    "interaction", "choice", Label("private interaction with the agent", "私下与销售人员互动"),
    choices=(Choice("frequent", Label("frequent", "互动频繁")),
             Choice("some", Label("some", "有互动")),
             Choice("none", Label("none", "基本无互动"))),
    help=Label("visits method (DOMAIN §2c)", "来访次数法（§2c）"))

TRAITS = (
    ("understands_project", ("knows the project well, rates it highly", "对项目了解深刻，认可度高")),
    ("cares_surroundings", ("cares about the surroundings' development", "关心项目周边发展情况")),
    ("clear_target", ("clear target, strong tendency to buy", "购买目标明确，购买倾向较高")),
    ("ample_funds", ("ample funds, accepts the price", "资金充裕，对价格认可")),
    ("urgent", ("urgent: fears missing out", "有迫切购买欲望，担心买不到")),
)


def fields() -> tuple[Field, ...]:
    return (INTERACTION,) + tuple(
        Field(name, "bool", Label(*label), help=Label("visits method trait (DOMAIN §2c)", "来访次数法特征（§2c）"))
        for name, label in TRAITS)


def ladder(settings) -> tuple[GradeRule, ...]:
    a, b, c = (settings[f"realestate.visits_{g}"] for g in "abc")
    traits = tuple(Cond(name, "true", None, Label(*label)) for name, label in TRAITS)
    return (
        GradeRule("A", (Cond("n_visit", ">=", a, Label(f"at least {count_en(a, 'visit')}", f"来访≥{a}次")),) + traits,
                  Label(f"{a}+ visits, B's traits, ample funds, urgent", f"来访≥{a}次，具备B类特征、资金充裕、迫切")),
        GradeRule("A", (Cond("interaction", "==", "frequent", Label("frequent interaction", "私下互动频繁")),)
                  + traits,
                  Label("frequent interaction, B's traits, ample funds, urgent", "私下互动频繁，具备B类特征、资金充裕、迫切")),
        GradeRule("B", (Cond("n_visit", ">=", b, Label(f"at least {count_en(b, 'visit')}", f"来访≥{b}次")),
                        Cond("interaction", "==", "frequent", Label("frequent interaction", "私下互动频繁"))),
                  Label(f"{b}+ visits with frequent interaction", f"来访≥{b}次且私下互动频繁")),
        GradeRule("C", (Cond("n_visit", ">=", c, Label(f"at least {count_en(c, 'visit')}", f"来访≥{c}次")),
                        Cond("interaction", "in", ("frequent", "some"), Label("some interaction", "私下有互动"))),
                  Label(f"{c}+ visit with some interaction", f"来访≥{c}次且有互动")),
    )
