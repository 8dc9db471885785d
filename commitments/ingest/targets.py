"""Numbers that are targets, and the qualitative end states of the pollution chapter.

A figure is a number with a unit ("160亿元", "8%", "2个至3个", "十五所"), read with:

- its metric, in the report's words: the words before it in its clause ("新增贷款160亿元"
  → "新增贷款"), or, for a count followed by its noun ("等7个重点高排放行业"), the words
  after; a bare "开工建设165个" inherits the metric of the figure before it;
- its qualifier (左右 about, 以上 at_least, 确保 ensure, 力争 strive, 超过/突破 exceed,
  达到/提高到/稳定在 reach) and direction (下降/减少 decrease, 稳定在 maintain…);
- "分别" lists mapped to their items in order ("小麦、油料…面积分别达到70万亩、50万亩…").

What is NOT a target: numbers inside quotes (programme names: “十三五”, “461项目”,
“1+6+7”, “八个百分百”, “7・19”), numbers without a unit (国道341, 第九届, years, 24小时),
numbers glued to Latin letters (5A级, PM2.5), ordinals (第…).

The same reader serves part 一: its figures become baselines (see baselines.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .numerals import CN_NUMERAL_CHARS, to_decimal
from .types import Direction, ParsedTarget, Qualifier

__all__ = [
    "Figure",
    "clause_spans",
    "extract_figures",
    "qualitative_figures",
    "qualitative_main_target",
    "to_target",
]


@dataclass(frozen=True)
class Figure:
    """A number read from the text, before it becomes a ParsedTarget or a ParsedBaseline."""

    metric: str
    value: Decimal | None
    value_max: Decimal | None
    unit: str
    qualifier: Qualifier
    direction: Direction
    text: str
    start: int
    end: int
    change: bool = False  # a rise/fall by the value (增长8%, 提高1.5个百分点), not a level
    incremental: bool = False  # counts new things (新增, 新建, 新开工…)
    context: str = ""  # the clause before, for matching when the metric alone is vague
    # A figure that names no metric ("建成5122套", "增长8%") borrows the one before it;
    # anchor is where that figure starts: "生产总值1805.7亿元，增长8%".
    anchor: int | None = None


# Units as written. Longest first, so "个百分点" wins over "个" and "亿元" over "元".
_UNITS = sorted(
    """个百分点 百分点 亿美元 万美元 美元 亿元 万元 元 万人次 人次 万人 人 名 万户 户 万亩 亩
    万公顷 公顷 平方公里 万平方米 平方米 万立方米 亿立方米 立方米 微克/立方米 万吨标准煤 吨标准煤
    万吨 吨 亿千瓦时 万千瓦时 千瓦时 万千瓦 千瓦 兆瓦 公里 千米 万套 套 万辆 辆 万台 台 万个 个
    万家 家 所 条 座 项 处 支 张 场 天 亿斤 万斤 斤 亿千克 万千克 千克 亿吨 亿人次 万亩次
    万标箱 标箱 % ％""".split(),
    key=len,
    reverse=True,
)
_UNIT_ALT = "|".join(re.escape(u) for u in _UNITS)
_NUM = r"[0-9０-９]+(?:[.．][0-9０-９]+)?"
# An Arabic number with a unit, optionally a range "2个至3个", optionally 左右/以上….
# Not inside another number or a code (lookbehind: digits, Latin letters, "+", "第").
ARABIC_FIGURE_RE = re.compile(
    rf"(?<![A-Za-z0-9０-９.．+第])(?P<lo>{_NUM})"
    rf"(?:(?:{_UNIT_ALT})?(?:至|到|～|~|—|－|-)(?P<hi>{_NUM}))?"
    rf"(?P<unit>{_UNIT_ALT})(?P<suffix>左右|以上|以下|以内|多|余)?"
    r"(?![A-Za-z])"
)
# A Chinese numeral with a counting unit: "新建三个", "十五所". Not an ordinal (第九届),
# not inside a longer numeral, not "每个".
CN_FIGURE_RE = re.compile(
    rf"(?<![第每{CN_NUMERAL_CHARS}])(?P<lo>[一二两三四五六七八九十百千]+)"
    r"(?P<unit>个|所|家|条|座|项|名|套|台|辆|处|支|场|户)(?P<suffix>左右|以上)?"
)
# A lone 一/百/千 is idiom more often than a count: 一条龙, 百家院校, 千企升级.
BARE_CN_IDIOMS = frozenset("一百千")
# Slogans counted with a Chinese numeral: “四个意识”, "两个维护", "八个百分百".
CN_SLOGAN_RE = re.compile(
    r"百分百|意识|全面|重大|重返|统一|自信|维护|服从|基本点|中心|方面|环节|规定|原则|准则|禁止"
)
# Road numbers: "国道107 10公里" must not read 107.
ROAD_RE = re.compile(r"(?:国道|省道|县道|乡道)$")
QUOTE_RE = re.compile(r"“[^”\n]*”|《[^》\n]*》|「[^」\n]*」|\"[^\"\n]*\"")
# Clauses: the metric of a number is looked for within its clause.
CLAUSE_BREAK_RE = re.compile(r"[，,；;：:。！？!?]")
# Units that count things: "7个重点高排放行业" names its metric after the number.
COUNTING_UNITS = frozenset("个 条 家 所 台 辆 座 项 处 支 名 人 万人 户 万户 套 万套 场 张".split())
CJK_RE = re.compile(r"[\u4e00-\u9fff“]")

# Words stripped from the front of a metric: time, modality, scope. Always.
LEADING_FILLER = sorted(
    """年内 今年 全年 年底前 力争 确保 争取 努力 坚决 全面 基本 累计 全市 其中 并 再 继续 进一步
    预计 初步统计 同比 扎实 重点 大力 积极 切实 着力 共 总共 合计 每个 全省 全区 全县 全州""".split(),
    key=len,
    reverse=True,
)
# Verbs stripped from the front of a metric, but only while at least three characters
# remain: "新增风力发电装机容量" → "风力发电装机容量", yet "新增贷款" stays whole.
LEADING_VERBS = sorted(
    """新建改扩建 新改建 改扩建 新开工 开工建设 新培育 新引进 引进转化 规划实施 新增 新建 改建 扩建
    开工 建成 完成 实施 推进 建设 培育 创建 招聘 引进 扩大 打造 启动 抓好 实现 开通 办好 组建
    设立 发展 支持 改造 提升 落实 推动 新登记 登记 发放 接待 拆除 拆改 取缔 清除 淘汰 带动 加强
    做到 达到 完成了 解决""".split(),
    key=len,
    reverse=True,
)
MIN_METRIC_AFTER_VERB = 3
# Words stripped from the end of a metric written before its number.
TRAILING_BEFORE_NUMBER = sorted(
    """提高到 增加到 增长到 下降到 降低到 稳定在 保持在 控制在 达到 突破 超过 不低于 不少于 提高 增长
    增加 下降 降低 减少 压减 削减 为 达 在 总体 分别 每月 每年 每人每年 同比 年均 累计 共 约 继续保持
    保持""".split(),
    key=len,
    reverse=True,
)
# Words stripped from the end of a metric written after its number ("项目建设" → "项目").
TRAILING_AFTER_NUMBER = sorted(
    """建设任务 建设 任务 工作 发展 落实 建成 完工 竣工 开工 投产 投用 有序 顺利完成 顺利 完成
    实施 培育 治理""".split(),
    key=len,
    reverse=True,
)
SPACE_PUNCT = " \t\u3000、和及与并，,的"

# Qualifier words right before the number.
EXCEED_RE = re.compile(r"(?:超过|突破)$")
AT_LEAST_RE = re.compile(r"(?:不低于|不少于)$")
REACH_RE = re.compile(r"(?:达到|提高到|增加到|增长到|稳定在|保持在|达)$")
ENSURE_RE = re.compile(r"确保")
STRIVE_RE = re.compile(r"力争|争取")
# Direction words.
CEILING_RE = re.compile(r"控制在|不超过|不高于|涨幅")
DECREASE_RE = re.compile(r"(?:下降|减少|降低|压减|削减|压缩)(?:到|至)?$")
MAINTAIN_RE = re.compile(r"(?:稳定在|保持在)$")
# A change by the value rather than a level: "增长8%", "提高1.5个百分点", "涨幅3%".
CHANGE_RE = re.compile(r"(?:增长|增加|提高|下降|降低|减少|压减|削减|涨幅|增速|增幅|回落)$")
INCREMENT_RE = re.compile(r"新(?:增|建|开工|改建|培育|引进|登记|开通|招聘|培训)")
RESPECTIVELY = "分别"
SUFFIX_HEADS = ("标准", "面积", "水平", "比例", "比重", "产量", "规模", "总额", "人数", "价格")

# Qualitative end states (pollution chapter): "全部淘汰黄标车", "全面取缔“小散乱污”企业",
# "基本消除…黑臭水体", and "燃煤小锅炉“清零”", "…替代全覆盖", "煤炭消费总量负增长".
END_STATE_VERB_RE = re.compile(
    r"(?:全面|全部|基本|彻底)(?:取缔|清除|消除|淘汰|供应|关停|拆除|退出|清理)"
    r"(?P<obj>[^，,；;。！!？?、]+)"
)
END_STATE_NOUN_RE = re.compile(
    r"(?P<subj>[^，,；;。！!？?、：:]+?)(?P<state>“?清零”?|全覆盖|负增长)"
)
# The predicate of a qualitative main target: "进出口总值|保持稳定".
MAIN_PREDICATE_RE = re.compile(
    r"保持|基本|完成|明显|取得|实现|达到|全面|全部|稳步|持续|进一步|有效|显著|继续|不断|逐步"
)
MAINTAIN_WORDS_RE = re.compile(r"保持稳定|保持平稳|基本稳定|稳定")


# ----------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int  # after the unit and any 左右/以上
    lo: str
    hi: str | None
    unit: str
    suffix: str


def extract_figures(text: str, start: int, end: int) -> list[Figure]:
    """Every target number in ``text[start:end]`` (a sentence, a clause, a 实事 line)."""
    hits = _hits(text, start, end)
    figures: list[Figure] = []
    previous: Figure | None = None
    clauses = clause_spans(text, start, end)
    for ci, (c_start, c_end) in enumerate(clauses):
        in_clause = [h for h in hits if c_start <= h.start < c_end]
        if not in_clause:
            continue
        context = text[clauses[ci - 1][0] : clauses[ci - 1][1]] if ci else ""
        for fig in _clause_figures(text, c_start, c_end, in_clause, previous, context):
            figures.append(fig)
            previous = fig
    return figures


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each clause, punctuation excluded; quotes are not split."""
    quotes = _quote_spans(text, start, end)
    spans = []
    a = start
    for m in CLAUSE_BREAK_RE.finditer(text, start, end):
        if any(q0 < m.start() < q1 for q0, q1 in quotes):
            continue
        if m.start() > a:
            spans.append((a, m.start()))
        a = m.end()
    if a < end:
        spans.append((a, end))
    return [(a, b) for a, b in (_strip(text, a, b) for a, b in spans) if a < b]


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in " \t\u3000\n":
        a += 1
    while b > a and text[b - 1] in " \t\u3000\n":
        b -= 1
    return a, b


