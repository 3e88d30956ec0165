"""One try of one delivery: an HTTP POST to the address checked, no redirects, bounded in
time and in what is read back."""

import time
from dataclasses import dataclass

import urllib3

from .addresses import Target

# What is read of a receiver's answer: its status is what counts.
_READ_BYTES = 1024


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    milliseconds: int
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        # To the address checked, with the certificate checked for the name in the URL.
        pool = urllib3.HTTPSConnectionPool(
            target.address, target.port, server_hostname=target.host, assert_hostname=target.host
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port)
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header, "Content-Type": "application/json"},
            redirect=False,
            retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            preload_content=False,
        )
        response.read(_READ_BYTES)
        response.release_conn()
        return Outcome(response.status, _since(started))
    except urllib3.exceptions.HTTPError as exc:
        return Outcome(None, _since(started), _described(exc))
    finally:
        pool.close()


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _described(exc: Exception) -> str:
    # NewConnectionError is a ConnectTimeoutError too, in urllib3: asked about first.
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return "connection: refused, or the address is unreachable"
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "timeout: the receiver did not answer in time"
    if isinstance(exc, urllib3.exceptions.SSLError):
        return "tls: the receiver's certificate could not be verified for its name"
    return f"connection: {type(exc).__name__}"
