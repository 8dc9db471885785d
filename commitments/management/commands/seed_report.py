from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from commitments.ingest import ReportFormatError
from commitments.models import Commitment, Target
from commitments.services.reports import BUNDLED_REPORT, report_read_file, report_seed

PART_NAMES = {"1": "一", "2": "二", "3": "三", "4": "四", "5": "五"}


class Command(BaseCommand):
    help = (
        "Read a government work report (UTF-8 or GB18030/GBK text) and write every commitment "
        "into the ledger. Safe to re-run: staff assignments, due dates and progress are kept."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "path",
            nargs="?",
            default=str(BUNDLED_REPORT),
            help="report file (default: the bundled 2017 Anyang report)",
        )
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

    def handle(
        self,
        *args,
        path: str,
        public: bool,
        no_progress: bool,
        refresh_targets: bool,
        allow_removals: bool = False,
        **options,
    ) -> None:
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"找不到报告文件 / no such file: {file}")
        show_bar = not no_progress and options.get("verbosity", 1) > 0

        def progress(items):
            return tqdm(items, desc="写入任务 commitments", unit="条", disable=not show_bar)

        try:
            result = report_seed(
                raw=report_read_file(file),
                source_name=file.name,
                progress=progress,
                refresh_targets=refresh_targets,
                allow_removals=allow_removals,
            )
        except ReportFormatError as exc:
            raise CommandError(f"未写入任何数据 / nothing written: {exc}") from exc
        except DatabaseError as exc:
            raise CommandError(
                f"数据库错误，未写入任何数据 / database error, nothing written: {exc}"
            ) from exc

        report = result.report
        if public and not report.is_public:
            report.is_public = True
            report.save(update_fields=["is_public", "updated_at"])

        out = self.stdout
        out.write(self.style.SUCCESS(f"{report.title}（{report.city} {report.year}）"))
        if result.copies > 1:
            out.write(
                f"  文件含 {result.copies} 份相同报告，只读入一份 / file holds {result.copies} identical copies; read once"
            )
        verb = "新建" if result.created else ("已更新" if result.changed else "无变化 unchanged")
        out.write(f"  报告 report: {verb}")
        out.write(
            f"  任务 commitments: {sum(result.by_kind.values())} "
            f"(新增 created {result.commitments_created}, 修改 updated {result.commitments_updated}, "
            f"不变 unchanged {result.commitments_unchanged}, 移出 removed {result.commitments_removed})"
        )
        for part, n in sorted(result.by_part.items()):
            out.write(f"    第{PART_NAMES.get(part, part)}部分 part {part}: {n}")
        labels = dict(Commitment.Kind.choices)
        for kind, n in result.by_kind.most_common():
            out.write(f"    {labels.get(kind, kind)} ({kind}): {n}")
        n_targets = Target.objects.filter(commitment__report=report).count()
        out.write(f"  目标 targets: {n_targets} (本次写入 written {result.targets_written})")
        if result.warnings:
            out.write(
                self.style.WARNING(f"  未能归类 / could not classify ({len(result.warnings)}):")
            )
            for w in result.warnings:
                out.write(f"    - {w}")
