# The members tab sorts on last activity (newest first): never empty from now on (set when a
# creator is added), existing rows get the time of their last change.

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    CampaignMember = apps.get_model("campaigns", "CampaignMember")
    CampaignMember.objects.filter(last_activity_at__isnull=True).update(
        last_activity_at=F("updated_at")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0002_workflow_and_assets'),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name='campaignmember',
            name='campaignmember_status',
        ),
        migrations.AlterField(
            model_name='campaignmember',
            name='last_activity_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddIndex(
            model_name='campaignmember',
            index=models.Index(fields=['campaign', 'status', 'last_activity_at', 'id'], name='campaignmember_status'),
        ),
        migrations.AddIndex(
            model_name='campaignmember',
            index=models.Index(fields=['campaign', 'last_activity_at', 'id'], name='campaignmember_activity'),
        ),
    ]
