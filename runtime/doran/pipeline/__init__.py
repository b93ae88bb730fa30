"""doran's pipeline stage logic as pure functions over the contract models (no Kafka, no I/O).

- `normalize(raw_event, now=...)`  raw.near_intents.quote -> norm.swap_demand
- `decide(demand_event, policy, now=...)`  norm.swap_demand -> cmd.execute_trade, or Declined
- `Policy`, `load_policy(path)`, `default_policy()`  what decide quotes and at which price
The Quix Streams apps call these; ids derive from the input, time is injected, so output is a
function of input.
"""

from doran.pipeline.decide import Decision, Declined, DeclineReason, decide
from doran.pipeline.errors import PipelineError, PolicyError
from doran.pipeline.normalize import normalize
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
]
