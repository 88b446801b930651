"""The dead letters of referral events as the front door and an administrator read them: one row per event
(services/common/dead_letters.py groups the copies and says each one's state): the events waiting, those sent
again (with who and when) or those discarded (who, when, why). Reads only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from schemas import TOPIC_DECISIONS, TOPIC_SUBMITTED, dlq_topic
from services.common.dead_letters import STATES, DeadEvent, Letter, State, error_words, group, shown, what
from services.common.dlq_tools import discards, replays

UNREADABLE = "Dead letters could not be read: the message broker did not answer"
DLQ_TOPICS = (dlq_topic(TOPIC_SUBMITTED), dlq_topic(TOPIC_DECISIONS))  # where referral events go when they fail


def events(session: Session, letters: Sequence[Letter] | None) -> list[DeadEvent]:
    """Every event the letters are copies of, with the discards and replays the database holds (letters None: the
    broker could not be read, so only the discarded events are known). Only those of referral events' dead-letter
    topics: the database may hold other topics' (`frontdoor dlq` works on any)."""
    gone = {key: d for key, d in discards(session).items() if d.dlq_topic in DLQ_TOPICS}
    return group(letters or (), gone, [r for r in replays(session) if r.dlq_topic in DLQ_TOPICS])


def waiting(session: Session, letters: Sequence[Letter] | None) -> list[DeadEvent]:
    return shown(events(session, letters))


def listed(session: Session, letters: Sequence[Letter] | None, *, showing: State = "waiting") -> dict[str, Any]:
    """The DeadLetters view: the events in one state (waiting, sent again or discarded), with how many of each."""
    found = events(session, letters)
    return {"dead_letters": [letter_view(e) for e in shown(found, showing)], "showing": showing,
            "counts": {state: len(shown(found, state)) for state in STATES},
            "readable": letters is not None, "notes": [] if letters is not None else [UNREADABLE]}


def letter_view(event: DeadEvent) -> dict[str, Any]:
    """One event as DeadLetterShown: where, what, why and how often, never its content."""
    gone, again = event.discarded, event.replayed
    return {"id": event.latest, "event_id": str(event.event_id), "topic": event.dlq_topic,
            "original_topic": event.original_topic, "event_type": event.event_type, "what": what(event.event_type),
            "error": event.last_error, "error_words": error_words(event.last_error, event.event_type),
            "failures": event.failures,
            "first_failed_at": event.first_at.isoformat() if event.first_at else None,
            "last_failed_at": event.last_at.isoformat() if event.last_at else None,
            "state": event.state,
            "sent_again": None if again is None else {"by_name": again.by_name, "at": again.at.isoformat()},
            "discarded": None if gone is None else {"by_name": gone.by_name, "at": gone.at.isoformat(),
                                                    "reason": gone.reason}}
