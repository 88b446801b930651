"""`frontdoor topics create` makes each topic with the settings the AsyncAPI document's channel bindings and
deploy/topics.yaml give (tests/unit/test_asyncapi.py ties those three together): read back from the broker."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from services.topics import TOPIC_CONFIGS

pytestmark = pytest.mark.integration


async def test_every_topic_is_made_with_its_retention_or_compaction(broker_bootstrap: str,
                                                                     topics: dict[str, int]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=broker_bootstrap)
    await admin.start()
    try:
        answers = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in sorted(topics)])
    finally:
        await admin.close()
    found = {resource[3]: {entry[0]: entry[1] for entry in resource[4]}
             for answer in answers for resource in answer.resources}
    assert set(found) == set(topics) == set(TOPIC_CONFIGS)
    for topic, wanted in TOPIC_CONFIGS.items():
        assert {name: found[topic].get(name) for name in wanted} == wanted, topic
