"""Dead letters as an administrator reads them (pure: no broker, no database).

A dead-letter topic is append-only: an event that fails again after a replay is a second record there, with the
same event id. `group` makes one row per event, however many copies the log holds: how many times it failed, its
first and last failure, its last error, and, when an administrator discarded it (a row in the database, as the
log cannot be changed), who, when and why; and, when it was sent again (a replay, also a row in the database), its
last replay. An event is in one of three states (`DeadEvent.state`): discarded; sent again (replayed, and nothing
failed since); or waiting (failed and never sent again, or failed again after its last replay). A record without
an `event-id` header (bytes that were never an event) is known by the first record of the chain of replays it came
from (`x-replayed-from`), as a stable UUID. `replay_plan` says which copy a replay sends (the newest of each chosen
event, once; every event waiting when none is chosen, so not those sent again) and which chosen events were
discarded and must not be sent. `what` and `error_words` say what an event is and why it failed in words, from its
type and its error header only (never its content)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "frontdoor:dead-letter")  # ids of records without an event id
State = Literal["waiting", "sent_again", "discarded"]
STATES: tuple[State, ...] = ("waiting", "sent_again", "discarded")


class Letter(Protocol):
    """A record on a dead-letter topic as services.common.dlq_tools reads it (where, why; never the content)."""

    @property
    def dlq_topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def original_topic(self) -> str: ...
    @property
    def error(self) -> str: ...
    @property
    def event_id(self) -> str | None: ...
    @property
    def event_type(self) -> str: ...
    @property
    def at(self) -> datetime | None: ...
    @property
    def replayed_from(self) -> str | None: ...


@dataclass(frozen=True)
class Discard:
    """An administrator's decision that an event will never be offered again: who (their name), when and why."""

    event_id: uuid.UUID
    reason: str
    by_name: str | None
    at: datetime
    dlq_topic: str = ""
    event_type: str = ""


@dataclass(frozen=True)
class Replay:
    """An administrator's sending of an event to its original topic again: who (their name), when (before it was
    sent) and which copy was sent (partition:offset on `dlq_topic`)."""

    event_id: uuid.UUID
    at: datetime
    by_name: str | None
    sent: str = ""
    dlq_topic: str = ""


@dataclass(frozen=True)
class Copy:
    """One copy of an event on a dead-letter topic: where (partition:offset), when it was dead-lettered and, when
    a replay sent the record it failed on, the copy that replay sent (dlq topic:partition:offset)."""

    where: str
    at: datetime | None
    replayed_from: str | None


def _place(where: str) -> tuple[int, int] | None:
    partition, _, offset = where.partition(":")
    return (int(partition), int(offset)) if partition.isdigit() and offset.isdigit() else None


def failed_since(copies: Iterable[Copy], replay: Replay) -> bool:
    """Whether the event failed again after `replay`: a copy after the one it sent in the log (the same partition, a
    later offset), or one that came from that very copy (`x-replayed-from`); no clock is compared then, as the
    broker's need not agree with the database's. Only when which copy was sent is not known (nor its partition) is
    a copy dead-lettered after the replay's time taken as a failure since (a copy without a time is not)."""
    sent = _place(replay.sent)
    for c in copies:
        here = _place(c.where)
        if replay.sent and c.replayed_from == f"{replay.dlq_topic}:{replay.sent}":
            return True
        if sent is not None and here is not None and here[0] == sent[0]:
            if here[1] > sent[1]:
                return True
        elif c.at is not None and c.at > replay.at:
            return True
    return False


@dataclass(frozen=True)
class DeadEvent:
    """One event on a dead-letter topic: every copy of it (partition:offset, oldest first) and what is known."""

    event_id: uuid.UUID
    event_type: str
    dlq_topic: str
    original_topic: str
    copies: tuple[str, ...]
    last_error: str
    first_at: datetime | None
    last_at: datetime | None
    discarded: Discard | None = field(default=None)
    replayed: Replay | None = field(default=None)  # its last replay, if it was ever sent again
    chain: tuple[Copy, ...] = field(default=())  # its copies, as `copies`, with when and where each came from

    @property
    def state(self) -> State:
        """Discarded; sent again (replayed, nothing failed since); or waiting for an administrator."""
        if self.discarded is not None:
            return "discarded"
        if self.replayed is None or failed_since(self.chain, self.replayed):
            return "waiting"
        return "sent_again"

    @property
    def failures(self) -> int:
        return len(self.copies)

    @property
    def latest(self) -> str:
        """The newest copy: the one a replay sends ("" when the log no longer holds any)."""
        return self.copies[-1] if self.copies else ""


@dataclass(frozen=True)
class ReplayPlan:
    send: set[str]  # partition:offset of each copy to send
    refused: tuple[DeadEvent, ...]  # chosen events that were discarded
    events: tuple[DeadEvent, ...] = ()  # the events sent (their newest copies: `send`)


def _where(letter: Letter) -> str:
    return f"{letter.dlq_topic}:{letter.partition}:{letter.offset}"


