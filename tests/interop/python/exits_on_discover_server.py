"""A stdio MCP server of the 2025 era that exits on any request before `initialize` (the
behaviour the TypeScript SDK v2 client guards against by probing on a disposable process): it
answers initialize, tools/list and tools/call of one tool, `echo`, and nothing of 2026-07-28.
Each start appends a line to the file named by EXITS_ON_DISCOVER_LOG, so a test can count them.
"""

import json
import os
import sys

with open(os.environ["EXITS_ON_DISCOVER_LOG"], "a") as log:
    log.write("start\n")

initialized = False
for line in sys.stdin:
    message = json.loads(line)
    method, rid = message.get("method"), message.get("id")
    if rid is None:
        continue  # notifications
    if method == "initialize":
        initialized = True
        result = {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                  "serverInfo": {"name": "exits-on-discover", "version": "1"}}
    elif not initialized:
        sys.exit(1)  # what an old SDK does with a request it cannot place
    elif method == "tools/list":
        result = {"tools": [{"name": "echo", "inputSchema": {"type": "object"}}]}
    elif method == "tools/call":
        text = "Echo: " + str(message["params"].get("arguments", {}).get("message"))
        result = {"content": [{"type": "text", "text": text}]}
    else:
        print(json.dumps({"jsonrpc": "2.0", "id": rid,
                          "error": {"code": -32601, "message": "method not found"}}), flush=True)
        continue
    print(json.dumps({"jsonrpc": "2.0", "id": rid, "result": result}), flush=True)
