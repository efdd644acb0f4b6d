"""A realistic demo bank, built from a seed as the import files of CONTRACT.md §1.

Pure Python, no Django: the same seed, sizes and end month always give the same bytes, so the
files double as examples for HR and the generator is tested alone. `demo.seed`
writes the files and feeds them through the real importer.

The bank is a Zhejiang city bank: 总行 → 分行 per city (杭州, 宁波, 温州, …) → 支行 per district →
营业部/分理处. Every lobby manager has an ability and a service quality; each month's volumes
follow from them, from the days they were in the lobby and from SCORING.md §2's default
targets, so the story lines below come out of the real scoring rules:

- a star at about 120% of every target, with praise letters;
- two steady low performers in one peer group (about 45% of targets, low ratings, upheld
  complaints) over the last five months, far below 60 points and below 0.7 × the group
  median, so they are bottom-flagged three months running and an improvement case opens;
- tellers promoted to lobby manager in the last three months (on probation);
- a move to another tier-1 branch mid-year, a leaver, a 98-day maternity leave (exempt
  months), annual leave, sick days and training;
- one upheld major complaint (veto), a complaint that was not upheld, and months without a
  mystery-shopper visit.
"""

from __future__ import annotations

import calendar
import csv
import datetime
import io
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

# SCORING.md §2: the default targets, and the deposit reference in 万元.
DEFAULT_TARGETS = {"accounts": 20, "effective": 8, "ebanking": 15, "deposits": 100}
EFFECTIVE_THRESHOLD = 10_000
LOW_MONTHS = 5  # the low performers' bad stretch: long enough for three flagged months in a row
MIN_STAFF = 12
MAX_STAFF = 5000

COLUMNS = {
    "branches": ["code", "name", "parent_code", "level"],
    "staff": ["employee_no", "name", "branch_code", "position", "position_since", "hired_on", "status",
              "changed_on"],
    "absences": ["employee_no", "start", "end", "kind"],
    "accounts": ["ref", "date", "employee_no", "customer_ref", "account_type", "avg_assets"],
    "deposits": ["ref", "date", "employee_no", "customer_ref", "amount", "product"],
    "ebanking": ["ref", "date", "employee_no", "customer_ref", "product", "activated"],
    "feedback": ["ref", "date", "employee_no", "channel", "kind", "rating", "score", "upheld", "severity",
                 "text"],
    "targets": ["period", "scope", "item", "target"],
}  # fmt: skip

# Per city, "district outlet outlet … | district …": real place names, so the screens read
# like a real bank's.
CITY_PLACES = [
    ("杭州", "西湖 文三路 黄龙 古墩路 之江 | 上城 湖滨 钱江新城 清波 | 拱墅 武林 莫干山路 大关 | "
             "滨江 江南大道 长河 | 萧山 湘湖 市心路 瓜沥 | 余杭 未来科技城 良渚 闲林 | 临平 南苑 乔司 | "
             "钱塘 下沙 义蓬 | 富阳 银湖 春江 | 临安 锦城 青山湖 | 桐庐 迎春 | 建德 新安江 | 淳安 千岛湖"),
    ("宁波", "海曙 天一广场 鼓楼 石碶 | 江北 老外滩 庄桥 | 鄞州 南部商务区 东部新城 钟公庙 | "
             "北仑 新碶 大碶 | 镇海 骆驼 庄市 | 奉化 岳林 | 余姚 阳明 梨洲 | 慈溪 白沙路 周巷 观海卫 | "
             "象山 丹东 | 宁海 跃龙"),
    ("温州", "鹿城 五马街 车站大道 人民路 | 龙湾 永强 蒲州 | 瓯海 娄桥 梧田 | 瑞安 安阳 塘下 | "
             "乐清 柳市 虹桥 城东 | 永嘉 上塘 瓯北 | 平阳 昆阳 鳌江 | 苍南 灵溪 | 龙港 龙港新城 | 洞头 北岙"),
    ("绍兴", "越城 解放路 城南 | 柯桥 中国轻纺城 钱清 | 上虞 百官 曹娥 | 诸暨 暨阳 店口 | 嵊州 剡湖 | "
             "新昌 南明"),
    ("嘉兴", "南湖 中山路 城南路 | 秀洲 洪合 王江泾 | 嘉善 西塘 魏塘 | 平湖 当湖 乍浦 | 海宁 许村 硖石 | "
             "海盐 武原 | 桐乡 濮院 梧桐"),
    ("金华", "婺城 八一街 城西 | 金东 多湖 孝顺 | 义乌 国际商贸城 稠城 佛堂 | 东阳 横店 吴宁 | "
             "永康 东城 古山 | 兰溪 兰江 | 浦江 浦阳 | 武义 壶山"),
    ("台州", "椒江 市府大道 海门 | 黄岩 新前 东城 | 路桥 金清 路南 | 临海 杜桥 古城 | 温岭 泽国 大溪 | "
             "玉环 楚门 坎门 | 天台 赤城 | 仙居 安洲"),
    ("湖州", "吴兴 红旗路 仁皇山 | 南浔 练市 双林 | 德清 新市 武康 | 长兴 雉城 泗安 | 安吉 递铺 孝丰"),
    ("衢州", "柯城 上街 荷花 | 衢江 樟潭 | 龙游 龙洲 | 江山 虎山 | 常山 天马 | 开化 芹阳"),
    ("舟山", "定海 解放路 环城 | 普陀 沈家门 朱家尖 | 岱山 高亭 | 嵊泗 菜园"),
    ("丽水", "莲都 中山街 水阁 | 龙泉 剑池 | 青田 鹤城 温溪 | 缙云 五云 | 遂昌 妙高 | 松阳 西屏 | "
             "云和 浮云 | 庆元 松源 | 景宁 鹤溪"),
]  # fmt: skip
CITIES: list[tuple[str, list[tuple[str, list[str]]]]] = [
    (city, [(group.split()[0], group.split()[1:]) for group in places.split("|")]) for city, places in CITY_PLACES
]
EXTRA_DISTRICTS = ["开发区", "高新区", "城东", "城西", "城南", "城北", "新区", "科技城", "港区", "商务区"]
CHINESE_NUMERALS = "一二三四五六七八九十"

