"""Serializers of the reports API: they parse and check input and shape output; the services
do every write and the selectors every permission-aware read."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hakusan.core.api import StrictFieldsMixin, enum_field
from hakusan.core.choices import TLP, DepartmentKind
from hakusan.core.models import Department, User
from hakusan.domain.intake.drafts import (
    MAX_DAMAGE_AMOUNT,
    MAX_ITEM_CHARS,
    MAX_ITEMS,
    MAX_NARRATIVE_CHARS,
)
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.selectors import seen_elsewhere
from hakusan.intake import selectors
from hakusan.intake.choices import (
    Channel,
    ItemKind,
    OrgSize,
    ReportKind,
    ReportStatus,
    RoutingStepKind,
    VictimKind,
)
from hakusan.intake.models import (
    Attachment,
    Category,
    Report,
    ReportItem,
    RoutingRule,
    RoutingStep,
)


class SeenElsewhereSerializer(serializers.Serializer):
    """How many other sources of each kind saw an observable: counted, never revealed."""

    report = serializers.IntegerField(required=False)
    case = serializers.IntegerField(required=False)
    feed = serializers.IntegerField(required=False)
    sensor = serializers.IntegerField(required=False)
    partner = serializers.IntegerField(required=False)
    manual = serializers.IntegerField(required=False)


class SourceObservableSerializer(serializers.Serializer):
    """An observable of a report or case, with how often it was seen elsewhere."""

    id = serializers.IntegerField()
    type = serializers.CharField()
    value = serializers.CharField(help_text="canonical value (refanged, normalised)")
    original = serializers.CharField(required=False, help_text="as written in the source")
    seen_elsewhere = serializers.IntegerField(help_text="sightings in other sources, all kinds")
    seen_elsewhere_by_kind = SeenElsewhereSerializer()


class ObservableRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    value = serializers.CharField()


def observables_of_report(report: Report) -> list[dict[str, Any]]:
    """The report's observables ("as written" kept) with counts of other sightings."""
    return [
        {
            "id": row.observable.pk,
            "type": row.observable.type,
            "value": row.observable.value,
            "original": row.original,
            "seen_elsewhere": row.elsewhere,
            "seen_elsewhere_by_kind": dict(row.elsewhere_by_kind),
        }
        for row in seen_elsewhere(SourceKind.REPORT, report.pk)
    ]


# --- reference data ---------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name_ja", "name_en", "cyber_division", "active"]
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer):
    kind = enum_field("DepartmentKindEnum", DepartmentKind.choices, read_only=True)

    class Meta:
        model = Department
        fields = ["code", "name", "kind", "is_cyber_division"]
        read_only_fields = fields


# --- reports: output --------------------------------------------------------------------------


class ReportSummarySerializer(serializers.ModelSerializer):
    channel = enum_field("ChannelEnum", Channel.choices, read_only=True)
    kind = enum_field("ReportKindEnum", ReportKind.choices, read_only=True)
    status = enum_field("ReportStatusEnum", ReportStatus.choices, read_only=True)
    tlp = enum_field("TlpEnum", TLP.choices, read_only=True)
    category = serializers.SlugRelatedField[Category](slug_field="code", read_only=True)
    suggested_category = serializers.SlugRelatedField[Category](slug_field="code", read_only=True)
    receiving_department = serializers.SlugRelatedField[Department](
        slug_field="code", read_only=True
    )
    assigned_department = serializers.SlugRelatedField[Department](
        slug_field="code", read_only=True
    )
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "number",
            "channel",
            "kind",
            "status",
            "tlp",
            "received_at",
            "receiving_department",
            "category",
            "suggested_category",
            "needs_cyber",
            "assigned_department",
            "due_at",
            "accepted_at",
            "escalated_at",
            "is_overdue",
        ]
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="keyword, observable, damage, victim, category or model")
    detail = serializers.CharField()
    weight = serializers.FloatField()
    category = serializers.CharField(allow_null=True, required=False)


class SuggestionSerializer(serializers.Serializer):
    """The triage suggestion stored with the report, with the reasons behind it."""

    category = serializers.CharField(allow_null=True, required=False)
    needs_cyber = serializers.BooleanField(required=False)
    scores = serializers.DictField(
        child=serializers.FloatField(),
        required=False,
        help_text="the best categories' scores by code",
    )
    reasons = ReasonSerializer(many=True, required=False)
    # A field named "source" (the suggestion's origin), not Field.source: DRF moves declared
    # fields off the class, mypy does not know.
    source = serializers.CharField(  # type: ignore[assignment]
        required=False, help_text="rules, model or rules+model"
    )


