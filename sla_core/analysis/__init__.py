"""What the pages and the report read: the monthly review (`review`), the live queue (`queue`), the breaches
forecast for the shift (`forecast`, checked against the data's own history in `forecast_backtest`), the systemic
metrics (`insights`, one module per metric family), incidents and their detection (`incidents`), what the
feedback loops show (`feedback_loops`; the week's post-mortems and action items in `weekly`) and what the data
can tell (`coverage`). All filter through one clause builder (`where`). The review's, the systemic metrics',
the incidents' and the feedback loops' figures take `(source, filters)` and run their SQL through one query
helper (`query`)."""
