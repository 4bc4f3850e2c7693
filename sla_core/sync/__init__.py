"""`python -m sla_core sync`: keep the store current from the tools' APIs (docs/sync.md).

`config` reads sync.yaml; `http` is the one HTTP client (the only other place besides notify's sender that
speaks HTTP); `connectors/` holds one module per tool; `pages` is what a connector hands over (rows spelled as
the tool's export, and a cursor); `run` stores each page with its cursor in one transaction; `state` keeps the
cursors and says how fresh each source is. Import the submodule you need: this package imports nothing, so
the app's freshness line does not pull in the HTTP client.
"""
