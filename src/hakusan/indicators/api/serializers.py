"""Serializers of the observables API."""

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hakusan.core.api import enum_field
from hakusan.indicators.choices import ObservableType, SourceKind
from hakusan.indicators.models import Observable


class SightingCountsSerializer(serializers.Serializer):
    """Sightings per source kind: counted, never revealed."""

    report = serializers.IntegerField(required=False)
    case = serializers.IntegerField(required=False)
    feed = serializers.IntegerField(required=False)
    sensor = serializers.IntegerField(required=False)
    partner = serializers.IntegerField(required=False)
    manual = serializers.IntegerField(required=False)


class ObservableSerializer(serializers.ModelSerializer):
    type = enum_field("ObservableTypeEnum", ObservableType.choices, read_only=True)
    sightings = serializers.SerializerMethodField()

    class Meta:
        model = Observable
        fields = ["id", "type", "value", "first_seen", "last_seen", "sightings"]
        read_only_fields = fields

    @extend_schema_field(SightingCountsSerializer)
    def get_sightings(self, obs: Observable) -> Any:
        counts = self.context.get("counts", {}).get(obs.pk, {})
        return SightingCountsSerializer(dict(counts)).data


class SourceSerializer(serializers.Serializer):
    """A report or case the caller may see that has the observable."""

    kind = enum_field(
        "ListedSourceKindEnum",
        [
            (SourceKind.REPORT.value, SourceKind.REPORT.label),
            (SourceKind.CASE.value, SourceKind.CASE.label),
        ],
    )
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="report number (R…) or case number (C…)")
    seen_at = serializers.DateTimeField()
    original = serializers.CharField(help_text="as written in the source")
    tlp = serializers.CharField()


class ObservableDetailSerializer(ObservableSerializer):
    """An observable with its sightings: the sources the caller may see are listed, the others
    only counted per kind."""

    sources = serializers.SerializerMethodField()
    not_shown = serializers.SerializerMethodField()

    class Meta(ObservableSerializer.Meta):
        fields = [*ObservableSerializer.Meta.fields, "sources", "not_shown"]
        read_only_fields = fields

    @extend_schema_field(SourceSerializer(many=True))
    def get_sources(self, obs: Observable) -> Any:
        return SourceSerializer(self.context.get("sources", []), many=True).data

    @extend_schema_field(SightingCountsSerializer)
    def get_not_shown(self, obs: Observable) -> Any:
        return SightingCountsSerializer(dict(self.context.get("not_shown", {}))).data


class ObservableFilterSerializer(serializers.Serializer):
    """Query parameters of the observable search."""

    q = serializers.CharField(
        required=False,
        max_length=2048,
        help_text="part of a value; an exact value (any form: defanged, full-width) also "
        "finds observables seen only in sources the caller may not see, with "
        "counts only",
    )
    type = enum_field("ObservableTypeEnum", ObservableType.choices, required=False)

    def apply(self, visible: QuerySet[Observable]) -> QuerySet[Observable]:
        data = self.validated_data
        query = (data.get("q") or "").strip()
        condition = Q(pk__in=visible.values("pk"))
        if query:
            condition &= Q(value__icontains=query)
            exact = _canonical(query)
            if exact is not None:
                condition |= Q(type=exact[0], value=exact[1])
        observables = Observable.objects.filter(condition)
        if data.get("type"):
            observables = observables.filter(type=data["type"])
        return observables

    def used(self) -> dict[str, str]:
        return {k: v for k, v in self.validated_data.items() if v}


def _canonical(text: str) -> tuple[str, str] | None:
    from hakusan.domain.observables import InvalidObservable, detect

    try:
        obs = detect(text)
    except (InvalidObservable, ValueError):
        return None
    return str(obs.type), obs.value