# Surnames by weight, roughly as common in Zhejiang; compound ones make the longest names.
SURNAME_WEIGHTS = {
    "陈": 9, "王": 8, "张": 6, "李": 6, "吴": 5, "徐": 5, "周": 5,
    **dict.fromkeys("金沈朱杨林刘黄胡郑", 3),
    **dict.fromkeys("方叶蒋俞钱孙何赵傅潘汪", 2),
    **dict.fromkeys("楼应陆邵童虞毛章姚丁卢施袁程戴严马谢", 1),
}  # fmt: skip
COMPOUND_SURNAMES = ["欧阳", "司马", "诸葛", "上官", "司徒", "端木", "皇甫", "东方"]
FEMALE_CHARACTERS = "婷静敏燕艳丽娟霞芳颖倩雪琳晶欣怡佳慧璐瑶萍洁蕾露楠悦诗梦雨思琪莹雯佩岚薇婧媛晓丹璇"
MALE_CHARACTERS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳晨昊博文亮振峰毅彬"

ACCOUNT_TYPES = [("借记卡", 55), ("个人结算账户", 20), ("二类账户", 15), ("社保卡", 6), ("储蓄存折", 4)]
DEPOSIT_PRODUCTS = [("活期储蓄", 30), ("整存整取一年", 25), ("整存整取三年", 15), ("大额存单", 15),
                    ("通知存款", 8), ("定活两便", 7)]  # fmt: skip
EBANKING_PRODUCTS = [("mobile_banking", 45), ("wechat_banking", 20), ("sms_alerts", 20),
                     ("online_banking", 10), ("other", 5)]  # fmt: skip
PRAISE_TEXTS = [
    "客户来信表扬：耐心指导老年客户使用手机银行，服务周到。",
    "客户致电表扬：主动引导分流，减少了排队时间。",
    "锦旗一面：识破电信诈骗，帮助客户保住存款。",
    "客户来信表扬：业务讲解清楚，态度热情。",
    "客户表扬：雨天主动为客户提供雨伞，细致贴心。",
    "客户来信：协助办理社保卡激活，一次办结。",
]
COMPLAINT_TEXTS = [
    "客户投诉：排队等候时间过长，大堂引导不到位。",
    "客户投诉：服务态度生硬，解释不耐心。",
    "客户投诉：填单指导有误，导致重复办理。",
    "客户投诉：未及时响应叫号机故障。",
]
NOT_UPHELD_TEXT = "客户投诉：认为被拒绝办理业务（经核实为系统维护，员工处置得当，投诉不属实）。"
MAJOR_COMPLAINT_TEXT = "重大投诉：向老年客户误导销售理财产品，客户投诉至监管部门，经核实属实。"
INSPECTION_TEXTS = [
    "暗访：厅堂秩序良好，引导分流及时。",
    "暗访：迎送礼仪规范，风险提示到位。",
    "暗访：厅堂环境整洁，识别客户需求准确。",
    "暗访：等候区巡视不足，需改进。",
]
SURVEY_COMMENTS = ["服务很好", "讲解耐心", "效率高", "等候时间有点长", "态度热情", "希望增加自助设备"]


