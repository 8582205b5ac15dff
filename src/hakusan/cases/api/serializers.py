"""Serializers of the cases API: input checked here, writes in ``cases.services``."""

from typing import Any

from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hakusan.cases import selectors
from hakusan.cases.choices import (
    BackupState,
    CaseStatus,
    CostBand,
    InfectionRoute,
    MemberRole,
    PatchState,
    RansomMethod,
    RecoveryPeriod,
    TaskStatus,
    TimelineKind,
)
from hakusan.cases.models import Case, CaseMember, CaseType, RansomwareRecord, Task, TimelineEntry
from hakusan.cases.services import RANSOMWARE_FIELDS
from hakusan.core.api import StrictFieldsMixin, enum_field
from hakusan.core.choices import TLP
from hakusan.core.models import Department, User
from hakusan.intake.choices import OrgSize
from hakusan.intake.selectors import reports_visible_to

# --- reference data ---------------------------------------------------------------------------


class CaseTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseType
        fields = ["code", "name_ja", "name_en", "has_ransomware_record"]
        read_only_fields = fields


# --- output -----------------------------------------------------------------------------------


class CaseSummarySerializer(serializers.ModelSerializer):
    status = enum_field("CaseStatusEnum", CaseStatus.choices, read_only=True)
    tlp = enum_field("TlpEnum", TLP.choices, read_only=True)
    case_type = serializers.SlugRelatedField[CaseType](slug_field="code", read_only=True)
    lead_department = serializers.SlugRelatedField[Department](slug_field="code", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "title",
            "case_type",
            "status",
            "lead_department",
            "tlp",
            "opened_at",
            "closed_at",
            "updated_at",
        ]
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer):
    role = enum_field("MemberRoleEnum", MemberRole.choices, read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.CharField(source="user.display_name", read_only=True)
    department = serializers.SlugRelatedField[Department](
        source="user.department", slug_field="code", read_only=True
    )

    class Meta:
        model = CaseMember
        fields = ["username", "display_name", "department", "role", "added_at"]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    status = enum_field("TaskStatusEnum", TaskStatus.choices, read_only=True)
    assignee = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    completed_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "guidance",
            "assignee",
            "due_at",
            "status",
            "order",
            "from_playbook",
            "completed_at",
            "completed_by",
        ]
        read_only_fields = fields


class TimelineEntrySerializer(serializers.ModelSerializer):
    kind = enum_field("TimelineKindEnum", TimelineKind.choices, read_only=True)
    author = serializers.SlugRelatedField[User](slug_field="username", read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "author", "kind", "text"]
        read_only_fields = fields


def _answer(name: str, choices: Any) -> Any:
    return enum_field(name, choices, required=False, allow_blank=True)


class RansomwareRecordSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """The ransomware playbook's first-response answers (NPA fields). As input (PATCH) only
    the fields sent change; an empty string means unknown."""

    org_size = _answer("OrgSizeEnum", OrgSize.choices)
    method = _answer("RansomMethodEnum", RansomMethod.choices)
    infection_route = _answer("InfectionRouteEnum", InfectionRoute.choices)
    patch_state = _answer("PatchStateEnum", PatchState.choices)
    backup_state = _answer("BackupStateEnum", BackupState.choices)
    recovery_period = _answer("RecoveryPeriodEnum", RecoveryPeriod.choices)
    cost_band = _answer("CostBandEnum", CostBand.choices)
    updated_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)

    class Meta:
        model = RansomwareRecord
        fields = [*RANSOMWARE_FIELDS, "updated_at", "updated_by"]
        read_only_fields = ["updated_at", "updated_by"]


class CaseReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    received_at = serializers.DateTimeField()


class CaseObservableSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    value = serializers.CharField(help_text="canonical value")
    seen_elsewhere = serializers.IntegerField(
        help_text="sightings in other sources than this case and its reports"
    )


class CaseDetailSerializer(CaseSummarySerializer):
    """One case: its reports the caller may see, members, tasks, timeline, the ransomware
    record and its observables with counts of sightings elsewhere."""

    opened_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    members = MemberSerializer(many=True, read_only=True)
    tasks = TaskSerializer(many=True, read_only=True)
    timeline = TimelineEntrySerializer(many=True, read_only=True)
    ransomware = serializers.SerializerMethodField()
    reports = serializers.SerializerMethodField()
    observables = serializers.SerializerMethodField()
    can_edit = serializers.SerializerMethodField()

    class Meta(CaseSummarySerializer.Meta):
        fields = [
            *CaseSummarySerializer.Meta.fields,
            "summary",
            "opened_by",
            "reports",
            "members",
            "tasks",
            "timeline",
            "ransomware",
            "observables",
            "can_edit",
        ]
        read_only_fields = fields

    @extend_schema_field(RansomwareRecordSerializer(allow_null=True))
    def get_ransomware(self, case: Case) -> Any:
        record = RansomwareRecord.objects.filter(case=case).first()
        return RansomwareRecordSerializer(record).data if record else None

    @extend_schema_field(CaseReportSerializer(many=True))
    def get_reports(self, case: Case) -> Any:
        user = self.context["request"].user
        reports = reports_visible_to(user).filter(cases=case).order_by("received_at")
        return CaseReportSerializer(reports, many=True).data

    @extend_schema_field(CaseObservableSerializer(many=True))
    def get_observables(self, case: Case) -> Any:
        rows = [
            {"id": o.pk, "type": o.type, "value": o.value, "seen_elsewhere": n}
            for o, n in selectors.case_observables(case)
        ]
        return CaseObservableSerializer(rows, many=True).data

    @extend_schema_field(
        serializers.BooleanField(
            help_text="the caller may change the case (member, lead department's supervisor, "
            "administrator)"
        )
    )
    def get_can_edit(self, case: Case) -> bool:
        return selectors.can_edit(self.context["request"].user, case)


