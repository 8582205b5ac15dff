from django.db import migrations, models


class Migration(migrations.Migration):
    # Follows the audit-hardening and API-token migrations (0002, 0003).
    dependencies = [("core", "0003_staff_api_tokens")]

    operations = [
        migrations.AddField(
            model_name="jobrun",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
