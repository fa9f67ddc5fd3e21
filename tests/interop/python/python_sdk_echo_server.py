"""A server made with the official Python SDK (mcp 2.x, which speaks MCP 2026-07-28 beside the
2025 era), the peer of glassbox's client in test_python_sdk_revisions.py.

    python python_sdk_echo_server.py            # stdio
    python python_sdk_echo_server.py PORT       # Streamable HTTP on 127.0.0.1:PORT/mcp
"""

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("python-sdk-echo")


@server.tool()
def echo(message: str) -> str:
    """Echoes the message."""
    return f"Echo: {message}"


@server.resource("test://greeting")
def greeting() -> str:
    """A fixed text."""
    return "hello from python"


if __name__ == "__main__":
    if len(sys.argv) > 1:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
    else:
        server.run("stdio")
