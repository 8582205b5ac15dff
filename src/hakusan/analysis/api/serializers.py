"""Serializers of the analysis API: input checked here, writes in ``analysis.services``."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hakusan.analysis.choices import ActorSource, CampaignStatus, TagKind
from hakusan.analysis.models import Campaign, CampaignTag, ThreatActor
from hakusan.core.api import StrictFieldsMixin, enum_field
from hakusan.core.choices import TLP

# --- actors and knowledge ---------------------------------------------------------------------


class ThreatActorSerializer(serializers.ModelSerializer):
    source = enum_field(  # type: ignore[assignment]  # named "source"
        "ActorSourceEnum", ActorSource.choices, read_only=True
    )
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ThreatActor
        fields = [
            "id",
            "name",
            "aliases",
            "description",
            "galaxy_uuid",
            "galaxy",
            "external_id",
            "country",
            "source",
        ]
        read_only_fields = fields


class ActorFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, help_text="a name or alias: APT10 finds menuPass"
    )


class KnowledgeFilterSerializer(serializers.Serializer):
    q = serializers.CharField(help_text="a name, alias or ATT&CK id (APT10, T1486, LockBit)")
    kind = enum_field("GalaxyKindEnum", TagKind.choices, required=False)


class GalaxyClusterSerializer(serializers.Serializer):
    uuid = serializers.CharField()
    galaxy = serializers.CharField(help_text="the MISP galaxy type, e.g. mitre-intrusion-set")
    kind = enum_field("GalaxyKindEnum", TagKind.choices)
    value = serializers.CharField(help_text="as in MISP: menuPass - G0045")
    name = serializers.CharField()
    external_id = serializers.CharField(allow_blank=True)
    aliases = serializers.ListField(child=serializers.CharField())
    matched = serializers.CharField(help_text="the name, alias or id that matched")
    rank = serializers.IntegerField(help_text="0 exact name or id, 1 exact alias, 2 prefix, 3 part")
    tag = serializers.CharField(help_text="the MISP machine tag")


# --- campaigns --------------------------------------------------------------------------------


class CampaignTagSerializer(serializers.ModelSerializer):
    kind = enum_field("GalaxyKindEnum", TagKind.choices, read_only=True)

    class Meta:
        model = CampaignTag
        fields = ["cluster_uuid", "galaxy", "kind", "value", "name", "external_id"]
        read_only_fields = fields


class CampaignSummarySerializer(serializers.ModelSerializer):
    status = enum_field("CampaignStatusEnum", CampaignStatus.choices, read_only=True)
    tlp = enum_field("TlpEnum", TLP.choices, read_only=True)
    actor = serializers.SlugRelatedField[ThreatActor](slug_field="name", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "status", "tlp", "actor", "created_at", "updated_at"]
        read_only_fields = fields


class SharedObservableSerializer(serializers.Serializer):
    type = serializers.CharField()
    value = serializers.CharField(help_text="defanged")
    weight = serializers.FloatField()
    cases = serializers.ListField(
        child=serializers.CharField(), help_text="numbers of the cases the caller may see"
    )
    hidden_cases = serializers.IntegerField(help_text="cases the caller may not see (count)")
    warninglisted = serializers.BooleanField()
    too_common = serializers.BooleanField()


class ActorHypothesisSerializer(serializers.Serializer):
    actor = serializers.CharField()
    confidence = serializers.CharField()
    rationale = serializers.CharField()
    evidence = serializers.DictField()


class CampaignDetailSerializer(CampaignSummarySerializer):
    description = serializers.CharField(read_only=True)
    cases = serializers.SerializerMethodField()
    hidden_cases = serializers.SerializerMethodField()
    shared_infrastructure = serializers.SerializerMethodField()
    tags = CampaignTagSerializer(many=True, read_only=True)
    hypotheses = serializers.SerializerMethodField()

    class Meta(CampaignSummarySerializer.Meta):
        fields = [
            *CampaignSummarySerializer.Meta.fields,
            "description",
            "cases",
            "hidden_cases",
            "shared_infrastructure",
            "tags",
            "hypotheses",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_cases(self, obj: Campaign) -> list[str]:
        return [m.case.number for m in self.context["members"].visible]

    def get_hidden_cases(self, obj: Campaign) -> int:
        return int(self.context["members"].hidden)

    @extend_schema_field(SharedObservableSerializer(many=True))
    def get_shared_infrastructure(self, obj: Campaign) -> list[dict[str, Any]]:
        return [
            {
                "type": row.shared.observable.type,
                "value": row.shown,
                "weight": round(row.shared.weight, 4),
                "cases": [c.number for c in row.cases],
                "hidden_cases": row.hidden_cases,
                "warninglisted": row.shared.warninglisted,
                "too_common": row.shared.too_common,
            }
            for row in self.context["infrastructure"]
        ]

    @extend_schema_field(ActorHypothesisSerializer(many=True))
    def get_hypotheses(self, obj: Campaign) -> list[dict[str, Any]]:
        return [
            {
                "actor": h.actor.name,
                "confidence": h.confidence,
                "rationale": h.rationale,
                "evidence": ev,
            }
            for h, ev in self.context["hypotheses"]
        ]


class CampaignCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    tlp = enum_field("TlpEnum", TLP.choices, required=False)
    actor = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="a recorded actor's name or alias, or a galaxy actor's (APT10)",
    )
    cases = serializers.ListField(
        child=serializers.CharField(), help_text="case numbers (C2026-00012) or ids"
    )


# --- suggestions, graph, similar cases --------------------------------------------------------


class CampaignSuggestionTieSerializer(serializers.Serializer):
    type = serializers.CharField()
    value = serializers.CharField(help_text="defanged")
    weight = serializers.FloatField()
    cases = serializers.ListField(child=serializers.CharField())
    hidden_cases = serializers.IntegerField()


class CampaignSuggestionSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="the case ids joined by '-'")
    cases = serializers.ListField(child=serializers.CharField(), help_text="case numbers")
    score = serializers.FloatField()
    ties = CampaignSuggestionTieSerializer(many=True)
    campaigns = serializers.ListField(
        child=serializers.CharField(), help_text="campaigns that already hold these cases"
    )

    @staticmethod
    def row(item: Any) -> dict[str, Any]:
        return {
            "key": item.key,
            "cases": [c.number for c in item.cases],
            "score": round(item.score, 4),
            "ties": [
                {
                    "type": t.observable.type,
                    "value": t.shown,
                    "weight": round(t.weight, 4),
                    "cases": [c.number for c in t.cases],
                    "hidden_cases": t.hidden_cases,
                }
                for t in item.ties
            ],
            "campaigns": [c.name for c in item.campaigns],
        }


class CaseGraphSerializer(serializers.Serializer):
    root = serializers.CharField()  # type: ignore[assignment]  # named "root"
    nodes = serializers.ListField(
        child=serializers.DictField(),
        help_text="Cytoscape node data: id, kind (case/report/observable/hidden/more), label …",
    )
    edges = serializers.ListField(
        child=serializers.DictField(), help_text="id, source, target, kind, label"
    )
    cap = serializers.IntegerField()
    truncated = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())


class SimilarCaseSerializer(serializers.Serializer):
    case = serializers.CharField(help_text="case number")
    case_id = serializers.IntegerField()
    title = serializers.CharField()
    score = serializers.FloatField()
    text_score = serializers.FloatField()
    shared_terms = serializers.ListField(child=serializers.CharField())
    shared_observables = serializers.ListField(child=serializers.CharField(), help_text="defanged")