def _quote_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in QUOTE_RE.finditer(text, start, end)]


def _hits(text: str, start: int, end: int) -> list[_Hit]:
    quotes = _quote_spans(text, start, end)

    def quoted(pos: int) -> bool:
        return any(q0 < pos < q1 for q0, q1 in quotes)

    hits: list[_Hit] = []
    for m in ARABIC_FIGURE_RE.finditer(text, start, end):
        if quoted(m.start()) or ROAD_RE.search(text, max(start, m.start() - 2), m.start()):
            continue
        if m.group("unit") == "天" and text[m.end() : m.end() + 1] == "内":
            continue  # "3天内办结": a deadline, not a target
        hits.append(_hit(m))
    for m in CN_FIGURE_RE.finditer(text, start, end):
        if m.group("lo") in BARE_CN_IDIOMS or quoted(m.start()):
            continue
        if CN_SLOGAN_RE.match(text, m.end()):
            continue
        if any(h.start <= m.start() < h.end for h in hits):
            continue
        hits.append(_hit(m))
    return sorted(hits, key=lambda h: h.start)


def _hit(m: re.Match[str]) -> _Hit:
    groups = m.groupdict()
    return _Hit(
        start=m.start(),
        end=m.end(),
        lo=groups["lo"],
        hi=groups.get("hi"),
        unit=groups["unit"].replace("％", "%"),  # full-width per cent: the same unit
        suffix=groups.get("suffix") or "",
    )


