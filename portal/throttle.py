"""An exact request rate limit shared by every process: a sliding window kept in Redis and checked and counted in
one round trip.

DRF's `SimpleRateThrottle` reads a key's history from the cache and writes it back in a second call: two processes
that read it at the same moment both admit their request and one of the two writes is lost, so a key may go past
its rate, and each request pays two round trips. Here a Lua script (atomic in Redis) drops what left the window,
counts what is in it and admits the request only under the rate. Without Redis (the embedded single-process
deployment) DRF's algorithm runs under a process lock, which is exact there.
"""

from __future__ import annotations

import threading
import uuid
from functools import lru_cache

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

# KEYS[1]: the key's sorted set of admitted requests (score: Redis server time, µs). ARGV: window (µs), limit,
# a unique member. Returns {1, 0} when admitted, else {0, µs until the oldest request leaves the window}. The
# server's clock is the one clock every web node shares.
_SLIDING_WINDOW = """
local now = redis.call('TIME')
local at = tonumber(now[1]) * 1000000 + tonumber(now[2])
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', at - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], at, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - at}
"""
_local_lock = threading.Lock()


@lru_cache(maxsize=1)
def _script():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL).register_script(_SLIDING_WINDOW)


class ExactRateThrottle(SimpleRateThrottle):
    """`SimpleRateThrottle` (same rates, same `get_cache_key`), exact across processes and threads."""

    _wait: float | None = None

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        if not settings.REDIS_URL:
            with _local_lock:
                return super().allow_request(request, view)
        num_requests, duration = self.parse_rate(self.rate)
        if num_requests is None or duration is None:
            return True
        member = uuid.uuid4().hex  # two requests in the same microsecond are two entries
        admitted, wait_us = _script()(keys=[f"throttle:{self.key}"], args=[duration * 1_000_000, num_requests, member])
        if admitted:
            return True
        self._wait = max(int(wait_us), 0) / 1_000_000
        return False

    def wait(self) -> float | None:
        """Seconds until a request would be admitted again (the Retry-After header)."""
        if self._wait is not None:
            return self._wait
        return super().wait()
