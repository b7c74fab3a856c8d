"""Users, roles and sign-in. Role checks live here, so every caller (window or command line) gets them.

Passwords are hashed with Argon2id (argon2-cffi). A signed-in ``Actor`` is what every records call takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clinic.records.audit import record_event
from clinic.records.models import User
from clinic.vocabulary import ROLES

_hasher = PasswordHasher()

PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "physiotherapist": frozenset({"read", "create", "change", "record", "export", "print"}),
    "administrator": frozenset({"read", "create", "change", "record", "export", "print", "admin", "erase",
                                "backup"}),
}


class AuthError(PermissionError):
    """Sign-in failed or the signed-in user may not do this."""


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    role: str

    def require(self, permission: str) -> None:
        if permission not in PERMISSIONS.get(self.role, frozenset()):
            raise AuthError(f"{self.username} ({self.role}) may not {permission}; ask an administrator")


SYSTEM = Actor(0, "system", "administrator")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(s: Session, username: str, password: str, role: str, display_name: str = "",
                by: Actor = SYSTEM) -> User:
    by.require("admin")
    username = username.strip()
    if not username:
        raise ValueError("user name must not be empty")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    if s.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=hash_password(password))
    s.add(user)
    s.flush()
    record_event(s, by.username, "create", "user", user.id, f"role={role}")
    return user


def authenticate(s: Session, username: str, password: str) -> Actor:
    user = s.scalar(select(User).where(User.username == username, User.active.is_(True)))
    ok = False
    if user is not None:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    if not ok or user is None:
        record_event(s, username, "sign_in_failed", "user", "", "")
        raise AuthError("unknown user name or wrong password")
    record_event(s, user.username, "sign_in", "user", user.id, "")
    return Actor(user.id, user.username, user.role)


def sign_in(factory: sessionmaker[Session], username: str, password: str) -> Actor:
    """Authenticate in a transaction of its own, so a failed attempt is kept in the audit trail too."""
    with factory() as s:
        try:
            actor = authenticate(s, username, password)
        finally:
            s.commit()
    return actor
