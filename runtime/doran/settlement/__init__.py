"""doran's settlement core: each signed quote settles once, filled by a quote_status or expired by its
deadline; pure (the settle stage, `doran.stages.settle`, wires it to Kafka and the partition stores).

- `QuoteBook`  one partition's pending quotes and waiting statuses: `quote_signed`, `status`, `due`
- `Decision`  a verdict (`doran.verdicts`) with the store changes to commit with it
- `TABLES`  the store tables a settlement partition keeps; `REDELIVERING_TOPICS` bound its history
- `filled_settlement`, `expired_settlement`  the exec.quote_settlement events
"""

from doran.contracts import EXEC_QUOTE_SIGNED, RAW_NEAR_INTENTS_QUOTE_STATUS
from doran.settlement.book import PENDING, SETTLED, TABLES, WAITING, Decision, QuoteBook, WaitingStatus
from doran.settlement.events import SOURCE, expired_settlement, filled_settlement

#: Topics whose records can bring a quote or a status back: the history outlives them.
REDELIVERING_TOPICS = (EXEC_QUOTE_SIGNED, RAW_NEAR_INTENTS_QUOTE_STATUS)

__all__ = [
    "PENDING",
    "REDELIVERING_TOPICS",
    "SETTLED",
    "SOURCE",
    "TABLES",
    "WAITING",
    "Decision",
    "QuoteBook",
    "WaitingStatus",
    "expired_settlement",
    "filled_settlement",
]
