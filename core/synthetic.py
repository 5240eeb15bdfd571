"""Deterministic synthetic clients for the demo and the benchmarks:
Chinese names and mainland mobile numbers from a seeded ``random.Random``."""

from __future__ import annotations

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建红文斌宇浩凯健俊帆帅旭宁龙林欣晨阳雪梅琳晶莉婷颖佳瑶婉琪瑜博涵轩睿"
MOBILE_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152",
                   "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "182",
                   "185", "186", "187", "188", "189", "191", "198", "199")


def chinese_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def gender(rng: random.Random) -> str:
    return rng.choice("MF")


#: the follow-up reactions (leadcycle.actors.REACTIONS) and how often a warm
#: (first weights) or a cold client (second) shows each
_REACTIONS = (("positive", 5, 1), ("neutral", 4, 3), ("hesitant", 3, 3), ("negative", 1, 3),
              ("refused", 0, 1), ("no_answer", 2, 3))


def follow_up(rng: random.Random, topics: tuple[str, ...], warm: bool = True) -> tuple[dict, str]:
    """A follow-up as the register records it: the client's reaction and
    what was said, ``(data, note)``; an unanswered call says so."""
    names = [r[0] for r in _REACTIONS]
    reaction = rng.choices(names, weights=[r[1] if warm else r[2] for r in _REACTIONS])[0]
    note = "电话未接通" if reaction == "no_answer" else rng.choice(topics)
    return {"reaction": reaction}, note
