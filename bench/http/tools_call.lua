-- wrk script of scripts/bench.sh: every request is the same Streamable HTTP tools/call of the
-- `echo` tool, with the headers the transport requires (MCP protocol 2025-11-25).
--   wrk -c16 -t1 -d2s --latency -s bench/http/tools_call.lua http://127.0.0.1:PORT/mcp -- [passback]
-- With the argument `passback` the request _meta carries a traceparent and the SEP-2448 opt-in
-- (otel.traces.request: true). No response() callback: wrk then skips handing each body to Lua,
-- and counts non-2xx statuses itself.

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"

local plain = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",'
  .. '"arguments":{"message":"hello"}}}'
local with_passback = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",'
  .. '"arguments":{"message":"hello"},"_meta":{"traceparent":'
  .. '"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",'
  .. '"otel":{"traces":{"request":true}}}}}'

wrk.body = plain

-- Runs in each thread before its request is built (wrk.init formats the request after it).
function init(args)
  if args[1] == "passback" then
    wrk.body = with_passback
  end
end
