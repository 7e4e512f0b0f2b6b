"""System events keep their words as said (parley.inbox.events), to be shown in each
reader's language. A nullable column: added in place on SQLite and PostgreSQL, without
rebuilding the table."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inbox', '0010_entry_recent_from_entry_order'),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='event',
            field=models.JSONField(blank=True, null=True),
        ),
    ]