class ReportItemSerializer(serializers.ModelSerializer):
    kind = enum_field("ItemKindEnum", ItemKind.choices, read_only=True)

    class Meta:
        model = ReportItem
        fields = ["id", "kind", "text"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    """Evidence metadata only: the files are downloaded through the UI, audited."""

    class Meta:
        model = Attachment
        fields = ["id", "filename", "declared_type", "size", "sha256", "uploaded_at"]
        read_only_fields = fields


class RoutingStepSerializer(serializers.ModelSerializer):
    kind = enum_field("RoutingStepKindEnum", RoutingStepKind.choices, read_only=True)
    by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    from_department = serializers.SlugRelatedField[Department](slug_field="code", read_only=True)
    to_department = serializers.SlugRelatedField[Department](slug_field="code", read_only=True)
    rule = serializers.SlugRelatedField[RoutingRule](slug_field="name", read_only=True)

    class Meta:
        model = RoutingStep
        fields = [
            "kind",
            "at",
            "by",
            "from_department",
            "to_department",
            "rule",
            "reason",
            "due_at",
        ]
        read_only_fields = fields


class RelatedReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="report.pk")
    number = serializers.CharField(source="report.number")
    status = enum_field("ReportStatusEnum", ReportStatus.choices, source="report.status")
    received_at = serializers.DateTimeField(source="report.received_at")
    shared_observables = ObservableRefSerializer(source="shared", many=True)
    same_person = serializers.ListField(
        child=serializers.CharField(), help_text="reporter or victim names/contacts in common"
    )


class RelatedCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    linked = serializers.BooleanField(help_text="the case was opened from this report")
    shared_observables = serializers.IntegerField()


class ReportDetailSerializer(ReportSummarySerializer):
    """One report as the caller may see it: items, observables (with counts of sightings
    elsewhere), the triage suggestion, the routing steps and related reports and cases that
    the caller may see too."""

    received_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    victim_kind = enum_field("VictimKindEnum", VictimKind.choices, read_only=True)
    victim_org_size = enum_field("OrgSizeEnum", OrgSize.choices, read_only=True)
    triaged_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    suggestion = SuggestionSerializer(read_only=True)
    items = ReportItemSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    routing_steps = serializers.SerializerMethodField()
    observables = serializers.SerializerMethodField()
    related_reports = serializers.SerializerMethodField()
    related_cases = serializers.SerializerMethodField()

    class Meta(ReportSummarySerializer.Meta):
        fields = [
            *ReportSummarySerializer.Meta.fields,
            "received_by",
            "reporter_name",
            "reporter_contact",
            "victim_kind",
            "victim_name",
            "victim_contact",
            "victim_org_size",
            "victim_industry",
            "narrative",
            "occurred_at",
            "damage_amount",
            "external_ref",
            "triaged_by",
            "triaged_at",
            "suggestion",
            "items",
            "attachments",
            "observables",
            "routing_steps",
            "related_reports",
            "related_cases",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RoutingStepSerializer(many=True))
    def get_routing_steps(self, report: Report) -> Any:
        steps = report.routing_steps.select_related(
            "by", "from_department", "to_department", "rule"
        )
        return RoutingStepSerializer(steps, many=True).data

    @extend_schema_field(SourceObservableSerializer(many=True))
    def get_observables(self, report: Report) -> Any:
        return SourceObservableSerializer(observables_of_report(report), many=True).data

    @extend_schema_field(RelatedReportSerializer(many=True))
    def get_related_reports(self, report: Report) -> Any:
        user = self.context["request"].user
        return RelatedReportSerializer(selectors.related_reports(user, report), many=True).data

    @extend_schema_field(RelatedCaseSerializer(many=True))
    def get_related_cases(self, report: Report) -> Any:
        from hakusan.cases import selectors as case_selectors

        user = self.context["request"].user
        rows = [
            {
                "id": row.case.pk,
                "number": row.case.number,
                "title": row.case.title,
                "linked": row.linked,
                "shared_observables": row.shared,
            }
            for row in case_selectors.related_cases(user, report)
        ]
        return RelatedCaseSerializer(rows, many=True).data


class ExtractedSerializer(serializers.Serializer):
    type = serializers.CharField()
    value = serializers.CharField(help_text="canonical value")
    original = serializers.CharField(help_text="as written")


class ReportCreatedSerializer(ReportDetailSerializer):
    """The filed report, plus what extraction found in its narrative and items."""

    extracted = serializers.SerializerMethodField()

    class Meta(ReportDetailSerializer.Meta):
        fields = [*ReportDetailSerializer.Meta.fields, "extracted"]
        read_only_fields = fields

    @extend_schema_field(ExtractedSerializer(many=True))
    def get_extracted(self, report: Report) -> Any:
        found = self.context.get("extracted", [])
        return ExtractedSerializer(
            [{"type": str(e.type), "value": e.value, "original": e.original} for e in found],
            many=True,
        ).data


