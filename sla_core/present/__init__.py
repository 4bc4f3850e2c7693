"""How results look outside SQL: every figure (`charts`, used by the app and the report alike), the
self-contained HTML report (`report`) and the evaluate results file (`results_file`). The only part of the
core that imports plotly."""
