"""Accounts: phone numbers, passwords, tokens, staff creation."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import NamedTuple

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.actions import sessions
from models.db import PRIMARY
from models.deps import Deps
from models.enums import Role
from models.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from models.messages import _
from models.orm.accounts import User
from models.orm.directory import Agency
from models.rules.policy import Viewer
from models.rules.text import check_text, clean


class SignedIn(NamedTuple):
    token: str
    user: User
    expires_at: datetime


_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
_PHONE_JUNK = re.compile(r"[\s.\-()]")
# Vietnamese mobile numbers: 9 digits after the country code, starting 3, 5, 7, 8 or 9.
_MOBILE = re.compile(r"[35789]\d{8}")
_COMMON_PASSWORDS = frozenset(
    {"12345678", "123456789", "1234567890", "password", "password1", "matkhau", "matkhau123",
     "11111111", "00000000", "88888888", "abcd1234", "qwertyui", "iloveyou", "admin123"}
)
MIN_PASSWORD, MAX_PASSWORD = 8, 128


def use_cheap_password_hashing() -> None:
    """For tests and demo seeding only: argon2 at its cheapest, so thousands of users are quick."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


def normalize_phone(raw: str | None, field: str = "phone") -> str:
    if raw is None or len(raw) > 32:
        raise Invalid(_("Enter a Vietnamese mobile number, e.g. 0905 123 456."), field=field)
    digits = _PHONE_JUNK.sub("", raw)
    if digits.startswith("+84"):
        rest = digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        rest = digits[2:]
    elif digits.startswith("0") and len(digits) == 10:
        rest = digits[1:]
    else:
        rest = ""
    if len(rest) == 10 and rest.startswith("0"):  # "+84 (0) 905 123 456", a common written form
        rest = rest[1:]
    if not _MOBILE.fullmatch(rest):
        raise Invalid(_("Enter a Vietnamese mobile number, e.g. 0905 123 456."), field=field)
    return "+84" + rest


def check_password(password: str, phone: str) -> None:
    check_text(password, field="password")
    if len(password) < MIN_PASSWORD:
        raise Invalid(_("Password must be at least {count} characters."), field="password",
                      count=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise Invalid(_("Password must be at most {count} characters."), field="password",
                      count=MAX_PASSWORD)
    lowered = password.lower()
    if lowered in _COMMON_PASSWORDS or len(set(password)) < 4 or phone.endswith(password[-9:]):
        raise Invalid(_("Password is too easy to guess; choose another."), field="password")


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow: keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def clean_display_name(name: str | None) -> str:
    text = clean(name, field="displayName", max_length=100, min_length=2)
    assert text is not None
    return text


async def create_user(
    *, phone: str, password: str, display_name: str, role: Role, agency_id: int | None = None
) -> User:
    phone = normalize_phone(phone)
    check_password(password, phone)
    name = clean_display_name(display_name)
    if role is Role.AGENCY_STAFF:
        if agency_id is None:
            raise Invalid(_("Agency staff must belong to an agency."), field="agencyId")
        if not await Agency.exists(id=agency_id):
            raise NotFound(_("No such agency."), field="agencyId")
    elif agency_id is not None:
        raise Invalid(_("Only agency staff belong to an agency."), field="agencyId")
    password_hash = await hash_password(password)
    try:
        async with in_transaction(PRIMARY):
            return await User.create(
                phone=phone, password_hash=password_hash, display_name=name, role=role,
                agency_id=agency_id,
            )
    except IntegrityError:
        raise Conflict(_("An account with this phone number already exists."),
                       field="phone") from None


async def register(phone: str, password: str, display_name: str) -> User:
    return await create_user(
        phone=phone, password=password, display_name=display_name, role=Role.CITIZEN
    )


async def create_staff_account(
    viewer: Viewer, *, phone: str, password: str, display_name: str, role: Role,
    agency_id: int | None,
) -> User:
    if not viewer.signed_in:
        raise Unauthenticated(_("Sign in first."))
    if viewer.role is not Role.ADMIN:
        raise Forbidden(_("Only an admin can create staff accounts."))
    return await create_user(
        phone=phone, password=password, display_name=display_name, role=role, agency_id=agency_id
    )


_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


async def login(phone: str, password: str, deps: Deps, ip: str = "unknown") -> SignedIn:
    """Return a new session (models/actions/sessions.py). Wrong phone and wrong password look
    the same to the caller. Repeated failures are refused before the password is even checked,
    so guessing is slow (RATE_LIMITED with retryAfterSeconds): per phone and address, per
    address, and per phone from anywhere, the last not applied to an address this phone signed
    in from lately (see models/throttle.py: nobody can lock an owner out)."""
    failure = Unauthenticated(_("Phone number or password is incorrect."))
    check_text(password, field="password")
    try:
        normalized, valid = normalize_phone(phone), True
    except Invalid:
        normalized, valid = phone[:32], False  # still counted: guessing is guessing
    throttle = deps.throttle
    known = await throttle.seen("login_success", normalized, ip)
    await throttle.check("login_failure_phone_ip", normalized, ip)
    await throttle.check("login_failure_ip", ip)
    if not known:
        await throttle.check("login_failure_phone", normalized)
    user = await User.get_or_none(phone=normalized) if valid else None
    ok = await verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.is_active:
        await throttle.hit("login_failure_phone_ip", normalized, ip)
        await throttle.hit("login_failure_ip", ip)
        await throttle.hit("login_failure_phone", normalized)
        raise failure
    await throttle.hit("login_success", normalized, ip)
    issued = await sessions.issue(user.id, deps)
    return SignedIn(issued.token, user, issued.expires_at)
