"""`python -m sla_core notify`: messages about clocks turning at_risk or breached, exactly once through an outbox
in the store (`outbox`), what each target hears (`messages`) and the one HTTP sender (`http`)."""

from sla_core.notify.outbox import NotifyReport, Sender, notify

__all__ = ["NotifyReport", "Sender", "notify"]
