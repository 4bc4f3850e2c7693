"""The HTTP side of notify: one JSON POST, its status and a short reason. The only place notify touches the
network, kept beside the command line that hands it to `notify(send=...)`; tests hand in their own sender."""

from __future__ import annotations

import urllib.error
import urllib.request


def http_post(url: str, body: bytes) -> tuple[int, str]:
    """POST JSON; the status and a short reason (the body's start), or 0 and the network error."""
    try:
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(200).decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read(200).decode("utf-8", "replace")
    except Exception as err:  # noqa: BLE001 - a bad URL, a network or protocol error: its text may hold the secret URL
        return 0, f"{type(err).__name__} (the endpoint could not be reached)"
