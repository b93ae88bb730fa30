"""Typed configuration of every doran process, read from `DORAN_*` environment variables.

Defaults are production's (Kafka/Redpanda conventions); the embedded broker of the tests, the
demo and the benchmark overrides the few that it needs (`doran.devkit.embedded_broker`). An invalid
value raises `InvalidSettings`, one line naming the variable (`doran.environment`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from doran.environment import InvalidSettings, field_kinds, invalid_settings

__all__ = ["InvalidSettings", "Settings"]


class Settings(BaseSettings):
    """All knobs of a doran process; frozen so a stage cannot drift from what it started with."""

    model_config = SettingsConfigDict(env_prefix="DORAN_", frozen=True, extra="ignore")

    broker_address: str | None = Field(
        default=None,
        description="Kafka bootstrap servers (a Redpanda address in production); "
        "unset: `doran demo` and the tests start the embedded broker.",
    )
    consumer_group_prefix: str = Field(default="doran", description="Prefix of each stage's consumer group.")
    replica: str = Field(
        default="0",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
        description="This process's stable name among the replicas of a stateful stage (execute, settle): "
        "its Kafka transactional.id is `<group>.<replica>`, so a restarted replica aborts what it left "
        "open. In a StatefulSet, the pod name. Two live processes with one name fence each other.",
    )
    processing_guarantee: Literal["exactly-once", "at-least-once"] = Field(
        default="at-least-once",
        description="Processing guarantee of normalize and decide. Their outputs are pure functions of their "
        "inputs (same bytes, same event_id), so a redelivery republishes identical records, which consumers "
        "dedupe by event_id; exactly-once would hold every output until the next commit (commit_interval_s).",
    )
    commit_interval_s: float = Field(
        default=1.0,
        gt=0,
        description="How often a stage commits (under exactly-once its output becomes visible only then): "
        "the latency floor of the pipeline, traded against per-commit overhead.",
    )
    poll_timeout_s: float = Field(
        default=0.1,
        gt=0,
        description="Longest a stage waits in one poll; Quix checks its commit timer only between polls, "
        "so an idle input delays the commit of finished work by up to this (Quix's default is 1 s).",
    )
    fetch_wait_max_ms: int = Field(
        default=100,
        ge=0,
        description="Consumer fetch.wait.max.ms: how long the broker may hold a fetch for more data "
        "(librdkafka's default 500 ms; the embedded broker holds every fetch that long).",
    )
    producer_linger_ms: float = Field(
        default=1.0,
        ge=0,
        le=1_000,
        description="Producer linger.ms: how long a produced record waits for others to share its "
        "request. Every hop of a quote pays it once; under load records batch while a request is in "
        "flight anyway. librdkafka's default is 5 ms; 0 ms sends smaller requests, which made make bench's "
        "rate search slower at 250 quotes/s.",
    )
    session_timeout_ms: int = Field(
        default=45_000,
        ge=1,
        description="Consumer session.timeout.ms: how long the group waits for a silent member "
        "(Kafka's default).",
    )
    max_poll_interval_ms: int = Field(
        default=300_000,
        ge=1,
        description="Consumer max.poll.interval.ms: the longest a stage may spend between polls before the "
        "group expels it (Kafka's default); an executor batch is bounded well below it.",
    )
    group_instance_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=249,
        description="Static group membership (Kafka's group.instance.id, KIP-345): this replica's stable "
        "name in its stage's consumer group, in Kubernetes the pod name of a StatefulSet replica (downward "
        "API). A restarted replica with the same name gets its partitions back at once, without a rebalance "
        "and without waiting session.timeout.ms for its predecessor. Unique per replica and stable across "
        "its restarts; never a Deployment's pod name (new on every rollout, so the departed member would "
        "hold its partitions for session.timeout.ms). Unset: dynamic membership, which leaves the group "
        "on a clean shutdown.",
    )
    broker_unavailable_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="How long a stage stays up without any reachable broker (unready, reconnecting) before "
        "it exits to be restarted (Quix Streams' broker_availability_timeout), and how long ingest's records "
        "may wait for the broker to take them (message.timeout.ms; then they fail and ingest exits).",
    )
    statistics_interval_ms: int = Field(
        default=1_000,
        ge=100,
        description="How often librdkafka reports consumer statistics: consumer lag, assignment, liveness.",
    )
    liveness_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="/healthz fails when the stage's poll loop has not run for this long.",
    )
    # NoDecode: read as JSON by _versions_from_json, so a value that is not JSON names its variable.
    produce_versions: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=dict,
        description="The version to write of a topic whose newest version its consumers may not read yet, "
        'as JSON: {"norm.swap_demand": 1}. Unset, a producer writes each topic\'s newest version. A breaking '
        "change rolls out without a flag day: deploy the build with its producers pinned here to the old "
        "version, so every consumer reads both, then drop the pin (docs/breaking-changes.md).",
    )
    max_message_bytes: int = Field(
        default=1_000_000,
        ge=100_000,
        description="Largest record a stage produces (librdkafka's message.max.bytes; Redpanda's batch "
        "limit is 1 MiB): a larger record becomes a dead letter instead, itself shrunk to fit.",
    )
    executor_max_batch: int = Field(
        default=500,
        ge=1,
        description="Most records a stateful stage (execute, settle) takes per poll batch; a batch must "
        "finish within max.poll.interval.ms.",
    )
    transaction_timeout_ms: int = Field(
        default=10_000,
        ge=1_000,
        description="Producer transaction.timeout.ms of the stateful stages: a transaction a dead replica "
        "left open is aborted by the broker after this (a restarted replica aborts it at once), holding "
        "the new owner of its partitions back until then. Longer than a batch: the relay's answer timeout "
        "plus a commit.",
    )
    restore_timeout_s: float = Field(
        default=300.0,
        gt=0,
        description="How long a stateful stage may take to read a newly assigned partition's changelog to "
        "its end before it gives up and exits (a transaction left open holds the end back).",
    )
    relay_url: str = Field(
        default="wss://solver-relay-v2.chaindefuser.com/ws",
        description="NEAR Intents solver relay websocket (JSON-RPC 2.0).",
    )
    relay_api_key: SecretStr | None = Field(
        default=None, description="Bearer token (partner JWT) for the relay, if it needs one."
    )
    relay_instance_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="The relay's guaranteed delivery of quote_status (early access; details unverified): "
        "set, ingest connects with ?instance_id=<this> and subscribes to quote_status with the guaranteed "
        "flag, so the relay keeps the statuses sent while ingest is disconnected (up to 7 days) and "
        "replays them on reconnect. A fixed name per ingest deployment (a new one starts an empty queue); "
        "needs DORAN_RELAY_API_KEY. Unset: statuses sent while disconnected are lost.",
    )
    relay_max_frame_bytes: int = Field(
        default=262_144,
        ge=4_096,
        description="Largest relay frame ingest takes onto the bus; a larger one becomes a dead letter with "
        "its head, size and sha256 (relay quote frames are under 2 KiB; a raw record holds a quote twice).",
    )
    relay_auction_window_ms: int = Field(
        default=3_000,
        ge=0,
        le=86_400_000,
        description="How long the relay collects answers to a quote request that does not say (max_wait_ms): "
        "a quote must reach the relay within this of the request's arrival (relay docs; not verified).",
    )
    venue: Literal["near_intents", "simulated"] = Field(
        default="near_intents",
        description="Where the executor trades: the NEAR Intents relay (signed quote_responses), or a "
        "simulated venue that fills at once (tests, runs without keys).",
    )
    near_account_id: str | None = Field(
        default=None, description="The solver's account in intents.near: the signer_id of every quote."
    )
    near_signing_key: SecretStr | None = Field(
        default=None,
        description="The solver's NEAR secret key, ed25519:<base58>, registered with intents.near "
        "(add_public_key); from the doran-credentials Secret, never logged.",
    )
    near_nonce_salt: str | None = Field(
        default=None,
        description="intents.near's current_salt() (8 hex digits), part of every versioned nonce: "
        "`near view intents.near current_salt` (it changes only when the contract rotates it).",
    )
    near_intents_contract: str = Field(
        default="intents.near", description="The verifying contract: the NEP-413 recipient of every quote."
    )
    quote_deadline_margin_ms: int = Field(
        default=10_000,
        ge=0,
        description="A quote stays valid for the request's min_deadline_ms plus this "
        "(the reference solver's 10 s).",
    )
    executor_answer_margin_ms: int = Field(
        default=250,
        ge=0,
        description="How long before a command's answer_by (the relay's auction closing) the executor stops "
        "sending its quote: the time a quote_response may take to reach the relay and be taken by it. The "
        "time the relay took to answer the last batch is added to it. A later command ends QUOTE_EXPIRED, "
        "never signed (or signed and never sent).",
    )
    relay_answer_timeout_ms: int = Field(
        default=2_000,
        ge=100,
        description="How long the executor waits for the relay's answers to a batch of quote_responses; "
        "after it, a quote counts as sent without an answer (RELAY_TIMEOUT) and its settlement decides.",
    )
    settlement_grace_ms: int = Field(
        default=120_000,
        ge=0,
        description="How long after a quote's deadline a quote_status may still come before the quote is "
        "declared expired (covers the time from execution on chain to the notification).",
    )
    settlement_unmatched_wait_ms: int = Field(
        default=120_000,
        ge=0,
        description="How long a quote_status whose signed quote the settlement stage has not seen waits for "
        "it (the executor publishes it after the relay's answer) before it is dead-lettered as "
        "unknown_quote_hash.",
    )
    settlement_reconcile: Literal["relay", "none"] = Field(
        default="relay",
        description="What the settlement stage does with a quote that has no quote_status by its deadline "
        "and the grace (its status may have been lost: sent while ingest was away without guaranteed "
        "delivery, or dropped): `relay` asks the relay's get_status (DORAN_RELAY_RPC_URL) and settles the "
        "quote as it answers (SETTLED: filled; NOT_FOUND_OR_NOT_VALID: expired; otherwise asked again), "
        "keeping it pending and counted 'unknown, reconcile' while the relay cannot be asked; `none` "
        "expires it. Whether get_status knows a solver's quote by its quote_hash is unverified.",
    )
    settlement_reconcile_retry_ms: int = Field(
        default=5_000,
        ge=100,
        description="How long the settlement stage waits before asking get_status again about a quote the "
        "relay could not be asked about or answered PENDING/TX_BROADCASTED for; twice as long after each "
        "such answer, up to a minute.",
    )
    relay_rpc_url: str | None = Field(
        default=None,
        description="The relay's HTTP JSON-RPC endpoint (get_status), asked with DORAN_RELAY_API_KEY as "
        "its Bearer token; unset: DORAN_RELAY_URL's host, https and /rpc "
        "(wss://solver-relay-v2.chaindefuser.com/ws -> https://solver-relay-v2.chaindefuser.com/rpc).",
    )
    registry_url: str | None = Field(
        default=None,
        description="Schema registry (the Confluent REST API; Redpanda's: http://redpanda:8081). A stage "
        "looks up there, when it starts, the schema id of each topic it writes framed `confluent` "
        "(schemas/topics.json) and refuses to start when it cannot; consumed records naming a schema are "
        "checked against it. Also the default of `doran schemas publish --registry`.",
    )
    registry_username: str | None = Field(
        default=None, description="Schema registry user (HTTP basic auth), if the registry needs one."
    )
    registry_password: SecretStr | None = Field(
        default=None, description="Password of that user; from the doran-credentials Secret, never logged."
    )
    policy_file: Path | None = Field(
        default=None, description="JSON policy of the decide stage; unset: the built-in demo policy."
    )
    # The seed contract names this variable without a prefix; keep that name working.
    executor_state_dir: Path = Field(
        default=Path(".state/executor"),
        validation_alias=AliasChoices("EXECUTOR_STATE_DIR", "DORAN_EXECUTOR_STATE_DIR"),
        description="Durable idempotency state of the executor "
        "(a PVC at /var/lib/unrip/executor-state on k3s).",
    )
    settlement_state_dir: Path = Field(
        default=Path(".state/settlement"),
        description="Working store of the settlement stage (rebuilt from its changelog when lost).",
    )
    history_days: int = Field(
        default=35,
        ge=0,
        validation_alias=AliasChoices("DORAN_HISTORY_DAYS", "DORAN_EXECUTOR_HISTORY_DAYS"),
        description="How long the stateful stages remember what they handled (commands, settled quotes); "
        "older rows are forgotten, a few per batch, and the changelogs keep as long (retention.ms). Must "
        "exceed the retention of every topic that can bring a record back (30 days for cmd.execute_trade) "
        "plus the broker's segment roll; checked at start. 0 keeps all.",
    )
    executor_allow_missing_state: bool = Field(
        default=False,
        description="Start the executor even though its changelog holds nothing for a partition on which "
        "its consumer group has committed offsets (the changelog topic was deleted): accepting that a "
        "command still inside its auction window could be answered again.",
    )
    quix_state_dir: Path = Field(
        default=Path(".state/quix"),
        description="Quix Streams' state directory; the stages keep no state there, but Quix creates it.",
    )
    health_port: int | None = Field(
        default=None, ge=1, le=65_535, description="Port of /healthz, /readyz and /metrics (Prometheus)."
    )

    if not TYPE_CHECKING:  # mypy keeps the typed signature the pydantic plugin gives __init__

        def __init__(self, **values: Any) -> None:
            try:
                super().__init__(**values)
            except ValidationError as refusal:
                raise invalid_settings(type(self), refusal) from None

    @field_validator("produce_versions", mode="before")
    @classmethod
    def _versions_from_json(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f'is not JSON ({exc.msg}); write it like {{"norm.swap_demand": 1}}') from None

    @field_validator("*", mode="before")
    @classmethod
    def _paths_are_not_empty(cls, value: Any, info: Any) -> Any:
        # Path("") is the working directory: an empty variable would put state wherever a process starts.
        if value == "" and Path in field_kinds(cls.model_fields[info.field_name]):
            raise ValueError("is empty")
        return value

    @model_validator(mode="after")
    def _batches_fit_the_poll_interval(self) -> Self:
        # An executor batch waits up to the relay's answer timeout between two polls; the group expels
        # a member silent for max.poll.interval.ms, and a half leaves room for signing and two fsyncs.
        if 2 * self.relay_answer_timeout_ms > self.max_poll_interval_ms:
            raise ValueError(
                f"DORAN_RELAY_ANSWER_TIMEOUT_MS ({self.relay_answer_timeout_ms}) must be at most half of "
                f"DORAN_MAX_POLL_INTERVAL_MS ({self.max_poll_interval_ms}): an executor batch waits that "
                "long for the relay between two polls, and the group expels a member silent for the latter."
            )
        return self

    def stage_group(self, stage: str) -> str:
        """The consumer group of a stage: `<prefix>.<stage>`; the one place it is spelt."""
        return f"{self.consumer_group_prefix}.{stage}"

    def transactional_id(self, stage: str) -> str:
        """This replica's transactional.id in a stateful stage: `<group>.<replica>`, stable over restarts."""
        return f"{self.stage_group(stage)}.{self.replica}"

    def producer_config(self) -> dict[str, float | str | bool]:
        """librdkafka settings every doran producer uses. murmur2 (Java's partitioner, Quix's default)
        everywhere: topics keyed alike (quote_status, quote_signed) must put one key in one partition.
        No producer asks the broker to create a topic by writing to it: a broker that does (tansu,
        Kafka's default) would create it with its own partition count."""
        return {
            "linger.ms": self.producer_linger_ms,
            "partitioner": "murmur2_random",
            "allow.auto.create.topics": False,
        }

    def group_membership(self) -> dict[str, str]:
        """librdkafka settings of a stage's consumer group membership: static when a name is set."""
        return {} if self.group_instance_id is None else {"group.instance.id": self.group_instance_id}

    def consumer_config(self) -> dict[str, int]:
        """librdkafka settings every doran consumer uses."""
        return {
            "session.timeout.ms": self.session_timeout_ms,
            "max.poll.interval.ms": self.max_poll_interval_ms,
            "fetch.wait.max.ms": self.fetch_wait_max_ms,
        }
