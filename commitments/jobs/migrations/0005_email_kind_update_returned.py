# The returned-update email of the review desk. Choices only.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0004_summary_one_on_demand_building"),
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
                    ("update_returned", "进展退回通知"),
                ],
                max_length=20,
                verbose_name="类别",
            ),
        ),
    ]
