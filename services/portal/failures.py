"""What the portal shows when a service it calls refuses or fails (pure): a GOV.UK error page in words, with the
status the portal answers. A 401 is not here: the person is signed out and sent to sign in (`sessions`). A form's
409 and 422 show on the form itself (`pages.call_or_show_again`); these pages are for every other call. The
service's own words are never shown: they are written for the API's callers, not for people."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime

TIMEOUT = "timeout"  # the service did not answer in time
UNREACHABLE = None  # the service could not be reached at all
THERE_IS_A_PROBLEM = "Sorry, there is a problem with the service"
TRY_LATER = "Try again later. If you were sending something, go back and check whether it was saved first."


@dataclass(frozen=True)
class FailurePage:
    status: int
    title: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


PAGES = {
    403: FailurePage(403, "You cannot do this", "Your role does not allow this. Use the links above for the pages "
                                                "you can use."),
    404: FailurePage(404, "Page not found", "Check the address and try again. What you are looking for may have "
                                            "been removed or may belong to another service."),
    409: FailurePage(409, "This has changed since you opened the page",
                     "Someone may have dealt with it already. Go back, reload the page to see where it is now and "
                     "try again if you still need to."),
    413: FailurePage(413, "What you sent is too large", "Go back and send less at a time, or a smaller file."),
    422: FailurePage(422, "What you sent could not be used", "Go back, check what you entered and try again."),
}


def seconds_to_wait(retry_after: str | None, now: datetime) -> int | None:
    """Retry-After as whole seconds from `now` (a number of seconds or an HTTP date); None when absent, unreadable
    or already past."""
    if not retry_after:
        return None
    text = retry_after.strip()
    if text.isdigit():
        seconds = int(text)
    else:
        try:
            seconds = math.ceil((parsedate_to_datetime(text) - now).total_seconds())
        except (TypeError, ValueError):
            return None
    return seconds if seconds > 0 else None


def wait_words(retry_after: str | None, now: datetime) -> str:
    """How long to wait, in words: "30 seconds", "a minute", "3 minutes", "2 hours" (a minute when not said)."""
    seconds = seconds_to_wait(retry_after, now)
    if seconds is None or seconds == 60:
        return "a minute"
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    if seconds <= 3600:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{math.ceil(seconds / 3600)} hours"


def page_for(status: int | str | None, *, retry_after: str | None, now: datetime) -> FailurePage:
    """The page for a service's status (TIMEOUT: no answer in time, UNREACHABLE: no connection)."""
    if status == 429:
        wait = seconds_to_wait(retry_after, now)
        return FailurePage(429, "Too many requests", f"Too many requests: wait {wait_words(retry_after, now)} and "
                                                     "try again.", {"Retry-After": str(wait or 60)})
    if isinstance(status, int) and status in PAGES:
        return PAGES[status]
    if status == TIMEOUT or status == 504:
        return FailurePage(504, THERE_IS_A_PROBLEM, TRY_LATER)
    if status is UNREACHABLE or status == 503:
        return FailurePage(503, THERE_IS_A_PROBLEM, TRY_LATER)
    return FailurePage(502, THERE_IS_A_PROBLEM, TRY_LATER)  # any other: the service failed, or the portal asked wrongly
