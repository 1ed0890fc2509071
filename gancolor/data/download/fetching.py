"""Fetching one file over HTTP(S): :func:`fetch` streams it to ``<dest>.part``, resumes with an
HTTP Range request, retries with exponential backoff on connection errors and 5xx answers, keeps to
a deadline and a minimum rate, checks the size and the sha256, then renames it into place."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from gancolor.errors import DataError

__all__ = ["DownloadError", "ChecksumError", "fetch", "file_sha256", "DEFAULT_DEADLINE", "DEFAULT_MIN_RATE",
           "RATE_WINDOW"]

_CHUNK = 1 << 16
_USER_AGENT = "gancolor-download/1 (+https://github.com/; python-urllib)"
_RETRY_CODES = frozenset({408, 425, 429})  # plus every 5xx
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")
#: A whole fetch (every mirror and retry) must end within this many seconds ...
DEFAULT_DEADLINE = 6 * 3600.0
#: ... and receive at least this many bytes per second, averaged over each RATE_WINDOW seconds.
DEFAULT_MIN_RATE = 1024.0
RATE_WINDOW = 60.0


class DownloadError(DataError):
    """A file that could not be downloaded (HTTP error, network failure, wrong size ...)."""


class ChecksumError(DownloadError):
    """A download whose sha256 is not the expected one (the file is deleted)."""


@dataclass
class _Pace:
    """The time limits of one fetch: end by ``deadline_at`` (``time.monotonic``), and receive at
    least ``min_rate`` bytes/s in every ``window`` seconds of a transfer."""

    seconds: float
    deadline_at: float
    min_rate: float
    window: float
    window_start: float = 0.0
    window_bytes: int = 0

    @classmethod
    def start(cls, deadline: float, min_rate: float, window: float = RATE_WINDOW) -> _Pace:
        """Limits starting now; ``deadline`` and ``window`` in seconds, ``min_rate`` in bytes/s."""
        if not (deadline > 0 and window > 0 and min_rate >= 0):
            raise ValueError(f"need deadline > 0, window > 0, min_rate >= 0; got {deadline}, {window}, "
                             f"{min_rate}")
        return cls(seconds=deadline, deadline_at=time.monotonic() + deadline, min_rate=min_rate,
                   window=window)

    def read_timeout(self, timeout: float) -> float:
        """The per-read timeout: ``timeout``, but never past the deadline."""
        return max(0.1, min(timeout, self.deadline_at - time.monotonic()))

    def check_deadline(self, url: str) -> None:
        """Raise :class:`_MirrorFailed` once the deadline has passed."""
        if time.monotonic() > self.deadline_at:
            raise _MirrorFailed(f"{url}: not finished within the deadline of {self.seconds:g} s")

    def new_transfer(self) -> None:
        """Start measuring the rate of a new HTTP response."""
        self.window_start, self.window_bytes = time.monotonic(), 0

    def received(self, url: str, count: int) -> None:
        """Account for ``count`` bytes just read; raise :class:`_MirrorFailed` past the deadline or
        when the last window brought less than ``min_rate`` bytes/s."""
        self.check_deadline(url)
        self.window_bytes += count
        elapsed = time.monotonic() - self.window_start
        if elapsed >= self.window:
            rate = self.window_bytes / elapsed
            if rate < self.min_rate:
                raise _MirrorFailed(f"{url}: too slow ({rate:,.1f} bytes/s over {elapsed:.0f} s, the minimum "
                                    f"is {self.min_rate:,.0f} bytes/s)")
            self.new_transfer()


class _MirrorFailed(Exception):
    """This URL failed (404, retries used up); the next mirror may work."""


class _Retry(Exception):
    """A transfer problem worth another attempt."""


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(urls: str | Sequence[str], dest: str | os.PathLike, expected_size: int | None = None,
          sha256: str | None = None, *, progress: bool = True, retries: int = 3, backoff: float = 1.0,
          max_bytes: int | None = None, timeout: float = 60.0, deadline: float = DEFAULT_DEADLINE,
          min_rate: float = DEFAULT_MIN_RATE, rate_window: float = RATE_WINDOW,
          sleep: Callable[[float], None] | None = None) -> str:
    """Download ``urls`` (mirrors, tried in order) to ``dest``; return the sha256 of the result.

    Streams into ``<dest>.part`` with a tqdm progress bar and resumes a partial ``.part`` file with
    an HTTP Range request (starting over when the server ignores Range). Connection errors,
    timeouts, truncated transfers and 5xx / 408 / 429 answers are retried ``retries`` times with
    exponential backoff (``backoff``, ``2 * backoff`` ...); a retry that made progress is free.
    4xx answers (404 ...) move on to the next mirror. A server that reports or sends a size other
    than ``expected_size`` (or more than ``max_bytes``) is an error. A sha256 mismatch deletes the
    ``.part`` file and raises :class:`ChecksumError` naming the URL, the expected and the actual
    value. On success ``.part`` is renamed onto ``dest`` atomically. An existing ``dest`` with the
    right size and sha256 is not downloaded again. ``sleep`` (default :func:`time.sleep`) waits
    between retries.

    Time is bounded: ``timeout`` seconds per network read, ``deadline`` seconds for the whole
    fetch (every mirror and retry), and a server that sends less than ``min_rate`` bytes per
    second over any ``rate_window`` seconds (a trickle) is abandoned. Both end the mirror with a
    one-line :class:`DownloadError`; the partial download is kept for a later resume.
    """
    pace = _Pace.start(deadline, min_rate, rate_window)
    url_list = [urls] if isinstance(urls, str) else list(urls)
    sleep = sleep if sleep is not None else time.sleep  # looked up per call: tests can patch it
    if not url_list:
        raise ValueError("fetch needs at least one URL")
    dest = Path(dest)
    if max_bytes is not None and expected_size is not None and expected_size > max_bytes:
        raise DownloadError(f"{url_list[0]}: {expected_size:,} bytes is more than the limit of "
                            f"{max_bytes:,} bytes")
    caps = [c for c in (expected_size, max_bytes) if c is not None]
    cap = min(caps) if caps else None
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_file():
        if expected_size is None or dest.stat().st_size == expected_size:
            got = file_sha256(dest)
            if sha256 is None or got == sha256:
                return got
        dest.unlink()  # stale or corrupt: fetch it again
    part = dest.with_name(dest.name + ".part")
    failures: list[str] = []
    for url in url_list:
        try:
            _fetch_from(url, part, expected_size, cap, progress=progress, retries=retries, backoff=backoff,
                        timeout=timeout, sleep=sleep, pace=pace)
        except _MirrorFailed as error:
            failures.append(str(error))
            continue
        got = file_sha256(part)
        if sha256 is not None and got != sha256:
            part.unlink(missing_ok=True)
            raise ChecksumError(f"{url}: sha256 mismatch: expected {sha256}, got {got} (download deleted)")
        os.replace(part, dest)
        return got
    kept = ""
    if part.is_file() and part.stat().st_size > 0:
        kept = f" (partial download kept in {part}; run again to resume)"
    raise DownloadError("; ".join(failures) + kept)


def _fetch_from(url: str, part: Path, expected_size: int | None, cap: int | None, *, progress: bool,
                retries: int, backoff: float, timeout: float, sleep: Callable[[float], None],
                pace: _Pace) -> None:
    """Fill ``part`` from ``url``, resuming and retrying; raise :class:`_MirrorFailed` when giving up."""
    failures = 0
    attempts = 0
    while True:
        attempts += 1
        offset = part.stat().st_size if part.is_file() else 0
        if expected_size is not None and offset > expected_size:
            part.unlink()
            offset = 0
        if expected_size is not None and offset == expected_size and offset > 0:
            return  # a complete .part from an earlier run: only the checksum is left to do
        try:
            pace.check_deadline(url)
            _transfer(url, part, offset, expected_size, cap, progress=progress,
                      timeout=pace.read_timeout(timeout), pace=pace)
            size = part.stat().st_size if part.is_file() else 0
            if expected_size is None or size == expected_size:
                return
            raise _Retry(f"transfer ended after {size:,} of {expected_size:,} bytes")
        except urllib.error.HTTPError as error:
            if error.code == 416 and offset > 0:  # our Range is past the server's file: start over
                part.unlink(missing_ok=True)
                reason = "HTTP 416 Range Not Satisfiable"
            elif error.code >= 500 or error.code in _RETRY_CODES:
                reason = f"HTTP {error.code} {error.reason}"
            else:
                raise _MirrorFailed(f"{url}: HTTP {error.code} {error.reason}") from None
        except _Retry as error:
            reason = str(error)
        except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, resets, IncompleteRead
            reason = _describe(error)
        progressed = (part.stat().st_size if part.is_file() else 0) > offset
        if not progressed:
            failures += 1
        if failures > retries or attempts > retries + 100:
            raise _MirrorFailed(f"{url}: {reason} (gave up after {retries} retries)")
        if not progressed:
            sleep(backoff * 2 ** (failures - 1))


def _describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        return f"cannot connect ({error.reason})"
    if isinstance(error, http.client.IncompleteRead):
        return "connection closed before the end of the file"
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}".rstrip(": ")


def _transfer(url: str, part: Path, offset: int, expected_size: int | None, cap: int | None, *,
              progress: bool, timeout: float, pace: _Pace) -> None:
    """One HTTP request: append to ``part`` from ``offset`` (or rewrite it when Range is ignored)."""
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if offset > 0:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status = response.status
        length_header = response.headers.get("Content-Length")
        length = int(length_header) if length_header and length_header.isdigit() else None
        total: int | None
        if offset > 0 and status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != offset:
                part.unlink(missing_ok=True)
                raise _Retry("server answered a different byte range; starting over")
            total = int(match.group(3)) if match.group(3) != "*" else None
            mode = "ab"
        elif status == 200:
            if offset > 0 and progress:
                tqdm.write(f"{url}: server ignored the Range request; starting over", file=sys.stderr)
            offset = 0
            total = length
            mode = "wb"
        else:
            raise _Retry(f"unexpected HTTP status {status}")
        if expected_size is not None and total is not None and total != expected_size:
            part.unlink(missing_ok=True)
            raise DownloadError(f"{url}: server reports {total:,} bytes, expected {expected_size:,}; "
                                "the file changed upstream or the URL is wrong")
        if cap is not None and total is not None and total > cap:
            part.unlink(missing_ok=True)
            raise DownloadError(f"{url}: server reports {total:,} bytes, more than the limit of "
                                f"{cap:,} bytes")
        bar = tqdm(total=expected_size or total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                   desc=part.name.removesuffix(".part"), disable=not progress, leave=False)
        pace.new_transfer()
        with bar, open(part, mode) as out:
            written = offset
            while True:
                chunk = response.read1(_CHUNK)  # whatever has arrived: a trickle cannot block us
                pace.received(url, len(chunk))
                if not chunk:
                    break
                written += len(chunk)
                if cap is not None and written > cap:
                    out.close()
                    part.unlink(missing_ok=True)
                    raise DownloadError(f"{url}: server sent more than {cap:,} bytes; "
                                        "download stopped and deleted")
                out.write(chunk)
                bar.update(len(chunk))
