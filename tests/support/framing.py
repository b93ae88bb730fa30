"""The framing of a stage under test that asks no registry: made-up schema ids, one per topic."""

from __future__ import annotations

from doran.contracts import TOPICS
from doran.wire import Framing

__all__ = ["SCHEMA_IDS", "TEST_FRAMING"]

#: The id a registry would have given each topic's schema (any distinct numbers do).
SCHEMA_IDS = {name: 100 + index for index, name in enumerate(TOPICS)}
#: Writes every topic framed `confluent` with its id; takes a record naming its own topic's id.
TEST_FRAMING = Framing.known(SCHEMA_IDS)
