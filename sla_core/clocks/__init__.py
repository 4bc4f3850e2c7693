"""The SLA clocks: business-hours calendars as tables (`calendars`), the prioritization rubric (`rubric`) and
the engine that judges every ticket x metric in a few whole-table statements (`engine`). The only place the
SLA semantics of docs/design.md are implemented."""
