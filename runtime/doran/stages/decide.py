"""The decide stage: norm.swap_demand -> cmd.execute_trade under the configured policy, as a Quix app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from quixstreams import Application

from doran.contracts import CMD_EXECUTE_TRADE, DEAD_LETTER_TOPIC, NORM_SWAP_DEMAND, DeadLetterStage, Envelope
from doran.contracts import SwapDemandEvent as Demand
from doran.pipeline import Declined, Policy, decide, default_policy, load_policy
from doran.settings import Settings
from doran.stages.counters import StageCounters
from doran.stages.handling import Consumed, Handled, transform_record
from doran.stages.quix_stage import build_quix_app

__all__ = ["build_decide_app", "demand_handler", "policy_from"]


def policy_from(settings: Settings) -> Policy:
    """The policy file named by DORAN_POLICY_FILE, or the built-in demo policy."""
    return load_policy(settings.policy_file) if settings.policy_file else default_policy()


def demand_handler(policy: Policy) -> Callable[[Consumed, datetime], Handled]:
    """A handler turning one swap demand record into a command record, a counted decline, or a dead letter."""

    def _decide(event: Envelope, now: datetime) -> Envelope | Declined:
        assert isinstance(event, Demand)  # decode returned the demand topic's model
        return decide(event, policy, now=now)

    def handle(message: Consumed, now: datetime) -> Handled:
        return transform_record(DeadLetterStage.DECIDE, CMD_EXECUTE_TRADE, _decide, message, now)

    return handle


def build_decide_app(settings: Settings, broker: str, counters: StageCounters) -> Application:
    return build_quix_app(
        settings,
        broker,
        "decide",
        NORM_SWAP_DEMAND,
        [CMD_EXECUTE_TRADE, DEAD_LETTER_TOPIC],
        demand_handler(policy_from(settings)),
        counters,
    )
