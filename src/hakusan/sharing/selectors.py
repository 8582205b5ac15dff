"""Reads of the sharing app."""

from django.db.models import QuerySet

from .models import InboundBundle, RawStixObject


def inbound_bundles(state: str | None = None) -> QuerySet[InboundBundle]:
    bundles = InboundBundle.objects.select_related("partner", "reviewed_by", "received_by")
    return bundles.filter(state=state) if state else bundles


def bundle_objects(bundle: InboundBundle) -> QuerySet[RawStixObject]:
    return bundle.raw_objects.order_by("id")
