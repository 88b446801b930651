"""Dead letters as an administrator reads them (services/common/dead_letters.py, pure): one row per event however
many times it was dead-lettered (by its event-id header; a record without one by the chain of replays it came
from), how many times it failed and its last error, discarded events apart, and which copy a replay sends."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from services.common.dead_letters import (
    STATES,
    Discard,
    Replay,
    error_words,
    event_key,
    group,
    replay_plan,
    shown,
    what,
)
from services.common.dlq_tools import DeadLetter

DLQ = "frontdoor.referrals.submitted.dlq"
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
EVENT_A, EVENT_B, EVENT_C = uuid.UUID(int=0xA), uuid.UUID(int=0xB), uuid.UUID(int=0xC)


def letter(offset: int, *, event_id: uuid.UUID | None = None, error: str = "ValidationError: x: missing",
           replayed_from: str | None = None, minutes: int = 0, event_type: str = "referral.submitted",
           topic: str = DLQ, partition: int = 0) -> DeadLetter:
    return DeadLetter(topic, partition, offset, topic.removesuffix(".dlq"), "0", str(offset), error, "1", 10,
                      "abcd1234",
                      event_id=str(event_id) if event_id else None, event_type=event_type,
                      at=T0 + timedelta(minutes=minutes), replayed_from=replayed_from)


def test_one_row_per_event_id_with_how_many_times_it_failed_and_its_last_error() -> None:
    letters = [letter(0, event_id=EVENT_A, error="first"), letter(1, event_id=EVENT_B),
               letter(2, event_id=EVENT_A, error="second", minutes=5, replayed_from=f"{DLQ}:0:0"),
               letter(3, event_id=EVENT_A, error="third", minutes=9, replayed_from=f"{DLQ}:0:2")]
    events = group(letters, {})
    assert [(e.event_id, e.failures, e.last_error, e.latest) for e in events] == [
        (EVENT_A, 3, "third", "0:3"), (EVENT_B, 1, "ValidationError: x: missing", "0:1")]
    [a, _] = events
    assert (a.first_at, a.last_at, a.copies) == (T0, T0 + timedelta(minutes=9), ("0:0", "0:2", "0:3"))


@pytest.mark.parametrize("copies", [1, 2, 5])
def test_the_failed_count_is_the_number_of_copies(copies: int) -> None:
    [event] = group([letter(i, event_id=EVENT_A, minutes=i) for i in range(copies)], {})
    assert event.failures == copies


def test_a_record_without_an_event_id_is_one_event_with_the_replays_that_came_from_it() -> None:
    letters = [letter(0), letter(1),  # two different records, neither with an event id
               letter(2, replayed_from=f"{DLQ}:0:0", minutes=1), letter(3, replayed_from=f"{DLQ}:0:2", minutes=2)]
    events = group(letters, {})
    assert [(e.failures, e.copies) for e in events] == [(3, ("0:0", "0:2", "0:3")), (1, ("0:1",))]
    assert len({e.event_id for e in events}) == 2
    assert group(letters, {})[0].event_id == events[0].event_id  # the same id every time it is read


def test_an_id_header_that_is_not_a_uuid_is_not_trusted_as_the_event_id() -> None:
    odd = DeadLetter(DLQ, 0, 0, "x", "0", "0", "", "1", 1, "k", event_id="not-a-uuid")
    [event] = group([odd], {})
    assert event.event_id != uuid.UUID(int=0) and isinstance(event.event_id, uuid.UUID)


def test_discarded_events_are_hidden_unless_asked_for() -> None:
    gone = Discard(EVENT_B, "Test data sent by mistake", "Ada Admin", T0)
    events = group([letter(0, event_id=EVENT_A), letter(1, event_id=EVENT_B)], {EVENT_B: gone})
    assert [e.event_id for e in shown(events)] == [EVENT_A]
    assert [(e.event_id, e.discarded) for e in shown(events, "discarded")] == [(EVENT_B, gone)]


def test_a_discard_whose_records_are_gone_from_the_log_is_still_listed_as_discarded() -> None:
    gone = Discard(EVENT_B, "Test data", "Ada Admin", T0, dlq_topic=DLQ, event_type="triage.decided")
    [event] = shown(group([], {EVENT_B: gone}), "discarded")
    assert (event.event_id, event.failures, event.event_type, event.dlq_topic) == (EVENT_B, 0, "triage.decided", DLQ)
    assert (event.original_topic, event.last_error, event.first_at, event.last_at, event.latest) == (
        "", "", None, None, "")  # nothing the log held is known any more


def test_an_event_is_where_and_what_its_newest_copy_says() -> None:
    letters = [letter(0, event_id=EVENT_A, event_type="triage.decided", topic="frontdoor.triage.decided.dlq"),
               letter(1, event_id=EVENT_A, event_type="", minutes=5, topic="frontdoor.triage.decided.dlq")]
    [event] = group(letters, {})
    assert (event.event_type, event.dlq_topic, event.original_topic) == (
        "triage.decided", "frontdoor.triage.decided.dlq", "frontdoor.triage.decided")  # its type: the newest known
    [untyped] = group([letter(0, event_id=EVENT_A, event_type="")], {})
    assert untyped.event_type == ""


@pytest.mark.parametrize(("letters", "copies"), [
    # by when each was dead-lettered (offsets are per partition: they do not order copies on two partitions)
    ([letter(5, event_id=EVENT_A, minutes=1), letter(0, event_id=EVENT_A, minutes=9, partition=1)], ("0:5", "1:0")),
    ([letter(0, event_id=EVENT_A, minutes=9, partition=1), letter(5, event_id=EVENT_A, minutes=1)], ("0:5", "1:0")),
    # a copy without a time: after those with one, by offset
    ([replace(letter(0, event_id=EVENT_A), at=None), letter(3, event_id=EVENT_A, minutes=2)], ("0:3", "0:0")),
])
def test_the_copies_of_an_event_oldest_first(letters: list[DeadLetter], copies: tuple[str, ...]) -> None:
    [event] = group(letters, {})
    assert event.copies == copies


class Lookups(dict[str, DeadLetter]):
    """Records by place, counting lookups; more than its records' number in one walk is a walk that never ends."""

    def __init__(self, letters: list[DeadLetter]) -> None:
        super().__init__({f"{x.dlq_topic}:{x.partition}:{x.offset}": x for x in letters})
        self.count = 0

    def get(self, key, default=None):  # type: ignore[no-untyped-def]
        self.count += 1
        if self.count > len(self):
            raise AssertionError("the walk along x-replayed-from does not end")
        return super().get(key, default)


