from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from tqdm import tqdm

from commitments.ingest import ReportFormatError
from commitments.models import Commitment, Target
from commitments.services.reports import BUNDLED_REPORT, report_read_file, report_seed

T = TypeVar("T")
PART_NAMES = {"1": "一", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六", "7": "七"}
SHOW_PER_REASON = 5


class Command(BaseCommand):
    help = (
        "Read a government work report (UTF-8 or GB18030/GBK text) and write every commitment "
        "into the ledger. Safe to re-run: staff assignments, due dates, corrections made in the "
        "import review and progress are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path",
            nargs="?",
            default=str(BUNDLED_REPORT),
            help="report file (default: the bundled 2017 Anyang report)",
        )
        parser.add_argument(
            "--place",
            help="whose report it is, with its suffix (安阳市, 河南省, 海拉尔区), "
            "where the report does not say",
        )
        parser.add_argument("--year", type=int, help="the year the report plans")
        parser.add_argument(
            "--public", action="store_true", help="mark the report public (政务公开)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--refresh-targets",
            action="store_true",
            help="read the targets of unchanged sentences again (after a parser upgrade); "
            "this overwrites target corrections made in the admin",
        )
        parser.add_argument(
            "--allow-removals",
            action="store_true",
            help="write the report even if it would mark more than SEED_MAX_REMOVED_SHARE %% "
            "of its commitments as gone (a shorter report that is meant to be shorter)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        file = Path(options["path"])
        if not file.is_file():
            raise CommandError(f"找不到报告文件 / no such file: {file}")
        show_bar = not options["no_progress"] and options.get("verbosity", 1) > 0

        def progress(items: Iterable[T]) -> Iterable[T]:
            return tqdm(items, desc="写入任务 commitments", unit="条", disable=not show_bar)

        year = options.get("year")
        if year is not None and not 1949 <= year <= 2200:
            raise CommandError(f"年度无效 / not a plausible year: {year}")
        try:
            result = report_seed(
                raw=report_read_file(file),
                source_name=file.name,
                progress=progress,
                refresh_targets=options["refresh_targets"],
                place=(options.get("place") or "").strip() or None,
                year=year,
                allow_removals=options.get("allow_removals", False),
            )
        except ReportFormatError as exc:
            raise CommandError(f"未写入任何数据 / nothing written: {exc}") from exc
        except ValidationError as exc:
            raise CommandError(
                f"数据不合规，未写入任何数据 / invalid data, nothing written: {'; '.join(exc.messages)}"
            ) from exc
        except DatabaseError as exc:
            raise CommandError(
                f"数据库错误，未写入任何数据 / database error, nothing written: {exc}"
            ) from exc
        except OSError as exc:
            raise CommandError(f"读取文件失败 / could not read the file: {exc}") from exc

        report = result.report
        if options["public"] and not report.is_public:
            report.is_public = True
            report.save(update_fields=["is_public", "updated_at"])

        out = self.stdout
        level = report.get_place_level_display()
        out.write(self.style.SUCCESS(f"{report.title}（{report.place}·{level} {report.year}）"))
        if result.copies > 1:
            out.write(
                f"  文件含 {result.copies} 份相同报告，只读入一份 / "
                f"file holds {result.copies} identical copies; read once"
            )
        verb = "新建" if result.created else ("已更新" if result.changed else "无变化 unchanged")
        out.write(f"  报告 report: {verb}")
        out.write(
            f"  任务 commitments: {sum(result.by_kind.values())} "
            f"(新增 created {result.commitments_created}, "
            f"修改 updated {result.commitments_updated}, "
            f"不变 unchanged {result.commitments_unchanged}, "
            f"移出 removed {result.commitments_removed})"
        )
        for part, n in sorted(result.by_part.items()):
            out.write(f"    第{PART_NAMES.get(part, part)}部分 part {part}: {n}")
        labels = dict(Commitment.Kind.choices)
        for kind, n in result.by_kind.most_common():
            out.write(f"    {labels.get(kind, kind)} ({kind}): {n}")
        n_targets = Target.objects.filter(commitment__report=report).count()
        out.write(f"  目标 targets: {n_targets} (本次写入 written {result.targets_written})")
        if result.set_asides:
            out.write(f"  未作为任务 / set aside ({len(result.set_asides)}):")
            by_code = Counter(w.code for w in result.set_asides)
            for code, n in by_code.most_common():
                first = next(w for w in result.set_asides if w.code == code)
                out.write(
                    f"    [{code}] {first.reason_zh or first.message} / {first.reason_en}: {n}"
                )
                for w in [w for w in result.set_asides if w.code == code][:SHOW_PER_REASON]:
                    out.write(f"      - {w.text.replace(chr(10), ' ')}")
                if n > SHOW_PER_REASON:
                    out.write(f"      … 另 {n - SHOW_PER_REASON} 条 / {n - SHOW_PER_REASON} more")
        if result.notes:
            out.write(self.style.WARNING(f"  请核对 / please check ({len(result.notes)}):"))
            for w in result.notes:
                out.write(f"    - {w}")
        if result.unapplied:
            out.write(
                self.style.WARNING(
                    f"  审核更正未能套用 / review corrections not applied ({len(result.unapplied)}):"
                )
            )
            for correction, why in result.unapplied:
                out.write(f"    - {correction.get('op')}: {why}")
