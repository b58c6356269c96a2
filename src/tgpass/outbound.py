"""HTTP to the sites' event endpoints (httpx): one POST, no redirect followed, at most a
few kilobytes of the answer read, and no address of a private network reached unless the
settings allow it. The name is resolved once and the connection pinned to what was checked
(TLS still verifies the certificate for the name), so that DNS cannot swap in a private
address between the check and the request."""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import math
import socket
import time
from collections.abc import Mapping

import httpx

from tgpass.domain.webhooks import forbidden_address
from tgpass.service.ports import EndpointAnswer, EndpointUnreachable, WebhookTransport

MAX_ANSWER = 16 * 1024
"""Bytes of an endpoint's answer read at most: only its status matters."""


class HttpWebhookTransport(WebhookTransport):
    def __init__(self, *, allow_private: bool = False, max_answer: int = MAX_ANSWER) -> None:
        self.allow_private = allow_private
        self.max_answer = max_answer
        self.client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: the address checked is the one used
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> EndpointAnswer:
        try:
            async with asyncio.timeout(timeout):
                return await self._post(httpx.URL(url), body, headers, timeout)
        except TimeoutError:
            raise EndpointUnreachable(f"no answer within {timeout:g} s") from None
        except httpx.InvalidURL:
            raise EndpointUnreachable("the URL is not one that can be reached") from None
        except httpx.HTTPError as error:
            raise EndpointUnreachable(f"{type(error).__name__}: {error}"[:300]) from None
        except OSError as error:
            raise EndpointUnreachable(
                f"{type(error).__name__}: {error.strerror or error}"[:300]
            ) from None

    async def _post(
        self, url: httpx.URL, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> EndpointAnswer:
        sent = {**headers, "User-Agent": "tgpass-webhooks"}
        extensions = {}
        if not self.allow_private:
            address = await self._public_address(url)
            sent["Host"] = url.netloc.decode("ascii")
            extensions["sni_hostname"] = url.host
            url = url.copy_with(host=str(address))
        # httpx's own 5 s default would cut an attempt short of the timeout asked for
        async with self.client.stream(
            "POST",
            url,
            content=body,
            headers=sent,
            extensions=extensions,
            timeout=httpx.Timeout(timeout),
        ) as answer:
            read = 0
            async for chunk in answer.aiter_raw():
                read += len(chunk)
                if read >= self.max_answer:
                    break
            return EndpointAnswer(answer.status_code, retry_after_of(answer.headers))

    async def _public_address(
        self, url: httpx.URL
    ) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                url.host, port, type=socket.SOCK_STREAM
            )
        except socket.gaierror:
            raise EndpointUnreachable(f"{url.host} does not resolve") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in found]
        if not addresses or any(forbidden_address(a) for a in addresses):
            raise EndpointUnreachable(f"{url.host} resolves to a private network's address")
        return addresses[0]

    async def close(self) -> None:
        await self.client.aclose()


def retry_after_of(headers: httpx.Headers) -> float | None:
    """``Retry-After`` in seconds, from seconds or an HTTP date; None when absent or bad."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None