@dataclass(frozen=True)
class DemoFile:
    """One import file: its name in the folder, the importer kind, and its rows as text."""

    name: str
    kind: str
    rows: list[dict]

    def to_csv_bytes(self) -> bytes:
        # UTF-8 with BOM so Excel in China opens the example files as they are; `\n` line ends.
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS[self.kind], lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        return buffer.getvalue().encode("utf-8-sig")


@dataclass
class DemoBank:
    """The bank as import files in import order, and who plays which part in its story."""

    files: list[DemoFile]
    months: list[datetime.date]
    story: dict = field(default_factory=dict)

    def file(self, name: str) -> DemoFile:
        return next(demo_file for demo_file in self.files if demo_file.name == name)

    def rows(self, kind: str) -> list[dict]:
        return [row for demo_file in self.files if demo_file.kind == kind for row in demo_file.rows]

    def write(self, folder: Path) -> list[Path]:
        """Writes every file into `folder` and returns their paths in import order."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for demo_file in self.files:
            path = folder / demo_file.name
            path.write_bytes(demo_file.to_csv_bytes())
            paths.append(path)
        return paths


@dataclass
class _Branch:
    code: str
    name: str
    parent_code: str
    level: str
    tier1_code: str = ""


@dataclass
class _Person:
    name: str
    female: bool
    branch_code: str
    position: str
    position_since: datetime.date
    hired_on: datetime.date
    employee_no: str = ""
    ability: float = 1.0
    quality: float = 0.94  # the share of ratings of 4 or 5
    part: str = ""  # the person's role in the story, if any
    lobby_from: datetime.date | None = None  # promoted into the lobby on that day
    left_on: datetime.date | None = None
    moved_on: datetime.date | None = None
    moved_to: str = ""
    absent: set = field(default_factory=set)  # dates


def month_add(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def last_full_month(today: datetime.date) -> datetime.date:
    """The first day of the month before `today`'s month: the demo ends there."""
    return month_add(today.replace(day=1), -1)


