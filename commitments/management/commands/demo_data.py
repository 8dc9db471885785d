"""Demo data for development: departments of Anyang, users for each role, lead units by
keyword, and a plausible progress history through --as-of (default 2017-09-30).

Everything it writes is marked as demo data (ProgressUpdate.is_demo), and it refuses to
run in production. Safe to run again: departments, users and memberships are looked up
by name, a lead unit staff already set is kept, and each planned update is keyed by its
commitment and the moment it was written, so nothing is duplicated; a later --as-of
extends the history.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from commitments.models import (
    COUNT_UNITS,
    Acknowledgement,
    Commitment,
    Department,
    Membership,
    ProgressUpdate,
    Report,
    Target,
)
from commitments.services.assignment import commitment_assign
from commitments.services.progress import (
    progress_update_record,
    update_review_accept,
    update_review_return,
)

# name, short name, login prefix
DEPARTMENTS: list[tuple[str, str, str]] = [
    ("市发展和改革委员会", "市发展改革委", "fgw"),
    ("市财政局", "市财政局", "czj"),
    ("市环境保护局", "市环保局", "hbj"),
    ("市住房和城乡建设局", "市住房城乡建设局", "zjj"),
    ("市交通运输局", "市交通运输局", "jtj"),
    ("市教育局", "市教育局", "jyj"),
    ("市卫生和计划生育委员会", "市卫生计生委", "wjw"),
    ("市文化广电新闻出版局", "市文广新局", "wgx"),
    ("市旅游局", "市旅游局", "lyj"),
    ("市农业局", "市农业局", "nyj"),
    ("市人力资源和社会保障局", "市人社局", "rsj"),
    ("市民政局", "市民政局", "mzj"),
    ("市科学技术局", "市科技局", "kjj"),
    ("市商务局", "市商务局", "swj"),
    ("市城市管理局", "市城管局", "cgj"),
    ("市水利局", "市水利局", "slj"),
    ("市林业局", "市林业局", "lyej"),
    ("市扶贫开发办公室", "市扶贫办", "fpb"),
    ("市国有资产监督管理委员会", "市国资委", "gzw"),
    ("市公安局", "市公安局", "gaj"),
    ("市工业和信息化委员会", "市工信委", "gxw"),
    ("市国土资源局", "市国土资源局", "gtj"),
    ("市金融工作办公室", "市金融办", "jrb"),
    ("市政府督查室", "市政府督查室", "dcs"),
    ("市政府办公室", "市政府办公室", "zfb"),
]
SUPERVISION = "市政府督查室"
GOVERNMENT_OFFICE = "市政府办公室"

# First matching rule gives the lead unit, the second (if another unit) a co-unit.
KEYWORD_RULES: list[tuple[tuple[str, ...], str]] = [
    (
        (
            "大气",
            "污染",
            "环保",
            "排放",
            "扬尘",
            "燃煤",
            "锅炉",
            "黄标车",
            "雾霾",
            "PM",
            "国六",
            "秸秆",
        ),
        "市环保局",
    ),
    (("造林", "绿化", "森林", "林网", "生态廊道", "湿地"), "市林业局"),
    (
        (
            "棚户区",
            "棚改",
            "保障性住房",
            "公共租赁住房",
            "综合管廊",
            "市政道路",
            "园林",
            "公园",
            "城市修补",
            "海绵城市",
        ),
        "市住房城乡建设局",
    ),
    (("公交", "公路", "高速", "铁路", "机场", "交通", "客运", "自行车"), "市交通运输局"),
    (("学校", "幼儿园", "教师", "教育", "中学", "校区", "学生"), "市教育局"),
    (("医院", "卫生", "医疗", "计生", "健康", "疾病", "康复中心"), "市卫生计生委"),
    (("博物馆", "文化", "殷墟", "文物", "广电", "图书馆", "体育"), "市文广新局"),
    (("旅游", "景区", "游客"), "市旅游局"),
    (("扶贫", "贫困"), "市扶贫办"),
    (
        ("饮水", "水厂", "水利", "河道", "灌溉", "机井", "南水北调", "水库", "河流", "沟渠"),
        "市水利局",
    ),
    (("农业", "粮食", "小麦", "农产品", "种植", "养殖", "畜牧", "农民", "农村"), "市农业局"),
    (("就业", "社会保险", "养老保险", "人才", "创业", "社保", "工资"), "市人社局"),
    (("低保", "救助", "养老服务", "民政", "残疾", "社区"), "市民政局"),
    (("高新技术", "科技", "创新", "研发", "专利"), "市科技局"),
    (("消费", "外贸", "出口", "进出口", "电商", "电子商务", "招商", "开放", "口岸"), "市商务局"),
    (("违法建筑", "广告", "停车", "城市管理", "环卫", "垃圾"), "市城管局"),
    (("国企", "国有企业", "国有资产"), "市国资委"),
    (("治安", "公安", "消防", "安全生产", "平安"), "市公安局"),
    (("贷款", "融资", "金融", "上市"), "市金融办"),
    (("财政", "预算", "税", "债务", "收入"), "市财政局"),
    (("钢铁", "制造", "工业", "产能", "信息化", "互联网", "大数据"), "市工信委"),
    (("土地", "国土", "矿"), "市国土资源局"),
    (("投资", "项目", "产业", "经济", "增长", "改革", "规划"), "市发展改革委"),
]

RETURN_COMMENTS = [
    "读数与佐证材料不一致，请核实后更正。",
    "缺少佐证材料，请补充项目照片或批复文件。",
    "进展表述过于笼统，请写明已完成的具体工程量。",
    "截至日期填写有误，请按月报时点填写。",
]
NARRATIVES = {
    "early": [
        "已完成前期调研和方案编制，正在履行审批程序。",
        "已成立工作专班，分解任务到责任科室。",
    ],
    "mid": [
        "按月推进，主体工作量完成过半，资金已拨付到位。",
        "已开工建设，现场施工有序推进，本月完成既定节点。",
        "各县区进度不一，已对滞后县区进行约谈督办。",
    ],
    "late": ["主体工程基本完成，正在进行验收前准备。", "已进入收尾阶段，正在整理验收资料。"],
    "done": ["已全面完成，验收材料已报送。"],
    "blocked": ["受用地手续影响，进度滞后，已报请市政府协调。"],
}


@dataclass
class Plan:
    """How one commitment's year goes in the demo."""

    pace: float  # share of the year's work done by year end at this pace (1.0 = on time)
    start_month: int  # first monthly report
    stop_month: int  # last monthly report (stale afterwards)
    complete_month: int | None  # month it is reported completed, if any
    silent: bool  # never reports