def _clause_figures(
    text: str,
    c_start: int,
    c_end: int,
    hits: list[_Hit],
    previous: Figure | None,
    context: str,
) -> list[Figure]:
    clause = text[c_start:c_end]
    listed: list[Figure] = []
    r = clause.find(RESPECTIVELY)
    if r >= 0:
        after = [h for h in hits if h.start > c_start + r]
        if len(after) >= 2:
            listed = _respectively(text, c_start, c_start + r, after, context)
            hits = [h for h in hits if h not in after]
    # A count inside the examples before "等" is part of a name, not a target:
    # "启动中华路7个村、昌泰片区等22个棚改项目" reads 22, not 7.
    hits = [
        h
        for i, h in enumerate(hits)
        if i + 1 == len(hits) or not text[h.end : hits[i + 1].start].rstrip().endswith("等")
    ]
    figures: list[Figure] = []
    boundary = c_start
    for i, hit in enumerate(hits):
        nxt = hits[i + 1].start if i + 1 < len(hits) else c_end
        fig = _figure(text, c_start, boundary, hit, nxt, previous, context, i + 1 < len(hits))
        figures.append(fig)
        previous = fig
        boundary = hit.end
    return sorted([*figures, *listed], key=lambda f: f.start)


SHORT_METRIC_VERB_RE = re.compile(r"(?:增长|下降|降低|提高|提升)$")


