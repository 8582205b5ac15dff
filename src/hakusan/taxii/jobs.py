"""TAXII jobs: publishing the outbound collections (periodic, so a partner's first poll after
a quiet spell finds them fresh and expired items are revoked even when nobody polls) and
importing big inbound posts."""

import uuid
from typing import Any

from hakusan.core.jobs import JobContext, register_job

from . import services
from .choices import Direction
from .models import Collection


@register_job("taxii.publish")
def publish(
    ctx: JobContext, collection: str | None = None, force: bool = False, **_: Any
) -> dict[str, Any]:
    """Publish one outbound collection (by alias or id), or every outbound collection marked
    dirty or serving an item that expired since its last publish (all of them with
    ``force``). The periodic run costs two small queries per collection when nothing changed."""
    if collection:
        try:
            target = Collection.objects.get(pk=uuid.UUID(collection))
        except ValueError:
            target = Collection.objects.get(alias=collection)
        return services.publish(target)
    if force:
        return services.publish()
    result: dict[str, Any] = {}
    for target in Collection.objects.filter(direction=Direction.OUTBOUND):
        counts = services.publish_if_dirty(target)
        if counts is not None:
            result[target.alias] = counts
    return result


@register_job("taxii.import_inbound")
def import_inbound(ctx: JobContext, status: str, **_: Any) -> dict[str, Any]:
    done = services.import_status(status)
    return {
        "status": str(done.pk),
        "successes": done.success_count,
        "failures": done.failure_count,
    }
