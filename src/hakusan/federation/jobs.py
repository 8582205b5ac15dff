"""Federation jobs. Thin: find the source or target, call the service, report progress.

``federation.pull`` (one source), ``federation.pull_due`` (every enabled source whose next
run is due: periodic), ``federation.push`` (one target), ``federation.push_due`` (periodic).
A remote failure is recorded on the source and in the result (``ok: false``), not raised: a
periodic run goes on with the other sources."""

from typing import Any

from hakusan.core.jobs import JobContext, register_job

from . import services
from .models import PullSource, PushTarget


def _get(model: type[PullSource] | type[PushTarget], ref: int | str) -> Any:
    if isinstance(ref, int) or str(ref).isdigit():
        return model.objects.select_related("partner").get(pk=int(ref))
    return model.objects.select_related("partner").get(name=ref)


@register_job("federation.pull")
def pull(ctx: JobContext, source: int | str, max_pages: int | None = None) -> dict[str, Any]:
    src = _get(PullSource, source)
    result = services.pull(
        src,
        user=ctx.user,
        progress=lambda r: ctx.progress(r.fetched),
        max_pages=max_pages,
    )
    ctx.progress(result.fetched, force=True)
    return result.as_dict()


@register_job("federation.pull_due")
def pull_due(ctx: JobContext) -> dict[str, Any]:
    results = []
    for src in services.due_sources():
        try:
            results.append(services.pull(src, user=ctx.user).as_dict())
        except services.FederationBusy as exc:
            results.append({"source": src.name, "ok": False, "error": str(exc), "busy": True})
    return {
        "sources": len(results),
        "failed": sum(1 for r in results if not r["ok"]),
        "fetched": sum(r.get("fetched", 0) for r in results),
        "results": results,
    }


@register_job("federation.push")
def push(ctx: JobContext, target: int | str) -> dict[str, Any]:
    tgt = _get(PushTarget, target)
    result = services.push(tgt, user=ctx.user, progress=lambda r: ctx.progress(r.sent))
    return result.as_dict()


@register_job("federation.push_due")
def push_due(ctx: JobContext) -> dict[str, Any]:
    results = []
    for tgt in services.due_targets():
        try:
            results.append(services.push(tgt, user=ctx.user).as_dict())
        except services.FederationBusy as exc:
            results.append({"target": tgt.name, "ok": False, "error": str(exc), "busy": True})
    return {
        "targets": len(results),
        "failed": sum(1 for r in results if not r["ok"]),
        "sent": sum(r.get("sent", 0) for r in results),
        "results": results,
    }