def test_a_loop_of_replayed_from_headers_still_ends() -> None:
    """Headers are data: two records without an event id each naming the other as the one it was replayed from."""
    letters = [letter(0, replayed_from=f"{DLQ}:0:1"), letter(1, replayed_from=f"{DLQ}:0:0")]
    for one in letters:
        walked = Lookups(letters)
        assert isinstance(event_key(one, walked), uuid.UUID) and walked.count <= len(letters)


def test_a_replay_sends_the_newest_copy_of_each_chosen_event_once_and_never_a_discarded_one() -> None:
    gone = Discard(EVENT_B, "Never valid", "Ada Admin", T0)
    events = group([letter(0, event_id=EVENT_A), letter(1, event_id=EVENT_B),
                    letter(2, event_id=EVENT_A, minutes=3)], {EVENT_B: gone})
    plan = replay_plan(events, {"0:0", "0:2"})
    assert (plan.send, plan.refused) == ({"0:2"}, ())
    refused = replay_plan(events, {"0:0", "0:1"})
    assert refused.send == {"0:2"} and [e.event_id for e in refused.refused] == [EVENT_B]
    assert replay_plan(events, None).send == {"0:2"}  # all: every event waiting, once
    assert replay_plan(events, {"0:99"}).send == set()  # not there: nothing