def _rng(key: str) -> random.Random:
    # Deterministic per commitment, so a re-run plans the same history.
    return random.Random(zlib.crc32(key.encode("utf-8")))


def _plan(c: Commitment) -> Plan:
    r = _rng(c.code)
    silent = r.random() < 0.08
    pace = r.choice([0.55, 0.75, 0.9, 1.0, 1.0, 1.05, 1.15, 1.3])
    start_month = r.choice([2, 2, 3, 3, 4, 5])
    stop_month = 12 if r.random() > 0.12 else r.choice([5, 6])
    complete_month = None
    if pace >= 1.15 and r.random() < 0.6:
        complete_month = r.choice([6, 7, 8, 9])
    return Plan(pace, start_month, stop_month, complete_month, silent)


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _lead_for(text: str, names: dict[str, Department]) -> tuple[Department, Department | None]:
    hits = []
    for keywords, unit in KEYWORD_RULES:
        if any(k in text for k in keywords) and unit not in hits:
            hits.append(unit)
    lead = names[hits[0]] if hits else names["市发展改革委"]
    co = names[hits[1]] if len(hits) > 1 else None
    return lead, co


def _round(value: Decimal, unit: str) -> Decimal:
    if unit in COUNT_UNITS and unit not in (
        "亿元",
        "万元",
        "元",
        "亿美元",
        "万亩",
        "公里",
        "万吨",
        "万平方米",
        "万人",
        "万户",
    ):
        return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Command(BaseCommand):
    help = (
        "Development only: departments, users for each role and a demo progress history (is_demo)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", default="2017-09-30", help="history runs through this day (YYYY-MM-DD)"
        )
        parser.add_argument("--report", type=int, help="report id (default: the newest report)")

    def handle(self, *args: Any, as_of: str, report: int | None, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "demo_data 只用于开发环境，生产环境拒绝运行 / refusing to run in production"
            )
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError as e:
            raise CommandError(f"--as-of 需要 YYYY-MM-DD 格式 / bad date: {as_of}") from e
        rep = (
            Report.objects.filter(pk=report).first()
            if report
            else Report.objects.order_by("-year").first()
        )
        if rep is None:
            raise CommandError("请先导入报告 / seed a report first: python manage.py seed_report")
        if not (rep.year <= day.year):
            raise CommandError(f"--as-of 早于报告年度 {rep.year} / before the report year")

        out = self.stdout
        out.write(self.style.WARNING("=" * 72))
        out.write(
            self.style.WARNING(" 演示数据 DEMO DATA — 仅供开发演示，非真实进展 / not real progress")
        )
        out.write(self.style.WARNING("=" * 72))
        with transaction.atomic():
            depts = self._departments()
            users = self._users(depts)
            assigned = self._assign(rep, depts, by=users["supervisor"])
            self._acknowledge(rep, users)
        created, reviewed = self._history(rep, depts, users, day)

        out.write(f"报告 report: {rep.title}")
        out.write(
            f"单位 departments: {len(depts)}; 新分配牵头单位 lead units assigned now: {assigned}"
        )
        out.write(
            f"演示进展 demo updates written: {created}; 审核 reviews applied: {reviewed}; 截至 as of {day}"
        )
        out.write("")
        out.write(self.style.SUCCESS("演示账号（仅开发环境）/ demo accounts (development only):"))
        for username, password, role in users["printed"]:
            out.write(f"  {username:<14} {password:<16} {role}")
        out.write("")
        out.write(
            f"提示 hint: 演示历史截至 {day}；以 LEDGER_TODAY={day} 启动可让台账的“今天”停在这一天 "
            f"(start with LEDGER_TODAY={day} to pin the ledger's today)."
        )

    # --- departments, users, assignment --------------------------------------------------

    def _departments(self) -> dict[str, Department]:
        by_short: dict[str, Department] = {}
        for name, short, _prefix in DEPARTMENTS:
            dept, _ = Department.objects.get_or_create(
                name=name,
                defaults={"short_name": short, "is_supervision_office": name == SUPERVISION},
            )
            by_short[short] = dept
        return by_short

    def _users(self, depts: dict[str, Department]) -> dict:
        User = get_user_model()
        printed: list[tuple[str, str, str]] = []
        reporters: dict[int, object] = {}

        def user(username: str, full_name: str, *, superuser: bool = False) -> tuple[AuthUser, str]:
            password = f"{username}-2017"
            u, created = User.objects.get_or_create(username=username)
            if created or not u.check_password(password):
                u.set_password(password)
            u.first_name = full_name
            u.email = f"{username}@anyang.example.gov.cn"
            u.is_staff = u.is_staff or superuser
            u.is_superuser = u.is_superuser or superuser
            u.save()
            return u, password

        def member(u: AuthUser, dept: Department, role: str) -> None:
            Membership.objects.get_or_create(user=u, department=dept, defaults={"role": role})

        admin, pw = user("admin", "系统管理员", superuser=True)
        printed.append(("admin", pw, "超级管理员 superuser (/admin/)"))
        sup, pw = user("duchashi", "督查室王科长")
        member(sup, depts[SUPERVISION], Membership.Role.SUPERVISOR)
        printed.append(("duchashi", pw, "督查室 supervisor"))
        leader, pw = user("lingdao", "李副市长")
        member(leader, depts[GOVERNMENT_OFFICE], Membership.Role.LEADER)
        printed.append(("lingdao", pw, "领导 leader"))
        shown = {"fgw", "hbj", "zjj", "jtj"}
        for _name, short, prefix in DEPARTMENTS:
            if short in (SUPERVISION, GOVERNMENT_OFFICE):
                continue
            rep_user, pw = user(f"{prefix}_lly", f"{short}联络员")
            member(rep_user, depts[short], Membership.Role.REPORTER)
            reporters[depts[short].pk] = rep_user
            if prefix in shown:
                printed.append((f"{prefix}_lly", pw, f"{short} 联络员 reporter"))
                mgr, pw = user(f"{prefix}_fzr", f"{short}负责人")
                member(mgr, depts[short], Membership.Role.MANAGER)
                printed.append((f"{prefix}_fzr", pw, f"{short} 负责人 manager"))
        printed.append(
            ("<prefix>_lly", "<prefix>_lly-2017", "其他单位联络员 other departments' reporters")
        )
        return {"supervisor": sup, "reporters": reporters, "printed": printed}

    def _assign(self, report: Report, depts: dict[str, Department], *, by: AuthUser) -> int:
        n = 0
        part3 = depts[GOVERNMENT_OFFICE]
        for c in report.commitments.filter(lead_unit__isnull=True).select_related("section"):
            if c.section.key.startswith("3"):
                lead, co = part3, None
            else:
                lead, co = _lead_for(c.text, depts)
            # The office sets a few earlier deadlines (上半年, 三季度) so the demo has overdue
            # and completed-late items by autumn.
            due = c.due_date
            roll = _rng("due" + c.code).random()
            if c.kind == Commitment.Kind.GENERAL and roll < 0.1:
                due = max(
                    dt.date(report.year, 6 if roll < 0.05 else 8, 30 if roll < 0.05 else 31),
                    c.start_date,
                )
            # Through the service so the history records the assignment.
            commitment_assign(
                commitment=c,
                by=by,
                lead_unit=lead,
                co_units=[co] if co else [],
                responsible_person=f"{lead.short_name or lead.name}主要负责同志",
                start_date=c.start_date,
                due_date=due,
            )
            n += 1
        return n

    def _acknowledge(self, report: Report, users) -> None:
        """The units acknowledge (签收) their tasks within a few days of the January
        assignment; a few never do, so the demo shows 未签收 too. Replayable: times are
        those of the demo year, not of the day the command runs."""
        User = get_user_model()
        by_unit = {
            m.department_id: m.user
            for m in Membership.objects.filter(role=Membership.Role.REPORTER).select_related("user")
        }
        assigned_on = dt.date(report.year, 1, 10)
        pending = Acknowledgement.objects.filter(
            commitment__report=report, acknowledged_at__isnull=True, superseded_at__isnull=True
        ).select_related("commitment")
        for ack in pending:
            rng = _rng("ack" + ack.commitment.code + str(ack.department_id))
            ack.assigned_on = assigned_on
            ack.assigned_at = _local(assigned_on, 9)
            reporter = (
                by_unit.get(ack.department_id)
                or User.objects.filter(username=users["supervisor"].username).first()
            )
            if rng.random() >= 0.03:
                day = assigned_on + dt.timedelta(days=rng.randint(1, 5))
                ack.acknowledged_at = _local(day, 10)
                ack.acknowledged_by = reporter
            ack.save(
                update_fields=["assigned_on", "assigned_at", "acknowledged_at", "acknowledged_by"]
            )

    # --- progress history ----------------------------------------------------------------

    def _history(
        self, report: Report, depts: dict[str, Department], users: dict[str, Any], day: dt.date
    ) -> tuple[int, int]:
        supervisor = users["supervisor"]
        reporters = users["reporters"]
        fallback = next(iter(reporters.values()))
        existing = {
            (cid, created_at): (pk, state)
            for cid, created_at, pk, state in ProgressUpdate.objects.filter(
                commitment__report=report, is_demo=True
            ).values_list("commitment_id", "created_at", "pk", "review_state")
        }
        created = reviewed = 0
        commitments = list(
            report.commitments.filter(in_source=True)
            .select_related("lead_unit")
            .prefetch_related("targets")
        )
        for c in commitments:
            plan = _plan(c)
            if plan.silent:
                continue
            author = reporters.get(c.lead_unit_id, fallback)
            targets = [t for t in c.targets.all() if t.is_measurable]
            r = _rng("events" + c.code)
            last_month = min(day.month if day.year == report.year else 12, plan.stop_month)
            for month in range(plan.start_month, last_month + 1):
                report_day = dt.date(report.year, month, 25)
                if report_day > day:
                    break
                if plan.complete_month and month > plan.complete_month:
                    break
                elapsed = (report_day - c.start_date).days / max(
                    (c.due_date - c.start_date).days, 1
                )
                progress = min(plan.pace * elapsed * (0.9 + 0.2 * r.random()), 1.0)
                completed = plan.complete_month == month
                status = (
                    ProgressUpdate.Status.COMPLETED
                    if completed
                    else ProgressUpdate.Status.BLOCKED
                    if plan.pace < 0.6 and month >= 6
                    else ProgressUpdate.Status.IN_PROGRESS
                )
                if completed:
                    progress = 1.0
                stage = (
                    "done"
                    if completed
                    else "blocked"
                    if status == "blocked"
                    else "early"
                    if progress < 0.2
                    else "late"
                    if progress > 0.8
                    else "mid"
                )
                # Every random draw happens on every run, whether or not the update already
                # exists, so a re-run replays the same plan and finds the same keys.
                narrative = r.choice(NARRATIVES[stage])
                with_link = r.random() < 0.3
                comment = r.choice(RETURN_COMMENTS)
                hour, minute = 9 + r.randrange(8), r.randrange(60)
                review_day = report_day + dt.timedelta(days=2 + r.randrange(6))
                roll = r.random()
                readings = {
                    t: _round(t.value * Decimal(str(round(progress, 3))), t.unit)
                    for t in targets
                    if t.direction != Target.Direction.DECREASE and t.value is not None
                }
                created_at = _local(report_day, hour, minute)
                pk_state = existing.get((c.pk, created_at))
                if pk_state is None:
                    update = progress_update_record(
                        commitment=c,
                        author=author,
                        claimed_status=status,
                        as_of=report_day,
                        narrative=narrative,
                        percent=Decimal(str(round(100 * progress, 1))) if not targets else None,
                        readings=readings,
                        links=[f"https://www.anyang.gov.cn/demo/{c.code}/{month}"]
                        if with_link
                        else [],
                        created_at=created_at,
                        is_demo=True,
                        check_as_of=False,
                    )
                    created += 1
                    pk, state = update.pk, update.review_state
                else:
                    pk, state = pk_state
                # Reviewed a few days later, if that day has come by --as-of.
                if state == ProgressUpdate.Review.SUBMITTED and review_day <= day:
                    update = ProgressUpdate.objects.get(pk=pk)
                    if roll < 0.12 and not completed:
                        update_review_return(
                            update=update,
                            reviewer=supervisor,
                            comment=comment,
                            now=_local(review_day, 15, 30),
                        )
                        reviewed += 1
                        state = ProgressUpdate.Review.RETURNED
                    else:
                        update_review_accept(
                            update=update, reviewer=supervisor, now=_local(review_day, 16)
                        )
                        reviewed += 1
                # A returned update is corrected by its author two days after the return.
                if state == ProgressUpdate.Review.RETURNED:
                    fix_day = review_day + dt.timedelta(days=2)
                    fix_at = _local(fix_day, 10, 15)
                    if fix_day <= day and (c.pk, fix_at) not in existing:
                        wrong = ProgressUpdate.objects.get(pk=pk)
                        if not wrong.corrections.exists():
                            fix = progress_update_record(
                                commitment=c,
                                author=author,
                                claimed_status=wrong.claimed_status,
                                as_of=wrong.as_of,
                                narrative=wrong.narrative
                                + "（已按督查室意见补充佐证并核实读数。）",
                                percent=wrong.percent if not targets else None,
                                readings=readings,
                                links=[f"https://www.anyang.gov.cn/demo/{c.code}/{month}/fix"],
                                corrects=wrong,
                                created_at=fix_at,
                                is_demo=True,
                                check_as_of=False,
                            )
                            created += 1
                            accept_day = fix_day + dt.timedelta(days=1)
                            if accept_day <= day:
                                update_review_accept(
                                    update=fix, reviewer=supervisor, now=_local(accept_day, 11)
                                )
                                reviewed += 1
        return created, reviewed
