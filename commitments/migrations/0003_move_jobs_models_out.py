# The jobs' models moved to the nested app commitments.jobs (label "jobs"). Their tables
# stay where they are (db_table pinned there): this changes Django's state only.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0002_jobs_outbox_summaries"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="notificationitem",
                    name="notification",
                ),
                migrations.RemoveField(
                    model_name="notificationitem",
                    name="commitment",
                ),
                migrations.RemoveField(
                    model_name="notificationitem",
                    name="recipient",
                ),
                migrations.RemoveField(
                    model_name="notificationpreference",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="summary",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="summary",
                    name="report",
                ),
                migrations.DeleteModel(
                    name="Notification",
                ),
                migrations.DeleteModel(
                    name="NotificationItem",
                ),
                migrations.DeleteModel(
                    name="NotificationPreference",
                ),
                migrations.DeleteModel(
                    name="Summary",
                ),
            ],
        ),
    ]
