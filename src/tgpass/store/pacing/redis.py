"""A pacer shared by every process through Redis: one Lua script reserves every limit of a
send atomically, on Redis's clock, so processes on different machines agree."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from tgpass.domain.pacing import Limit
from tgpass.service.pacing import Pacer

# KEYS: the pause, then the limits' keys. ARGV: the longest wait accepted (-1: any), then
# interval and tolerance of each limit, in order. The same arithmetic as
# tgpass.domain.pacing.reserve.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local paused = tonumber(redis.call('GET', KEYS[1]) or 0)
if paused > now then
  return {string.format('%.6f', paused - now), 0}
end
local max_wait = tonumber(ARGV[1])
local longest = 0
local tats = {}
for i = 2, #KEYS do
  local key = KEYS[i]
  local tolerance = tonumber(ARGV[2 * i - 1])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  tats[i] = tat
  local wait = tat - tolerance - now
  if wait > longest then longest = wait end
end
if max_wait >= 0 and longest > max_wait then
  return {string.format('%.6f', longest), 0}
end
for i = 2, #KEYS do
  local key = KEYS[i]
  local new_tat = tats[i] + tonumber(ARGV[2 * i - 2])
  local ttl = math.ceil((new_tat - now + 1) * 1000)
  redis.call('SET', key, string.format('%.6f', new_tat), 'PX', ttl)
end
return {string.format('%.6f', longest), 1}
"""

# KEYS: the limits' keys. ARGV: each limit's interval. tgpass.domain.pacing.give_back.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or 0)
  if tat > now then
    local new_tat = math.max(now, tat - tonumber(ARGV[i]))
    local ttl = math.ceil((new_tat - now + 1) * 1000)
    redis.call('SET', KEYS[i], string.format('%.6f', new_tat), 'PX', ttl)
  end
end
return 1
"""

_BACKLOG = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local left = tonumber(redis.call('GET', KEYS[1]) or now) - now
if left < 0 then left = 0 end
return string.format('%.6f', left)
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or 0)
if until_ > current then
  local ttl = math.ceil(tonumber(ARGV[1]) * 1000) + 1
  redis.call('SET', KEYS[1], string.format('%.6f', until_), 'PX', ttl)
end
return 1
"""

_PAUSED_FOR = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local current = tonumber(redis.call('GET', KEYS[1]) or 0)
local left = current - now
if left < 0 then left = 0 end
return string.format('%.6f', left)
"""


class RedisPacer(Pacer):
    def __init__(self, client: Redis, *, prefix: str = "tgpass:") -> None:
        self._redis = client
        self._prefix = f"{prefix}pace:"
        self._reserve = client.register_script(_RESERVE)
        self._pause = client.register_script(_PAUSE)
        self._paused_for = client.register_script(_PAUSED_FOR)
        self._backlog = client.register_script(_BACKLOG)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "tgpass:") -> RedisPacer:
        return cls(Redis.from_url(url), prefix=prefix)

    async def reserve(
        self, limits: Sequence[tuple[str, Limit]], *, max_wait: float | None = None
    ) -> tuple[float, bool]:
        keys = [self._prefix + "paused"] + [self._prefix + key for key, _ in limits]
        args: list[float] = [-1.0 if max_wait is None else max_wait]
        for _, limit in limits:
            args += [limit.interval, limit.tolerance]
        wait, granted = await self._reserve(keys=keys, args=args)
        return float(wait), bool(int(granted))

    async def release(self, limits: Sequence[tuple[str, Limit]]) -> None:
        keys = [self._prefix + key for key, _ in limits]
        await self._release(keys=keys, args=[limit.interval for _, limit in limits])

    async def backlog(self) -> float:
        return float(await self._backlog(keys=[self._prefix + "bot"]))

    async def pause(self, seconds: float) -> None:
        await self._pause(keys=[self._prefix + "paused"], args=[seconds])

    async def paused_for(self) -> float:
        return float(await self._paused_for(keys=[self._prefix + "paused"]))

    async def close(self) -> None:
        await self._redis.aclose()
