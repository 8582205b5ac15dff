"""Case forms: parse what the user typed; ``cases.services`` does every write."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from hakusan.core.models import Department, User
from hakusan.intake.forms import DATETIME_INPUT_FORMATS, BootstrapMixin, DateTimeLocalInput

from .choices import CaseStatus, MemberRole, TaskStatus
from .models import Case, CaseType, RansomwareRecord

# Report category → the case type it usually becomes.
CATEGORY_TO_CASE_TYPE = {
    "ransomware": "ransomware",
    "unauthorized_access": "unauthorized_access",
    "phishing": "phishing",
    "online_banking": "illegal_transfer",
    "support_scam": "support_scam",
    "defamation": "defamation",
    "illegal_harmful_site": "illegal_content",
}


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        dept = f" ({obj.department})" if obj.department_id else ""
        return f"{obj.display_name}{dept}"


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        dept = f" ({obj.department})" if obj.department_id else ""
        return f"{obj.display_name}{dept}"


def _users() -> Any:
    return (
        User.objects.filter(is_active=True)
        .select_related("department")
        .order_by("department__code", "last_name", "first_name", "username")
    )


def _assignees(case: Case | None) -> Any:
    """Who a task may be assigned to: the case's members (any active user without a case)."""
    users = _users()
    return users.filter(case_memberships__case=case) if case is not None else users


class OpenCaseForm(BootstrapMixin, forms.Form):
    case_type = forms.ModelChoiceField(
        label=_("Case type"), queryset=CaseType.objects.all(), empty_label=None
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    lead_department = forms.ModelChoiceField(
        label=_("Lead department"), queryset=Department.objects.all(), empty_label=None
    )
    members = UserMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("You join the case as its lead."),
    )
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["members"]).queryset = _users()
        self._style()


class StatusForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=CaseStatus.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class MemberForm(BootstrapMixin, forms.Form):
    user = UserChoiceField(label=_("User"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial=MemberRole.MEMBER)

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = _users()
        if case is not None:
            users = users.exclude(case_memberships__case=case)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = users
        self._style()


class TaskForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    assignee = UserChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label="—"
    )
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_INPUT_FORMATS,
    )

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = _assignees(case)
        self._style()


class TaskUpdateForm(BootstrapMixin, forms.Form):
    """One task row: status, assignee and deadline."""

    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices)
    assignee = UserChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label="—"
    )
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_INPUT_FORMATS,
    )

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = _assignees(case)
        self._style()
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = str(field.label)
            css = field.widget.attrs.get("class", "")
            field.widget.attrs["class"] = css.replace(
                "form-select", "form-select form-select-sm"
            ).replace("form-control", "form-control form-control-sm")


class NoteForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ObservableForm(BootstrapMixin, forms.Form):
    value = forms.CharField(
        label=_("Observable"),
        max_length=2048,
        help_text=_(
            "A URL, domain, IP address, e-mail address, hash, wallet or telephone "
            "number, in any form (defanged, full-width)."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class RansomwareForm(BootstrapMixin, forms.ModelForm):
    """The structured ransomware record. Used to parse; ``update_ransomware_record`` saves."""

    class Meta:
        model = RansomwareRecord
        fields = [
            "org_size",
            "industry",
            "method",
            "ransom_demanded",
            "ransom_payment_means",
            "infection_route",
            "patch_state",
            "backup_state",
            "recovery_period",
            "cost_band",
            "logs_preserved",
            "devices_kept_powered",
            "server_data_preserved",
            "system_diagram_obtained",
            "family",
            "ransom_note",
        ]
        widgets = {"ransom_note": forms.Textarea(attrs={"rows": 3, "class": "font-monospace"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            field.widget.attrs["class"] = css.replace(
                "form-select", "form-select form-select-sm"
            ).replace("form-control", "form-control form-control-sm")

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}
