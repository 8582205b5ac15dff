"""Intake forms: they parse and check what an officer typed; the services do every write."""

import dataclasses
import re
import unicodedata
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hakusan.core.choices import TLP
from hakusan.core.models import Department
from hakusan.domain.intake import ReportDraft
from hakusan.domain.intake.drafts import (
    MAX_DAMAGE_AMOUNT,
    MAX_ITEM_CHARS,
    MAX_ITEMS,
    MAX_NARRATIVE_CHARS,
    parse_amount,
)

from .choices import Channel, OrgSize, ReportKind, ReportStatus, VictimKind
from .models import Category

DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a (possibly empty) list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _draft_supports(name: str) -> bool:
    return any(f.name == name for f in dataclasses.fields(ReportDraft))


def _lines(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if line.strip()
    ]


class BootstrapMixin:
    """Bootstrap classes on every widget (form-control, form-select, form-check-input)."""

    fields: dict[str, forms.Field]

    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            existing = widget.attrs.get("class", "")
            widget.attrs["class"] = f"{existing} {css}".strip()


class ReportForm(BootstrapMixin, forms.Form):
    """A 通報・相談 as the officer takes it down. Becomes a ``ReportDraft``."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.VISIT)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ReportKind.choices, initial=ReportKind.CONSULTATION
    )
    received_at = forms.DateTimeField(
        label=_("Received at"), widget=DateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS
    )
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_INPUT_FORMATS,
    )
    tlp = forms.ChoiceField(label="TLP", choices=TLP.choices, initial=TLP.AMBER)

    reporter_name = forms.CharField(label=_("Reporter name"), required=False, max_length=100)
    reporter_contact = forms.CharField(
        label=_("Reporter contact"),
        required=False,
        max_length=200,
        help_text=_("Telephone, e-mail or address"),
    )
    victim_kind = forms.ChoiceField(
        label=_("Victim type"), choices=VictimKind.choices, initial=VictimKind.PERSON
    )
    victim_name = forms.CharField(label=_("Victim name"), required=False, max_length=200)
    victim_contact = forms.CharField(label=_("Victim contact"), required=False, max_length=200)
    victim_org_size = forms.ChoiceField(
        label=_("Organisation size"), choices=OrgSize.choices, required=False
    )
    victim_industry = forms.CharField(label=_("Industry"), required=False, max_length=100)

    narrative = forms.CharField(
        label=_("Narrative (5W1H)"),
        max_length=MAX_NARRATIVE_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "When, where, who, what, why and how. Paste URLs and addresses as they "
            "were written; defanged forms such as hxxp:// and [.] are understood."
        ),
    )
    damage_amount = forms.CharField(
        label=_("Damage amount (yen)"),
        required=False,
        max_length=40,
        help_text=_("For example 150000, 150,000 or ¥150,000"),
    )
    damage_from = forms.DateField(label=_("Damage from"), required=False, widget=DateInput())
    damage_to = forms.DateField(label=_("Damage to"), required=False, widget=DateInput())

    items = forms.CharField(
        label=_("Items"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("URLs, SMS senders, account numbers, wallet addresses: one per line."),
    )
    mail_header = forms.CharField(
        label=_("Mail header"),
        required=False,
        max_length=MAX_ITEM_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace small"}),
        help_text=_("Paste the full header of a suspicious e-mail; it is kept as one item."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Screenshots, mail files, documents. Several files may be chosen."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault(
                "received_at", timezone.localtime().replace(second=0, microsecond=0)
            )
        # The draft carries the damage period only once the domain has the fields.
        for name in ("damage_from", "damage_to"):
            if not _draft_supports(name):
                del self.fields[name]
        limit_mb = settings.HAKUSAN_MAX_ATTACHMENT_BYTES / (1024 * 1024)
        self.fields["attachments"].help_text = _(
            "Screenshots, mail files, documents. Several files may be chosen; at most "
            "%(mb)s MB each."
        ) % {"mb": f"{limit_mb:g}"}
        self._style()

    def clean_narrative(self) -> str:
        text = self.cleaned_data["narrative"].strip()
        if not text:
            raise ValidationError(_("Write what happened."), code="required")
        return text

    def clean_damage_amount(self) -> int | None:
        raw = self.cleaned_data["damage_amount"].strip()
        if not raw:
            return None
        try:
            amount = parse_amount(raw)
        except ValueError:
            raise ValidationError(
                _("“%(value)s” is not an amount in yen (whole yen, for example 150000)."),
                code="invalid",
                params={"value": raw},
            ) from None
        if amount > MAX_DAMAGE_AMOUNT:
            raise ValidationError(_("The amount is implausibly large."), code="invalid")
        return amount

    def clean_items(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for line in _lines(self.cleaned_data["items"]):
            if len(line) > MAX_ITEM_CHARS:
                raise ValidationError(
                    _("An item is longer than %(n)d characters."), params={"n": MAX_ITEM_CHARS}
                )
            seen[line] = None
        if len(seen) > MAX_ITEMS:
            raise ValidationError(_("At most %(n)d items."), params={"n": MAX_ITEMS})
        return tuple(seen)

    def clean_attachments(self) -> list[Any]:
        files = self.cleaned_data["attachments"]
        limit = settings.HAKUSAN_MAX_ATTACHMENT_BYTES
        too_big = [f for f in files if (f.size or 0) > limit]
        if too_big:
            raise ValidationError(
                [
                    ValidationError(
                        _("%(name)s is too large (%(size)s bytes); the limit is %(limit)s bytes."),
                        code="too_large",
                        params={"name": f.name, "size": f"{f.size:,}", "limit": f"{limit:,}"},
                    )
                    for f in too_big
                ]
            )
        return files

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        start, end = data.get("damage_from"), data.get("damage_to")
        if start and end and start > end:
            self.add_error("damage_to", _("The end of the damage period is before its start."))
        return data

    def to_draft(self) -> ReportDraft:
        """The validated draft; call after ``is_valid()``. Domain errors become form errors."""
        data = self.cleaned_data
        items = list(data["items"])
        header = data.get("mail_header", "").strip()
        if header:
            items.append(header.replace("\r\n", "\n"))
        values: dict[str, Any] = {
            "channel": data["channel"],
            "kind": data["kind"],
            "narrative": data["narrative"],
            "received_at": data["received_at"],
            "occurred_at": data.get("occurred_at"),
            "reporter_name": data["reporter_name"].strip(),
            "reporter_contact": data["reporter_contact"].strip(),
            "victim_kind": data["victim_kind"],
            "victim_name": data["victim_name"].strip(),
            "victim_contact": data["victim_contact"].strip(),
            "victim_org_size": data.get("victim_org_size") or "",
            "victim_industry": data["victim_industry"].strip(),
            "damage_amount": data.get("damage_amount"),
            "items": tuple(dict.fromkeys(items)),
        }
        for name in ("damage_from", "damage_to"):
            if name in self.fields:
                values[name] = data.get(name)
        return ReportDraft(**values)


class TriageForm(BootstrapMixin, forms.Form):
    """Confirm or correct the suggested category and whether the cyber division takes it."""

    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        to_field_name="code",
        empty_label=None,
    )
    needs_cyber = forms.TypedChoiceField(
        label=_("Cyber division must take it"),
        choices=[("1", _("Yes")), ("0", _("No"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = Category.objects.filter(
            active=True
        )
        self._style()
        self.fields["needs_cyber"].widget.attrs["class"] = "form-check-input"

    @classmethod
    def for_report(cls, report: Any, data: Any = None) -> "TriageForm":
        category = report.category or report.suggested_category
        needs = (
            report.needs_cyber if report.needs_cyber is not None else report.suggested_needs_cyber
        )
        return cls(
            data,
            initial={
                "category": category.code if category else None,
                "needs_cyber": "1" if needs else "0",
            },
        )


class RouteForm(BootstrapMixin, forms.Form):
    """Accept the proposed route, or send the report elsewhere with a reason."""

    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.all(),
        required=False,
        empty_label=_("As proposed"),
    )
    sla_hours = forms.IntegerField(
        label=_("Deadline (hours)"), required=False, min_value=1, max_value=24 * 90
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, proposal: Any = None, **kwargs: Any) -> None:
        self.proposal = proposal
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        dept = data.get("department")
        differs = dept is not None and (
            self.proposal is None or dept.pk != self.proposal.department.pk
        )
        if differs and not (data.get("reason") or "").strip():
            self.add_error(
                "reason", _("Say why the report goes to another department than the rules propose.")
            )
        return data


class ReportFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Text"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *ReportStatus.choices]
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.none(),
        to_field_name="code",
        empty_label="—",
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", "—"), *Channel.choices]
    )
    department = forms.ModelChoiceField(
        label=_("Assigned department"),
        required=False,
        queryset=Department.objects.all(),
        empty_label="—",
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = Category.objects.all()
        self._style()
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxInput):
                css = field.widget.attrs["class"]
                field.widget.attrs["class"] = css.replace(
                    "form-control", "form-control form-control-sm"
                ).replace("form-select", "form-select form-select-sm")


IMPORT_FORMATS = [("", _("Detect from the file name")), ("csv", "CSV"), ("jsonl", _("JSON lines"))]
_SAFE_SUFFIX = re.compile(r"\.(csv|tsv|txt|jsonl|ndjson|json)$", re.IGNORECASE)


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (UTF-8 or Shift_JIS) or JSON lines, one report a row.")
    )
    fmt = forms.ChoiceField(label=_("Format"), choices=IMPORT_FORMATS, required=False)
    department = forms.ModelChoiceField(
        label=_("Receiving department"),
        queryset=Department.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=_("Per row (station code), else mine"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = unicodedata.normalize("NFKC", upload.name or "")
        if not _SAFE_SUFFIX.search(name):
            raise ValidationError(_("Upload a .csv or .jsonl file."), code="invalid")
        return upload

    def resolved_format(self) -> str:
        fmt = self.cleaned_data.get("fmt") or ""
        if fmt:
            return fmt
        name = (self.cleaned_data["file"].name or "").lower()
        return "jsonl" if name.endswith((".jsonl", ".ndjson", ".json")) else "csv"
