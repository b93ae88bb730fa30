"""doran's wire format: validate and serialise events, and bind them to Kafka keys and headers."""

from doran.errors import ContractError, DoranError
from doran.wire.json_format import ContractViolation, Reason, UnknownTopic, decode, encode
from doran.wire.kafka_binding import CONTRACT_HEADER, kafka_headers, message_key
from doran.wire.reference import violations

__all__ = [
    "CONTRACT_HEADER",
    "ContractError",
    "ContractViolation",
    "DoranError",
    "Reason",
    "UnknownTopic",
    "decode",
    "encode",
    "kafka_headers",
    "message_key",
    "violations",
]
