"""Reading a monitoring tool whose list filters by creation time (PagerDuty, Opsgenie): in windows of creation
time, offset pages within a window, then the stored records still open asked for again.

Why: such a list finds an incident by when it was created, so a later run never sees it resolve. A window
closed in the past never gains records, so (window, offset) is an exact resume point, and the next run's
window starts where this one ended (the run's `now`). The incidents the store holds unresolved are then read
one by one, so their resolution arrives; that part needs no cursor (reading them again changes nothing).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable, Iterator, Optional

from sla_core.sync.pages import Context, Cursor, Page, instant, iso

# (since, until, offset) -> (records, more pages in this window)
Lister = Callable[[datetime, datetime, int], tuple[list[dict[str, Any]], bool]]
Getter = Callable[[str], Optional[dict[str, Any]]]  # one record by id; None when the tool no longer has it


def windowed(ctx: Context, cursor: Optional[Cursor], window: float, listing: Lister, one: Getter) -> Iterator[Page]:
    state = dict(cursor or {})
    since = instant(state.get("since")) or ctx.first_start()
    until = instant(state.get("until"))
    offset = int(state.get("offset") or 0)
    seen: set[str] = set()
    edge = ctx.now - timedelta(seconds=ctx.source.overlap)
    while True:
        if until is None:  # the last `overlap` before now is left to the next run: a record the tool is still
            until = max(since, min(edge, since + timedelta(seconds=window)))  # writing, or a clock a little behind
        records, more = listing(since, until, offset) if since < until else ([], False)
        seen.update(str(r.get("id")) for r in records)
        last = not more and until >= edge
        if more:
            offset += len(records)
            state = {"since": iso(since), "until": iso(until), "offset": offset}
        else:
            since, until, offset = until, None, 0
            state = {"since": iso(since)}
        if records or last:  # an empty window in the past moves the cursor with the next page that is stored
            yield Page(rows=records, cursor=state, fetched=len(records))
        if last:
            break
    still_open = [ident for ident in ctx.stored_open() if ident not in seen]
    for start in range(0, len(still_open), ctx.source.page_size):
        found = [one(ident) for ident in still_open[start:start + ctx.source.page_size]]
        records = [r for r in found if r is not None]
        yield Page(rows=records, cursor=state, fetched=len(records))