def build_demo_bank(
    *, seed: int, months: int, staff: int, end_month: datetime.date, today: datetime.date | None = None
) -> DemoBank:
    """The whole bank for `months` months ending with `end_month`, from `seed` alone.

    `staff` is the number of lobby managers (anyone who is one at some time in the period,
    promoted tellers and the leaver included); a handful of tellers and outlet heads come on
    top. No record is dated after `today` (default: the end of `end_month`).
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    if not MIN_STAFF <= staff <= MAX_STAFF:
        raise ValueError(
            f"staff must be from {MIN_STAFF} (so every part of the story has a player) to {MAX_STAFF} "
            f"(so the six-digit branch codes suffice)"
        )
    return _Builder(seed=seed, months=months, staff=staff, end_month=end_month.replace(day=1), today=today).build()


class _Builder:
    def __init__(self, *, seed, months, staff, end_month, today):
        self.rng = random.Random(seed)
        self.months = [month_add(end_month, offset) for offset in range(1 - months, 1)]
        self.start = self.months[0]
        self.end = month_add(end_month, 1) - datetime.timedelta(days=1)
        self.today = today or self.end
        self.staff_count = staff
        self.branches: list[_Branch] = []
        self.people: list[_Person] = []
        self.absences: list[tuple[_Person, datetime.date, datetime.date, str]] = []
        self.story: dict = {}
        self.taken: set[str] = set()  # names already given

    # -- the tree ---------------------------------------------------------------------------

    def build_tree(self):
        rng = self.rng
        tier1_count = min(max(3, math.ceil(self.staff_count / 30)), len(CITIES))
        per_tier1 = self.staff_count / tier1_count
        places = math.ceil(per_tier1 / 2.2)  # halls that seat lobby managers, about two each
        sub_count = max(4, math.ceil(places / 2.2))
        outlet_count = max(sub_count, places - sub_count)
        self.branches.append(_Branch("100000", "之江银行总行", "", "head_office"))
        for i, (city, districts) in enumerate(CITIES[:tier1_count], start=1):
            tier1 = _Branch(f"1{i:02d}000", f"{city}分行", "100000", "branch", f"1{i:02d}000")
            self.branches.append(tier1)
            names = [(district, outlets) for district, outlets in districts]
            names += [(f"{city}{extra}", []) for extra in EXTRA_DISTRICTS]
            while len(names) < sub_count:
                names.append((f"{city}第{len(names) + 1}", []))
            outlets_per_sub = [1] * sub_count
            for _ in range(outlet_count - sub_count):
                outlets_per_sub[rng.randrange(sub_count)] += 1
            for j in range(sub_count):
                district, outlet_names = names[j]
                sub = _Branch(f"1{i:02d}{j + 1:02d}0", f"{district}支行", tier1.code, "sub_branch", tier1.code)
                self.branches.append(sub)
                for k in range(min(outlets_per_sub[j], 9)):
                    place = outlet_names[k] if k < len(outlet_names) else f"{district}第{CHINESE_NUMERALS[k]}"
                    suffix = "营业部" if rng.random() < 0.6 else "分理处"
                    self.branches.append(
                        _Branch(f"1{i:02d}{j + 1:02d}{k + 1}", f"{place}{suffix}", sub.code, "outlet", tier1.code)
                    )

    def halls(self, tier1_code: str) -> list[_Branch]:
        return [b for b in self.branches if b.tier1_code == tier1_code and b.level in ("sub_branch", "outlet")]

    def tier1s(self) -> list[_Branch]:
        return [b for b in self.branches if b.level == "branch"]

    # -- people -----------------------------------------------------------------------------

    def new_name(self, female: bool, taken: set, compound: bool = False) -> str:
        rng = self.rng
        while True:
            if compound:
                surname = rng.choice(COMPOUND_SURNAMES)
                given_length = 2
            else:
                surname = rng.choices(list(SURNAME_WEIGHTS), weights=list(SURNAME_WEIGHTS.values()))[0]
                given_length = 1 if rng.random() < 0.3 else 2
            characters = FEMALE_CHARACTERS if female else MALE_CHARACTERS
            name = surname + "".join(rng.choice(characters) for _ in range(given_length))
            if name not in taken:
                taken.add(name)
                return name

    def hire_dates(self, *, before: datetime.date) -> tuple[datetime.date, datetime.date]:
        """An experienced employee: hired years ago, in the position since before `before`."""
        hired_on = self.start - datetime.timedelta(days=self.rng.randint(500, 6500))
        latest = before - datetime.timedelta(days=180)
        span = max(0, (latest - hired_on).days)
        return hired_on, hired_on + datetime.timedelta(days=self.rng.randint(0, span))

    def build_people(self):
        rng = self.rng
        taken = self.taken
        tier1s = self.tier1s()
        promoted_count = max(2, round(self.staff_count * 0.04))
        regular_count = self.staff_count - promoted_count
        compound_left = min(3, regular_count // 4)
        # Lobby managers are dealt round the tier-1 branches, then seated so that every hall
        # has one before the rest go at random (sub-branch halls are bigger).
        order = list(range(regular_count))
        rng.shuffle(order)
        seats: dict[str, list[str]] = {}
        for t, tier1 in enumerate(tier1s):
            halls = self.halls(tier1.code)
            count = sum(1 for slot in order if slot % len(tier1s) == t)
            codes = [hall.code for hall in halls][:count]
            weights = [1.5 if hall.level == "sub_branch" else 1.0 for hall in halls]
            codes += rng.choices([hall.code for hall in halls], weights=weights, k=count - len(codes))
            rng.shuffle(codes)
            seats[tier1.code] = codes
        for slot in order:
            tier1 = tier1s[slot % len(tier1s)]
            female = rng.random() < 0.72
            hired_on, since = self.hire_dates(before=self.start)
            person = _Person(
                name=self.new_name(female, taken, compound=compound_left > 0),
                female=female,
                branch_code=seats[tier1.code].pop(),
                position="lobby_manager",
                position_since=since,
                hired_on=hired_on,
                ability=min(1.2, max(0.78, rng.gauss(0.98, 0.09))),
                quality=min(0.985, max(0.9, rng.gauss(0.945, 0.02))),
            )
            compound_left -= 1
            self.people.append(person)
        # Tellers promoted into the lobby in the last three months: on probation at the end.
        for p in range(promoted_count):
            tier1 = tier1s[p % len(tier1s)]
            hall = rng.choice(self.halls(tier1.code))
            hired_on = self.start - datetime.timedelta(days=rng.randint(400, 2500))
            month = self.months[max(0, len(self.months) - 1 - p % 3)]
            female = rng.random() < 0.72
            self.people.append(
                _Person(
                    name=self.new_name(female, taken),
                    female=female,
                    branch_code=hall.code,
                    position="teller",
                    position_since=hired_on,
                    hired_on=hired_on,
                    part="promoted",
                    lobby_from=month + datetime.timedelta(days=rng.randint(1, 19)),
                    ability=min(1.1, max(0.8, rng.gauss(0.92, 0.06))),
                    quality=rng.uniform(0.92, 0.97),
                )
            )
        # A handful of other positions, who get no scorecard: outlet heads and tellers.
        others = max(4, round(self.staff_count * 0.1))
        halls = [b for b in self.branches if b.level in ("sub_branch", "outlet")]
        for o in range(others):
            position = "branch_head" if o % 3 == 0 else "teller"
            female = rng.random() < 0.6
            hired_on, since = self.hire_dates(before=self.start)
            self.people.append(
                _Person(
                    name=self.new_name(female, taken),
                    female=female,
                    branch_code=rng.choice(halls).code,
                    position=position,
                    position_since=since,
                    hired_on=hired_on,
                    part="other",
                )
            )
        # Employee numbers follow the hiring order, as a core-banking HR system hands them out.
        ranked = sorted(self.people, key=lambda person: (person.hired_on, person.name))
        for number, person in enumerate(ranked, start=10001):
            person.employee_no = f"E{number}"

    def tier1_of(self, code: str) -> str:
        return next(b.tier1_code for b in self.branches if b.code == code)

    def cast(self):
        """Chooses who plays which part, and sets their dates."""
        rng = self.rng
        months = self.months
        regulars = sorted(
            (p for p in self.people if p.position == "lobby_manager" and not p.part),
            key=lambda p: p.employee_no,
        )
        by_tier1: dict[str, list[_Person]] = {}
        for person in regulars:
            by_tier1.setdefault(self.tier1_of(person.branch_code), []).append(person)
        tier1_codes = [b.code for b in self.tier1s()]
        low_group = max(tier1_codes, key=lambda code: (len(by_tier1.get(code, [])), -int(code)))
        other_groups = [code for code in tier1_codes if code != low_group]

        def pick(candidates, part, **changes):
            free = [p for p in candidates if not p.part]
            person = rng.choice(free)
            person.part = part
            for name, value in changes.items():
                setattr(person, name, value)
            return person

        low_candidates = by_tier1[low_group]
        first_low = pick(low_candidates, "low", ability=0.45, quality=0.78)
        second_low = pick(
            [p for p in low_candidates if p.branch_code != first_low.branch_code] or low_candidates,
            "low",
            ability=0.47,
            quality=0.79,
        )
        star = pick(by_tier1[other_groups[0]], "star", ability=1.22, quality=0.99)
        mover = pick(by_tier1[other_groups[0]], "mover")
        mover.moved_on = months[len(months) // 2] + datetime.timedelta(days=15)
        mover.moved_to = rng.choice(self.halls(other_groups[1])).code
        leaver = pick(by_tier1[other_groups[1]], "leaver")
        leaver.left_on = months[max(0, len(months) - 4)] + datetime.timedelta(days=14)
        mothers = [p for p in regulars if p.female and not p.part]
        if not mothers:  # a tiny bank drew no free woman: make one
            mothers = [next(p for p in regulars if not p.part)]
            mothers[0].female, mothers[0].name = True, self.new_name(True, self.taken)
        mother = pick(mothers, "maternity")
        maternity_start = months[max(0, len(months) - 5)] + datetime.timedelta(days=9)
        self.add_absence(mother, maternity_start, maternity_start + datetime.timedelta(days=97), "maternity")
        vetoed = pick(regulars, "veto")
        unheld = pick(regulars, "complaint_not_upheld")
        uninspected = pick(regulars, "no_inspection")
        low_months = months[-LOW_MONTHS:]
        promoted = [p for p in self.people if p.part == "promoted"]
        self.story = {
            "star": star.employee_no,
            "low_performers": [first_low.employee_no, second_low.employee_no],
            "low_group": low_group,
            "low_months": [f"{m:%Y-%m}" for m in low_months],
            "mover": {
                "employee_no": mover.employee_no,
                "from": mover.branch_code,
                "to": mover.moved_to,
                "changed_on": mover.moved_on.isoformat(),
            },
            "leaver": {"employee_no": leaver.employee_no, "changed_on": leaver.left_on.isoformat()},
            "maternity": {
                "employee_no": mother.employee_no,
                "start": maternity_start.isoformat(),
                "end": (maternity_start + datetime.timedelta(days=97)).isoformat(),
            },
            "veto": {
                "employee_no": vetoed.employee_no,
                "month": f"{months[-2 if len(months) > 1 else -1]:%Y-%m}",
            },
            "complaint_not_upheld": {"employee_no": unheld.employee_no, "month": f"{months[-1]:%Y-%m}"},
            "no_inspection": {"employee_no": uninspected.employee_no, "month": f"{months[-1]:%Y-%m}"},
            "probation": [
                {"employee_no": p.employee_no, "position_since": p.lobby_from.isoformat()}
                for p in sorted(promoted, key=lambda p: p.employee_no)
            ],
            "long_names": sorted(p.employee_no for p in self.people if len(p.name) >= 4),
        }

    # -- absences ---------------------------------------------------------------------------

    def add_absence(self, person: _Person, start: datetime.date, end: datetime.date, kind: str) -> bool:
        days = {start + datetime.timedelta(days=n) for n in range((end - start).days + 1)}
        if days & person.absent:
            return False
        person.absent |= days
        self.absences.append((person, start, end, kind))
        return True

    def build_absences(self):
        rng = self.rng
        low_start = self.months[-LOW_MONTHS:][0]
        kinds = [
            ("annual", 0.10, 3, 7),
            ("sick", 0.07, 1, 3),
            ("training", 0.05, 2, 4),
            ("other", 0.01, 1, 1),
        ]
        for person in sorted(self.people, key=lambda p: p.employee_no):
            if person.part == "other":
                continue
            for month in self.months:
                days = calendar.monthrange(month.year, month.month)[1]
                for kind, chance, shortest, longest in kinds:
                    if rng.random() >= chance:
                        continue
                    start = month + datetime.timedelta(days=rng.randrange(days))
                    end = min(start + datetime.timedelta(days=rng.randint(shortest, longest) - 1), self.end)
                    if person.part == "low" and end >= low_start:
                        continue  # they must stay assessed (not exempt) through their bad months
                    if person.lobby_from and start < person.lobby_from:
                        continue
                    if person.left_on and end >= person.left_on:
                        continue
                    self.add_absence(person, start, end, kind)

    # -- records ----------------------------------------------------------------------------

    def lobby_days(self, person: _Person, month: datetime.date) -> tuple[list[int], int]:
        """The days of `month` the person worked in the lobby, and the month's length."""
        length = calendar.monthrange(month.year, month.month)[1]
        result = []
        for day in range(1, length + 1):
            date = month.replace(day=day)
            if date > self.today or date in person.absent:
                continue
            if person.lobby_from and date < person.lobby_from:
                continue
            if person.left_on and date >= person.left_on:
                continue
            result.append(day)
        return result, length

    def factor(self, person: _Person, month: datetime.date) -> float:
        """How hard the month went: ability, a ramp-up for the newly promoted, and luck."""
        ability = person.ability
        if person.part == "low" and month < self.months[-LOW_MONTHS:][0]:
            ability = 0.9  # mediocre before the bad stretch
        if person.lobby_from:
            months_in = (month.year - person.lobby_from.year) * 12 + month.month - person.lobby_from.month
            ability *= (0.75, 0.88)[months_in] if months_in < 2 else 1.0
        spread = 0.03 if person.part in ("star", "low") else 0.08
        return ability * self.rng.gauss(1.0, spread)

    def customer(self) -> str:
        return f"C{self.rng.randrange(10**10):010d}"

    def build_records(self) -> dict[str, list[dict]]:
        records: dict[str, list[dict]] = {"accounts": [], "deposits": [], "ebanking": [], "feedback": []}
        lobby_staff = sorted(
            (p for p in self.people if p.position == "lobby_manager" or p.part == "promoted"),
            key=lambda p: p.employee_no,
        )
        for month in self.months:
            for person in lobby_staff:
                days, length = self.lobby_days(person, month)
                if days:
                    self.person_month(person, month, days, length, records)
        return records

    def person_month(
        self,
        person: _Person,
        month: datetime.date,
        days: list[int],
        length: int,
        records: dict[str, list[dict]],
    ) -> None:
        """One lobby manager's records for one month, dated on the days they were in the lobby."""
        rng = self.rng
        low_months = self.months[-LOW_MONTHS:]
        veto_month = self.months[-2 if len(self.months) > 1 else -1]
        share = len(days) / length
        f = self.factor(person, month)

        def when():
            return month.replace(day=rng.choice(days))

        def add(record_kind, date, **values):
            records[record_kind].append({"date": date, "employee_no": person.employee_no, **values})

        # Account openings; 30–45% are effective customers (avg_assets >= 10,000).
        accounts = max(0, round(DEFAULT_TARGETS["accounts"] * f * share * rng.uniform(0.9, 1.1)))
        effective_share = 0.46 if person.part == "star" else min(0.45, max(0.3, rng.gauss(0.38, 0.04)))
        if person.part == "low" and month in low_months:
            effective_share = 0.33
        account_customers = []
        for _ in range(accounts):
            customer = self.customer()
            account_customers.append(customer)
            if rng.random() < effective_share:
                cents = round(EFFECTIVE_THRESHOLD * 100 * math.exp(abs(rng.gauss(0.6, 1.1))))
            elif rng.random() < 0.3:
                cents = rng.randrange(0, 10_000)
            else:
                cents = rng.randrange(10_000, EFFECTIVE_THRESHOLD * 100)
            add(
                "accounts",
                when(),
                customer_ref=customer,
                account_type=_weighted(rng, ACCOUNT_TYPES),
                avg_assets=_yuan(cents),
            )

        # Deposits: lognormal amounts scaled to the month's daily-average contribution.
        count = max(1, round(rng.randint(20, 40) * share))
        contribution = 10_000 * DEFAULT_TARGETS["deposits"] * f * share * rng.uniform(0.9, 1.1)
        drafts = []
        for _ in range(count):
            amount = math.exp(rng.gauss(10.3, 0.9))
            if rng.random() < 0.04:
                amount *= rng.uniform(5, 15)  # the occasional large deposit
            date = when()
            drafts.append((date, amount))
        weighted = sum(amount * (length - date.day + 1) / length for date, amount in drafts)
        scale = contribution / weighted
        for date, amount in drafts:
            cents = round(amount * scale * 100)
            if cents >= 1_000_000 and rng.random() < 0.6:
                cents = round(cents, -4)  # customers bring round sums
            customer = rng.choice(account_customers) if account_customers and rng.random() < 0.3 else self.customer()
            add(
                "deposits",
                date,
                customer_ref=customer,
                amount=_yuan(max(cents, 10_000)),
                product=_weighted(rng, DEPOSIT_PRODUCTS),
            )

        # E-banking: activated sign-ups near target, and some never activated.
        activated = max(0, round(DEFAULT_TARGETS["ebanking"] * f * share * rng.uniform(0.9, 1.1)))
        pending = sum(1 for _ in range(activated) if rng.random() < 0.18)
        for n in range(activated + pending):
            customer = rng.choice(account_customers) if account_customers and rng.random() < 0.5 else self.customer()
            add(
                "ebanking",
                when(),
                customer_ref=customer,
                product=_weighted(rng, EBANKING_PRODUCTS),
                activated="true" if n < activated else "false",
            )

        # Ratings from the evaluation pad and surveys, mostly 4 and 5.
        quality = person.quality
        if person.part == "low" and month not in low_months:
            quality = 0.93
        for _ in range(max(1, round(rng.randint(30, 80) * share))):
            if rng.random() < quality:
                rating = 5 if rng.random() < 0.75 else 4
            else:
                rating = _weighted(rng, [(3, 60), (2, 25), (1, 15)])
            survey = rng.random() < 0.2
            text = rng.choice(SURVEY_COMMENTS) if survey and rng.random() < 0.3 else ""
            add(
                "feedback",
                when(),
                channel="survey" if survey else "pad",
                kind="rating",
                rating=str(rating),
                text=text,
            )

        # Mystery-shopper visits: 0–2 a month, scored 70–98.
        visits = _weighted(rng, [(0, 20), (1, 60), (2, 20)]) if share >= 0.5 else rng.randint(0, 1)
        if person.part == "no_inspection" and f"{month:%Y-%m}" == self.story["no_inspection"]["month"]:
            visits = 0
        mean_score = {"star": 95, "low": 73}.get(person.part, 86)
        for _ in range(visits):
            score = min(98.0, max(70.0, rng.gauss(mean_score, 5)))
            add(
                "feedback",
                when(),
                channel="mystery_shopper",
                kind="inspection",
                score=f"{score:.1f}",
                text=rng.choice(INSPECTION_TEXTS),
            )

        # Praise: letters, calls, a banner now and then.
        if person.part == "star":
            praise = rng.randint(2, 4)
        elif person.part == "low":
            praise = 0
        else:
            praise = _weighted(rng, [(0, 65), (1, 27), (2, 8)])
        for _ in range(praise):
            add(
                "feedback",
                when(),
                channel=_weighted(rng, [("letter", 60), ("hotline", 30), ("other", 10)]),
                kind="praise",
                text=rng.choice(PRAISE_TEXTS),
            )

        # Complaints: rare, half of them upheld; the low performers draw a few.
        complaints = []
        if person.part == "low" and month in low_months:
            complaints += [("true", "normal", rng.choice(COMPLAINT_TEXTS)) for _ in range(rng.randint(1, 2))]
        elif person.part not in ("star",) and rng.random() < 0.05:
            complaints.append(("true" if rng.random() < 0.5 else "false", "normal", rng.choice(COMPLAINT_TEXTS)))
        if person.part == "veto" and month == veto_month:
            complaints.append(("true", "major", MAJOR_COMPLAINT_TEXT))
        if person.part == "complaint_not_upheld" and month == self.months[-1]:
            complaints.append(("false", "normal", NOT_UPHELD_TEXT))
        for upheld, severity, text in complaints:
            add(
                "feedback",
                when(),
                channel="hotline",
                kind="complaint",
                upheld=upheld,
                severity=severity,
                text=text,
            )

    # -- files ------------------------------------------------------------------------------

    def build(self) -> DemoBank:
        self.build_tree()
        self.build_people()
        self.cast()
        self.build_absences()
        records = self.build_records()
        files = [
            DemoFile("01_branches.csv", "branches", self.branch_rows()),
            DemoFile("02_staff.csv", "staff", self.roster_rows()),
            DemoFile("03_staff_changes.csv", "staff", self.change_rows()),
            DemoFile("04_absences.csv", "absences", self.absence_rows()),
        ]
        prefixes = {"accounts": "ACC", "deposits": "DEP", "ebanking": "EBK", "feedback": "FBK"}
        for number, (kind, rows) in enumerate(records.items(), start=5):
            files.append(DemoFile(f"{number:02d}_{kind}.csv", kind, _with_refs(rows, prefixes[kind], kind)))
        files.append(DemoFile("09_targets.csv", "targets", self.target_rows()))
        return DemoBank(files=files, months=self.months, story=self.story)

    def branch_rows(self) -> list[dict]:
        return [{"code": b.code, "name": b.name, "parent_code": b.parent_code, "level": b.level} for b in self.branches]

    def roster_rows(self) -> list[dict]:
        return [
            _staff_row(p, p.branch_code, p.position, p.position_since, "active", None)
            for p in sorted(self.people, key=lambda p: p.employee_no)
        ]

    def change_rows(self) -> list[dict]:
        rows = []
        for p in sorted(self.people, key=lambda p: p.employee_no):
            if p.lobby_from:
                rows.append(_staff_row(p, p.branch_code, "lobby_manager", p.lobby_from, "active", p.lobby_from))
            if p.moved_on:
                rows.append(_staff_row(p, p.moved_to, p.position, p.position_since, "active", p.moved_on))
            if p.left_on:
                rows.append(_staff_row(p, p.branch_code, p.position, p.position_since, "left", p.left_on))
        return rows

    def absence_rows(self) -> list[dict]:
        ordered = sorted(self.absences, key=lambda a: (a[0].employee_no, a[1]))
        return [
            {
                "employee_no": person.employee_no,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "kind": kind,
            }
            for person, start, end, kind in ordered
        ]

    def target_rows(self) -> list[dict]:
        """The bank's targets every month, and a few branch-level overrides away from the low group."""
        others = [b for b in self.tier1s() if b.code != self.story["low_group"]]
        subs = [b for b in self.branches if b.level == "sub_branch" and b.tier1_code == others[-1].code]
        overrides = [
            (others[0].code, "deposits", "120"),
            (subs[0].code, "ebanking", "18"),
            (subs[-1].code, "accounts", "22"),
        ]
        rows = []
        for month in self.months:
            period = f"{month:%Y-%m}"
            rows += [
                {"period": period, "scope": "bank", "item": item, "target": str(target)}
                for item, target in DEFAULT_TARGETS.items()
            ]
            rows += [
                {"period": period, "scope": scope, "item": item, "target": target} for scope, item, target in overrides
            ]
        return rows


