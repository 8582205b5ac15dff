"""Core writes: numbering, departments and users (audited)."""

from django.db import transaction
from django.db.models import F

from . import audit
from .choices import DepartmentKind, Role
from .models import Department, Sequence, User


def reserve_numbers(name: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers of sequence ``name``; returns the first."""
    if count < 1:
        raise ValueError("count must be positive")
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        Sequence.objects.filter(name=name).update(value=F("value") + count)
        last = Sequence.objects.select_for_update().values_list("value", flat=True).get(name=name)
    return last - count + 1


def create_department(
    code: str,
    name: str,
    kind: str = DepartmentKind.STATION,
    *,
    is_cyber_division: bool = False,
    actor: User | None = None,
) -> Department:
    with transaction.atomic():
        dept = Department.objects.create(
            code=code, name=name, kind=kind, is_cyber_division=is_cyber_division
        )
        audit.record(actor, "create", dept, detail={"code": code})
    return dept


def create_user(
    username: str,
    password: str,
    *,
    role: str = Role.RECEPTION,
    department: Department | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_superuser: bool = False,
    actor: User | None = None,
    validate: bool = True,
) -> User:
    from django.contrib.auth.password_validation import validate_password

    if role not in Role.values:
        raise ValueError(f"role: unknown role {role!r} (one of {', '.join(Role.values)})")
    user = User(
        username=username,
        role=role,
        department=department,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_superuser=is_superuser,
        is_staff=is_superuser or role == Role.ADMIN,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        audit.record(actor, "create", user, detail={"username": username, "role": role})
    return user
