"""What a load tells its caller: a one-line LoadError for a file that cannot be read at all,
else a LoadReport whose counts always add up (accepted + rejected = rows read)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sla_core.errors import UserError


class LoadError(UserError, ValueError):
    """A file that cannot be loaded at all; the message is one line naming the file and problem."""


class LoadReport(BaseModel):
    """Counts of one load. The ticket counts are per ticket (for an event log: per ticket id seen)."""

    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = Field(default_factory=dict)
    events_rows_read: int = 0
    events_accepted: int = 0
    events_rejected: int = 0
    events_reasons: dict[str, int] = Field(default_factory=dict)
    format: str = "tickets"
    notes: list[str] = Field(default_factory=list)
    # What the accepted data holds: values left empty (with the fix) -> rows; metric -> why it is not measured;
    # how many owner teams; the teams no `disciplines` rule matches -> tickets.
    cleared: dict[str, int] = Field(default_factory=dict)
    unmeasured: dict[str, str] = Field(default_factory=dict)
    teams: int = 0
    unassigned_teams: dict[str, int] = Field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable summary, one fact per line (the CLIs print it)."""
        out: list[str] = []
        if self.format == "events":
            out.append(
                f"event rows read {self.events_rows_read}, accepted {self.events_accepted}, "
                f"rejected {self.events_rejected}"
            )
            out += [f"  {n} x {r}" for r, n in sorted(self.events_reasons.items(), key=lambda kv: -kv[1])]
            out.append(f"tickets seen {self.rows_read}, accepted {self.accepted}, rejected {self.rejected}")
            out += [f"  {n} x {r}" for r, n in sorted(self.reasons.items(), key=lambda kv: -kv[1])]
        else:
            noun = {"signals": "signal rows", "surveys": "survey answers"}.get(self.format, "rows")
            out.append(f"{noun} read {self.rows_read}, accepted {self.accepted}, rejected {self.rejected}")
            out += [f"  {n} x {r}" for r, n in sorted(self.reasons.items(), key=lambda kv: -kv[1])]
            if self.events_rows_read:
                out.append(
                    f"event rows read {self.events_rows_read}, accepted {self.events_accepted}, "
                    f"rejected {self.events_rejected}"
                )
                out += [f"  {n} x {r}" for r, n in sorted(self.events_reasons.items(), key=lambda kv: -kv[1])]
        out += [f"kept, value left empty: {n} x {what}" for what, n in self.cleared.items()]
        out += [f"{metric}: {why}" for metric, why in self.unmeasured.items()]
        if self.teams:
            out.append(f"owner teams: {self.teams}")
        if self.unassigned_teams:
            named = ", ".join(f"{team} ({n})" for team, n in list(self.unassigned_teams.items())[:10])
            more = len(self.unassigned_teams) - 10
            out.append(f"{len(self.unassigned_teams)} owner team{'s' if len(self.unassigned_teams) != 1 else ''} "
                       f"match no `disciplines` rule of the policy and read unassigned: {named}"
                       + (f" and {more} more" if more > 0 else ""))
        out += [f"note: {n}" for n in self.notes]
        return out


def check_accounting(report: LoadReport) -> None:
    """accepted + rejected = rows read is the contract; a breach is a bug, never a silent drop."""
    if report.accepted + report.rejected != report.rows_read:
        raise AssertionError(f"ticket rows unaccounted: {report.rows_read} read, {report.accepted} + {report.rejected}")
    if report.events_accepted + report.events_rejected != report.events_rows_read:
        raise AssertionError(
            f"event rows unaccounted: {report.events_rows_read} read, "
            f"{report.events_accepted} + {report.events_rejected}"
        )