def _event_id(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def event_key(letter: Letter, by_place: Mapping[str, Letter]) -> uuid.UUID:
    """The event a record is a copy of: its event-id header, else the first record of its chain of replays."""
    found = _event_id(letter.event_id)
    if found is not None:
        return found
    root, seen = _where(letter), set()
    current: Letter | None = letter
    while current is not None and current.replayed_from and current.replayed_from not in seen:
        seen.add(root)
        root = current.replayed_from
        current = by_place.get(root)
    return uuid.uuid5(NAMESPACE, root)


def group(letters: Sequence[Letter], discards: Mapping[uuid.UUID, Discard],
          replays: Iterable[Replay] = ()) -> list[DeadEvent]:
    """One row per event, in the order each was first seen, with its discard and its last replay (of `replays`, in
    any order); then discarded events the log no longer holds."""
    last: dict[uuid.UUID, Replay] = {}
    for r in replays:
        if r.event_id not in last or r.at > last[r.event_id].at:
            last[r.event_id] = r
    by_place = {_where(letter): letter for letter in letters}
    copies: dict[uuid.UUID, list[Letter]] = {}
    for letter in letters:
        copies.setdefault(event_key(letter, by_place), []).append(letter)
    events = []
    for event_id, found in copies.items():
        ordered = sorted(found, key=lambda c: (c.at is None, c.at or datetime.min, c.offset))
        newest = ordered[-1]
        events.append(DeadEvent(
            event_id=event_id, event_type=next((c.event_type for c in reversed(ordered) if c.event_type), ""),
            dlq_topic=newest.dlq_topic, original_topic=newest.original_topic,
            copies=tuple(f"{c.partition}:{c.offset}" for c in ordered), last_error=newest.error,
            first_at=ordered[0].at, last_at=newest.at, discarded=discards.get(event_id), replayed=last.get(event_id),
            chain=tuple(Copy(f"{c.partition}:{c.offset}", c.at, c.replayed_from) for c in ordered)))
    events += [DeadEvent(event_id=d.event_id, event_type=d.event_type, dlq_topic=d.dlq_topic, original_topic="",
                         copies=(), last_error="", first_at=None, last_at=None, discarded=d)
               for d in discards.values() if d.event_id not in copies]
    return events


def shown(events: Iterable[DeadEvent], state: State = "waiting") -> list[DeadEvent]:
    """The events in one state: waiting for an administrator (by default), sent again, or discarded."""
    return [e for e in events if e.state == state]


def replay_plan(events: Sequence[DeadEvent], chosen: set[str] | None) -> ReplayPlan:
    """What a replay of the chosen copies (partition:offset; None: every event waiting, not those sent again) sends:
    the newest copy of each chosen event, once; a chosen event that was discarded is refused, never sent."""
    picked = [e for e in events if e.copies and (e.state == "waiting" if chosen is None else chosen & set(e.copies))]
    sending = tuple(e for e in picked if e.discarded is None)
    return ReplayPlan(send={e.latest for e in sending}, events=sending,
                      refused=tuple(e for e in picked if e.discarded is not None and chosen is not None))


WHAT = {
    "referral.submitted": "A new referral",
    "referral.redirected": "A referral redirected by a service",
    "referral.override_requested": "A person's decision on a referral, to be applied",
    "referral.emergency_unanswered": "An emergency not answered in time",
    "triage.decided": "A triage decision",
    "triage.overridden": "A person's decision on a referral",
}
PROBLEMS = {"missing": ("is missing", "are missing"), "extra_forbidden": ("is not expected", "are not expected")}
NOT_VALID = ("is not valid", "are not valid")


def what(event_type: str) -> str:
    """What an event is, in words, from its type header."""
    if not event_type:
        return "An event of unknown type"
    return WHAT.get(event_type) or event_type.replace(".", " ").replace("_", " ").capitalize()


def error_words(error: str, event_type: str = "") -> str:
    """Why an event failed, in words, from its error header (field names and problem kinds only: no values). A
    field is named by its path in words ("referral child postcode"), without the event type it starts with."""
    kind, _, rest = error.partition(": ")
    if not error:
        return "No reason was recorded"
    if kind == "JSONDecodeError":
        return "It could not be read: it is not JSON"
    if kind == "UnicodeDecodeError":
        return "It could not be read: it is not text"
    if kind == "ValidationError":
        return "It does not match its contract: " + _contract_problems(rest, event_type)
    if kind == "PermanentError":
        return f"It was refused: {rest}"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", error):
        return f"Processing it failed with an unexpected error ({error})"
    return f"It was refused: {error}"


def _field(where: str, event_type: str) -> str:
    if where == "(body)":
        return "the event"
    for prefix in {event_type, *WHAT} - {""}:
        where = where.removeprefix(prefix + ".")
    return where.replace(".", " ").replace("_", " ")


def _contract_problems(summary: str, event_type: str) -> str:
    """"referral.child.postcode: value_error; event_id: missing" as "referral child postcode is not valid; event
    id is missing", the fields of one problem together ("a, b and c are missing")."""
    by_problem: dict[tuple[str, str], list[str]] = {}
    for part in (p for p in summary.split("; ") if p):
        where, _, problem = part.rpartition(": ")
        by_problem.setdefault(PROBLEMS.get(problem, NOT_VALID), []).append(_field(where, event_type))
    said = []
    for (one, many), fields in by_problem.items():
        names = fields[0] if len(fields) == 1 else f"{', '.join(fields[:-1])} and {fields[-1]}"
        said.append(f"{names} {one if len(fields) == 1 else many}")
    return "; ".join(said)
