"""Fictional demo data: reports for the demo, benchmarks and the triage model."""

from .reports import ReportSample, generate_reports

__all__ = ["ReportSample", "generate_reports"]