def _figure(
    text: str,
    c_start: int,
    boundary: int,
    hit: _Hit,
    next_start: int,
    previous: Figure | None,
    context: str,
    more_follow: bool,
) -> Figure:
    pre_start = boundary
    while pre_start < hit.start and text[pre_start] in SPACE_PUNCT:
        pre_start += 1
    pre = text[pre_start : hit.start]
    post = text[hit.end : next_start].rstrip(SPACE_PUNCT)
    clause_prefix = text[c_start : hit.start]

    # The phrase runs from the clause words before the number to its unit/qualifier, or,
    # when the noun follows a count ("等7个重点高排放行业"), from the number to that noun.
    text_start, end = pre_start, hit.end
    metric = ""
    # "28条、…22条等政策措施": a count closing a list of examples names no noun after it.
    if hit.unit in COUNTING_UNITS and CJK_RE.match(post) and not post.startswith("等"):
        noun = _noun_after(post, more_follow=more_follow)
        metric = _clean_after(noun)
        text_start, end = hit.start, hit.end + len(noun)
    if not metric:
        text_start, end = pre_start, hit.end
        metric = _clean_before(pre)
        verb = SHORT_METRIC_VERB_RE.search(pre)
        if 0 < len(metric) <= 2 and verb and pre.endswith(metric + verb.group(0)):
            metric += verb.group(0)  # "经济增长5%": the metric is 经济增长, not 经济
    if not metric and post.startswith("的"):
        metric = _clean_after(post[1:])  # "完成60%的新型农村社区整改任务"
        end = hit.end + len(post)
    anchor = None
    if not metric and previous is not None:
        metric, anchor = previous.metric, previous.start  # "开工建设165个", "增长8%"
    lead = pre.rstrip()
    return Figure(
        metric=metric,
        value=to_decimal(hit.lo),
        value_max=to_decimal(hit.hi) if hit.hi else None,
        unit=hit.unit,
        qualifier=_qualifier(hit.suffix, clause_prefix, lead),
        direction=_direction(hit.suffix, clause_prefix, lead, metric),
        text=text[text_start:end],
        start=text_start,
        end=end,
        change=bool(CHANGE_RE.search(lead)) or metric.endswith(("涨幅", "增速", "增幅")),
        incremental=bool(INCREMENT_RE.search(clause_prefix + metric)),
        context=context,
        anchor=anchor,
    )


