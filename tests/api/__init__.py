"""REST API tests: helpers shared by the modules (fixtures live in tests/conftest.py)."""

from typing import Any

URL_IN_NARRATIVE = "delivery-check.example.jp"
NARRATIVE = (
    "令和8年11月20日午後3時頃、宅配業者を名乗るSMSが届き、記載のURL "
    "hxxps://delivery-check[.]example[.]jp/track にアクセスしてIDとパスワードを入力した。"
    "その後クレジットカードが不正利用された。"
)


def token_client(user: Any) -> Any:
    """An API client authenticated with a new token of the user (issued as an administrator
    would)."""
    from rest_framework.test import APIClient

    from hakusan.core.services import issue_api_token

    client = APIClient()
    _token, key = issue_api_token(user, label="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def anonymous_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


def file_report(user: Any, draft: Any, **overrides: Any) -> Any:
    """A report filed through the service, as the UI or an import would."""
    from hakusan.intake.services import create_report

    overrides.setdefault("narrative", NARRATIVE)
    return create_report(user, draft(**overrides)).report


def open_case(user: Any, reports: list[Any], case_type: str = "phishing", **kwargs: Any) -> Any:
    from hakusan.cases.models import CaseType
    from hakusan.cases.services import open_case as service

    return service(
        user,
        reports=reports,
        case_type=CaseType.objects.get(code=case_type),
        title=kwargs.pop("title", "フィッシングサイト事件"),
        **kwargs,
    )


def audit_entries(action: str, object_type: str, object_id: Any = None) -> list[Any]:
    from hakusan.core.models import AuditEntry

    entries = AuditEntry.objects.filter(action=action, object_type=object_type)
    if object_id is not None:
        entries = entries.filter(object_id=str(object_id))
    return list(entries)
