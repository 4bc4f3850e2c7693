"""The one HTTP client of `sync`: every connector asks through it, and only it speaks HTTP (httpx).

What it does for all of them, so no connector repeats it:

- a timeout on every request (sync.yaml `timeout`);
- 429: waits as the server says (`Retry-After` in seconds or as a date; else the vendor's reset header:
  PagerDuty `ratelimit-reset`, Datadog / Intercom / ServiceNow `X-RateLimit-Reset`, Sentry
  `X-Sentry-Rate-Limit-Reset`), never longer than `retry_after_max`: a longer wait stops the source;
- 5xx and network errors: waits `backoff`, doubled each time, for `retries` attempts, then stops the source;
- 401 / 403: stops the source naming the environment variables that hold its credentials, never their values;
- any other answer that is not 2xx: stops the source with the status and the start of the answer.

A stop is a `SourceFailed` with one line. Secrets go only into request headers; a message is scrubbed of
them all the same (a server may echo a header back).
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Optional, Sequence, overload

import httpx

from sla_core.sync.config import SourceFailed

# Reset headers, by what they hold: seconds to wait, or the epoch second the window opens again.
RESET_SECONDS = ("ratelimit-reset", "x-ratelimit-period-in-sec")
RESET_SECONDS_OR_EPOCH = ("x-ratelimit-reset", "x-sentry-rate-limit-reset")
_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')


@dataclass(frozen=True)
class Limits:
    """How patient to be (sync.yaml's top-level keys)."""

    timeout: float = 30.0
    retries: int = 4
    backoff: float = 1.0
    retry_after_max: float = 120.0


@dataclass
class Answer:
    """A 2xx answer: its status, headers (lower-case names) and JSON body."""

    status: int
    headers: dict[str, str]
    body: Any
    url: str

    def next_link(self) -> Optional[str]:
        """The `Link` header's rel="next" address; None when absent or when it says results="false" (Sentry)."""
        for target, params in _LINK.findall(self.headers.get("link", "")):
            attrs = dict(
                (k.strip().lower(), v.strip().strip('"'))
                for k, _, v in (p.partition("=") for p in params.split(";") if "=" in p)
            )
            if attrs.get("rel") == "next" and attrs.get("results", "true") != "false":
                return str(target)
        return None


@dataclass
class Client:
    """One source's HTTP client. `headers` and `auth` carry its credentials; `variables` name where they came
    from, for the message when the server refuses them."""

    source: str
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    auth: Optional[tuple[str, str]] = None
    variables: Sequence[str] = ()
    limits: Limits = Limits()
    sleep: Callable[[float], None] = time.sleep
    transport: Optional[httpx.BaseTransport] = None  # tests may hand in their own
    requests: int = 0  # made so far, retries included

    def __post_init__(self) -> None:
        self._secrets = [v for v in (*self.headers.values(), *(self.auth or ())) if v and len(v) >= 4]
        self._http = httpx.Client(
            base_url=self.base_url, headers={"Accept": "application/json", **self.headers},
            auth=httpx.BasicAuth(*self.auth) if self.auth else None,
            timeout=self.limits.timeout, transport=self.transport, follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @overload
    def get(self, url: str, params: Optional[Any] = None, *, missing_ok: Literal[False] = False) -> Answer: ...

    @overload
    def get(self, url: str, params: Optional[Any] = None, *, missing_ok: bool) -> Optional[Answer]: ...

    def get(self, url: str, params: Optional[Any] = None, *, missing_ok: bool = False) -> Optional[Answer]:
        """GET; with missing_ok a 404 (a record deleted since it was stored) is None, not a failure."""
        return self.request("GET", url, params=params, missing_ok=missing_ok)

    def post(self, url: str, body: Any) -> Answer:
        answer = self.request("POST", url, json=body)
        assert answer is not None
        return answer

    def request(self, method: str, url: str, *, missing_ok: bool = False, **kwargs: Any) -> Optional[Answer]:
        """The answer to one request, after the waits the module docstring lists; SourceFailed when it stops."""
        target = httpx.URL(url)
        what = f"{method} {target.path or url}"
        if target.is_absolute_url and target.host != httpx.URL(self.base_url).host:
            raise SourceFailed(f"{self.source}: {what}: the server sent an address on another host "
                               f"({target.host}); its credentials are not sent there")
        failures = 0
        while True:
            self.requests += 1
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.TransportError as err:
                failures = self._again(failures, f"{what}: cannot reach the server ({type(err).__name__})")
                continue
            status = response.status_code
            if 200 <= status < 300:
                return self._answer(response, what)
            if status == 429:
                wait = self._rate_wait(response, failures)
                if wait > self.limits.retry_after_max:
                    raise SourceFailed(self._clean(
                        f"{self.source}: {what}: rate limited; the server asks to wait {wait:.0f} s, longer than "
                        f"retry_after_max ({self.limits.retry_after_max:g} s)"))
                failures = self._again(failures, f"{what}: still rate limited (HTTP 429)", wait=wait)
                continue
            if status in (401, 403):
                names = ", ".join(self.variables) or "its credentials"
                raise SourceFailed(f"{self.source}: the server refused the credentials (HTTP {status} on {what}); "
                                   f"check {names}")
            if status == 404 and missing_ok:
                return None
            if status >= 500:
                failures = self._again(failures, f"{what}: server error HTTP {status}")
                continue
            raise SourceFailed(self._clean(f"{self.source}: {what}: HTTP {status} {_excerpt(response)}".rstrip()))

    def _again(self, failures: int, reason: str, *, wait: Optional[float] = None) -> int:
        """Sleep before the next attempt, or stop the source when the attempts are spent."""
        if failures >= self.limits.retries:
            raise SourceFailed(self._clean(f"{self.source}: {reason}, after {failures + 1} attempts"))
        self.sleep(self.limits.backoff * 2**failures if wait is None else wait)
        return failures + 1

    def _rate_wait(self, response: httpx.Response, failures: int) -> float:
        """Seconds a 429 asks to wait: Retry-After, else a vendor's reset header, else the backoff."""
        headers = response.headers
        text = headers.get("retry-after", "").strip()
        if text:
            if re.fullmatch(r"\d+(\.\d+)?", text):
                return float(text)
            return _until(text, headers.get("date"))
        for name in RESET_SECONDS:
            if re.fullmatch(r"\d+(\.\d+)?", headers.get(name, "").strip()):
                return float(headers[name])
        for name in RESET_SECONDS_OR_EPOCH:
            value = headers.get(name, "").strip()
            if re.fullmatch(r"\d+(\.\d+)?", value):
                number = float(value)
                if number < 1e9:
                    return number
                served = email.utils.parsedate_to_datetime(headers["date"]) if headers.get("date") else None
                if served is not None:
                    return max(0.0, number - served.timestamp())
        return self.limits.backoff * 2**failures

    def _answer(self, response: httpx.Response, what: str) -> Answer:
        try:
            body = response.json() if response.content.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise SourceFailed(f"{self.source}: {what}: the answer is not JSON "
                               f"({response.headers.get('content-type', 'no content type')})") from None
        return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, body,
                      str(response.url))

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return " ".join(text.split())


def _until(when: str, served: Optional[str]) -> float:
    """Seconds from the answer's Date to a Retry-After given as a date (never reading this machine's clock)."""
    try:
        target = email.utils.parsedate_to_datetime(when)
        base = email.utils.parsedate_to_datetime(served) if served else None
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, (target - base).total_seconds()) if base is not None else 0.0


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return f"({text[:160]})" if text else ""


__all__ = ["Answer", "Client", "Limits", "SourceFailed"]