def _respectively(text: str, c_start: int, r: int, hits: list[_Hit], context: str) -> list[Figure]:
    """ "A、B、C面积分别达到70万亩、50万亩和20万亩": one figure per item, in order."""
    subject = _clean_before(text[c_start:r])
    verb = text[r + len(RESPECTIVELY) : hits[0].start]
    items = [s for s in subject.split("、") if s]
    if len(items) != len(hits):
        # "城镇和农村常住居民人均可支配收入分别增长4%和6%": the items joined by 和/及/与.
        items = [s for s in re.split(r"、|和|及|与", subject) if s]
    if len(items) == len(hits) and len(items) > 1:
        head = next((h for h in SUFFIX_HEADS if items[-1].endswith(h)), "")
        metrics = [it if it.endswith(head) else it + head for it in items]
        shared = _shared_tail(items)
        if not head and shared:
            metrics = [*(it + shared for it in items[:-1]), items[-1]]
    elif len(hits) == 2 and "城乡" in subject:
        metrics = [subject.replace("城乡", "城市", 1), subject.replace("城乡", "农村", 1)]
    else:
        metrics = [subject] * len(hits)
    lead = verb.rstrip()
    for filler in ("每人每年", "每人每月", "每月", "每年"):
        lead = lead.removesuffix(filler)
    clause_prefix = text[c_start : hits[0].start]
    return [
        Figure(
            metric=metric,
            value=to_decimal(h.lo),
            value_max=to_decimal(h.hi) if h.hi else None,
            unit=h.unit,
            qualifier=_qualifier(h.suffix, clause_prefix, lead),
            direction=_direction(h.suffix, clause_prefix, lead, metric),
            text=text[h.start : h.end],
            start=h.start,
            end=h.end,
            change=bool(CHANGE_RE.search(lead)),
            incremental=bool(INCREMENT_RE.search(clause_prefix)),
            context=context,
        )
        for metric, h in zip(metrics, hits, strict=True)
    ]


def _shared_tail(items: list[str]) -> str:
    """ "城镇" / "农村常住居民人均可支配收入": the last item carries the words the short
    ones share ("常住居民人均可支配收入"), after a head as long as theirs."""
    short = len(items[0])
    last = items[-1]
    if short > 4 or any(len(it) != short for it in items[:-1]) or len(last) < short + 2:
        return ""
    return last[short:]


def _noun_after(post: str, *, more_follow: bool) -> str:
    """The noun a count introduces: up to "等" (examples follow), and up to "、" when more
    numbers follow in the clause ("7个村、昌泰片区等22个棚改项目" → "村")."""
    cut = len(post)
    for stop in ("等", "、") if more_follow else ("等",):
        i = post.find(stop)
        if 0 < i < cut:
            cut = i
    return post[:cut].rstrip(SPACE_PUNCT)


def _clean_before(pre: str, *, min_rest: int = MIN_METRIC_AFTER_VERB) -> str:
    s = pre.strip(SPACE_PUNCT)
    changed = True
    while changed and s:
        changed = False
        for w in LEADING_FILLER:
            if s.startswith(w) and len(s) > len(w):
                s, changed = s[len(w) :].lstrip(SPACE_PUNCT), True
                break
        else:
            for w in LEADING_VERBS:
                if s.startswith(w) and len(s) - len(w) >= min_rest:
                    s, changed = s[len(w) :].lstrip(SPACE_PUNCT), True
                    break
    # A lone "增长"/"提高" is no metric: the figure then borrows the one before it.
    s = _strip_trailing(s, TRAILING_BEFORE_NUMBER, allow_empty=True)
    if s.endswith("等") or s in LEADING_VERBS or s in LEADING_FILLER:
        return ""  # "…等" names examples, not the metric; a lone verb names nothing
    return s


def _clean_after(post: str) -> str:
    s = post.strip(SPACE_PUNCT)
    return _strip_trailing(s, TRAILING_AFTER_NUMBER)


