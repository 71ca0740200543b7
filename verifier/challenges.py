"""Single-use, expiring challenges (VC-DI 1.0 §4.4 step 7: "the challenge … the verifier
expects"), stored in the verifier's database.

A challenge is 256 random bits (``secrets.token_urlsafe``), bound to one domain, valid for a
short time. :func:`refusal` says why a presented challenge cannot be used (unknown, used,
expired); :func:`consume` marks it used with one atomic ``UPDATE … WHERE used_at IS NULL AND
expires_at > now``, so of two presentations racing with the same challenge exactly one wins,
and a challenge is never used twice, across restarts too.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, col

from verifier.tables import Challenge


class ChallengeCode(StrEnum):
    """Why a presented challenge is refused (each makes the presentation invalid, 422)."""

    CHALLENGE_MISSING = "CHALLENGE_MISSING"
    CHALLENGE_UNKNOWN = "CHALLENGE_UNKNOWN"
    CHALLENGE_EXPIRED = "CHALLENGE_EXPIRED"
    CHALLENGE_USED = "CHALLENGE_USED"


def issue(session: Session, *, domain: str, ttl: timedelta, now: datetime) -> Challenge:
    """A new challenge for ``domain``, valid until ``now + ttl``, stored before it is returned."""
    challenge = Challenge(
        value=secrets.token_urlsafe(32),
        domain=domain,
        created_at=now.timestamp(),
        expires_at=(now + ttl).timestamp(),
    )
    session.add(challenge)
    session.commit()
    session.refresh(challenge)
    return challenge


def refusal(
    session: Session, value: str, *, now: datetime
) -> tuple[Challenge | None, ChallengeCode | None]:
    """The stored challenge and, if it cannot be used at ``now``, why."""
    found = session.get(Challenge, value)
    if found is None:
        return None, ChallengeCode.CHALLENGE_UNKNOWN
    if found.used_at is not None:
        return found, ChallengeCode.CHALLENGE_USED
    if found.expires_at <= now.timestamp():
        return found, ChallengeCode.CHALLENGE_EXPIRED
    return found, None


def consume(session: Session, value: str, *, now: datetime) -> bool:
    """Mark the challenge used if it is still unused and unexpired; whether this call did."""
    stamp = now.timestamp()
    statement = (
        update(Challenge)
        .where(col(Challenge.value) == value)
        .where(col(Challenge.used_at).is_(None))
        .where(col(Challenge.expires_at) > stamp)
        .values(used_at=stamp)
    )
    result = session.exec(statement)
    session.commit()
    return bool(result.rowcount == 1)
