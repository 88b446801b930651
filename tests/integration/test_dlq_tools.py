"""`frontdoor dlq list` shows where dead letters came from and why, never their content;
`frontdoor dlq replay` sends chosen ones back to their original topic."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.cases import ROOT
from tests.kafka_tools import produce_raw, read_topic

pytestmark = pytest.mark.integration
SECRET = b'{"given_name": "Canary-Zebedee"}'


def frontdoor(bootstrap: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", "dlq", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=os.environ | {"KAFKA_BOOTSTRAP_SERVERS": bootstrap})


async def test_list_and_replay(broker_bootstrap: str, topics: dict[str, int]) -> None:
    original, dlq = "tools.original", "tools.original.dlq"
    for offset in range(2):
        headers = [("x-original-topic", original.encode()), ("x-original-partition", b"0"),
                   ("x-original-offset", str(offset).encode()),
                   ("x-error", b"ValidationError: referral.child.postcode: value_error"), ("x-attempts", b"1")]
        await produce_raw(broker_bootstrap, dlq, [(b"child-key", SECRET)], headers=headers)

    listed = frontdoor(broker_bootstrap, "list", "--topic", dlq)
    assert listed.returncode == 0, listed.stderr
    assert f"{dlq}: 2 record(s)" in listed.stdout
    assert "from tools.original [0:0]" in listed.stdout and "referral.child.postcode: value_error" in listed.stdout
    assert "Canary-Zebedee" not in listed.stdout + listed.stderr
    first_id = listed.stdout.split("id ", 1)[1].split()[0]

    replayed = frontdoor(broker_bootstrap, "replay", "--topic", dlq, "--ids", first_id)
    assert replayed.returncode == 0 and "replayed 1 record(s)" in replayed.stdout
    back = await read_topic(broker_bootstrap, original)
    assert [r.value for r in back] == [SECRET] and back[0].key == b"child-key"
    assert dict(back[0].headers)["x-replayed-from"].decode() == f"{dlq}:{first_id}"
