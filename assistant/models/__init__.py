"""The models: the encoders (one module per engine, chosen by `registry`) and the reader's
fitted file. A shared layer below the stages: search and ingest see only `encoder.Embedder`
and the registry, never an engine module."""
