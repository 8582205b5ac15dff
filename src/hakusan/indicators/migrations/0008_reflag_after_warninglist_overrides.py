"""Re-flag stored observables after the reviewed warninglist overrides
(``hakusan.domain.warninglists.overrides``): the broken ``phone_numbers`` pattern had flagged
every number holding 08, 09, 10 or 11, which kept them out of correlation and partner feeds.

Runs the reflag service's logic on the historical model (a new database has nothing to do and
skips building the index), then tells the sharing apps that flags changed (TAXII republishes,
feed ETags change). Not atomic: batches commit as they go, as in the reflag job; running it
again only finishes what is left."""

import logging

from django.db import migrations, transaction

log = logging.getLogger(__name__)


def reflag(apps, schema_editor):
    from hakusan.indicators.services import reflag_stale
    from hakusan.indicators.signals import indicators_changed

    observable = apps.get_model("indicators", "Observable")
    result = reflag_stale(observable.objects.all(), lazy=True)
    if not result["checked"]:
        return
    log.info("warninglist flags recomputed: %s", result)
    try:  # a sharing app whose tables are not migrated yet must not stop the upgrade
        with transaction.atomic():
            indicators_changed.send(sender=None, reason="warninglists")
    except Exception as exc:
        log.warning("re-flagged, but the sharing apps were not told: %s", exc)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("indicators", "0007_as_facts_on_the_as")]

    operations = [migrations.RunPython(reflag, migrations.RunPython.noop, elidable=True)]
