# A report belongs to a place (province, city, county or district), not only a city; the
# import review keeps drafts and the corrections made in review.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SUFFIXES = ("省", "自治区", "市", "州", "盟", "地区", "县", "旗", "区")


def add_place_suffix(apps, schema_editor):
    """Reports were keyed on a bare city name ("安阳"); the parser now reads the place
    with its suffix ("安阳市"). Without this a re-seed would make a second report."""
    Report = apps.get_model("commitments", "Report")
    for report in Report.objects.all():
        if report.place and not report.place.endswith(SUFFIXES):
            report.place = f"{report.place}市"
            report.save(update_fields=["place"])


def drop_place_suffix(apps, schema_editor):
    Report = apps.get_model("commitments", "Report")
    for report in Report.objects.filter(place__endswith="市"):
        report.place = report.place[:-1]
        report.save(update_fields=["place"])


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0003_move_jobs_models_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="report", name="report_unique_city_year"),
        migrations.RenameField(model_name="report", old_name="city", new_name="place"),
        migrations.RenameField(model_name="historicalreport", old_name="city", new_name="place"),
        migrations.AlterField(
            model_name="report",
            name="place",
            field=models.CharField(max_length=50, verbose_name="地方"),
        ),
        migrations.AlterField(
            model_name="historicalreport",
            name="place",
            field=models.CharField(max_length=50, verbose_name="地方"),
        ),
        migrations.AddField(
            model_name="report",
            name="place_level",
            field=models.CharField(
                choices=[
                    ("province", "省级"),
                    ("city", "市级"),
                    ("county", "县级"),
                    ("district", "区级"),
                ],
                default="city",
                max_length=10,
                verbose_name="层级",
            ),
        ),
        migrations.AddField(
            model_name="historicalreport",
            name="place_level",
            field=models.CharField(
                choices=[
                    ("province", "省级"),
                    ("city", "市级"),
                    ("county", "县级"),
                    ("district", "区级"),
                ],
                default="city",
                max_length=10,
                verbose_name="层级",
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="review_corrections",
            field=models.JSONField(blank=True, default=list, verbose_name="审核更正"),
        ),
        migrations.AddField(
            model_name="historicalreport",
            name="review_corrections",
            field=models.JSONField(blank=True, default=list, verbose_name="审核更正"),
        ),
        migrations.AlterField(
            model_name="target",
            name="metric",
            field=models.CharField(blank=True, max_length=200, verbose_name="指标"),
        ),
        migrations.AlterField(
            model_name="historicaltarget",
            name="metric",
            field=models.CharField(blank=True, max_length=200, verbose_name="指标"),
        ),
        migrations.AlterModelOptions(
            name="report",
            options={
                "ordering": ["-year", "place"],
                "verbose_name": "政府工作报告",
                "verbose_name_plural": "政府工作报告",
            },
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.UniqueConstraint(
                fields=("place", "year"), name="report_unique_place_year"
            ),
        ),
        migrations.RunPython(add_place_suffix, drop_place_suffix),
        migrations.CreateModel(
            name="ReportImport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("source", models.BinaryField(verbose_name="原始文件")),
                (
                    "source_name",
                    models.CharField(blank=True, max_length=255, verbose_name="来源文件"),
                ),
                ("place", models.CharField(blank=True, max_length=50, verbose_name="地方")),
                (
                    "year",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="年度"),
                ),
                (
                    "corrections",
                    models.JSONField(blank=True, default=list, verbose_name="审核更正"),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("draft", "待发布"),
                            ("published", "已发布"),
                            ("discarded", "已放弃"),
                        ],
                        db_index=True,
                        default="draft",
                        max_length=10,
                        verbose_name="状态",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="导入时间")),
                (
                    "published_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="发布时间"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="report_imports",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="导入人",
                    ),
                ),
                (
                    "report",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="imports",
                        to="commitments.report",
                        verbose_name="报告",
                    ),
                ),
            ],
            options={
                "verbose_name": "报告导入",
                "verbose_name_plural": "报告导入",
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("state", "published"), _negated=True)
                        | models.Q(("published_at__isnull", False), ("report__isnull", False)),
                        name="report_import_published_has_report",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("year__isnull", True))
                        | models.Q(("year__gte", 1949), ("year__lte", 2200)),
                        name="report_import_year_plausible",
                    ),
                ],
            },
        ),
    ]