@pytest.mark.parametrize(("error", "words"), [
    ("", "No reason was recorded"),
    ("JSONDecodeError: line 1 column 1", "It could not be read: it is not JSON"),
    ("UnicodeDecodeError: invalid start byte at byte 0", "It could not be read: it is not text"),
    ("ValidationError: referral.child.postcode: value_error; event_id: missing",
     "It does not match its contract: referral child postcode is not valid; event id is missing"),
    ("ValidationError: referral.submitted.event_id: missing; referral.submitted.referral: missing; "
     "referral.submitted.demo: extra_forbidden",
     "It does not match its contract: event id and referral are missing; demo is not expected"),
    ("ValidationError: (body): extra_forbidden", "It does not match its contract: the event is not expected"),
    ("PermanentError: the schema version of the event is not known",
     "It was refused: the schema version of the event is not known"),
    ("KeyError", "Processing it failed with an unexpected error (KeyError)"),
    ("ValidationError: event_id: missing; occurred_at: missing; referral: missing",
     "It does not match its contract: event id, occurred at and referral are missing"),
    ("ValidationError: referral.a: b: extra_forbidden",  # a field name (from the event) with ": " in it
     "It does not match its contract: referral a: b is not expected"),
])
def test_an_error_in_words(error: str, words: str) -> None:
    assert error_words(error) == words


@pytest.mark.parametrize(("event_type", "words"), [
    ("referral.submitted", "A new referral"), ("triage.decided", "A triage decision"),
    ("service_request.created", "Service request created"), ("", "An event of unknown type"),
])
def test_what_an_event_is_in_words(event_type: str, words: str) -> None:
    assert what(event_type) == words


# --- sent again: a replay recorded, and what it makes of each event -----------------------------------------------
# waiting: failed and never sent again, or failed again after the last replay (a copy after the one it sent in the
# log, or whose x-replayed-from is that copy: the broker's clock need not agree with the database's; by time only
# when which copy it sent is not known);
# sent again: replayed, no failure since; discarded: whatever else happened.

def replay(minutes: int, sent: str = "0:0", *, event_id: uuid.UUID = EVENT_A, by: str = "Chris Lee") -> Replay:
    return Replay(event_id, T0 + timedelta(minutes=minutes), by, sent=sent, dlq_topic=DLQ)


FAILED_AT_0 = [letter(0, event_id=EVENT_A)]
FAILED_AGAIN_AT_10 = [*FAILED_AT_0, letter(1, event_id=EVENT_A, minutes=10, replayed_from=f"{DLQ}:0:0")]
GONE = Discard(EVENT_A, "Never valid: a supplier's test", "Ada Admin", T0 + timedelta(minutes=30))


