"""Analysis jobs: campaign suggestions and the similar-case index. Thin: load, call, store."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from hakusan.core.choices import JobStatus
from hakusan.core.jobs import JobContext, register_job, submit
from hakusan.core.models import JobRun, User

from . import loaders, services, similarity

# A queued or running job younger than this is not queued again (an older one is presumed
# lost with its process).
PENDING_FOR = timedelta(hours=1)


def queue_once(name: str, params: dict[str, Any] | None = None, user: User | None = None) -> bool:
    """Submit the job unless the same one is already queued or running. True if submitted."""
    params = params or {}
    pending = JobRun.objects.filter(
        name=name,
        params=params,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        created_at__gte=timezone.now() - PENDING_FOR,
    )
    if pending.exists():
        return False
    submit(name, params, user=user)
    return True


@register_job("analysis.suggest_campaigns")
def suggest_campaigns_job(
    ctx: JobContext, scope: str = "all", user_id: int | None = None
) -> dict[str, Any]:
    """Recompute the campaign suggestions of a scope: ``all`` (every case) or ``user:<id>``
    (the cases that user may see)."""
    from hakusan.cases.selectors import cases_visible_to

    fingerprint = loaders.fingerprint()
    case_ids: list[int] | None = None
    if scope != "all":
        if user_id is None:
            raise ValueError("a user scope needs user_id")
        user = User.objects.get(pk=user_id)
        case_ids = list(cases_visible_to(user).values_list("pk", flat=True))
    snapshot = services.refresh_suggestions(scope, case_ids, fingerprint, user=ctx.user)
    ctx.progress(snapshot.case_count, snapshot.case_count, force=True)
    return {"scope": scope, "cases": snapshot.case_count, "suggestions": len(snapshot.suggestions)}


@register_job("analysis.build_similarity")
def build_similarity_job(ctx: JobContext) -> dict[str, Any]:
    """Rebuild the similar-case index on disk (about 30 s for 20,000 cases)."""
    stored = similarity.build()
    ctx.progress(stored.cases, stored.cases, force=True)
    return {"cases": stored.cases, "path": str(similarity.index_path())}


@register_job("analysis.refresh")
def refresh_job(ctx: JobContext) -> dict[str, Any]:
    """Periodic: both of the above when the data changed since they were computed."""
    from .models import SuggestionSnapshot

    fingerprint = loaders.fingerprint()
    done: dict[str, Any] = {}
    snapshot = SuggestionSnapshot.objects.filter(scope="all").first()
    if snapshot is None or snapshot.fingerprint != fingerprint:
        snapshot = services.refresh_suggestions("all", None, fingerprint, user=ctx.user)
        done["suggestions"] = len(snapshot.suggestions)
    stored = similarity.load()
    if stored is None or stored.fingerprint != fingerprint:
        done["similarity_cases"] = similarity.build().cases
    return done
