"""Deadlines as the contract reads them: RFC 3339 strings and i64 nanoseconds since the Unix epoch."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from doran.nep413.errors import TimestampError

__all__ = ["format_deadline", "parse_rfc3339_ns", "unix_ns"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# What the `time` crate's Rfc3339 parser accepts (near/intents crates/primitives/time/src/lib.rs):
# date, `T`, time, an optional fraction, then `Z` or an offset; nanoseconds are the finest unit.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def unix_ns(moment: datetime) -> int:
    """Nanoseconds since the Unix epoch of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TimestampError(f"{moment!r} is naive: give a timezone-aware datetime (e.g. tzinfo=UTC)")
    return (moment - _EPOCH) // _MICROSECOND * 1000


def format_deadline(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ`, what JavaScript's `toISOString()` writes (the reference solver)."""
    unix_ns(moment)  # refuses a naive datetime
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_rfc3339_ns(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 timestamp, exact to the nanosecond."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise TimestampError(f"{text!r} is not an RFC 3339 timestamp like 2024-10-14T12:53:40.000Z")
    year, month, day, hour, minute, second, fraction, _, sign, off_h, off_m = match.groups()
    offset = timedelta(0)
    if sign is not None:
        offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (1 if sign == "+" else -1)
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=timezone(offset)
        )
    except ValueError as exc:
        raise TimestampError(f"{text!r} is not a valid date and time: {exc}") from None
    return unix_ns(moment) + int((fraction or "").ljust(9, "0"))
