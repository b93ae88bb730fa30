"""doran's development kit: what the tests, `make demo` and `make bench` run beside the pipeline, never
in the image (a distribution of its own, `devkit/pyproject.toml`).

- `embedded_broker`  tansu, a Kafka-protocol broker, on a free loopback port
- `relay_simulator`  a NEAR Intents solver relay on 127.0.0.1 that verifies signatures as intents.near would
- `schema_registry`  a Confluent-compatible schema registry on 127.0.0.1 that records every request
- `recording`        relay frames recorded to JSONL (`doran record`) and played into ingest (`doran play`)
- `stage_processes`  `doran stage NAME` processes with their health ports and logs
- `demo`             `doran demo`: the whole loop, reconciled
- `ports`, `cli`     a free port; the `doran` commands this kit adds
"""