def _strip_trailing(s: str, words: list[str], *, allow_empty: bool = False) -> str:
    changed = True
    while changed and s:
        changed = False
        for w in words:
            if s.endswith(w) and (allow_empty or len(s) > len(w)):
                s, changed = s[: -len(w)].rstrip(SPACE_PUNCT), True
                break
    return s


def _qualifier(suffix: str, clause_prefix: str, lead: str) -> Qualifier:
    if suffix == "左右":
        return "about"
    if suffix in ("以上", "多", "余"):
        return "at_least"
    if modal := _modal(clause_prefix):
        return modal
    if EXCEED_RE.search(lead):
        return "exceed"
    if AT_LEAST_RE.search(lead):
        return "at_least"
    if REACH_RE.search(lead):
        return "reach"
    return ""


def _modal(clause: str) -> Qualifier:
    if ENSURE_RE.search(clause):
        return "ensure"
    if STRIVE_RE.search(clause):
        return "strive"
    return ""


def _direction(suffix: str, clause_prefix: str, lead: str, metric: str) -> Direction:
    if suffix in ("以下", "以内") or CEILING_RE.search(lead) or "涨幅" in metric:
        return "decrease"
    if DECREASE_RE.search(lead):
        return "decrease"
    if MAINTAIN_RE.search(lead):
        return "maintain"
    return "increase"


# ----------------------------------------------------------------------------- qualitative


def qualitative_figures(text: str, start: int, end: int, numeric: list[Figure]) -> list[Figure]:
    """End states without a number: "全部淘汰黄标车", "燃煤小锅炉“清零”", "…负增长"."""
    taken = [(f.start, f.end) for f in numeric]
    found: list[Figure] = []
    for c_start, c_end in clause_spans(text, start, end):
        prefix_modal = text[c_start:c_end]
        for m in END_STATE_VERB_RE.finditer(text, c_start, c_end):
            obj = m.group("obj")
            if any(ch.isdigit() for ch in obj):
                continue
            found.append(_end_state(m.start(), m.end(), obj, "achieve", prefix_modal, text))
        for m in END_STATE_NOUN_RE.finditer(text, c_start, c_end):
            subject = _strip_trailing(
                _clean_before(m.group("subj"), min_rest=1), ["实现", "做到", "达到"]
            )
            if not subject:
                continue
            subj_start = m.start("subj") + m.group("subj").find(subject)
            direction: Direction = "decrease" if m.group("state") == "负增长" else "achieve"
            found.append(_end_state(subj_start, m.end(), subject, direction, prefix_modal, text))
    unique: dict[tuple[int, int], Figure] = {}
    for f in found:
        overlaps = any(a < f.end and f.start < b for a, b in taken)
        if not overlaps and (f.start, f.end) not in unique:
            unique[(f.start, f.end)] = f
    return sorted(unique.values(), key=lambda f: f.start)


def _end_state(
    start: int, end: int, metric: str, direction: Direction, clause: str, text: str
) -> Figure:
    return Figure(
        metric=metric.strip(),
        value=None,
        value_max=None,
        unit="",
        qualifier=_modal(clause),
        direction=direction,
        text=text[start:end],
        start=start,
        end=end,
    )


def qualitative_main_target(text: str, start: int, end: int) -> Figure:
    """A main target without a number: "进出口总值保持稳定", "结构性改革取得实质进展"."""
    clause = text[start:end]
    m = MAIN_PREDICATE_RE.search(clause, 2)
    metric = clause[: m.start()] if m else clause
    direction: Direction = "maintain" if MAINTAIN_WORDS_RE.search(clause) else "achieve"
    return Figure(
        metric=metric,
        value=None,
        value_max=None,
        unit="",
        qualifier="",
        direction=direction,
        text=clause,
        start=start,
        end=end,
    )


def to_target(fig: Figure, order: int) -> ParsedTarget:
    return ParsedTarget(
        metric=fig.metric,
        value=fig.value,
        value_max=fig.value_max,
        unit=fig.unit,
        qualifier=fig.qualifier,
        direction=fig.direction,
        text=fig.text,
        start=fig.start,
        end=fig.end,
        order=order,
    )
