"""HTTP calls to third-party APIs with retries: transient failures and 429 + Retry-After.

Connection errors and 5xx answers are retried with exponential back-off. A 429 is retried
after its ``Retry-After`` (seconds or an HTTP date) when that is short; a longer wait
raises ``RateLimited`` so the collector skips polls until then instead of blocking the worker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from collectors.polling import RateLimited, SourceError


class _Retry(Exception):
    def __init__(self, response: httpx.Response, wait: float | None) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.wait = wait


def retry_after_seconds(response: httpx.Response, now: datetime | None = None) -> float | None:
    """The wait a response's ``Retry-After`` header asks for, in seconds (None when absent or unreadable)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    what: str,
    attempts: int = 4,
    max_retry_wait: float = 30.0,
    backoff: float = 0.5,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request; return the first answer that is neither a 429 nor a 5xx.

    ``what`` names the call in error messages (e.g. "Cloudflare GraphQL API").
    """
    exponential = wait_exponential(multiplier=backoff, max=8)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.wait is not None:
            return exc.wait
        return exponential(state)

    def attempt() -> httpx.Response:
        response = client.request(method, url, **kwargs)
        if response.status_code == 429:
            delay = retry_after_seconds(response)
            if delay is not None and delay > max_retry_wait:
                raise RateLimited(f"{what} is rate limiting us (HTTP 429); retrying after {delay:.0f} s", delay)
            raise _Retry(response, delay)
        if response.status_code >= 500:
            raise _Retry(response, None)
        return response

    retrying = Retrying(
        retry=retry_if_exception_type((_Retry, httpx.TransportError)),
        stop=stop_after_attempt(attempts),
        wait=wait,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except _Retry as exc:
        status = exc.response.status_code
        if status == 429:
            delay = retry_after_seconds(exc.response) or 60.0
            raise RateLimited(f"{what} is still rate limiting us after {attempts} tries (HTTP 429); "
                              f"retrying after {delay:.0f} s", delay) from None
        raise SourceError(f"{what} answered HTTP {status} {attempts} times in a row: "
                          f"{exc.response.text[:300]!r}; check the service status and try again later") from None
    except httpx.TransportError as exc:
        raise SourceError(f"cannot reach {what} at {url}: {exc or type(exc).__name__}; "
                          "check the URL and the network") from None
