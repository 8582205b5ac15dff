"""Writes of federation: pull sources and push targets, pulls and pushes.

A pull fetches a remote collection page by page, ``added_after`` the watermark. Each page is
imported (``sharing.services.import_bundle``) and the watermark and the server's ``next``
cursor are saved *in the same transaction*: a crash or a network failure between pages
loses nothing and imports nothing twice (and an object imported again merges into its
sighting). A rejected cursor (expired, server restarted) restarts from the watermark.

Failures are recorded on the source (``last_error``, ``failures``) and the next try waits
longer each time (``RemoteCollection.backoff``). Every run is audited."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hakusan.core import audit
from hakusan.core.models import User
from hakusan.domain.sharing import tlp as tlp_rules
from hakusan.partners.models import Partner
from hakusan.sharing.services import ImportReport, import_bundle

from .client import CursorRejected, FederationError, Remote
from .models import PullSource, PushedObject, PushTarget, RemoteCollection

LOCK_SECONDS = 15 * 60
MAX_PAGE_SIZE = 10_000
PUSH_BATCH = 500


class FederationBusy(FederationError):
    """Another run of the same source or target is under way."""


# --- configuration ------------------------------------------------------------------------


def _check_common(
    name: str,
    api_root_url: str,
    collection: str,
    password: str,
    password_env: str,
    interval_seconds: int,
) -> str:
    name = name.strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 100:
        errors["name"] = "a name of 1 to 100 characters"
    if not api_root_url.startswith(("http://", "https://")):
        errors["api_root_url"] = f"{api_root_url!r} is no http(s) URL of a TAXII API root"
    if not collection.strip():
        errors["collection"] = "name the remote collection (id, alias or title)"
    if password and password_env:
        errors["password"] = "give a password or an environment variable, not both"
    if password_env and not password_env.replace("_", "").isalnum():
        errors["password_env"] = f"{password_env!r} is no environment variable name"
    if interval_seconds < 60:
        errors["interval_seconds"] = "at least 60 seconds"
    if errors:
        raise ValidationError(errors)
    return name


def _partner(partner: Partner | str) -> Partner:
    if isinstance(partner, Partner):
        return partner
    try:
        return Partner.objects.get(name=partner)
    except Partner.DoesNotExist:
        raise ValidationError({"partner": f"no partner named {partner!r}"}) from None


def _public(obj: RemoteCollection) -> dict[str, Any]:
    """What the audit log says of a source or target: never its secret."""
    return {
        "name": obj.name,
        "api_root_url": obj.api_root_url,
        "collection": obj.collection,
        "username": obj.username,
        "password_env": obj.password_env,
        "password_stored": bool(obj.password),
        "partner": obj.partner_id,
        "partner_name": obj.partner.name,
        "interval_seconds": obj.interval_seconds,
        "enabled": obj.enabled,
    }


@transaction.atomic
def create_pull_source(
    name: str,
    *,
    api_root_url: str,
    collection: str,
    partner: Partner | str,
    username: str = "",
    password: str = "",
    password_env: str = "",
    trusted: bool = False,
    tlp_default: str = "amber",
    interval_seconds: int = 3600,
    page_size: int = 500,
    verify_tls: bool = True,
    timeout_seconds: int = 60,
    user: User | None = None,
) -> PullSource:
    name = _check_common(name, api_root_url, collection, password, password_env, interval_seconds)
    if PullSource.objects.filter(name=name).exists():
        raise ValidationError({"name": f"a pull source named {name!r} already exists"})
    try:
        level = tlp_rules.normalise(tlp_default)
    except tlp_rules.UnknownTLP as exc:
        raise ValidationError({"tlp_default": str(exc)}) from None
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": f"between 1 and {MAX_PAGE_SIZE}"})
    source = PullSource(
        name=name,
        api_root_url=api_root_url.strip(),
        collection=collection.strip(),
        partner=_partner(partner),
        username=username,
        password=password,
        password_env=password_env,
        trusted=trusted,
        tlp_default=level,
        interval_seconds=interval_seconds,
        page_size=page_size,
        verify_tls=verify_tls,
        timeout_seconds=timeout_seconds,
        created_by=user,
    )
    source.full_clean()
    source.save()
    audit.record(
        user,
        "federation.source.create",
        source,
        detail={**_public(source), "trusted": trusted, "tlp_default": level},
    )
    return source


@transaction.atomic
def create_push_target(
    name: str,
    *,
    api_root_url: str,
    collection: str,
    partner: Partner | str,
    username: str = "",
    password: str = "",
    password_env: str = "",
    interval_seconds: int = 3600,
    verify_tls: bool = True,
    timeout_seconds: int = 60,
    user: User | None = None,
) -> PushTarget:
    name = _check_common(name, api_root_url, collection, password, password_env, interval_seconds)
    if PushTarget.objects.filter(name=name).exists():
        raise ValidationError({"name": f"a push target named {name!r} already exists"})
    target = PushTarget(
        name=name,
        api_root_url=api_root_url.strip(),
        collection=collection.strip(),
        partner=_partner(partner),
        username=username,
        password=password,
        password_env=password_env,
        interval_seconds=interval_seconds,
        verify_tls=verify_tls,
        timeout_seconds=timeout_seconds,
        created_by=user,
    )
    target.full_clean()
    target.save()
    audit.record(user, "federation.target.create", target, detail=_public(target))
    return target


@transaction.atomic
def set_enabled(
    obj: PullSource | PushTarget, enabled: bool, *, user: User | None = None
) -> PullSource | PushTarget:
    obj.enabled = enabled
    obj.save(update_fields=["enabled"])
    audit.record(user, "federation.enable" if enabled else "federation.disable", obj)
    return obj


@transaction.atomic
def reset_pull_state(source: PullSource, *, user: User | None = None) -> PullSource:
    """Forget the watermark and cursor: the next pull fetches the whole collection again
    (objects already imported merge)."""
    before = source.added_after
    source.added_after = ""
    source.next_cursor = ""
    source.cursor_added_after = ""
    source.next_run_at = None
    source.save(update_fields=["added_after", "next_cursor", "cursor_added_after", "next_run_at"])
    audit.record(user, "federation.source.reset", source, detail={"added_after_was": before})
    return source


# --- run bookkeeping ----------------------------------------------------------------------


def _claim(obj: PullSource | PushTarget) -> None:
    """Take the run lock of a source/target, or raise ``FederationBusy``."""
    now = timezone.now()
    model = type(obj)
    taken = model.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now), pk=obj.pk
    ).update(locked_until=now + timedelta(seconds=LOCK_SECONDS))
    if not taken:
        raise FederationBusy(f"{obj.name}: another run is under way")


def _finish(
    obj: PullSource | PushTarget,
    *,
    action: str,
    error: str,
    detail: dict[str, Any],
    user: User | None,
) -> None:
    """Record the outcome of a run (one transaction with its audit entry) and release it."""
    now = timezone.now()
    model = type(obj)
    with transaction.atomic():
        fresh = model.objects.select_for_update().get(pk=obj.pk)
        fresh.last_run_at = now
        fresh.locked_until = None
        if error:
            fresh.failures += 1
            fresh.last_error = error[:2000]
        else:
            fresh.failures = 0
            fresh.last_error = ""
            fresh.last_success_at = now
        fresh.next_run_at = now + fresh.backoff()
        fresh.save(
            update_fields=[
                "last_run_at",
                "locked_until",
                "failures",
                "last_error",
                "last_success_at",
                "next_run_at",
            ]
        )
        audit.record(
            user,
            action,
            fresh,
            detail={
                "partner": fresh.partner_id,
                "partner_name": fresh.partner.name,
                "ok": not error,
                **({"error": error[:500]} if error else {}),
                **detail,
            },
        )
        for name in ("last_run_at", "failures", "last_error", "last_success_at", "next_run_at"):
            setattr(obj, name, getattr(fresh, name))
        obj.locked_until = None


def _remote(obj: RemoteCollection) -> Remote:
    if obj.password_env and not obj.secret():
        raise FederationError(f"environment variable {obj.password_env} is not set")
    return Remote(
        obj.api_root_url,
        user=obj.username,
        password=obj.secret(),
        verify=obj.verify_tls,
        timeout=obj.timeout_seconds,
    )


def _resolve(obj: PullSource | PushTarget, remote: Remote) -> str:
    if not obj.collection_id:
        obj.collection_id = remote.resolve(obj.collection)
        type(obj).objects.filter(pk=obj.pk).update(collection_id=obj.collection_id)
    return obj.collection_id


def _later(current: str, candidate: str) -> str:
    """The later of two TAXII timestamps, as the server wrote it."""
    if not candidate:
        return current
    if not current:
        return candidate
    try:
        a = datetime.fromisoformat(current.replace("Z", "+00:00"))
        b = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
    except ValueError:
        raise FederationError(f"the server sent an unreadable date_added {candidate!r}") from None
    return candidate if b > a else current


# --- pull -----------------------------------------------------------------------------------


@dataclass
class PullResult:
    source: str
    pages: int = 0
    fetched: int = 0
    imported: int = 0
    merged: int = 0
    kept: int = 0
    skipped: int = 0
    pending: bool = False
    bundles: list[int] = field(default_factory=list)
    cursor_restarts: int = 0
    added_after: str = ""
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # what the importer said of bundles
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _import_page(
    source: PullSource, objects: list[dict[str, Any]], user: User | None
) -> ImportReport:
    return import_bundle(
        objects,
        partner=source.partner,
        source_name=source.name,
        tlp_default=source.tlp_default,
        pending=not source.trusted,
        user=user,
        provenance=f"taxii pull {source.name}",
    )


def _count(result: PullResult, report: ImportReport) -> None:
    result.imported += report.imported
    result.merged += report.merged
    result.kept += report.kept
    result.skipped += report.skipped
    result.bundles.append(report.bundle.pk)
    result.errors.extend(report.errors[: max(0, 20 - len(result.errors))])


def pull(
    source: PullSource,
    *,
    user: User | None = None,
    progress: Callable[[PullResult], None] | None = None,
    max_pages: int | None = None,
) -> PullResult:
    """Pull what is new in the source's remote collection. Never raises for a remote failure:
    it is recorded on the source and in ``PullResult.error`` (``FederationBusy`` is raised
    when another run holds the source)."""
    _claim(source)
    source.refresh_from_db()
    result = PullResult(source=source.name, pending=not source.trusted)
    try:
        _pull_pages(source, result, user, progress, max_pages)
    except FederationError as exc:
        result.error = str(exc)
    except BaseException as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        _finish(source, action="federation.pull", error=result.error, detail={}, user=user)
        raise
    result.added_after = PullSource.objects.values_list("added_after", flat=True).get(pk=source.pk)
    source.added_after = result.added_after
    detail = result.as_dict()
    detail.pop("source")
    detail.pop("ok")
    detail.pop("error")
    _finish(source, action="federation.pull", error=result.error, detail=detail, user=user)
    return result


def _pull_pages(
    source: PullSource,
    result: PullResult,
    user: User | None,
    progress: Callable[[PullResult], None] | None,
    max_pages: int | None,
) -> None:
    with _remote(source) as remote:
        collection_id = _resolve(source, remote)
        watermark = source.added_after
        cursor, cursor_after = source.next_cursor, source.cursor_added_after
        while max_pages is None or result.pages < max_pages:
            if cursor:
                try:
                    page = remote.get_page(
                        collection_id, limit=source.page_size, added_after=cursor_after, next=cursor
                    )
                except CursorRejected as exc:
                    # Expired or forgotten by the server: start again from the watermark,
                    # which covers every page imported so far.
                    result.cursor_restarts += 1
                    result.warnings.append(f"cursor rejected ({exc}); restarted from watermark")
                    cursor, cursor_after = "", ""
                    continue
                request_after = cursor_after
            else:
                page = remote.get_page(collection_id, limit=source.page_size, added_after=watermark)
                request_after = watermark
            new_watermark = _later(watermark, page.date_added_last)
            if page.objects and not page.date_added_last and not result.warnings:
                result.warnings.append(
                    "the server sends no X-TAXII-Date-Added-Last header: the watermark cannot "
                    "advance and every pull fetches the collection again (imports merge)"
                )
            next_cursor = page.next if page.more else ""
            with transaction.atomic():
                if page.objects:
                    _count(result, _import_page(source, page.objects, user))
                PullSource.objects.filter(pk=source.pk).update(
                    added_after=new_watermark,
                    next_cursor=next_cursor,
                    cursor_added_after=request_after if next_cursor else "",
                    objects_pulled=F("objects_pulled") + len(page.objects),
                    locked_until=timezone.now() + timedelta(seconds=LOCK_SECONDS),
                )
            result.pages += 1
            result.fetched += len(page.objects)
            if progress:
                progress(result)
            if not page.more:
                break
            if next_cursor:
                cursor, cursor_after = next_cursor, request_after
            elif new_watermark == watermark:
                raise FederationError(
                    "the server says there is more but sends neither a 'next' cursor nor a "
                    "later date_added: cannot continue"
                )
            else:
                cursor, cursor_after = "", ""
            watermark = new_watermark


def due_sources(now: datetime | None = None) -> list[PullSource]:
    now = now or timezone.now()
    return list(
        PullSource.objects.filter(enabled=True)
        .filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now))
        .select_related("partner")
        .order_by("next_run_at", "pk")
    )


def due_targets(now: datetime | None = None) -> list[PushTarget]:
    now = now or timezone.now()
    return list(
        PushTarget.objects.filter(enabled=True)
        .filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now))
        .select_related("partner")
        .order_by("next_run_at", "pk")
    )


# --- push -----------------------------------------------------------------------------------


@dataclass
class PushResult:
    target: str
    considered: int = 0
    unchanged: int = 0
    sent: int = 0
    objects: int = 0
    accepted: int = 0
    failed: int = 0
    statuses: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _digest(objects: list[dict[str, Any]]) -> str:
    return hashlib.sha256(
        json.dumps(objects, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def push(
    target: PushTarget,
    *,
    user: User | None = None,
    progress: Callable[[PushResult], None] | None = None,
) -> PushResult:
    """Post the partner's share of our indicators that is new or changed since the last push
    to the target's inbound collection, polling each status until final. A batch is
    remembered as pushed once its status is complete; a batch whose status did not complete
    goes again next time."""
    _claim(target)
    target.refresh_from_db()
    result = PushResult(target=target.name)
    try:
        _push_batches(target, result, progress)
    except FederationError as exc:
        result.error = str(exc)
    except BaseException as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        _finish(target, action="federation.push", error=result.error, detail={}, user=user)
        raise
    detail = result.as_dict()
    for key in ("target", "ok", "error"):
        detail.pop(key)
    _finish(target, action="federation.push", error=result.error, detail=detail, user=user)
    return result


def _push_batches(
    target: PushTarget, result: PushResult, progress: Callable[[PushResult], None] | None
) -> None:
    from hakusan.partners import policy
    from hakusan.sharing.stix_export import observable_objects

    partner = target.partner
    if not partner.active:
        raise FederationError(f"partner {partner.name} is not active")
    if not partner.receives_kind("indicators"):
        raise FederationError(f"partner {partner.name} does not receive indicators")
    known = dict(PushedObject.objects.filter(target=target).values_list("observable_id", "digest"))
    with _remote(target) as remote:
        collection_id = _resolve(target, remote)
        batch: list[tuple[int, str, str, list[dict[str, Any]]]] = []
        for obs in policy.shareable_for(partner).order_by("pk").iterator(chunk_size=1000):
            result.considered += 1
            level = policy.share_tlp(obs)
            objects = list(observable_objects(obs, level))
            digest = _digest(objects)
            if known.get(obs.pk) == digest:
                result.unchanged += 1
                continue
            batch.append((obs.pk, level, digest, objects))
            if len(batch) >= PUSH_BATCH:
                _send(target, remote, collection_id, batch, result)
                batch = []
                if progress:
                    progress(result)
        if batch:
            _send(target, remote, collection_id, batch, result)
            if progress:
                progress(result)


def _send(
    target: PushTarget,
    remote: Remote,
    collection_id: str,
    batch: list[tuple[int, str, str, list[dict[str, Any]]]],
    result: PushResult,
) -> None:
    """Post one envelope (our identity, the TLP marking definitions, the batch's objects once
    each) and remember the batch as pushed once the status is complete. Objects the server
    refuses are counted, not retried: servers refuse a version they already hold."""
    from hakusan.sharing.stix_export import identity_object, marking_objects

    levels = sorted({level for _pk, level, _d, _objs in batch})
    envelope: list[dict[str, Any]] = [identity_object(), *marking_objects(levels)]
    seen = {str(obj["id"]) for obj in envelope}
    for _pk, _level, _d, objects in batch:
        for obj in objects:
            if obj["id"] not in seen:
                seen.add(obj["id"])
                envelope.append(obj)
    status = remote.add_objects(collection_id, envelope, timeout=max(60, target.timeout_seconds))
    result.statuses.append(f"{status['id']}: {status['status']}")
    result.objects += len(envelope)
    result.accepted += int(status.get("success_count") or 0)
    result.failed += int(status.get("failure_count") or 0)
    if status["status"] != "complete":
        raise FederationError(
            f"status {status['id']} still {status['status']} after polling: "
            "not recorded as pushed, will be sent again"
        )
    now = timezone.now()
    with transaction.atomic():
        for pk, _level, digest, _objects in batch:
            PushedObject.objects.update_or_create(
                target=target, observable_id=pk, defaults={"digest": digest, "pushed_at": now}
            )
            result.sent += 1
        PushTarget.objects.filter(pk=target.pk).update(
            objects_pushed=F("objects_pushed") + len(envelope),
            locked_until=now + timedelta(seconds=LOCK_SECONDS),
        )
