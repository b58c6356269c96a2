"""HTTP to the sites' event endpoints (aiohttp): one POST, no redirect followed, at most a
few kilobytes of the answer read, and no address of a private network reached unless the
settings allow it. The check sits in the connector's resolver, so the connection goes to
the very address that was checked (DNS cannot swap in a private one in between), while TLS
still verifies the certificate for the name; an address written in the URL is checked
before the request, as the resolver never sees it."""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import math
import socket
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from multidict import CIMultiDictProxy
from yarl import URL

from tgpass.domain.webhooks import forbidden_address
from tgpass.service.ports import EndpointAnswer, EndpointUnreachable, WebhookTransport

MAX_ANSWER = 16 * 1024
"""Bytes of an endpoint's answer read at most: only its status matters."""
USER_AGENT = "tgpass-webhooks"


class ForbiddenAddress(OSError):
    """The name resolves to an address a delivery may not reach."""


class PublicResolver(AbstractResolver):
    """The system's resolver, refusing a name if any address it has is not a public one."""

    def __init__(self) -> None:
        self.inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self.inner.resolve(host, port, family)
        if not found or any(forbidden_address(ipaddress.ip_address(r["host"])) for r in found):
            raise ForbiddenAddress(f"{host} resolves to a private network's address")
        return found

    async def close(self) -> None:
        await self.inner.close()


class HttpWebhookTransport(WebhookTransport):
    def __init__(self, *, allow_private: bool = False, max_answer: int = MAX_ANSWER) -> None:
        self.allow_private = allow_private
        self.max_answer = max_answer
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        """Made on first use, in the event loop that uses it."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=256,
                limit_per_host=0,  # the deliverer limits each endpoint itself
                resolver=None if self.allow_private else PublicResolver(),
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,  # no proxy from the environment: the address checked is used
                cookie_jar=aiohttp.DummyCookieJar(),  # nothing kept from one answer to the next
                headers={"User-Agent": USER_AGENT},
            )
        return self._session

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> EndpointAnswer:
        try:
            target = URL(url)
        except ValueError:
            raise EndpointUnreachable("the URL is not one that can be reached") from None
        try:
            async with asyncio.timeout(timeout):
                return await self._post(target, body, headers, timeout)
        except TimeoutError:
            raise EndpointUnreachable(f"no answer within {timeout:g} s") from None
        except aiohttp.InvalidURL:
            raise EndpointUnreachable("the URL is not one that can be reached") from None
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.os_error, ForbiddenAddress):
                raise EndpointUnreachable(str(error.os_error)) from None
            reason = error.os_error.strerror or str(error.os_error)
            raise EndpointUnreachable(f"cannot connect: {reason}"[:300]) from None
        except aiohttp.ClientError as error:
            raise EndpointUnreachable(f"{type(error).__name__}: {error}"[:300]) from None
        except OSError as error:
            raise EndpointUnreachable(
                f"{type(error).__name__}: {error.strerror or error}"[:300]
            ) from None

    async def _post(
        self, url: URL, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> EndpointAnswer:
        if not self.allow_private:
            _check_literal(url)
        async with self._client().post(
            url,
            data=body,
            headers=dict(headers),
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as answer:
            read = 0
            while read < self.max_answer:
                chunk = await answer.content.read(self.max_answer - read)
                if not chunk:
                    break
                read += len(chunk)
            else:
                answer.close()  # more than we read: the connection is not reused
            return EndpointAnswer(answer.status, retry_after_of(answer.headers))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _check_literal(url: URL) -> None:
    """An address written in the URL does not go through the resolver: check it here."""
    host = url.host
    if host is None:
        raise EndpointUnreachable("the URL has no host")
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if forbidden_address(literal):
        raise EndpointUnreachable(f"{host} is a private network's address")


def retry_after_of(headers: CIMultiDictProxy[str] | Mapping[str, Any]) -> float | None:
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