@pytest.mark.parametrize(("letters", "replays", "discards", "state"), [
    (FAILED_AT_0, [], {}, "waiting"),  # failed, never sent again
    (FAILED_AT_0, [replay(5)], {}, "sent_again"),  # sent again, nothing failed since
    (FAILED_AT_0, [replay(5, event_id=EVENT_B)], {}, "waiting"),  # another event's replay
    (FAILED_AGAIN_AT_10, [replay(5)], {}, "waiting"),  # failed again after the replay: a newer copy
    (FAILED_AGAIN_AT_10, [replay(5), replay(15, "0:1")], {}, "sent_again"),  # the last replay counts
    (FAILED_AGAIN_AT_10, [replay(15, "0:1"), replay(5)], {}, "sent_again"),  # in whatever order they are read
    # the broker's clock behind the database's: the copy is older by time, but came from what the replay sent
    (FAILED_AGAIN_AT_10, [replay(11, "0:0")], {}, "waiting"),
    (FAILED_AGAIN_AT_10, [replay(11, "0:1")], {}, "sent_again"),  # that copy sent again: no failure since
    # a later copy in the log on the partition of the one sent: failed again, whatever the clocks say
    ([*FAILED_AT_0, letter(1, event_id=EVENT_A, minutes=3)], [replay(5, "0:0")], {}, "waiting"),
    # a copy on another partition of the dead-letter topic: by time, unless it came from the copy sent
    ([*FAILED_AT_0, letter(0, event_id=EVENT_A, minutes=10, partition=1)], [replay(5, "0:0")], {}, "waiting"),
    ([*FAILED_AT_0, letter(0, event_id=EVENT_A, minutes=3, partition=1)], [replay(5, "0:0")], {}, "sent_again"),
    ([letter(5, event_id=EVENT_A), letter(6, event_id=EVENT_A, minutes=10, partition=5)], [replay(15, "0:5")], {},
     "sent_again"),  # offset 6 on partition 5 is not after offset 5 on partition 0
    ([*FAILED_AT_0, letter(0, event_id=EVENT_A, minutes=3, partition=1, replayed_from=f"{DLQ}:0:0")],
     [replay(5, "0:0")], {}, "waiting"),
    # the broker's clock ahead of the database's: the copy sent looks newer than the replay, yet nothing came after it
    ([letter(0, event_id=EVENT_A, minutes=10)], [replay(5, "0:0")], {}, "sent_again"),
    ([letter(0, event_id=EVENT_A, minutes=10)], [replay(5, "")], {}, "waiting"),  # which copy not known: by time
    ([letter(0, event_id=EVENT_A, minutes=4)], [replay(5, "")], {}, "sent_again"),
    ([letter(0, event_id=EVENT_A, minutes=5)], [replay(5, "")], {}, "sent_again"),  # at the replay's time: not after
    ([letter(0, event_id=EVENT_A, minutes=10)], [replay(5, "7")], {}, "waiting"),  # not partition:offset: by time
    ([replace(FAILED_AT_0[0], at=None)], [replay(5, "")], {}, "sent_again"),
    ([replace(FAILED_AT_0[0], at=None)], [replay(5)], {}, "sent_again"),  # a copy without a time: not newer
    (FAILED_AT_0, [], {EVENT_A: GONE}, "discarded"),
    (FAILED_AT_0, [replay(5)], {EVENT_A: GONE}, "discarded"),  # discarded wins
    (FAILED_AGAIN_AT_10, [replay(5)], {EVENT_A: GONE}, "discarded"),
])
def test_the_state_of_an_event(letters: list[DeadLetter], replays: list[Replay], discards: dict[uuid.UUID, Discard],
                               state: str) -> None:
    [event] = group(letters, discards, replays)
    assert event.state == state


def test_an_event_sent_again_says_by_whom_and_when_its_last_replay_was() -> None:
    [event] = group(FAILED_AGAIN_AT_10, {}, [replay(5), replay(15, "0:1", by="Sam Okafor")])
    assert event.replayed == replay(15, "0:1", by="Sam Okafor")
    [never] = group(FAILED_AT_0, {}, [])
    assert never.replayed is None


def test_each_state_is_listed_apart() -> None:
    letters = [letter(0, event_id=EVENT_A), letter(1, event_id=EVENT_B), letter(2, event_id=EVENT_C)]
    events = group(letters, {EVENT_C: replace(GONE, event_id=EVENT_C)}, [replay(5, "0:0")])
    assert [[e.event_id for e in shown(events, state)] for state in STATES] == [[EVENT_B], [EVENT_A], [EVENT_C]]
    assert [e.event_id for e in shown(events)] == [EVENT_B]  # waiting, by default


def test_replaying_every_event_leaves_out_those_sent_again_but_a_chosen_one_is_sent() -> None:
    events = group([letter(0, event_id=EVENT_A), letter(1, event_id=EVENT_B)], {}, [replay(5, "0:0")])
    everything = replay_plan(events, None)
    assert (everything.send, [e.event_id for e in everything.events]) == ({"0:1"}, [EVENT_B])
    chosen = replay_plan(events, {"0:0"})
    assert (chosen.send, [e.event_id for e in chosen.events]) == ({"0:0"}, [EVENT_A])