def _staff_row(person: _Person, branch_code, position, position_since, status, changed_on) -> dict:
    return {
        "employee_no": person.employee_no,
        "name": person.name,
        "branch_code": branch_code,
        "position": position,
        "position_since": position_since.isoformat(),
        "hired_on": person.hired_on.isoformat(),
        "status": status,
        "changed_on": changed_on.isoformat() if changed_on else "",
    }


def _with_refs(rows: list[dict], prefix: str, kind: str) -> list[dict]:
    """Orders records by date and numbers them per month, as the source system would."""
    rows = sorted(rows, key=lambda row: (row["date"], row["employee_no"]))  # stable: draw order breaks ties
    columns = COLUMNS[kind]
    result = []
    sequence: dict[str, int] = {}
    texts: dict[datetime.date, tuple[str, str]] = {}  # date → (YYYYMM, YYYY-MM-DD)
    for row in rows:
        date = row["date"]
        if date not in texts:
            texts[date] = (f"{date:%Y%m}", date.isoformat())
        month, day = texts[date]
        sequence[month] = sequence.get(month, 0) + 1
        values = dict.fromkeys(columns, "")
        values.update(row)
        values["ref"] = f"{prefix}{month}{sequence[month]:06d}"
        values["date"] = day
        result.append(values)
    return result


def _weighted(rng: random.Random, choices: list[tuple]):
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


def _yuan(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
