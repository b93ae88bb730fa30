"""`doran demo`: the whole loop on one machine (broker, relay simulator, four stages), reconciled.

- `run.run_demo`: orchestration and live progress (imported by the CLI only when the demo runs)
- `options.DemoOptions`: how it plays
- `broadcast`: a recording sent by the relay simulator to its subscribers, paced
- `solver_identity`: the throwaway key a demo run signs with
- `topic_tally`, `summary`: the topics read back, the tables and the reconciliation
"""

from doran.devkit.demo.options import DemoOptions

__all__ = ["DemoOptions"]
