"""TAXII collections in the Django admin (administrators only). Writes go through
``services.create_collection`` / ``update_collection`` (validated and audited); the objects a
collection holds are shown as counts, read-only (publishing and partner posts write them)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hakusan.partners.admin import AdministratorsOnly
from hakusan.partners.choices import DataKind

from . import services
from .models import Collection

# Fixed once the collection exists (see services.EDITABLE_COLLECTION_FIELDS).
FIXED_ON_CHANGE = ("api_root", "direction")


class CollectionForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("data kinds"),
        help_text=_("An outbound collection is readable by partners receiving one of these kinds."),
        choices=DataKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Collection
        fields = [
            "api_root",
            "alias",
            "title",
            "description",
            "direction",
            "tlp",
            "kinds",
            "partners",
        ]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or self.cleaned_data
        if self.errors:
            return data  # field errors first; the service would only repeat them
        instance = self.instance
        adding = instance._state.adding

        def value(field: str) -> Any:
            if field in data:
                return data[field]
            return getattr(instance, field)

        try:
            services.check_collection(
                api_root=value("api_root"),
                alias=value("alias"),
                title=value("title"),
                description=value("description"),
                direction=value("direction"),
                tlp=value("tlp"),
                kinds=value("kinds") or [],
                partners=list(data.get("partners") or []),
                exclude=None if adding else instance.pk,
            )
        except ValidationError as exc:
            raise ValidationError(
                {
                    (key if key in self.fields else "__all__"): messages
                    for key, messages in exc.message_dict.items()
                }
            ) from None
        return data

    def validate_unique(self) -> None:
        # The service checks the (API root, alias) pair with a message naming both.
        return None


@admin.register(Collection)
class CollectionAdmin(AdministratorsOnly, admin.ModelAdmin):
    form = CollectionForm
    list_display = (
        "alias",
        "api_root",
        "title",
        "direction",
        "tlp",
        "kinds_display",
        "partner_list",
        "object_versions",
        "objects_latest",
        "dirty",
        "published_at",
    )
    list_filter = ("api_root", "direction", "tlp", "dirty")
    search_fields = ("alias", "title", "description")
    filter_horizontal = ("partners",)
    readonly_fields = (
        "id",
        "object_versions",
        "objects_latest",
        "dirty",
        "published_at",
        "created_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Collection]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _versions=Count("shared_objects"),
                _latest=Count("shared_objects", filter=Q(shared_objects__latest=True)),
            )
            .prefetch_related("partners")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(self.readonly_fields)
        return fields if obj is None else FIXED_ON_CHANGE + fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        editable = ["alias", "title", "description", "tlp", "kinds", "partners"]
        if obj is None:
            return [
                "api_root",
                "alias",
                "title",
                "description",
                "direction",
                "tlp",
                "kinds",
                "partners",
            ]
        return [*FIXED_ON_CHANGE, *editable, *self.readonly_fields]

    @admin.display(description=_("data kinds"))
    def kinds_display(self, obj: Collection) -> str:
        return ", ".join(str(DataKind(k).label) if k in DataKind.values else k for k in obj.kinds)

    @admin.display(description=_("partners allowed"))
    def partner_list(self, obj: Collection) -> str:
        names = [p.name for p in obj.partners.all()]
        return ", ".join(names) if names else str(_("all that qualify"))

    @admin.display(description=_("object versions"), ordering="_versions")
    def object_versions(self, obj: Any) -> int:
        if not hasattr(obj, "_versions"):
            return int(obj.shared_objects.count())
        return int(obj._versions)

    @admin.display(description=_("objects (latest versions)"), ordering="_latest")
    def objects_latest(self, obj: Any) -> int:
        if not hasattr(obj, "_latest"):
            return int(obj.shared_objects.filter(latest=True).count())
        return int(obj._latest)

    def save_model(self, request: HttpRequest, obj: Collection, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {
                field: (list(data[field]) if field in ("kinds", "partners") else data[field])
                for field in form.changed_data
                if field in services.EDITABLE_COLLECTION_FIELDS
            }
            if changes:
                updated = services.update_collection(obj, user=request.user, **changes)
                obj.dirty = updated.dirty
            return
        created = services.create_collection(
            data["alias"],
            api_root=data["api_root"],
            title=data["title"],
            description=data["description"],
            direction=data["direction"],
            tlp=data["tlp"],
            kinds=list(data["kinds"]),
            partners=list(data["partners"]),
            user=request.user,
        )
        # The admin goes on with ``obj`` (the message, the redirect): make it the new row.
        obj.pk = created.pk
        obj.created_at, obj.dirty = created.created_at, created.dirty
        obj._state.adding = False
        obj._state.db = created._state.db

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The partner list was saved by the service (audited with the rest).
        return None
