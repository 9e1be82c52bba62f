"""Calling a library's coroutine (pyHanko signs and validates with async functions) from ordinary synchronous
code, whether or not this thread already runs an event loop. asgiref's `async_to_sync` refuses to run in a thread
that has a loop (a test driving a browser, an async server); such a caller's coroutine runs on a short-lived
thread of its own instead."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_blocking(function: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """`await function(*args, **kwargs)`, from synchronous code; returns its result or raises its exception."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_call(function, args, kwargs))
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _call(function, args, kwargs)).result()


async def _call(function: Callable[..., Awaitable[T]], args: tuple, kwargs: dict) -> T:
    return await function(*args, **kwargs)
