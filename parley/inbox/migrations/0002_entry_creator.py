import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    InboxEntry = apps.get_model("inbox", "InboxEntry")
    Conversation = apps.get_model("inbox", "Conversation")
    InboxEntry.objects.update(
        creator_id=Subquery(
            Conversation.objects.filter(id=OuterRef("conversation_id")).values("creator_id")[:1]
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ("creators", "0001_initial"),
        ("inbox", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboxentry",
            name="creator",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="creators.creator",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="inboxentry",
            name="creator",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="creators.creator",
            ),
        ),
        migrations.RemoveIndex(model_name="inboxentry", name="entry_order"),
        migrations.AddIndex(
            model_name="inboxentry",
            index=models.Index(
                fields=["member", "-unread", "-sort_at", "-conversation", "creator"],
                name="entry_order",
            ),
        ),
    ]
