"""Granting sign-ins: a Django user and the `Membership` that says what it may see.

HR sees the whole bank, a branch head the subtree of their branch, a lobby manager only
themself (CONTRACT.md §2, `grant_role`).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import Change
from audit.services import change_record, field_changes
from core.errors import LobbyStarError
from staff.models import Branch, Membership, Role, Staff


class RoleGrantError(LobbyStarError, ValueError):
    """A grant that cannot be made as asked; the message says why, for the person who asked."""


def membership_grant(
    *,
    username: str,
    role: str,
    branch_code: str | None = None,
    employee_no: str | None = None,
    password: str | None = None,
    source: str = "grant_role",
    by=None,
):
    """Creates or updates the sign-in `username` with `role` and its scope; returns (user, created).

    A branch head needs `branch_code`, a lobby manager `employee_no`, HR neither. A new user
    without `password` gets an unusable one (it cannot sign in until a password is set); an
    existing user keeps its password unless a new one is given.
    """
    username = (username or "").strip()
    if not username:
        raise RoleGrantError(_("必须填写用户名。"))
    if role not in Role.values:
        raise RoleGrantError(
            _("未知角色 %(role)s：可选 %(choices)s。") % {"role": role, "choices": ", ".join(Role.values)}
        )
    branch = staff = None
    if role == Role.BRANCH_HEAD:
        if not branch_code:
            raise RoleGrantError(_("机构负责人须指定 --branch 机构号：其可见的机构。"))
        branch = Branch.objects.filter(code=branch_code).first()
        if branch is None:
            raise RoleGrantError(_("未知机构 %(code)s：没有这个机构号。") % {"code": branch_code})
    elif branch_code:
        raise RoleGrantError(_("--branch 只用于 branch_head（机构负责人）角色，不用于 %(role)s。") % {"role": role})
    if role == Role.LOBBY_MANAGER:
        if not employee_no:
            raise RoleGrantError(_("大堂经理须指定 --employee 员工编号：即其本人。"))
        staff = Staff.objects.filter(employee_no=employee_no).first()
        if staff is None:
            raise RoleGrantError(_("未知员工 %(employee_no)s：没有这个员工编号。") % {"employee_no": employee_no})
    elif employee_no:
        raise RoleGrantError(_("--employee 只用于 lobby_manager（大堂经理）角色，不用于 %(role)s。") % {"role": role})

    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        created = user is None
        if created:
            user = User(username=username)
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise RoleGrantError(" ".join(error.messages))
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.save()
        membership = Membership.objects.filter(user=user).first()
        before = _scope_of(membership) if membership else {}
        if membership is None:
            membership = Membership(user=user)
        membership.role, membership.branch, membership.staff = role, branch, staff
        membership.save()
        changes = field_changes(before, _scope_of(membership))
        if changes:
            change_record(
                obj=membership, action="create" if not before else "update", fields=changes, source=source, user=by
            )
        if password is not None and not created:
            change_record(obj=membership, action=Change.Action.UPDATE, reason=_("重置密码"), source=source, user=by)
    return user, created


def signins():
    """Every sign-in with its role and scope, for HR's list (one query)."""
    return get_user_model().objects.select_related("membership__branch", "membership__staff").order_by("username")


def signin_create(
    *,
    username: str,
    role: str,
    branch_code: str | None = None,
    employee_no: str | None = None,
    password: str,
    by,
):
    """HR creates a new sign-in in the console with its first password (validated)."""
    User = get_user_model()
    if User.objects.filter(username=(username or "").strip()).exists():
        raise RoleGrantError(_("用户名 %(username)s 已被使用。") % {"username": username.strip()})
    user, _created = membership_grant(
        username=username,
        role=role,
        branch_code=branch_code,
        employee_no=employee_no,
        password=password,
        source="console",
        by=by,
    )
    return user


def membership_change(*, user, role: str, branch_code: str | None = None, employee_no: str | None = None, by):
    """HR changes an existing sign-in's role or scope; its password stays."""
    _guard_not_self(user=user, by=by, message=_("不能修改自己的角色，请由另一位人力资源部同事操作。"))
    membership_grant(
        username=user.username, role=role, branch_code=branch_code, employee_no=employee_no, source="console", by=by
    )


def signin_set_active(*, user, active: bool, by) -> None:
    """Disables a sign-in (it can no longer sign in; its history stays) or enables it again."""
    if not active:
        _guard_not_self(user=user, by=by, message=_("不能停用自己的账号。"))
    User = get_user_model()
    if User.objects.filter(pk=user.pk, is_active=not active).update(is_active=active) != 1:
        raise RoleGrantError(_("该账号已是此状态，请刷新后重试。"))
    user.is_active = active
    change_record(
        obj=_membership_or_user(user),
        action=Change.Action.TRANSITION,
        fields={"is_active": [not active, active]},
        source="console",
        user=by,
    )


def password_reset(*, user, password: str, by, source: str = "console") -> None:
    """Sets a new password for `user` (HR resetting it, or the person changing their own), after
    Django's validators (AUTH_PASSWORD_VALIDATORS); the history says it happened, never the value."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise RoleGrantError(" ".join(error.messages))
    user.set_password(password)
    user.save(update_fields=["password"])
    change_record(
        obj=_membership_or_user(user), action=Change.Action.UPDATE, reason=_("重置密码"), source=source, user=by
    )


def password_changed_record(*, user) -> None:
    """The history of a person changing their own password (Django's form has set it)."""
    change_record(
        obj=_membership_or_user(user),
        action=Change.Action.UPDATE,
        reason=_("本人修改密码"),
        source="console",
        user=user,
    )


def _membership_or_user(user):
    return Membership.objects.filter(user=user).first() or user


def _guard_not_self(*, user, by, message: str) -> None:
    # HR locking themself out of the console would leave nobody to undo it.
    if by is not None and by.pk == user.pk:
        raise RoleGrantError(message)


def _scope_of(membership: Membership) -> dict:
    return {
        "role": membership.role,
        "branch": membership.branch.code if membership.branch_id else None,
        "staff": membership.staff.employee_no if membership.staff_id else None,
    }


@dataclass(frozen=True)
class Grant:
    """One sign-in to create in bulk: scope by branch id or staff id as the role needs."""

    username: str
    role: str
    branch_id: int | None = None
    staff_id: int | None = None


def memberships_create_bulk(*, grants: Iterable[Grant], password: str) -> int:
    """Creates many new sign-ins sharing one password, in a few queries (the demo's hundreds).

    The password is hashed once: hashing is deliberately slow, and doing it per user would
    take most of a minute. The user names must not exist yet.
    """
    grants = list(grants)
    User = get_user_model()
    password_hash = make_password(password)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=grant.username, password=password_hash) for grant in grants], batch_size=1000
        )
        if any(user.pk is None for user in users):  # a database that returns no ids on bulk insert
            ids = dict(User.objects.filter(username__in=[g.username for g in grants]).values_list("username", "pk"))
            for user in users:
                user.pk = ids[user.username]
        Membership.objects.bulk_create(
            [
                Membership(user_id=user.pk, role=grant.role, branch_id=grant.branch_id, staff_id=grant.staff_id)
                for user, grant in zip(users, grants, strict=True)
            ],
            batch_size=1000,
        )
    return len(grants)
