"""The work-order fields a caller's words give (诉求人, 事发时间, 事发地), found by patterns.

What is not said stays empty: an agent completes it in the admin. Times are resolved against the
moment of the call in the site's zone (昨天晚上 → yesterday 20:00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotline.profile import Profile

# the commonest single-character surnames (百家姓 by frequency): "我是X" is a name only after one of these
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
    "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂"
    "章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解"
    "牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄"
    "丛仲虞敖巩明佘池查麻苑迟邝"
)
_NAME_STOP = set("的了在是有我你他她它这那就都也还又想要来去说住家们个从被把给让和与跟啊呀吧呢嘛哦")
_HAN = r"\u4e00-\u9fff"
_NAME_PATTERNS = (
    re.compile(rf"我叫([{_HAN}]{{2,4}})"),
    re.compile(rf"我的名字(?:是|叫)([{_HAN}]{{2,4}})"),
    re.compile(rf"(?:^|[，,。.！!？?\s]|你好)我是([{_HAN}]{{2,3}})(?=[，,。.！!？?\s]|$)"),
    re.compile(rf"我姓([{_HAN}])"),
)


def caller_name(text: str) -> str | None:
    for i, pat in enumerate(_NAME_PATTERNS):
        m = pat.search(text)
        if not m:
            continue
        name = m.group(1)
        cut = next((k for k, ch in enumerate(name) if ch in _NAME_STOP), len(name))
        name = name[:cut]
        if i == 3:  # only the surname was said
            return f"{name}（姓）" if name in SURNAMES else None
        if len(name) >= 2 and (i < 2 or name[0] in SURNAMES):
            return name
    return None


# ------------------------------------------------------------------------------------------- place
# characters that never belong to a place name (particles, pronouns, time words; simplified and traditional)
_NOT_PLACE = (
    "的了在是有我你他她它这那就都也还又想要来去说住家们个從从被把给让啊呀吧呢嘛哦开始晚早昨今前刚到出坏們個這裡"
)
_PCHAR = rf"(?:(?![{_NOT_PLACE}])[{_HAN}0-9])"
_MARK = (
    r"(?:小区|花园|家园|新村|广场|公园|大厦|市场|商场|医院|中学|小学|学校|车站|大道|胡同|号楼|单元"
    r"|路口|路(?![灯面过费线口])|街(?!道)|巷|村|镇|乡|桥|栋|区|县)"
)
_PLACE = rf"{_PCHAR}{{0,8}}?{_MARK}"
_SUFFIX = r"(?:十字路口|交叉口|路口|门口|附近|旁边|对面|楼下|东侧|西侧|南侧|北侧|[0-9一二三四五六七八九十]+号|口)?"
_PLACE_RE = re.compile(rf"{_PLACE}(?:[和与跟、]?{_PLACE})*{_SUFFIX}")
_RELATIVE_PLACE = re.compile(r"(?:我家|我们家|家门口|单位|公司)(?:楼下|门口|附近|旁边|对面|楼上)?")


def location(text: str) -> str | None:
    best = None
    for m in _PLACE_RE.finditer(text):
        if best is None or len(m.group(0)) > len(best):
            best = m.group(0)
    if best and len(best) >= 2:
        return best
    m = _RELATIVE_PLACE.search(text)
    return m.group(0) if m else None


def region_code(place: str | None, profile: Profile) -> str | None:
    """The GB/T 2260 code of a district the caller named, else the scheme's own (None: unknown)."""
    if profile.region is None:
        return None
    for name, code in profile.region.places.items():
        if place and (name in place or name.rstrip("区县市") in place):
            return code
    return profile.region.code


# -------------------------------------------------------------------------------------------- time
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DAY = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "昨晚": 1, "前天": 2, "今晚": 0, "今早": 0}
_PART = {  # part of the day -> (hour when no hour is said, hours added to a said hour 1-12)
    "凌晨": (3, 0),
    "早上": (8, 0),
    "早晨": (8, 0),
    "上午": (10, 0),
    "中午": (12, 0),
    "下午": (15, 12),
    "傍晚": (18, 12),
    "晚上": (20, 12),
    "夜里": (23, 12),
    "半夜": (1, 0),
}
_NUM = r"[0-9]{1,2}|[零一二两三四五六七八九十]{1,3}"
_TIME_RE = re.compile(
    rf"(?P<day>今天|今日|昨天|昨日|前天|昨晚|今晚|今早)?(?P<part>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|半夜)?"
    rf"(?:(?P<hour>{_NUM})[点时](?:(?P<half>半)|(?P<minute>{_NUM})分?)?)?"
)
_AGO_RE = re.compile(rf"(?P<n>{_NUM}|半|几)个?(?P<unit>分钟|小时|钟头|天)(?:以)?前")
_NOW_RE = re.compile(r"刚才|刚刚|现在|正在|此刻")


def _num(s: str) -> int:
    if s.isdigit():
        return int(s)
    if s == "十":
        return 10
    if "十" in s:
        a, _, b = s.partition("十")
        return (_CN_DIGITS.get(a, 1) if a else 1) * 10 + (_CN_DIGITS.get(b, 0) if b else 0)
    return _CN_DIGITS.get(s, 0)


@dataclass(frozen=True)
class EventTime:
    at: datetime | None  # aware; None when only vaguely said (好几天了)
    text: str


def event_time(text: str, called_at: datetime, tz: str) -> EventTime | None:
    """When it happened, as said, resolved against the call's moment (aware UTC in, aware out)."""
    zone = ZoneInfo(tz)
    local = called_at.astimezone(zone)
    best = None
    for m in _TIME_RE.finditer(text):
        said = m.group(0) and (m.group("day") or m.group("hour") or m.group("part"))
        if said and (best is None or len(m.group(0)) > len(best.group(0))):
            best = m
    if best is not None:
        day = local.date() - timedelta(days=_DAY.get(best.group("day") or "", 0))
        part = best.group("part") or ("晚上" if best.group("day") in ("昨晚", "今晚") else None)
        if best.group("hour"):
            hour = _num(best.group("hour")) % 24
            if part and hour <= 12:
                hour = (hour + _PART[part][1]) % 24 if hour < 12 or part in ("凌晨", "半夜") else hour
            minute = 30 if best.group("half") else (_num(best.group("minute")) if best.group("minute") else 0)
        elif part:
            hour, minute = _PART[part][0], 0
        else:
            hour, minute = local.hour, local.minute  # 今天 / 昨天 alone: that day, the time unknown
        at = datetime.combine(day, time(hour % 24, min(minute, 59)), zone)
        if not best.group("day") and at > local:  # 八点 said at 07:00 means yesterday's
            at -= timedelta(days=1)
        return EventTime(at, best.group(0))
    m = _AGO_RE.search(text)
    if m:
        n = 0.5 if m.group("n") == "半" else (3 if m.group("n") == "几" else _num(m.group("n")))
        unit = {"分钟": timedelta(minutes=1), "小时": timedelta(hours=1), "钟头": timedelta(hours=1)}
        return EventTime(local - n * unit.get(m.group("unit"), timedelta(days=1)), m.group(0))
    m = _NOW_RE.search(text)
    if m:
        return EventTime(local, m.group(0))
    return None
