# New email kinds: the supervision cycle (assignment, urging, instruction, extension,
# unacknowledged) beside the outbox ones (no recipient). Choices only.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0002_jobruns"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("reminder_digest", "督办提醒"),
                    ("reporting_call", "每月报送通知"),
                    ("summary", "进展摘要"),
                    ("assignment", "交办通知"),
                    ("urging", "督办单"),
                    ("instruction", "领导批示"),
                    ("extension", "延期审批结果"),
                ],
                max_length=20,
                verbose_name="类别",
            ),
        ),
        migrations.AlterField(
            model_name="notificationitem",
            name="kind",
            field=models.CharField(
                choices=[
                    ("due_soon", "临近到期提醒"),
                    ("overdue", "到期催办"),
                    ("stale", "长期未更新提醒"),
                    ("returned", "进展退回通知"),
                    ("escalation", "逾期升级（抄送）"),
                    ("reporting_call", "每月报送通知"),
                    ("summary", "进展摘要"),
                    ("no_recipient", "无人可提醒（转督查室）"),
                    ("unacknowledged", "未签收提醒"),
                ],
                max_length=20,
                verbose_name="类别",
            ),
        ),
        migrations.AlterField(
            model_name="notificationpreference",
            name="kind",
            field=models.CharField(
                choices=[
                    ("due_soon", "临近到期提醒"),
                    ("overdue", "到期催办"),
                    ("stale", "长期未更新提醒"),
                    ("returned", "进展退回通知"),
                    ("escalation", "逾期升级（抄送）"),
                    ("reporting_call", "每月报送通知"),
                    ("summary", "进展摘要"),
                    ("no_recipient", "无人可提醒（转督查室）"),
                    ("unacknowledged", "未签收提醒"),
                ],
                max_length=20,
                verbose_name="邮件类别",
            ),
        ),
    ]