# --- input ------------------------------------------------------------------------------------


def _users(usernames: list[str], field: str) -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
    missing = [name for name in usernames if name not in found]
    if missing:
        raise serializers.ValidationError({field: [f"unknown user: {', '.join(missing)}"]})
    return [found[name] for name in usernames]


def _case_member(case: Case, username: str) -> User:
    member = case.members.filter(user__username=username, user__is_active=True).first()
    if member is None:
        raise serializers.ValidationError(f"{username} is not a member of the case")
    return member.user


class CaseCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    reports = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text="ids of reports the caller sees",
    )
    case_type = serializers.SlugRelatedField(slug_field="code", queryset=CaseType.objects.all())
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True)
    lead_department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.all(),
        required=False,
        help_text="default: the caller's department",
    )
    members = serializers.ListField(
        child=serializers.CharField(max_length=150),
        required=False,
        max_length=100,
        help_text="usernames",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        ids = list(dict.fromkeys(attrs.get("reports", [])))
        # Only reports the caller may see: an invisible id is reported as unknown.
        reports = {r.pk: r for r in reports_visible_to(user).filter(pk__in=ids)}
        missing = [str(i) for i in ids if i not in reports]
        if missing:
            raise serializers.ValidationError(
                {"reports": [f"unknown report id: {', '.join(missing)}"]}
            )
        attrs["reports"] = [reports[i] for i in ids]
        attrs["members"] = _users(list(dict.fromkeys(attrs.get("members", []))), "members")
        return attrs


class NoteSerializer(StrictFieldsMixin, serializers.Serializer):
    text = serializers.CharField(max_length=20_000)
    kind = enum_field(
        "NoteKindEnum",
        [
            (TimelineKind.NOTE.value, TimelineKind.NOTE.label),
            (TimelineKind.EVENT.value, TimelineKind.EVENT.label),
        ],
        default=TimelineKind.NOTE,
    )
    at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="when it happened (events); default: now"
    )


class TaskCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    guidance = serializers.CharField(required=False, allow_blank=True)
    assignee = serializers.CharField(
        required=False, allow_null=True, help_text="username of a member of the case"
    )
    due_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_assignee(self, value: str | None) -> User | None:
        return _case_member(self.context["case"], value) if value else None


class TaskUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """Only the keys sent are changed; ``null`` clears the assignee or the deadline."""

    status = enum_field("TaskStatusEnum", TaskStatus.choices, required=False)
    assignee = serializers.CharField(
        required=False, allow_null=True, help_text="username of a member of the case"
    )
    due_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_assignee(self, value: str | None) -> User | None:
        return _case_member(self.context["case"], value) if value else None


class MemberAddSerializer(StrictFieldsMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = enum_field("MemberRoleEnum", MemberRole.choices, default=MemberRole.MEMBER)

    def validate_username(self, value: str) -> User:
        user = _users([value], "username")[0]
        if self.context["case"].members.filter(user=user).exists():
            raise serializers.ValidationError(f"{value} is already a member of the case")
        return user


class CaseStatusSerializer(StrictFieldsMixin, serializers.Serializer):
    status = enum_field("CaseStatusEnum", CaseStatus.choices)


class LinkObservableSerializer(StrictFieldsMixin, serializers.Serializer):
    value = serializers.CharField(
        max_length=2048, help_text="any form: defanged (hxxp, [.]) or full-width"
    )


class CaseFilterSerializer(serializers.Serializer):
    """Query parameters of the case list."""

    status = enum_field("CaseStatusEnum", CaseStatus.choices, required=False)
    case_type = serializers.SlugRelatedField(
        slug_field="code", queryset=CaseType.objects.all(), required=False
    )
    lead_department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False
    )
    q = serializers.CharField(
        required=False, max_length=200, help_text="text in the number, title or summary"
    )

    def apply(self, cases: Any) -> Any:
        data = self.validated_data
        if data.get("q"):
            q = data["q"].strip()
            cases = cases.filter(
                Q(number__icontains=q) | Q(title__icontains=q) | Q(summary__icontains=q)
            )
        for name in ("status", "case_type", "lead_department"):
            if data.get(name):
                cases = cases.filter(**{name: data[name]})
        return cases

    def used(self) -> dict[str, Any]:
        return {k: getattr(v, "code", v) for k, v in self.validated_data.items() if v}
