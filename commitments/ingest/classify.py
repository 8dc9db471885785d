"""Sentences, and whether a sentence of a plan part is a commitment.

The rule, in order:

1. An address ("各位代表！") is not a commitment.
2. A sentence introducing a list ("重点抓好以下几个方面工作：") is not one either.
3. Rhetoric: a sentence that predicts, exhorts or moralises ("必定会", "人人有责",
   "寄予厚望", "让我们") and sets no numeric target is not a commitment.
4. A sentence with an action verb or modal (推进, 实施, 完成, 确保, 必须…) or a number
   with a unit (a target) is a commitment.
5. Anything else is kept as a commitment (so that nothing real is lost) and reported as
   a warning for a person to check.

Rules 1–3 drop the sentence and report it as a warning too, so the seed command can say
exactly what it left out.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Verdict", "classify_sentence", "split_sentences"]

Verdict = Literal["commitment", "rhetoric", "address", "framing", "unclassified"]

# A sentence runs to 。！？ (with any closing quotes/brackets after it) or to the end of
# the span; ；and ， do not end one.
SENTENCE_RE = re.compile(r"[^。！？!?]+(?:[。！？!?]+[”’」』）)]*|$)")
SPACE = " \t\u3000\xa0\n"

ADDRESS_RE = re.compile(r"^各位代表[！!：:，,。]?$")
LIST_INTRO_RE = re.compile(r"以下(?:几个方面|几方面|几项|几点|方面|工作|重点)")
# Prediction, exhortation and moralising: the genre's rhetoric, never a task.
RHETORIC_RE = re.compile(
    r"人人有责|贵在|必定会|必将|一定能|一定会|寄予厚望|责任重大|让我们|任重道远|使命光荣"
)
# The verbs and modals that make a sentence a task. Broad on purpose: in a plan part
# nearly every sentence is imperative; rule 3 catches the rhetoric first.
ACTION_RE = re.compile(
    r"推进|推动|推行|推广|实施|实行|加强|加快|加大|完成|建设|建成|开工|竣工|完工|投用|新增|新建|"
    r"改建|扩建|落实|深化|完善|提高|提升|扩大|发展|培育|支持|开展|实现|确保|力争|争取|启动|"
    r"组建|设立|成立|建立|健全|创建|争创|打造|打好|打赢|抓好|抓|办好|做好|做到|强化|优化|促进|"
    r"引导|鼓励|严格|坚持|坚决|保持|保障|增强|减少|降低|淘汰|取缔|清除|消除|治理|整治|改造|"
    r"规划|制定|出台|筹建|开通|举办|组织|解决|招聘|修编|划定|巩固|构建|形成|聚焦|突出|围绕|依托|"
    r"发挥|统筹|守住|防范|化解|防控|管控|监管|执行|贯彻|履行|接受|运用|摒弃|破除|打掉|找准|"
    r"牢记|拓展|激发|释放|整合|理顺|弘扬|学习|宣传|兜住|维护|申报|增加|调整|引进|转化|汇聚|"
    r"设置|编制|防治|修复|回收|利用|查禁|打击|追究|问责|应对|核定|管住|恪守|严守|惩治|服从|"
    r"紧跟|检视|夯实|丰富|壮大|调优|稳定|达到|突破|超过|研究|用好|营造|探索|优先|继续|积极|"
    r"大力|着力|切实|全面|必须|务必|要|将|努力|扎实|加速|提速|规范|保护|关爱|救助|帮扶|"
    r"对接|融入|合作|引进|招商|普及|覆盖|清理|拆除|搬迁|投入|提供|补齐|压减|削减"
)
# A number with a unit: the sentence sets a target even without a verb
# ("生态循环农业面积达到45万亩" has one, "粮食总产209万吨左右" would too).
NUMBER_WITH_UNIT_RE = re.compile(
    r"\d+(?:\.\d+)?(?:%|％|个|万|亿|元|人|名|家|所|条|套|台|辆|公里|亩|吨|户|项|座|处)"
)


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text[start:end]``, leading blanks skipped."""
    spans = []
    for m in SENTENCE_RE.finditer(text, start, end):
        a, b = m.start(), m.end()
        while a < b and text[a] in SPACE:
            a += 1
        while b > a and text[b - 1] in SPACE:
            b -= 1
        if a < b:
            spans.append((a, b))
    return spans


def classify_sentence(sentence: str) -> Verdict:
    if ADDRESS_RE.match(sentence):
        return "address"
    if LIST_INTRO_RE.search(sentence) and sentence.rstrip().endswith(("：", ":")):
        return "framing"
    has_number = bool(NUMBER_WITH_UNIT_RE.search(sentence))
    if RHETORIC_RE.search(sentence) and not has_number:
        return "rhetoric"
    if has_number or ACTION_RE.search(sentence):
        return "commitment"
    return "unclassified"
