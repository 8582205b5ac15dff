import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from hakusan.core.models import AuditEntry
from hakusan.indicators.models import Observable, Sighting
from hakusan.intake import services
from hakusan.intake.choices import ReportStatus, RoutingStepKind
from hakusan.intake.models import Attachment, Report, RoutingRule, TriageDecision
from hakusan.intake.selectors import related_reports

pytestmark = pytest.mark.django_db


def test_filing_extracts_observables_and_suggests_triage(officer, draft):
    filed = services.create_report(officer, draft())
    report = filed.report
    assert report.number.startswith("R") and report.status == ReportStatus.NEW
    values = {(o.type, o.value) for o in Observable.objects.all()}
    assert ("url", "https://delivery-check.example.jp/track") in values
    assert ("phone", "+819012345678") in values
    assert Sighting.objects.filter(source_kind="report", source_id=report.pk).count() >= 2
    assert report.suggested_category is not None
    assert report.suggestion["reasons"], "the suggestion must say why"
    assert AuditEntry.objects.filter(action="create", object_id=str(report.pk)).exists()


def test_numbers_are_sequential(officer, draft):
    a = services.create_report(officer, draft()).report
    b = services.create_report(officer, draft()).report
    assert int(b.number.split("-")[1]) == int(a.number.split("-")[1]) + 1


def test_confirmation_and_correction_are_kept_as_training_data(officer, draft):
    report = services.create_report(officer, draft()).report
    decision = services.confirm_triage(report, officer, "spam_mail", False)
    report.refresh_from_db()
    assert report.category.code == "spam_mail" and report.status == ReportStatus.TRIAGED
    assert decision.corrected == (report.suggestion["category"] != "spam_mail")
    assert "delivery-check" in TriageDecision.objects.get().text
    with pytest.raises(ValidationError):
        services.confirm_triage(report, officer, "no-such-category", False)


def test_route_by_rule_records_who_when_why(officer, departments, draft):
    report = services.create_report(officer, draft()).report
    services.confirm_triage(report, officer, "phishing", True)
    step = services.route_report(report, officer)
    report.refresh_from_db()
    assert report.assigned_department == departments["cyber"]
    assert step.rule is not None and step.by == officer and "needs_cyber=True" in step.reason
    assert report.due_at == step.due_at
    assert timedelta(hours=3, minutes=59) < report.due_at - step.at <= timedelta(hours=4)


def test_manual_route_with_reason_and_custom_rule(officer, departments, draft):
    RoutingRule.objects.create(
        name="high damage fraud",
        priority=5,
        min_damage=1_000_000,
        target_department=departments["other"],
        sla_hours=48,
    )
    report = services.create_report(officer, draft(damage_amount=2_000_000)).report
    proposal = services.propose_route(report)
    assert proposal.department == departments["other"] and proposal.sla_hours == 48
    step = services.route_report(
        report, officer, department=departments["cyber"], reason="本部長指示"
    )
    assert step.reason == "本部長指示" and step.rule is None


def test_accept_only_by_assigned_department(officer, analyst, draft):
    report = services.create_report(officer, draft()).report
    services.confirm_triage(report, officer, "phishing", True)
    services.route_report(report, officer)
    with pytest.raises(ValidationError):
        services.accept_report(report, officer)  # a station officer, not the cyber division
    services.accept_report(report, analyst)
    report.refresh_from_db()
    assert report.accepted_at is not None


def test_overdue_reports_are_escalated_once(officer, draft):
    report = services.create_report(officer, draft()).report
    services.route_report(report, officer)
    later = timezone.now() + timedelta(days=3)
    assert services.escalate_overdue(later) == 1
    assert services.escalate_overdue(later) == 0
    report.refresh_from_db()
    assert report.escalated_at == later
    assert report.routing_steps.filter(kind=RoutingStepKind.ESCALATE).count() == 1


@override_settings(HAKUSAN_MAX_ATTACHMENT_BYTES=10)
def test_oversized_attachment_rolls_back_the_whole_report(officer, draft):
    upload = SimpleUploadedFile("screenshot.png", b"x" * 11, content_type="image/png")
    with pytest.raises(ValidationError, match=r"screenshot\.png"):
        services.create_report(officer, draft(), attachments=[upload])
    assert Report.objects.count() == 0 and Observable.objects.count() == 0


def test_attachment_is_hashed_and_stored_under_a_random_name(officer, draft):
    upload = SimpleUploadedFile("mail.eml", b"Received: from x\r\n", content_type="message/rfc822")
    report = services.create_report(officer, draft(), attachments=[upload]).report
    a = Attachment.objects.get(report=report)
    assert a.sha256 == hashlib.sha256(b"Received: from x\r\n").hexdigest()
    assert "mail" not in a.file.name and not a.file.name.endswith(".eml")


def test_related_reports_share_observables_or_people(officer, make_user, draft):
    first = services.create_report(officer, draft()).report
    second = services.create_report(
        officer, draft(reporter_name="佐藤花子", victim_name="佐藤花子", reporter_contact="")
    ).report
    third = services.create_report(officer, draft(narrative="別件の相談です。", items=())).report
    related = {r.report.pk: r for r in related_reports(officer, first)}
    assert second.pk in related and related[second.pk].shared
    assert third.pk in related and "山田太郎" in related[third.pk].same_person
    other = make_user("reception", "other")
    assert related_reports(other, first) == []


def test_bulk_filing_matches_single_filing(officer, draft):
    reports = services.create_reports_bulk(officer, [draft(), draft(category_code="phishing")])
    assert len(reports) == 2
    assert Sighting.objects.filter(source_kind="report").count() >= 4
    assert TriageDecision.objects.count() == 1
    assert Report.objects.get(pk=reports[1].pk).status == ReportStatus.TRIAGED


def test_triage_model_trains_on_decisions_and_joins_suggestions(officer):
    from hakusan.domain.demo import generate_reports
    from hakusan.domain.intake import ReportDraft

    drafts = [
        ReportDraft(
            channel=s.channel,
            kind=s.kind,
            narrative=s.narrative,
            items=s.items,
            category_code=s.category,
        )
        for s in generate_reports(120, seed=5)
    ]
    services.create_reports_bulk(officer, drafts)
    model = services.train_triage_model(officer)
    assert model.n_samples == 120 and model.metrics.get("accuracy") is not None
    filed = services.create_report(officer, drafts[0])
    assert "model" in filed.suggestion.source
