"""Users, roles and sign-in. Role checks live here, so every caller (window or command line) gets them.

Passwords are hashed with Argon2id (argon2-cffi) and must pass zxcvbn (score >= 3, >= 10 characters).
Sign-in resists guessing: unknown names cost the same Argon2 verification as known ones, and after
``FREE_FAILURES`` failed attempts in a row a user name is held back for a time that doubles with each
further failure (up to ``MAX_BACKOFF``) until it signs in or an administrator unlocks it. The failures are
counted from the audit trail itself, so there is no counter to reset behind the audit's back. Every length is
checked here, before the database sees it. A signed-in ``Actor`` is what every records call takes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from zxcvbn import zxcvbn

from clinic.records.audit import record_event, write_pending
from clinic.records.models import AuditEvent, User, utcnow
from clinic.vocabulary import ROLES

_hasher = PasswordHasher()
_dummy_hash: dict[tuple[int, int, int], str] = {}

USERNAME_MAX = 64  # users.username and audit_events.username
DISPLAY_NAME_MAX = 200
PASSWORD_MIN = 10
PASSWORD_MAX = 256  # Argon2 takes any length; a bound keeps a 1 MB "password" from costing anything
PASSWORD_MIN_SCORE = 3  # zxcvbn: "safely unguessable: moderate protection from offline slow-hash scenario"
FREE_FAILURES = 5
FIRST_BACKOFF = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=1)
FIRST_ADMIN_LOCK = 772203  # PostgreSQL advisory lock: two first-start dialogs never make two first admins

PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "physiotherapist": frozenset({"read", "create", "change", "record", "export", "print"}),
    "administrator": frozenset({"read", "create", "change", "record", "export", "print", "admin", "erase",
                                "backup"}),
}


class AuthError(PermissionError):
    """Sign-in failed or the signed-in user may not do this."""


class WeakPassword(ValueError):
    """The new password does not meet the policy; the message says why and how to do better."""


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    role: str

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.username, user.role)

    def require(self, permission: str) -> None:
        if permission not in PERMISSIONS.get(self.role, frozenset()):
            raise AuthError(f"{self.username} ({self.role}) may not {permission}; ask an administrator")


SYSTEM = Actor(0, "system", "administrator")  # internal jobs and tests; never the creator of a user


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_username(username: str) -> str:
    name = username.strip()
    if not name:
        raise ValueError("user name must not be empty")
    if len(name) > USERNAME_MAX or not name.isprintable():
        raise ValueError(f"user name must be at most {USERNAME_MAX} printable characters")
    return name


def check_password(password: str, *context: str) -> str:
    """zxcvbn score >= 3 and >= 10 characters; ``context`` (user name, display name) counts as guessable."""
    if len(password) < PASSWORD_MIN:
        raise WeakPassword(f"password must have at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise WeakPassword(f"password must have at most {PASSWORD_MAX} characters")
    verdict = zxcvbn(password, user_inputs=[c for c in (*context, "glutelab", "physio", "clinic") if c])
    if verdict["score"] < PASSWORD_MIN_SCORE:
        advice = " ".join([verdict["feedback"].get("warning") or "",
                           *verdict["feedback"].get("suggestions", [])]).strip()
        raise WeakPassword("password is too easy to guess" + (f": {advice}" if advice else "")
                           + " (try several unrelated words)")
    return password


def create_user(s: Session, username: str, password: str, role: str, display_name: str = "", *,
                by: Actor) -> User:
    """A new user, created by a signed-in administrator (``create_first_admin`` makes the first one)."""
    by.require("admin")
    if not by.user_id:
        raise AuthError("users are created by a signed-in administrator, not by the system")
    return _add_user(s, username, password, role, display_name, by.username)


def create_first_admin(s: Session, username: str, password: str, display_name: str = "Administrator") -> User:
    """The first administrator, only on a database without any user (``db init-admin``, first start)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FIRST_ADMIN_LOCK})
    if s.scalar(select(func.count(User.id))):
        raise AuthError("this database already has users: a signed-in administrator creates further users "
                        "(glutelab db add-user --user ADMIN)")
    name = check_username(username)
    return _add_user(s, name, password, "administrator", display_name, name, "first administrator")


