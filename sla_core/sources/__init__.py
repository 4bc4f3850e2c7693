"""Data sources: the bundled sample, the persistent store and a session's upload, each loaded (ingest), judged
(clocks) and prepared for the review's figures (outcomes) once, in a connection of its own, for the pages,
the report and notify to read."""

from sla_core.sources.datasource import (
    DataSource,
    SourceKind,
    evaluated,
    file_version,
    first_rejects,
    policy_fingerprint,
    policy_path,
    rejects_csv,
    sample_source,
    store_configured,
    store_path,
    store_problem,
    store_source,
    upload_source,
)

__all__ = [
    "DataSource",
    "SourceKind",
    "evaluated",
    "file_version",
    "first_rejects",
    "policy_fingerprint",
    "policy_path",
    "rejects_csv",
    "sample_source",
    "store_configured",
    "store_path",
    "store_problem",
    "store_source",
    "upload_source",
]
