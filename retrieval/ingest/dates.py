"""Publication dates: parse what archives write, report the day in Asia/Shanghai."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

# China has kept UTC+8 without daylight saving since 1991: a fixed offset needs no tz database.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_TEXT_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def to_shanghai_day(moment: datetime) -> date:
    """The calendar day in Asia/Shanghai; a time without a zone is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).date()


def parse_meta_date(value: object) -> date | None:
    """Parse a front-matter date: RFC 2822, ISO 8601, or 'YYYY-MM-DD HH:MM:SS' (UTC)."""
    if isinstance(value, datetime):
        return to_shanghai_day(value)
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return to_shanghai_day(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return to_shanghai_day(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def find_text_date(text: str) -> date | None:
    """A full date written in the text ('2022年3月31日'), preferring one alone on a line."""
    candidates: list[date] = []
    for line in text.splitlines():
        for match in _TEXT_DATE.finditer(line):
            try:
                found = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                continue
            if match.group(0) == line.strip():
                return found
            candidates.append(found)
    return candidates[0] if candidates else None