# --- reports: input ---------------------------------------------------------------------------


class ReportCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A report as an API client files it; becomes a ``ReportDraft``."""

    channel = enum_field("ChannelEnum", Channel.choices)
    kind = enum_field("ReportKindEnum", ReportKind.choices)
    narrative = serializers.CharField(
        max_length=MAX_NARRATIVE_CHARS, help_text="what happened (5W1H); defanged URLs are read"
    )
    received_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="default: now; without an offset the time is Asia/Tokyo",
    )
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    reporter_contact = serializers.CharField(required=False, allow_blank=True, max_length=200)
    victim_kind = enum_field("VictimKindEnum", VictimKind.choices, default=VictimKind.PERSON)
    victim_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    victim_contact = serializers.CharField(required=False, allow_blank=True, max_length=200)
    victim_org_size = enum_field("OrgSizeEnum", OrgSize.choices, required=False, allow_blank=True)
    victim_industry = serializers.CharField(required=False, allow_blank=True, max_length=100)
    damage_amount = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_DAMAGE_AMOUNT, help_text="yen"
    )
    items = serializers.ListField(
        child=serializers.CharField(max_length=MAX_ITEM_CHARS),
        required=False,
        max_length=MAX_ITEMS,
        help_text="URLs, SMS senders, mail headers, account numbers, wallet addresses",
    )
    external_ref = serializers.CharField(required=False, allow_blank=True, max_length=100)
    tlp = enum_field("TlpEnum", TLP.choices, default=TLP.AMBER)
    category_code = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(active=True),
        required=False,
        help_text="confirm the category at once (roles that may triage only)",
    )
    station_code = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.all(),
        required=False,
        help_text="receiving department when not the caller's (roles that may import only)",
    )

    def draft_values(self) -> dict[str, Any]:
        """The validated values as ``ReportDraft`` keyword arguments."""
        data = dict(self.validated_data)
        data.pop("tlp", None)
        for name in (
            "reporter_name",
            "reporter_contact",
            "victim_name",
            "victim_contact",
            "victim_industry",
            "external_ref",
            "victim_org_size",
        ):
            data[name] = (data.get(name) or "").strip()
        data["items"] = tuple(dict.fromkeys(i.strip() for i in data.get("items", ()) if i.strip()))
        category = data.pop("category_code", None)
        data["category_code"] = category.code if category else ""
        station = data.pop("station_code", None)
        data["station_code"] = station.code if station else ""
        return data


class TriageSerializer(StrictFieldsMixin, serializers.Serializer):
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(active=True)
    )
    needs_cyber = serializers.BooleanField(help_text="the cyber division must take it")


class RouteSerializer(StrictFieldsMixin, serializers.Serializer):
    """Accept the proposed route (empty body) or send the report elsewhere, with a reason."""

    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        help_text="department code; default: as the routing rules propose",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="required when the department is not the proposed one",
    )
    sla_hours = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=24 * 90
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        proposal = self.context.get("proposal")
        dept = attrs.get("department")
        differs = dept is not None and (proposal is None or dept.pk != proposal.department.pk)
        if differs and not (attrs.get("reason") or "").strip():
            raise serializers.ValidationError(
                {"reason": ["say why the report goes to another department than the rules propose"]}
            )
        return attrs


class RouteProposalSerializer(serializers.Serializer):
    department = DepartmentSerializer()
    sla_hours = serializers.IntegerField()
    rule = serializers.SerializerMethodField()
    reasons = serializers.ListField(child=serializers.CharField())

    @extend_schema_field(
        {"type": "string", "nullable": True, "description": "name of the rule that matched"}
    )
    def get_rule(self, proposal: Any) -> str | None:
        return proposal.rule.name if proposal.rule else None


class ReportFilterSerializer(serializers.Serializer):
    """Query parameters of the report list."""

    status = enum_field("ReportStatusEnum", ReportStatus.choices, required=False)
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.all(),
        required=False,
        help_text="category code",
    )
    channel = enum_field("ChannelEnum", Channel.choices, required=False)
    assigned_department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.all(),
        required=False,
        help_text="department code",
    )
    overdue = serializers.BooleanField(
        required=False, default=False, help_text="only routed reports past their deadline"
    )
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text="text in the number, narrative, reporter or victim",
    )

    def apply(self, reports: Any) -> Any:
        data = self.validated_data
        return selectors.filter_reports(
            reports,
            q=data.get("q") or "",
            status=data.get("status") or "",
            category=data.get("category"),
            channel=data.get("channel") or "",
            department=data.get("assigned_department"),
            overdue=bool(data.get("overdue")),
        )

    def used(self) -> dict[str, Any]:
        """The filters in use, for the audit entry."""
        return {k: getattr(v, "code", v) for k, v in self.validated_data.items() if v}
