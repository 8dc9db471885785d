"""seed_report: the real report into the ledger, safely repeatable."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from commitments.ingest import ReportFormatError
from commitments.models import Commitment, Department, ProgressUpdate, Report, Section, Target
from commitments.services.reports import BUNDLED_REPORT, report_seed
from tests.support.factories import UserFactory
from tests.support.seedfile import raw_seed_bytes


def snapshot(report: Report) -> list[tuple]:
    return list(
        report.commitments.order_by("seq").values_list(
            "code",
            "seq",
            "text",
            "start",
            "end",
            "kind",
            "matter_number",
            "due_date",
            "section__key",
        )
    )


def target_snapshot(report: Report) -> list[tuple]:
    return list(
        Target.objects.filter(commitment__report=report)
        .order_by("commitment__seq", "order")
        .values_list(
            "commitment__code", "order", "value", "unit", "qualifier", "direction", "baseline_value"
        )
    )


def run(*args) -> str:
    out = io.StringIO()
    call_command("seed_report", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_seeded_report_is_traceable_to_its_source(anyang):
    assert anyang.title == "2017年安阳市政府工作报告"
    assert anyang.commitments.count() > 200
    for c in anyang.commitments.all():
        assert anyang.source_text[c.start : c.end] == c.text, c.code
    # every target phrase sits inside the source as well
    for t in Target.objects.filter(commitment__report=anyang):
        assert anyang.source_text[t.start : t.end] == t.text


def test_it_seeds_the_ten_practical_matters_with_their_numbers(anyang):
    matters = anyang.commitments.filter(kind=Commitment.Kind.PRACTICAL_MATTER).order_by(
        "matter_number"
    )
    assert [m.matter_number for m in matters] == list(range(1, 11))
    first = matters[0]
    assert {(t.value, t.unit) for t in first.targets.all()} >= {
        (Decimal("118"), "条"),
        (Decimal("50"), "条"),
        (Decimal("15"), "条"),
    }
    tenth = matters[9]
    assert {t.value for t in tenth.targets.all()} >= {Decimal("13780"), Decimal("16000")}


def test_main_targets_and_baselines_reach_the_database(anyang):
    gdp = Target.objects.get(
        commitment__report=anyang, commitment__kind="main_target", metric__contains="生产总值"
    )
    assert (gdp.value, gdp.unit, gdp.qualifier) == (Decimal("8"), "%", "about")
    loans = Target.objects.get(commitment__report=anyang, metric__contains="新增贷款")
    assert loans.value == Decimal("160")
    assert (loans.baseline_value, loans.baseline_year) == (Decimal("151"), 2016)


def test_pollution_targets_are_marked(anyang):
    pollution = anyang.commitments.filter(kind=Commitment.Kind.POLLUTION)
    assert pollution.filter(text__contains="燃煤小锅炉").exists()
    assert pollution.filter(text__contains="全部淘汰黄标车").exists()
    assert not anyang.commitments.filter(kind="pollution", section__key__startswith="2.1").exists()


def test_due_dates_default_to_year_end_and_read_three_year_plans(anyang):
    assert anyang.commitments.filter(due_date=dt.date(2017, 12, 31)).count() > 200
    three_year = anyang.commitments.get(kind="practical_matter", matter_number=9)
    assert three_year.due_date == dt.date(2019, 12, 31)


def test_running_it_again_changes_nothing(anyang):
    before = snapshot(anyang), target_snapshot(anyang)
    history_before = Commitment.history.count()
    out = run()
    anyang.refresh_from_db()
    assert (snapshot(anyang), target_snapshot(anyang)) == before
    assert Commitment.history.count() == history_before  # no spurious history rows
    assert "无变化" in out and "新增 created 0" in out


def test_the_raw_eightfold_file_gives_the_same_ledger(anyang, tmp_path):
    before = snapshot(anyang), target_snapshot(anyang)
    raw = tmp_path / "as-received.txt"
    raw.write_bytes(raw_seed_bytes())
    out = run(str(raw))
    anyang.refresh_from_db()
    assert Report.objects.filter(place="安阳市").count() == 1
    assert (snapshot(anyang), target_snapshot(anyang)) == before
    assert "8 份相同报告" in out


def test_a_gbk_file_gives_the_same_ledger(anyang, tmp_path):
    before = snapshot(anyang)
    gbk = tmp_path / "report-gbk.txt"
    gbk.write_bytes(BUNDLED_REPORT.read_text("utf-8").encode("gb18030"))
    run(str(gbk))
    anyang.refresh_from_db()
    assert snapshot(anyang) == before


def test_reseeding_keeps_what_staff_made(anyang):
    dept = Department.objects.create(name="市发展改革委")
    c = anyang.commitments.get(code="2017-2.1-01")
    c.lead_unit = dept
    c.responsible_person = "张三"
    c.due_date = dt.date(2017, 6, 30)
    c.save()
    c.co_units.add(Department.objects.create(name="市财政局"))
    update = ProgressUpdate.objects.create(
        commitment=c,
        author=UserFactory.create(),
        as_of=dt.date(2017, 3, 31),
        claimed_status="in_progress",
        percent=Decimal("30"),
    )

    run()

    c.refresh_from_db()
    assert c.lead_unit == dept and c.responsible_person == "张三"
    assert c.due_date == dt.date(2017, 6, 30)  # staff moved it; the report's date is kept apart
    assert c.parsed_due_date == dt.date(2017, 12, 31)
    assert c.co_units.count() == 1
    assert ProgressUpdate.objects.get(pk=update.pk).commitment_id == c.pk


def test_a_changed_sentence_is_updated_in_place(anyang, tmp_path):
    original = BUNDLED_REPORT.read_text("utf-8")
    old = "年内新增贷款160亿元，直接融资120亿元。"
    assert old in original
    c = anyang.commitments.get(text=old)
    count = anyang.commitments.count()
    ProgressUpdate.objects.create(
        commitment=c,
        author=UserFactory.create(),
        as_of=dt.date(2017, 5, 31),
        claimed_status="in_progress",
        percent=Decimal("40"),
    )
    edited = tmp_path / "edited.txt"
    edited.write_text(original.replace(old, "年内新增贷款170亿元，直接融资120亿元。"), "utf-8")

    out = run(str(edited))

    assert anyang.commitments.count() == count  # not duplicated
    c.refresh_from_db()
    assert c.text == "年内新增贷款170亿元，直接融资120亿元。"
    assert c.targets.get(metric__contains="新增贷款").value == Decimal("170")
    assert c.updates.count() == 1
    assert "修改 updated 1" in out
    for row in anyang.commitments.all():  # offsets follow the new source text
        assert Report.objects.get(pk=anyang.pk).source_text[row.start : row.end] == row.text


def test_a_sentence_gone_from_the_report_is_kept_not_deleted(anyang, tmp_path):
    original = BUNDLED_REPORT.read_text("utf-8")
    gone = "设立河南商贸集团安阳分公司。"
    c = anyang.commitments.get(text=gone)
    edited = tmp_path / "edited.txt"
    edited.write_text(original.replace(gone, ""), "utf-8")

    out = run(str(edited))

    c.refresh_from_db()
    assert c.in_source is False
    assert "移出 removed 1" in out
    # the rest of the chapter moved up one place and kept unique codes
    codes = list(anyang.commitments.values_list("code", flat=True))
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "空"),
        (b"\x00\x01\x02\x03binary\x00" * 50, ""),
        (b"\xff\xfe\xfa\xfb" * 100, ""),
        ("这是一篇小说。第一章，天色已晚。".encode(), ""),
        (b'{"title": "not a report"}', ""),
    ],
    ids=["empty", "binary", "undecodable", "novel", "json"],
)
def test_a_file_that_is_not_a_report_is_refused_and_writes_nothing(db, tmp_path, content, message):
    reports, commitments = Report.objects.count(), Commitment.objects.count()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    with pytest.raises(CommandError) as exc:
        run(str(bad))
    assert "未写入任何数据" in str(exc.value)
    assert message in str(exc.value)
    assert (Report.objects.count(), Commitment.objects.count()) == (reports, commitments)


def test_a_missing_file_is_a_clear_error(db):
    with pytest.raises(CommandError, match="找不到报告文件"):
        run("/nonexistent/report.txt")


def test_an_oversized_file_is_refused(db, tmp_path, settings):
    settings.REPORT_MAX_BYTES = 1000
    big = tmp_path / "big.txt"
    big.write_bytes(BUNDLED_REPORT.read_bytes())
    with pytest.raises(CommandError, match="文件过大"):
        run(str(big))


def test_the_service_refuses_bad_input_without_writing(db):
    n = Section.objects.count()
    with pytest.raises(ReportFormatError):
        report_seed(raw=b"hello world")
    assert Section.objects.count() == n


def test_it_prints_counts_per_part_and_kind(db):
    out = run()
    assert "第二部分 part 2" in out and "第三部分 part 3" in out
    assert "十件实事 (practical_matter): 10" in out
    assert "主要预期目标 (main_target): 12" in out


class TestDatabaseInvariants:
    def test_one_report_per_city_and_year(self, anyang):
        with pytest.raises(IntegrityError), transaction.atomic():
            Report.objects.create(
                place="安阳市", year=2017, title="x", source_text="x", source_sha256="x"
            )

    def test_commitment_codes_are_unique_per_report(self, anyang):
        c = anyang.commitments.first()
        with pytest.raises(IntegrityError), transaction.atomic():
            Commitment.objects.filter(pk=anyang.commitments.last().pk).update(code=c.code)

    def test_count_targets_cannot_be_negative(self, anyang):
        t = Target.objects.filter(commitment__report=anyang, unit="条").first()
        assert t is not None
        with pytest.raises(IntegrityError), transaction.atomic():
            Target.objects.filter(pk=t.pk).update(value=Decimal("-1"))

    def test_one_reading_per_target_per_update(self, anyang):
        t = Target.objects.filter(commitment__report=anyang, value__isnull=False).first()
        assert t is not None
        u = ProgressUpdate.objects.create(
            commitment=t.commitment,
            author=UserFactory.create(),
            as_of=dt.date(2017, 4, 1),
            claimed_status="in_progress",
        )
        u.readings.create(target=t, value=Decimal("1"))
        with pytest.raises(IntegrityError), transaction.atomic():
            u.readings.create(target=t, value=Decimal("2"))

    def test_percent_stays_within_0_and_100(self, anyang):
        c = anyang.commitments.first()
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgressUpdate.objects.bulk_create(
                [
                    ProgressUpdate(
                        commitment=c,
                        author=UserFactory.create(),
                        as_of=dt.date(2017, 4, 1),
                        claimed_status="in_progress",
                        percent=Decimal("120"),
                    )
                ]
            )

    def test_due_date_cannot_precede_start(self, anyang):
        c = anyang.commitments.first()
        with pytest.raises(IntegrityError), transaction.atomic():
            Commitment.objects.filter(pk=c.pk).update(due_date=dt.date(2016, 12, 31))

    def test_updates_are_append_only(self, anyang):
        u = ProgressUpdate.objects.create(
            commitment=anyang.commitments.first(),
            author=UserFactory.create(),
            as_of=dt.date(2017, 4, 1),
            claimed_status="in_progress",
        )
        u.narrative = "rewritten"
        with pytest.raises(Exception, match="只能追加"):
            u.save()


OTHER_CITY = """\
2018年郑州市政府工作报告

