"""Creators' search text gains their name without its diacritics ("makinen" finds
"Mäkinen"): written again for the creators whose name has any, a chunk at a time."""

from django.db import migrations

from parley.creators.normalize import search_fold

CHUNK = 2000


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    Creator = apps.get_model("creators", "Creator")
    after = 0
    while True:
        rows = list(
            Creator.objects.filter(id__gt=after)
            .order_by("id")
            .values_list("id", "name", "search_text")[:CHUNK]
        )
        if not rows:
            return
        after = rows[-1][0]
        for creator_id, name, text in rows:
            lower, folded = name.lower(), search_fold(name)
            if folded == lower or not text.startswith(lower):
                continue
            rest = text[len(lower) :]
            if rest.startswith(" " + folded):
                continue  # written so already
            Creator.objects.filter(id=creator_id).update(search_text=f"{lower} {folded}{rest}")


class Migration(migrations.Migration):
    dependencies = [("creators", "0008_fewer_duplicate_indexes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
