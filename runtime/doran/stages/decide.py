"""The decide stage: norm.swap_demand -> cmd.execute_trade under the configured policy, as a Quix app."""

from __future__ import annotations

from quixstreams import Application

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    DEAD_LETTER_TOPIC,
    NORM_SWAP_DEMAND,
    DeadLetterStage,
    Envelope,
    SwapDemandEvent,
)
from doran.pipeline import Policy, default_policy, load_policy, trade_command
from doran.pipeline.decide import SOURCE
from doran.publish import stage_framing
from doran.schema_source.registry import TopicSpec
from doran.settings import Settings
from doran.stages.handling import RecordHandler
from doran.stages.kafka_watch import KafkaWatch
from doran.stages.metrics import ConsumerMonitor, StageMetrics
from doran.stages.quix_stage import build_quix_app
from doran.wire import Framing, writing

__all__ = ["build_decide_app", "demand_handler", "policy_from"]


def policy_from(settings: Settings) -> Policy:
    """The policy file named by DORAN_POLICY_FILE, or the built-in demo policy."""
    return load_policy(settings.policy_file) if settings.policy_file else default_policy()


def demand_handler(
    policy: Policy,
    max_record_bytes: int,
    *,
    framing: Framing,
    target: TopicSpec[Envelope] = CMD_EXECUTE_TRADE,
) -> RecordHandler[SwapDemandEvent, Envelope]:
    """A handler turning one swap demand record (of any version the topic reads) into a command record
    (written as `target`), a counted decline, or a dead letter."""
    return RecordHandler(
        DeadLetterStage.DECIDE,
        NORM_SWAP_DEMAND,
        target,
        lambda event: trade_command(event, policy),
        SOURCE,
        max_record_bytes,
        framing,
    )


def build_decide_app(
    settings: Settings,
    broker: str,
    metrics: StageMetrics,
    monitor: ConsumerMonitor | None = None,
    *,
    watch: KafkaWatch | None = None,
) -> Application:
    """The decide app; fails closed (doran.publish.stage_framing) without the schema ids it writes with."""
    policy = policy_from(settings)  # a broken policy file is said before the registry is asked
    target = writing(CMD_EXECUTE_TRADE, settings.produce_versions.get(CMD_EXECUTE_TRADE.name))
    framing = stage_framing(settings, [target, DEAD_LETTER_TOPIC])
    return build_quix_app(
        settings,
        broker,
        NORM_SWAP_DEMAND,
        [target],
        demand_handler(policy, settings.max_message_bytes, framing=framing, target=target),
        metrics,
        framing,
        monitor=monitor,
        watch=watch,
    )
