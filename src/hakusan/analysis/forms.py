"""Analysis forms: parse what the user typed; ``analysis.services`` does every write.

An actor is typed as a name or alias ("APT10", "Stone Panda"): an actor already recorded comes
first, then an actor cluster of the packaged galaxies (recorded on first use)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from hakusan.cases.models import Case
from hakusan.core.choices import TLP
from hakusan.core.models import User
from hakusan.domain.attribution import GalaxyKind, alias_key, packaged_index
from hakusan.intake.forms import BootstrapMixin

from .choices import CampaignStatus, Confidence
from .models import ThreatActor


def resolve_actor(user: User, text: str) -> ThreatActor | None:
    """The actor named by ``text`` (a recorded actor's name or alias, else a galaxy actor's
    exact name, alias or id), created from the galaxy on first use. None if nothing matches."""
    from . import services

    key = alias_key(text)
    if not key:
        return None
    for actor in ThreatActor.objects.all():
        if key in {alias_key(actor.name), *(alias_key(str(a)) for a in actor.aliases or [])}:
            return actor
    matches = [
        m for m in packaged_index().search(text, kinds=[GalaxyKind.ACTOR], limit=5) if m.rank <= 1
    ]
    if not matches:
        return None
    return services.actor_from_galaxy(user, matches[0].cluster.uuid)


class ActorField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Threat actor"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault(
            "help_text", _("A name or alias (APT10, Stone Panda …) from the actor knowledge base.")
        )
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "autocomplete": "off",
                "data-actor-input": "1",
                "hx-get": reverse_lazy("analysis:autocomplete"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "next .actor-results",
                "hx-vals": '{"target": "actor"}',
            }
        )


class _ActorMixin:
    user: User
    cleaned_data: dict[str, Any]

    def clean_actor(self) -> ThreatActor | None:
        text = (self.cleaned_data.get("actor") or "").strip()
        if not text:
            return None
        actor = resolve_actor(self.user, text)
        if actor is None:
            raise ValidationError(_("No threat actor is known by this name or alias."))
        return actor


def parse_case_numbers(user: User, raw: str) -> list[Case]:
    """Case numbers (C2026-00012) or ids, separated by commas, spaces or lines; each must be a
    case the user may see."""
    from hakusan.cases.selectors import cases_visible_to

    parts = [p.strip() for p in raw.replace(",", " ").split() if p.strip()]
    visible = cases_visible_to(user)
    cases: list[Case] = []
    unknown = []
    for part in dict.fromkeys(parts):
        case = visible.filter(number=part).first() or (
            visible.filter(pk=int(part)).first() if part.isdigit() else None
        )
        if case is None:
            unknown.append(part)
        else:
            cases.append(case)
    if unknown:
        raise ValidationError(
            _("Unknown case (or one you may not see): %(cases)s") % {"cases": ", ".join(unknown)}
        )
    return cases


class AcceptSuggestionForm(_ActorMixin, BootstrapMixin, forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=2000)
    name = forms.CharField(label=_("Campaign name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    actor = ActorField()

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self._style()


class CampaignForm(_ActorMixin, BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    tlp = forms.ChoiceField(label="TLP", choices=TLP.choices, initial=TLP.AMBER)
    actor = ActorField()
    cases = forms.CharField(
        label=_("Cases"),
        required=False,
        help_text=_("Case numbers, separated by commas or spaces."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self._style()

    def clean_cases(self) -> list[Case]:
        return parse_case_numbers(self.user, self.cleaned_data.get("cases") or "")


class CampaignUpdateForm(_ActorMixin, BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(label=_("Status"), choices=CampaignStatus.choices)
    tlp = forms.ChoiceField(label="TLP", choices=TLP.choices)
    actor = ActorField()

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self._style()


class AddCasesForm(BootstrapMixin, forms.Form):
    cases = forms.CharField(
        label=_("Add cases"), help_text=_("Case numbers, separated by commas or spaces.")
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self._style()

    def clean_cases(self) -> list[Case]:
        return parse_case_numbers(self.user, self.cleaned_data["cases"])


class TagForm(forms.Form):
    cluster = forms.UUIDField()


class HypothesisForm(_ActorMixin, BootstrapMixin, forms.Form):
    actor = ActorField(required=True)
    confidence = forms.ChoiceField(label=_("Confidence"), choices=Confidence.choices)
    rationale = forms.CharField(label=_("Rationale"), widget=forms.Textarea(attrs={"rows": 3}))
    observables = forms.MultipleChoiceField(
        label=_("Evidence: shared infrastructure"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    techniques = forms.MultipleChoiceField(
        label=_("Evidence: techniques and tools"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    refs = forms.CharField(
        label=_("Other evidence (one reference a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        observables: list[tuple[str, str]] = (),  # type: ignore[assignment]
        techniques: list[tuple[str, str]] = (),  # type: ignore[assignment]
        **kwargs: Any,
    ) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["observables"].choices = list(observables)  # type: ignore[attr-defined]
        self.fields["techniques"].choices = list(techniques)  # type: ignore[attr-defined]
        self._style()
        for name in ("observables", "techniques"):
            self.fields[name].widget.attrs["class"] = ""

    def evidence(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "observables": [int(i) for i in data.get("observables") or []],
            "techniques": list(data.get("techniques") or []),
            "refs": [
                line.strip() for line in (data.get("refs") or "").splitlines() if line.strip()
            ],
        }


class ActorForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    aliases = forms.CharField(
        label=_("Aliases"), required=False, help_text=_("Separated by commas.")
    )
    country = forms.CharField(label=_("Suspected country"), required=False, max_length=10)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def alias_list(self) -> list[str]:
        return [a.strip() for a in (self.cleaned_data.get("aliases") or "").split(",") if a.strip()]
