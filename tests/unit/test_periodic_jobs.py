"""The periodic-job loop services share: it runs the job, defers a round when told why, and
survives a dependency outage."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import OperationalError

from services.common.runtime import every


async def run_for(loop_factory: object, seconds: float) -> None:
    task = asyncio.create_task(loop_factory())  # type: ignore[operator]
    await asyncio.sleep(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_runs_the_job_and_passes_on_its_count() -> None:
    seen: list[int] = []
    await run_for(every(0.01, lambda: 3, what="job", then=seen.append), 0.2)
    assert seen and set(seen) == {3}


async def test_a_round_is_deferred_while_unless_gives_a_reason() -> None:
    ran: list[int] = []
    busy = True

    async def unless() -> str | None:
        return "catching up" if busy else None

    def job() -> int:
        ran.append(1)
        return 1

    loop = every(0.01, job, what="job", then=lambda _: None, unless=unless)
    await run_for(loop, 0.15)
    assert ran == []
    busy = False
    await run_for(loop, 0.15)
    assert ran


async def test_a_database_outage_skips_a_round_and_the_loop_goes_on() -> None:
    calls: list[int] = []

    def job() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("down"))
        return 0

    await run_for(every(0.01, job, what="job", then=lambda _: None), 0.2)
    assert len(calls) > 1
