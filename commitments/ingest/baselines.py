"""Last year's figures (part 一) as baselines for this year's targets.

A part-一 figure is the baseline of a target when they measure the same thing:

- same unit family (亿元/万元/元; 万人/人/名; %; 个百分点; 万亩/亩; 套; 个…);
- both a change (增长8%, 提高1.5个百分点) or both a level (151亿元, 80%), and a change
  in the same direction;
- a figure of things finished (完工, 竣工, 建成…) only for a target of things finished:
  "42个园林绿化项目完工" is not the baseline of "规划实施190个园林绿化项目";
- both count new things (新增, 新建, 新开工…) or neither ("新增转移就业3万人" is not
  comparable with a stock of "转移就业136.8万人");
- their metrics share a phrase of at least 3 characters, at least 2 of them specific
  (not generic words such as 项目, 投资, 完成, 面积), covering at least half of the
  shorter metric. A metric that points back ("总收入", or two characters at most) is
  read together with the clause before it ("扩大9个省级农业产业化集群规模，总收入突破
  300亿元").

Pairs are then taken best first (longest shared phrase, then the closer wording), each
target and each figure at most once. No table of metrics: it reads any city's report;
when in doubt it attaches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from .targets import Figure
from .types import ParsedBaseline

__all__ = ["match_baselines", "to_baseline"]

UNIT_FAMILIES = {
    "亿元": "CNY", "万元": "CNY", "元": "CNY",
    "亿美元": "USD", "万美元": "USD", "美元": "USD",
    "万人": "people", "人": "people", "名": "people",
    "万人次": "visits", "人次": "visits",
    "万户": "households", "户": "households",
    "万亩": "mu", "亩": "mu", "万公顷": "ha", "公顷": "ha",
    "万平方米": "m2", "平方米": "m2", "万立方米": "m3", "亿立方米": "m3", "立方米": "m3",
    "万吨": "t", "吨": "t", "万吨标准煤": "tce", "吨标准煤": "tce",
    "亿千瓦时": "kWh", "万千瓦时": "kWh", "千瓦时": "kWh",
    "万千瓦": "kW", "千瓦": "kW", "兆瓦": "kW",
    "公里": "km", "千米": "km",
    "万套": "sets", "套": "sets", "万辆": "vehicles", "辆": "vehicles",
    "万台": "machines", "台": "machines", "万个": "个", "万家": "家",
    "%": "%", "％": "%", "个百分点": "pp", "百分点": "pp",
    "亿斤": "jin", "万斤": "jin", "斤": "jin", "亿千克": "kg", "万千克": "kg", "千克": "kg",
    "亿吨": "t", "亿人次": "visits", "万标箱": "TEU", "标箱": "TEU",
}  # fmt: skip
# Words too common to make two metrics the same thing on their own.
GENERIC_WORDS = sorted(
    """项目 建设 工程 企业 产业 投资 收入 面积 总额 总量 规模 增长 新增 新建 完成 实施 推进 升级 改造
    提升 发展 工作 任务 标准 水平 比重 比例 重点 示范 省级 市级 国家级 全市 全年 以上 市场 服务
    管理 总值 数量 人数 总 实现 开工 建成 达到 提高 城市 农村 城乡""".split(),
    key=len,
    reverse=True,
)
# Standard abbreviations of the genre, spelled out before comparing.
ABBREVIATIONS = {
    "棚改": "棚户区改造",
    "低保": "最低生活保障",
    "规上": "规模以上",
    "固投": "固定资产投资",
    "社零": "社会消费品零售总额",
    "新农合": "新型农村合作医疗",
    "GDP": "生产总值",
}
# Verbs that make a figure a count of things finished rather than under way.
FINISHED_RE = re.compile(r"完工|竣工|建成|完成|投用|投产")
MIN_SHARED = 3
MIN_SPECIFIC = 2
MIN_SHARE_OF_SHORTER = 0.5
# Digits, units and quotes say nothing about what is measured.
NOISE_RE = re.compile(r"[0-9.%“”《》\"、，,]")


@dataclass(frozen=True)
class _Scored:
    score: tuple[int, float, int]
    target: int
    candidate: int


def match_baselines(targets: list[Figure], candidates: list[Figure]) -> dict[int, int]:
    """Pair target indexes with candidate (part-一 figure) indexes."""
    t_keys = [_key(f) for f in targets]
    c_keys = [_key(f) for f in candidates]
    scored: list[_Scored] = []
    for ti, t in enumerate(targets):
        if t.value is None or not t_keys[ti]:
            continue
        for ci, c in enumerate(candidates):
            if c.value is None or not c_keys[ci] or not _comparable(t, c):
                continue
            score = _score(t_keys[ti], c_keys[ci], t.text, c.text)
            if score is not None:
                scored.append(_Scored(score, ti, ci))
    scored.sort(key=lambda s: (tuple(-x for x in s.score), s.target, s.candidate))
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for s in scored:
        if s.target not in pairs and s.candidate not in used:
            pairs[s.target] = s.candidate
            used.add(s.candidate)
    return pairs


def to_baseline(fig: Figure, text: str, year: int) -> ParsedBaseline:
    """The baseline; a figure that borrowed its metric ("增长8%") quotes from the figure it
    borrowed it from: "生产总值1805.7亿元，增长8%"."""
    start = fig.anchor if fig.anchor is not None else fig.start
    return ParsedBaseline(
        year=year,
        value=fig.value,  # type: ignore[arg-type]  # only numeric figures are matched
        unit=fig.unit,
        text=text[start : fig.end],
        start=start,
        end=fig.end,
    )


def _comparable(t: Figure, c: Figure) -> bool:
    if _family(t.unit) != _family(c.unit):
        return False
    if t.change != c.change or t.incremental != c.incremental:
        return False
    if FINISHED_RE.search(c.text) and not FINISHED_RE.search(t.text):
        return False
    return not (t.change and (t.direction == "decrease") != (c.direction == "decrease"))


def _family(unit: str) -> str:
    return UNIT_FAMILIES.get(unit, unit)


def _key(f: Figure) -> str:
    key = _normalise(f.metric)
    # Word order varies ("城镇新增就业" / "新增城镇就业"); newness is compared apart.
    without_new = key.replace("新增", "")
    if len(without_new) >= MIN_SHARED:
        key = without_new
    if f.context and (key.startswith("总") or len(key) <= 2):
        key = _normalise(f.context) + key  # "总收入" refers to the clause before
    return key


def _normalise(s: str) -> str:
    for short, long in ABBREVIATIONS.items():
        if long not in s:
            s = s.replace(short, long)
    return NOISE_RE.sub("", s)


def _specific(s: str) -> str:
    for w in GENERIC_WORDS:
        s = s.replace(w, "")
    return s


def _score(a: str, b: str, a_text: str, b_text: str) -> tuple[int, float, int] | None:
    shared = _longest_common(a, b)
    if len(shared) < MIN_SHARED or len(_specific(shared)) < MIN_SPECIFIC:
        return None
    if len(shared) < MIN_SHARE_OF_SHORTER * min(len(a), len(b)):
        return None
    closeness = len(shared) / max(len(a), len(b))
    return len(shared), closeness, len(_longest_common(a_text, b_text))


def _longest_common(a: str, b: str) -> str:
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return a[m.a : m.a + m.size]
