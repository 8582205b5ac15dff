"""Serializers of the observables API."""

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hakusan.core.api import StrictFieldsMixin, enum_field
from hakusan.core.choices import TLP
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
        fields = ["id", "type", "value", "first_seen", "last_seen", "do_not_share", "sightings"]
        read_only_fields = fields
        extra_kwargs = {
            "do_not_share": {
                "help_text": "an analyst's veto: never shared with any partner, in any format"
            }
        }

    @extend_schema_field(SightingCountsSerializer)
    def get_sightings(self, obs: Observable) -> Any:
        counts = self.context.get("counts", {}).get(obs.pk, {})
        return SightingCountsSerializer(dict(counts)).data


class DoNotShareSerializer(StrictFieldsMixin, serializers.Serializer):
    """Veto (``true``) or allow again (``false``) sharing of an observable with partners."""

    do_not_share = serializers.BooleanField(
        help_text="true: never shared with any partner, in any format; false: the sharing "
        "policy decides again"
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="why (recorded in the audit log)",
    )


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


# --- lookup: "where else has this been seen" --------------------------------------------------


class LookupQuerySerializer(serializers.Serializer):
    """Query parameters of the lookup."""

    value = serializers.CharField(
        max_length=2048,
        trim_whitespace=True,
        help_text="the value in any written form: defanged (hxxp, [.]), full-width, …",
    )
    type = enum_field(
        "ObservableTypeEnum",
        ObservableType.choices,
        required=False,
        help_text="the type, when detection cannot tell (ja3, mutex, filename, …)",
    )


class WarninglistHitSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    matched = serializers.CharField(help_text="the list entry that matched")


class DecaySerializer(serializers.Serializer):
    score = serializers.FloatField(help_text="0–1: confidence × age factor × false positives")
    half_life_days = serializers.FloatField(allow_null=True, help_text="null: never decays")
    last_seen = serializers.DateTimeField(help_text="last sighting that stood")
    sightings = serializers.IntegerField(help_text="times seen, re-sightings included")
    false_positives = serializers.IntegerField()
    confidence = serializers.IntegerField()


class LookupSightingSerializer(serializers.Serializer):
    """One sighting the caller may see: its source (number/title or name where it has one)."""

    kind = enum_field("SourceKindEnum", SourceKind.choices)
    id = serializers.IntegerField(help_text="the source's id (report, case, indicator source, …)")
    number = serializers.CharField(required=False, help_text="report or case number")
    title = serializers.CharField(required=False, help_text="case title")
    name = serializers.CharField(required=False, help_text="indicator source name")
    sighting = serializers.IntegerField(help_text="the sighting's id")
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    count = serializers.IntegerField()
    confidence = serializers.IntegerField()
    false_positive = serializers.BooleanField()
    tlp = enum_field("TlpEnum", TLP.choices)
    tags = serializers.ListField(child=serializers.CharField())
    original = serializers.CharField(help_text="as written in the source")
    comment = serializers.CharField(allow_blank=True)


class LookupSightingsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="sightings (one per source), all of them")
    by_kind = SightingCountsSerializer()
    not_shown = SightingCountsSerializer(help_text="sightings the caller may not see: counted")
    more = SightingCountsSerializer(help_text="visible sightings beyond the listed ones")
    cases = LookupSightingSerializer(many=True)
    reports = LookupSightingSerializer(many=True)
    sources = LookupSightingSerializer(many=True, help_text="indicator sources (feeds)")
    partners = LookupSightingSerializer(many=True)
    other = LookupSightingSerializer(many=True, help_text="sensor alerts, manual entries")


class SharedValueSerializer(serializers.Serializer):
    type = enum_field("ObservableTypeEnum", ObservableType.choices)
    value = serializers.CharField()


class LookupLinkSerializer(serializers.Serializer):
    """A derived link: ``out`` to what the value implies (its host, registrable domain, ASN),
    ``in`` when other values imply this one. ``shared_by`` counts the other values meeting at
    the target (capped); the sample lists those the caller may see."""

    direction = serializers.ChoiceField(choices=[("out", "out"), ("in", "in")])
    kind = serializers.CharField(help_text="host, registrable, domain, asn (or derived: in)")
    type = enum_field("ObservableTypeEnum", ObservableType.choices)
    value = serializers.CharField()
    warninglisted = serializers.BooleanField()
    shared_by = serializers.IntegerField()
    shared_by_capped = serializers.BooleanField()
    shared_sample = SharedValueSerializer(many=True)


class EnrichmentFactSerializer(serializers.Serializer):
    enricher = serializers.CharField()
    key = serializers.CharField()
    value = serializers.CharField()
    attribution = serializers.CharField(help_text="show it next to the value (data licence)")
    at = serializers.DateTimeField()


class LookupSerializer(serializers.Serializer):
    """Everything known about one value. Sightings in reports and cases the caller may not
    see are counted in ``sightings.not_shown``, never listed."""

    query = serializers.CharField(help_text="as asked")
    type = enum_field("ObservableTypeEnum", ObservableType.choices)
    value = serializers.CharField(help_text="canonical")
    found = serializers.BooleanField(help_text="stored (seen or derived) before")
    id = serializers.IntegerField(allow_null=True)
    first_seen = serializers.DateTimeField(allow_null=True)
    last_seen = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="after it the value leaves exports, not analysis"
    )
    expired = serializers.BooleanField()
    warninglisted = serializers.BooleanField()
    warninglist_hits = WarninglistHitSerializer(many=True)
    warninglist_version = serializers.CharField(allow_blank=True)
    too_common = serializers.BooleanField(help_text="seen in more cases than the limit")
    too_common_limit = serializers.IntegerField()
    correlates = serializers.BooleanField(
        help_text="counts for correlation: neither warninglisted nor too common"
    )
    decay = DecaySerializer(allow_null=True, help_text="null: never sighted itself")
    sightings = LookupSightingsSerializer()
    links = LookupLinkSerializer(many=True)
    enrichment = EnrichmentFactSerializer(many=True)
