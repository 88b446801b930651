"""The audit witness's cadence and checks, without a broker or a database (issue 20, item 12): when a service
publishes the chain's head (at start, every AUDIT_WITNESS_ROWS rows, every AUDIT_WITNESS_MINUTES while the chain
grows), that it never publishes over a head the stored rows no longer hold, and how verify words a broken witness."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from schemas.audit import AuditHeadPublished
from services.common.audit_witness import Head, Witness, against_heads, due, head_event

AT = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
ROWS, SECONDS = 100, 300.0


def head(row_id: int) -> Head:
    return Head(row_id, f"{row_id:064x}", AT)


@pytest.mark.parametrize(("head_id", "last_id", "elapsed", "expected"), [
    (None, None, 0, False),       # an empty audit: nothing to publish
    (1, None, 0, True),           # this process has published nothing yet: at once (at start)
    (150, 150, 10_000, False),    # nothing new, however long
    (249, 150, 10, False),        # 99 rows, 10 s: not yet
    (250, 150, 10, True),         # 100 rows
    (151, 150, 299, False),       # one row, not yet 5 minutes
    (151, 150, 300, True),        # one row, 5 minutes
    (140, 150, 0, True),          # the chain shrank: check at once (the check refuses it)
])
def test_when_the_head_is_due(head_id: int | None, last_id: int | None, elapsed: float, expected: bool) -> None:
    assert due(head_id, last_id, elapsed, every_rows=ROWS, every_seconds=SECONDS) is expected


class Fakes:
    """The chain's head as the test sets it, the topic as a list, a clock the test moves."""

    def __init__(self) -> None:
        self.head: Head | None = None
        self.topic: list[AuditHeadPublished] = []
        self.clock = 0.0
        self.broken = ""  # what `holds` answers for the latest published head

    def witness(self) -> Witness:
        async def published() -> AuditHeadPublished | None:
            return max(self.topic, key=lambda h: h.head_id, default=None)

        async def publish(event: AuditHeadPublished) -> None:
            self.topic.append(event)

        return Witness(chain="frontdoor", every_rows=ROWS, every_seconds=SECONDS, head=lambda: self.head,
                       published=published, holds=lambda _: self.broken or None, publish=publish,
                       clock=lambda: self.clock, now=lambda: AT + timedelta(seconds=self.clock))


async def test_the_job_publishes_at_start_then_every_n_rows_or_m_minutes_of_growth() -> None:
    fakes = Fakes()
    witness = fakes.witness()
    timeline = [  # (seconds, chain's last row id, published head id or None)
        (0, None, None),     # nothing to publish yet
        (10, 5, 5),          # the first rows: published at once
        (20, 50, None),      # 45 rows in 10 s
        (30, 105, 105),      # 100 rows since the last
        (330, 105, None),    # 5 minutes, but no new row
        (340, 106, 106),     # one row after more than 5 minutes
        (350, 107, None),    # one row, 10 s
        (639, 107, None),
        (640, 107, 107),     # 5 minutes after the last, and the chain grew
        (645, 108, None),
        (940, 108, 108),
    ]
    for seconds, last_row, expected in timeline:
        fakes.clock = seconds
        fakes.head = None if last_row is None else head(last_row)
        event = await witness.tick()
        assert (seconds, event.head_id if event else None) == (seconds, expected)
    assert [(e.head_id, e.head_hash) for e in fakes.topic] == [(n, f"{n:064x}") for n in (5, 105, 106, 107, 108)]


async def test_a_restarted_service_does_not_publish_again_what_another_published() -> None:
    fakes = Fakes()
    fakes.head = head(7)
    assert await fakes.witness().tick() is not None
    assert await fakes.witness().tick() is None  # a second service (or a restart): the topic has row 7 already
    assert [e.head_id for e in fakes.topic] == [7]


async def test_a_chain_that_no_longer_holds_its_published_head_is_never_published() -> None:
    """A cut tail or a rewritten history, then a restart: publishing the new head would overwrite the witness (the
    topic keeps only the latest head per chain), so the job publishes nothing and logs an error instead."""
    fakes = Fakes()
    fakes.head = head(40)
    await fakes.witness().tick()
    fakes.head, fakes.broken = head(30), "row 40: it is missing"
    restarted = fakes.witness()
    assert await restarted.tick() is None
    fakes.clock, fakes.head = 1000.0, head(31 + ROWS)
    assert await restarted.tick() is None
    assert [e.head_id for e in fakes.topic] == [40]


def test_the_same_head_is_one_event_whoever_publishes_it() -> None:
    one = head_event("frontdoor", head(9), now=AT)
    again = head_event("frontdoor", head(9), now=AT + timedelta(minutes=5))
    other = head_event("portal", head(9), now=AT)
    assert one.event_id == again.event_id != other.event_id
    assert set(one.model_dump()) == {"event_id", "event_type", "schema_version", "occurred_at", "correlation_id",
                                     "chain", "head_id", "head_hash", "head_at"}  # no person, no child


@pytest.mark.parametrize(("stored", "last_id", "words"), [
    ({5: "5" * 64, 9: "9" * 64}, 12, None),
    ({5: "5" * 64}, 7, "row 9, published as the chain's head on 2026-12-07 09:00:00 UTC, is missing: the audit "
                       "trail now ends at row 7, so rows were cut from its end"),
    ({}, None, "row 9, published as the chain's head on 2026-12-07 09:00:00 UTC, is missing: the audit trail is "
               "empty, so rows were cut from its end"),
    ({5: "5" * 64, 9: "f" * 64}, 12, "row 9 does not have the hash published for it on 2026-12-07 09:00:00 UTC: "
                                     "it or a row before it was changed and the chain after it rewritten"),
    ({5: "f" * 64, 9: "9" * 64}, 12, "row 5 does not have the hash published for it on 2026-12-07 09:00:00 UTC: "
                                     "it or a row before it was changed and the chain after it rewritten"),
])
def test_verify_names_the_published_head_the_rows_no_longer_hold(stored: dict[int, str], last_id: int | None,
                                                                 words: str | None) -> None:
    heads = [head_event("frontdoor", Head(n, str(n) * 64, AT), now=AT) for n in (5, 9)]
    assert against_heads(heads, stored, last_id) == words
