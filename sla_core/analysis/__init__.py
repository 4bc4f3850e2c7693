"""What the pages and the report read: the monthly review (`review`), the live queue (`queue`), the systemic
metrics (`insights`, one module per metric family), incidents and their detection (`incidents`), what the
feedback loops show (`feedback_loops`) and what the data can tell (`coverage`). All filter through one clause
builder (`where`). The review's, the systemic metrics', the incidents' and the feedback loops' figures take
`(source, filters)` and run their SQL through one query helper (`query`)."""
