"""Whose report: the place (with its suffix) and its level, read from the head or the body.

Where a report names its government, most certain first:

    在河南省第十四届人民代表大会第四次会议上          the congress it was given to
    2017年安阳市政府工作报告 / 河北省人民政府工作报告   the title
    我代表海拉尔区人民政府 / 福建省人民政府省长 赵龙     the speaker

A nested name ("呼伦贝尔市海拉尔区") is the innermost unit: the district is the place.
No table of places: the suffix says the level, so any government's report reads.
"""

from __future__ import annotations

import re

from .types import PlaceLevel

__all__ = ["level_of", "read_place", "split_units"]

_CJK = r"[\u4e00-\u9fff]"
# Longest suffixes first: 自治区 before 区, 自治州 before 州.
_SUFFIX = r"(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|州|盟|县|旗|区)"
# A unit: at least two characters of name, then its suffix ("广州市", not "广" + "州").
UNIT_RE = re.compile(rf"{_CJK}{{2,}}?{_SUFFIX}")
# A name of one to three nested units, e.g. "呼伦贝尔市海拉尔区", "河北省石家庄市".
_NAME = rf"(?P<name>(?:{_CJK}{{2,10}}?{_SUFFIX}){{1,3}}?)"
# The direct-administered municipalities (直辖市) govern like provinces: their congress is
# a provincial-level people's congress and their districts are the next level down, so a
# 直辖市 report is read as "province" level. A handful of names, fixed by the constitution.
MUNICIPALITIES = frozenset({"北京市", "上海市", "天津市", "重庆市"})

PLACE_PATTERNS = [
    # 在河南省第十四届人民代表大会 / 在呼伦贝尔市海拉尔区第十四届人民代表大会
    re.compile(rf"在{_NAME}第?[一二三四五六七八九十]+届(?:人民代表大会|人大)"),
    # 2017年安阳市政府工作报告 / 河北省人民政府工作报告
    re.compile(rf"(?:^|\d{{4}}\s*年(?:度)?|[（(【“])\s*{_NAME}(?:人民)?政府工作报告"),
    # 我代表北京市人民政府 / 福建省人民政府省长 / 海拉尔区人民政府代区长
    re.compile(rf"我代表{_NAME}人民政府"),
    re.compile(rf"(?:^|\s){_NAME}(?:人民政府)?代?(?:省长|市长|区长|县长|州长|盟长|旗长|主席)"),
]
_NOT_A_NAME_RE = re.compile(r"^(?:本|我|全|各|该|这|省|市|区|县|自治区|人民)")


def split_units(name: str) -> list[str]:
    """ "呼伦贝尔市海拉尔区" → ["呼伦贝尔市", "海拉尔区"]."""
    return UNIT_RE.findall(name)


def level_of(place: str) -> PlaceLevel | None:
    """The level a place's suffix says; None when it has no known suffix."""
    if place in MUNICIPALITIES:
        return "province"
    if place.endswith(("省", "自治区", "特别行政区")):
        return "province"
    # A 县级市 (county-level city) also ends in 市: without a table of places it reads as a
    # city; --place / place_level can say otherwise.
    if place.endswith(("市", "州", "盟", "地区")):
        return "city"
    if place.endswith(("县", "旗")):
        return "county"
    if place.endswith("区"):
        return "district"
    return None


def read_place(lines: list[str]) -> str:
    """The innermost unit named by the first line that names the government; "" if none.

    ``lines`` are the head lines (title, date, speaker), then the body's first lines; the
    lines are also read joined, for a congress line broken in two ("在广东省第十四届" /
    "人民代表大会第五次会议上").
    """
    candidates = [*lines, "".join(lines)]
    for pattern in PLACE_PATTERNS:
        for line in candidates:
            for m in pattern.finditer(line):
                units = split_units(m.group("name"))
                units = [u for u in units if not _NOT_A_NAME_RE.match(u)]
                if units and level_of(units[-1]) is not None:
                    return units[-1]
    return ""
