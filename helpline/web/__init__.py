"""The aiohttp layer: the only place that touches sockets and HTTP."""
