"""doran's pipeline stage logic as pure functions over the contract models (no Kafka, no I/O).

- `normalize(raw_event, auction_window_ms=...)`  raw.near_intents.quote -> norm.swap_demand
  (`swap_demand(...)`: its payload, which the stage encodes without validating it again)
- `decide(demand_event, policy)`  norm.swap_demand -> cmd.execute_trade, or Declined
  (`trade_command(...)`: its payload or the decline)
- `Policy`, `load_policy(path)`, `default_policy()`  what decide quotes and at which price
No clock and no I/O: the output is a function of the input, ids and bytes alike.
"""

from doran.pipeline.decide import Decision, Declined, DeclineReason, decide, trade_command
from doran.pipeline.errors import PipelineError, PolicyError
from doran.pipeline.normalize import normalize, swap_demand
from doran.pipeline.policy import AllowedPair, AssetLimits, PairPrice, Policy, default_policy, load_policy

__all__ = [
    "AllowedPair",
    "AssetLimits",
    "Decision",
    "DeclineReason",
    "Declined",
    "PairPrice",
    "PipelineError",
    "Policy",
    "PolicyError",
    "decide",
    "default_policy",
    "load_policy",
    "normalize",
    "swap_demand",
    "trade_command",
]
