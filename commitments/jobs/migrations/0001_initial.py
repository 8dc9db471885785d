# The tables were created by commitments 0002 and stay (db_table pinned): state only.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ["notification", "notificationitem", "notificationpreference", "summary"]


def move_content_types(apps, schema_editor):
    """Keep admin log entries and permissions of the moved models: their content types
    change app label instead of being created afresh."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="jobs", model=model).exists():
            ContentType.objects.filter(app_label="commitments", model=model).update(
                app_label="jobs"
            )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("commitments", "0003_move_jobs_models_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Summary",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("weekly", "周报"),
                                    ("monthly", "月报"),
                                    ("on_demand", "即时生成"),
                                ],
                                max_length=10,
                                verbose_name="类型",
                            ),
                        ),
                        ("period_start", models.DateField(verbose_name="起始日期")),
                        ("period_end", models.DateField(verbose_name="截至日期")),
                        (
                            "title",
                            models.CharField(blank=True, max_length=200, verbose_name="标题"),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("queued", "排队中"),
                                    ("running", "生成中"),
                                    ("done", "已完成"),
                                    ("failed", "失败"),
                                ],
                                db_index=True,
                                default="queued",
                                max_length=10,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "progress",
                            models.PositiveSmallIntegerField(default=0, verbose_name="进度"),
                        ),
                        (
                            "figures",
                            models.JSONField(blank=True, default=dict, verbose_name="数据"),
                        ),
                        ("html", models.TextField(blank=True, verbose_name="HTML 正文")),
                        ("text", models.TextField(blank=True, verbose_name="纯文本正文")),
                        (
                            "xlsx",
                            models.BinaryField(blank=True, null=True, verbose_name="台账附件"),
                        ),
                        (
                            "xlsx_name",
                            models.CharField(blank=True, max_length=200, verbose_name="附件文件名"),
                        ),
                        ("error", models.TextField(blank=True, verbose_name="错误")),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="创建时间"),
                        ),
                        (
                            "started_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="开始时间"),
                        ),
                        (
                            "finished_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="完成时间"),
                        ),
                        ("heartbeat_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="summaries",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="发起人",
                            ),
                        ),
                        (
                            "report",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="summaries",
                                to="commitments.report",
                                verbose_name="报告",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "进展摘要",
                        "verbose_name_plural": "进展摘要",
                        "db_table": "commitments_summary",
                        "ordering": ["-period_end", "-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "key",
                            models.CharField(max_length=200, unique=True, verbose_name="唯一键"),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("reminder_digest", "督办提醒"),
                                    ("reporting_call", "每月报送通知"),
                                    ("summary", "进展摘要"),
                                ],
                                max_length=20,
                                verbose_name="类别",
                            ),
                        ),
                        ("to_email", models.EmailField(max_length=254, verbose_name="收件地址")),
                        ("for_day", models.DateField(verbose_name="台账日期")),
                        (
                            "subject",
                            models.CharField(blank=True, max_length=255, verbose_name="主题"),
                        ),
                        ("body_text", models.TextField(blank=True, verbose_name="纯文本正文")),
                        ("body_html", models.TextField(blank=True, verbose_name="HTML 正文")),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("pending", "待发送"),
                                    ("sending", "发送中"),
                                    ("sent", "已发送"),
                                    ("failed", "发送失败"),
                                    ("cancelled", "已取消"),
                                ],
                                default="pending",
                                max_length=10,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "attempts",
                            models.PositiveSmallIntegerField(default=0, verbose_name="尝试次数"),
                        ),
                        (
                            "next_attempt_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="下次尝试"
                            ),
                        ),
                        (
                            "claimed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="认领时间"),
                        ),
                        (
                            "sent_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="发送时间"),
                        ),
                        ("last_error", models.TextField(blank=True, verbose_name="最近错误")),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="创建时间"),
                        ),
                        (
                            "recipient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="收件人",
                            ),
                        ),
                        (
                            "summary",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="notifications",
                                to="jobs.summary",
                                verbose_name="摘要",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "邮件（发件箱）",
                        "verbose_name_plural": "邮件（发件箱）",
                        "db_table": "commitments_notification",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="NotificationItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("due_soon", "临近到期提醒"),
                                    ("overdue", "到期催办"),
                                    ("stale", "长期未更新提醒"),
                                    ("returned", "进展退回通知"),
                                    ("escalation", "逾期升级（抄送）"),
                                    ("reporting_call", "每月报送通知"),
                                    ("summary", "进展摘要"),
                                ],
                                max_length=20,
                                verbose_name="类别",
                            ),
                        ),
                        ("window", models.CharField(max_length=40, verbose_name="时点")),
                        ("context", models.JSONField(blank=True, default=dict)),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="创建时间"),
                        ),
                        (
                            "commitment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notification_items",
                                to="commitments.commitment",
                                verbose_name="任务",
                            ),
                        ),
                        (
                            "notification",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="items",
                                to="jobs.notification",
                                verbose_name="邮件",
                            ),
                        ),
                        (
                            "recipient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notification_items",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="收件人",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "提醒事项",
                        "verbose_name_plural": "提醒事项",
                        "db_table": "commitments_notificationitem",
                        "ordering": ["notification", "kind", "id"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("recipient", "commitment", "kind", "window"),
                                name="notification_item_once",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="NotificationPreference",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("due_soon", "临近到期提醒"),
                                    ("overdue", "到期催办"),
                                    ("stale", "长期未更新提醒"),
                                    ("returned", "进展退回通知"),
                                    ("escalation", "逾期升级（抄送）"),
                                    ("reporting_call", "每月报送通知"),
                                    ("summary", "进展摘要"),
                                ],
                                max_length=20,
                                verbose_name="邮件类别",
                            ),
                        ),
                        ("enabled", models.BooleanField(default=True, verbose_name="接收")),
                        (
                            "updated_at",
                            models.DateTimeField(auto_now=True, verbose_name="更新时间"),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notification_preferences",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="用户",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "邮件订阅设置",
                        "verbose_name_plural": "邮件订阅设置",
                        "db_table": "commitments_notificationpreference",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "kind"), name="notification_pref_unique"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("enabled", True),
                                    models.Q(
                                        ("kind__in", ["escalation", "overdue", "reporting_call"]),
                                        _negated=True,
                                    ),
                                    _connector="OR",
                                ),
                                name="notification_pref_mandatory_stays_on",
                            ),
                        ],
                    },
                ),
                migrations.AddConstraint(
                    model_name="summary",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("kind", "on_demand"), _negated=True),
                        fields=("report", "kind", "period_end"),
                        name="summary_one_per_period",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="summary",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("progress__gte", 0), ("progress__lte", 100)),
                        name="summary_progress_0_100",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="summary",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("period_end__gte", models.F("period_start"))),
                        name="summary_period_ordered",
                    ),
                ),
                migrations.AddIndex(
                    model_name="notification",
                    index=models.Index(
                        fields=["state", "next_attempt_at"], name="notification_due_idx"
                    ),
                ),
                migrations.AddIndex(
                    model_name="notification",
                    index=models.Index(
                        fields=["kind", "for_day"], name="notification_kind_day_idx"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="notification",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("state", "sent"), _negated=True),
                            ("sent_at__isnull", False),
                            _connector="OR",
                        ),
                        name="notification_sent_has_time",
                    ),
                ),
            ],
        ),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
    ]
