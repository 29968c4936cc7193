"""Feeding one Faust agent without a broker (faust's `test_context`), for the router's and the notifier's
agent tests."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import faust

from services.notifier.sending.in_order import HANDLER_TASK

Put = Callable[..., Awaitable[Any]]
"""`put(value, key=...)`: one message into the agent's stream, handled before it returns."""


@asynccontextmanager
async def fed(app: faust.App, agent_name: str) -> AsyncIterator[Put]:
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    try:
        async with app.agents[agent_name].test_context() as test_agent:

            async def put(*args: Any, **kwargs: Any) -> Any:
                event = await test_agent.put(*args, **kwargs)
                while under_way := [t for t in asyncio.all_tasks() if t.get_name().startswith(HANDLER_TASK)]:
                    await asyncio.wait(under_way)  # the notifier's handlers run as tasks of their own
                return event

            yield put
    finally:
        # iterating the stream made faust create its consumer, whose never-started thread owns an
        # event loop nobody else will close (a ResourceWarning, an error under filterwarnings=error)
        app.consumer._thread.thread_loop.close()