def _add_user(s: Session, username: str, password: str, role: str, display_name: str, actor_name: str,
              detail: str = "") -> User:
    username = check_username(username)
    display_name = (display_name or username).strip()[:DISPLAY_NAME_MAX]
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    check_password(password, username, display_name)
    if s.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    user = User(username=username, display_name=display_name, role=role, password_hash=hash_password(password))
    s.add(user)
    s.flush()
    record_event(s, actor_name, "create", "user", user.id, f"role={role}" + (f"; {detail}" if detail else ""))
    return user


# -- sign-in ----------------------------------------------------------------------------------------------
def _dummy_verify(password: str) -> None:
    """Verify against a hash of the current costs, so an unknown name costs what a known one does."""
    costs = (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism)
    if costs not in _dummy_hash:
        _dummy_hash[costs] = _hasher.hash("no such user: dummy password")
    try:
        _hasher.verify(_dummy_hash[costs], password)
    except (VerificationError, InvalidHashError):
        pass


def failures_in_a_row(s: Session, username: str) -> tuple[int, dt.datetime | None]:
    """Failed sign-ins of this name since its last success or unlock, and when the last one was (both
    look-ups run on indexes of the audit trail)."""
    write_pending(s)  # attempts earlier in this transaction count too
    last_sign_in = s.scalar(select(func.max(AuditEvent.id)).where(
        AuditEvent.username == username, AuditEvent.action == "sign_in")) or 0
    user_id = s.scalar(select(User.id).where(User.username == username))
    last_unlock = 0 if user_id is None else s.scalar(select(func.max(AuditEvent.id)).where(
        AuditEvent.entity == "user", AuditEvent.entity_id == str(user_id), AuditEvent.action == "unlock")) or 0
    count, last = s.execute(select(func.count(AuditEvent.id), func.max(AuditEvent.at)).where(
        AuditEvent.username == username, AuditEvent.action == "sign_in_failed",
        AuditEvent.id > max(last_sign_in, last_unlock))).one()
    if isinstance(last, str):  # SQLite's max() of a DATETIME column is its text
        last = dt.datetime.fromisoformat(last)
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    return int(count), last


def backoff_until(failures: int, last_failure: dt.datetime | None) -> dt.datetime | None:
    """After FREE_FAILURES failures in a row: 30 s, then doubling with each further failure, at most 1 h."""
    if failures < FREE_FAILURES or last_failure is None:
        return None
    wait = min(FIRST_BACKOFF * 2 ** (failures - FREE_FAILURES), MAX_BACKOFF)
    return last_failure + wait


def authenticate(s: Session, username: str, password: str, now: dt.datetime | None = None) -> Actor:
    """Sign in; every outcome is audited (``now`` is the clock, for tests of the back-off)."""
    now = now or utcnow()
    if len(username) > USERNAME_MAX or len(password) > PASSWORD_MAX:
        record_event(s, username[:USERNAME_MAX], "sign_in_failed", "user", "",
                     f"user name or password too long ({len(username)} / {len(password)} characters)")
        raise AuthError("unknown user name or wrong password")
    until = backoff_until(*failures_in_a_row(s, username))
    if until is not None and now < until:
        record_event(s, username, "sign_in_held_back", "user", "", f"until {until.isoformat(timespec='seconds')}")
        raise AuthError(f"too many failed sign-ins for {username!r}: try again after "
                        f"{until.astimezone().strftime('%H:%M:%S')}, or ask an administrator to unlock it "
                        "(glutelab db unlock-user)")
    user = s.scalar(select(User).where(User.username == username, User.active.is_(True)))
    ok = False
    if user is None:
        _dummy_verify(password)
    else:
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


def unlock_user(s: Session, admin: Actor, username: str) -> None:
    """An administrator lifts the back-off of a user name (audited; counting starts again from zero)."""
    admin.require("admin")
    user = s.scalar(select(User).where(User.username == check_username(username)))
    if user is None:
        raise ValueError(f"no user {username!r}")
    record_event(s, admin.username, "unlock", "user", user.id, "sign-in back-off lifted")
