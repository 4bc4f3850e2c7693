"""Files in, tables out: exports read and checked row by row (`loading`), vendor presets and user mappings
(`mapping`, `presets/`), column guesses for the Upload page, and the persistent store with the results it
keeps (`store`, `kept`). Every row read is accepted or rejected with a reason."""
