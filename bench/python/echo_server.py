"""The Python SDK side of the load comparison (scripts/bench.sh): one `echo` tool, the same as
bench/echo_server.cpp, written after the SDK's README (MCPServer, @mcp.tool(), mcp.run()).

    python echo_server.py                     stdio
    python echo_server.py --http HOST:PORT    stateless Streamable HTTP at /mcp (stateless_http,
                                              uvicorn; answers on an SSE stream, the default)
    python echo_server.py --client stdio|http --target T [--depth N] [--warmup S] [--seconds S]
        the SDK's Client against T (a command line split on spaces, or a URL): N calls in
        flight on one session; prints "calls=... seconds=... errors=..."
"""

import argparse
import shlex
import time

import anyio
from mcp import Client, StdioServerParameters
from mcp.server import MCPServer

mcp = MCPServer("python-echo", log_level="WARNING")


@mcp.tool()
def echo(message: str) -> str:
    """Echoes back the message"""
    return f"Echo: {message}"


async def run_client(transport: str, target: str, depth: int, warmup: float, seconds: float) -> None:
    if transport == "stdio":
        argv = shlex.split(target)
        server = StdioServerParameters(command=argv[0], args=argv[1:])
    else:
        server = target
    calls = errors = 0
    measuring = False
    start = time.monotonic()
    end = start + warmup + seconds

    async with Client(server) as client:

        async def worker() -> None:
            nonlocal calls, errors
            while time.monotonic() < end:
                try:
                    result = await client.call_tool("echo", {"message": "hello"})
                    text = result.content[0].text if result.content else None
                    if result.is_error or text != "Echo: hello":
                        errors += 1
                except Exception:  # every failure counts, and fails the run
                    errors += 1
                if measuring:
                    calls += 1

        async def start_measuring() -> None:
            nonlocal measuring, start
            await anyio.sleep(warmup)
            start = time.monotonic()
            measuring = True

        async with anyio.create_task_group() as group:
            group.start_soon(start_measuring)
            for _ in range(depth):
                group.start_soon(worker)
    print(f"calls={calls} seconds={time.monotonic() - start:.6f} errors={errors}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http")
    parser.add_argument("--client", choices=["stdio", "http"])
    parser.add_argument("--target")
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--seconds", type=float, default=2)
    args = parser.parse_args()
    if args.client:
        anyio.run(run_client, args.client, args.target, args.depth, args.warmup, args.seconds)
    elif args.http:
        host, _, port = args.http.rpartition(":")
        mcp.run("streamable-http", host=host, port=int(port), stateless_http=True)
    else:
        mcp.run()


if __name__ == "__main__":
    main()