各位代表：
一、2017年工作回顾
2017年，全市生产总值9130亿元，增长8.2%。全年新增贷款1200亿元。
二、2018年工作安排
今年经济社会发展的主要预期目标是：生产总值增长8%，城镇新增就业12万人。
（一）推动产业转型升级。坚持制造业高质量发展。
壮大先进制造业。全年新增贷款1300亿元。新建三个产业园区。实施工业技改项目300个至400个。
（二）打好污染防治攻坚战。坚持生态优先。
推进大气污染防治。全面淘汰燃煤锅炉。实施蓝天保卫战三年行动计划。
重点办好十大民生工程：
1.新建改扩建中小学50所，新增学位6万个。
2.新建高速公路100公里。
三、加强政府自身建设
（一）建设法治政府。全面推进依法行政，年底前完成政务服务改革。
"""


def test_another_citys_report_is_seeded_beside_anyang_without_code_changes(anyang, tmp_path):
    f = tmp_path / "zhengzhou-2018.txt"
    f.write_bytes(OTHER_CITY.encode("gbk"))  # as many government files arrive
    anyang_before = snapshot(anyang)

    out = run(str(f))

    zz = Report.objects.get(place="郑州市", year=2018)
    assert zz.encoding == "gb18030"
    assert "郑州" in out
    assert zz.commitments.filter(kind="main_target").count() == 2
    matters = zz.commitments.filter(kind="practical_matter").order_by("matter_number")
    assert [m.matter_number for m in matters] == [1, 2]
    assert matters[1].targets.get().value == Decimal("100")
    loans = Target.objects.get(commitment__report=zz, metric__contains="新增贷款")
    assert (loans.value, loans.baseline_value, loans.baseline_year) == (
        Decimal("1300"),
        Decimal("1200"),
        2017,
    )
    parks = Target.objects.get(commitment__report=zz, metric__contains="产业园区")
    assert parks.value == Decimal("3")  # written in Chinese: 三个
    plan = zz.commitments.get(text__contains="三年行动计划")
    assert plan.due_date == dt.date(2020, 12, 31)
    assert plan.kind == "pollution"
    assert snapshot(anyang) == anyang_before


def test_a_target_corrected_by_staff_survives_a_reseed_unless_refreshed(anyang):
    t = Target.objects.get(commitment__report=anyang, metric="新增贷款")
    Target.objects.filter(pk=t.pk).update(value=Decimal("165"), qualifier="strive")

    run()
    t.refresh_from_db()
    assert (t.value, t.qualifier) == (Decimal("165"), "strive")

    run("--refresh-targets")
    t.refresh_from_db()
    assert (t.value, t.qualifier) == (Decimal("160"), "")


def _truncated(tmp_path, share: float):
    text = BUNDLED_REPORT.read_text("utf-8")
    cut = tmp_path / "truncated.txt"
    cut.write_text(text[: int(len(text) * share)], "utf-8")
    return cut


def test_a_truncated_report_is_refused_unless_removals_are_allowed(anyang, tmp_path):
    before = snapshot(anyang)
    in_source = anyang.commitments.filter(in_source=True).count()
    cut = _truncated(tmp_path, 0.6)
    with pytest.raises(CommandError) as exc:
        run(str(cut))
    message = str(exc.value)
    assert "未写入任何数据" in message and "--allow-removals" in message
    assert f"{in_source} 项任务中的" in message
    anyang.refresh_from_db()
    assert snapshot(anyang) == before
    assert anyang.commitments.filter(in_source=True).count() == in_source

    out = run(str(cut), "--allow-removals")
    removed = anyang.commitments.filter(in_source=False).count()
    assert removed > in_source * 0.1 and f"移出 removed {removed}" in out


def test_the_removal_share_is_a_setting(anyang, tmp_path, settings):
    settings.SEED_MAX_REMOVED_SHARE = 100
    run(str(_truncated(tmp_path, 0.6)))
    assert anyang.commitments.filter(in_source=False).count() > 0


@pytest.mark.parametrize(
    "raw, offset",
    [
        (b"\xef\xbb\xbf" + "安阳".encode() + b"\xff" + b"abc", 9),  # BOM counted
        ("安阳".encode() + b"\x80\xff\xff", 6),  # UTF-8's offset, not GB18030's
    ],
)
def test_an_encoding_error_names_the_byte_offset_in_the_file(raw, offset):
    from commitments.ingest import decode_report

    with pytest.raises(ReportFormatError, match=f"offset {offset} of the file"):
        decode_report(raw)
