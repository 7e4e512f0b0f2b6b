"""Notifications keep their words as said (parley.inbox.events), to be shown to each member
in their language, as events do. A nullable column: added in place on SQLite and PostgreSQL,
without rebuilding the table."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inbox', '0012_message_search_merges_apart'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='said',
            field=models.JSONField(blank=True, null=True),
        ),
    ]
