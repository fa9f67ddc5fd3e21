// The rmcp side of the load comparison (scripts/bench.sh): one `echo` tool, the same as
// bench/echo_server.cpp, written after the rmcp README (the #[tool_router] / #[tool_handler]
// macros, `stdio()` for the stdio transport, `StreamableHttpService` served by axum for HTTP).
//
//   rmcp-echo                     stdio
//   rmcp-echo --http HOST:PORT    stateless Streamable HTTP at /mcp: NeverSessionManager and
//                                 legacy_session_mode off, answers on an SSE stream (the
//                                 default, as the other servers of the comparison answer)
//   rmcp-echo --client stdio|http --target T [--depth N] [--warmup S] [--seconds S]
//       the rmcp client (`().serve(TokioChildProcess)` or StreamableHttpClientTransport) against
//       T, a command line split on spaces or a URL: N calls in flight on one connection;
//       prints "calls=... seconds=... errors=..."
use std::sync::{
    atomic::{AtomicBool, AtomicU64, Ordering},
    Arc,
};
use std::time::{Duration, Instant};

use axum::serve::ListenerExt;
use rmcp::{
    handler::server::wrapper::Parameters,
    model::CallToolRequestParams,
    schemars, tool, tool_handler, tool_router,
    transport::{
        stdio,
        streamable_http_server::{
            session::never::NeverSessionManager, StreamableHttpServerConfig, StreamableHttpService,
        },
        StreamableHttpClientTransport, TokioChildProcess,
    },
    ServerHandler, ServiceExt,
};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct EchoParams {
    /// Message to echo
    message: String,
}

#[derive(Clone)]
struct Echo;

#[tool_router]
impl Echo {
    #[tool(description = "Echoes back the message")]
    fn echo(&self, Parameters(EchoParams { message }): Parameters<EchoParams>) -> String {
        format!("Echo: {message}")
    }
}

#[tool_handler(name = "rmcp-echo", version = "1.0.0")]
impl ServerHandler for Echo {}

async fn serve_http(address: &str) -> Result<(), Box<dyn std::error::Error>> {
    let config = StreamableHttpServerConfig::default().with_legacy_session_mode(false);
    let service = StreamableHttpService::new(
        || Ok(Echo),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let app = axum::Router::new().nest_service("/mcp", service);
    // TCP_NODELAY, as axum's docs show it (ListenerExt::tap_io): Go's net/http, Node and
    // Python's asyncio set it by default, hyper does not, and the SSE answer leaves in several
    // small writes that Nagle's algorithm would hold for the peer's delayed ACK (40 ms).
    let listener = tokio::net::TcpListener::bind(address).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!("rmcp-echo: listening on http://{address}/mcp");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        })
        .await?;
    Ok(())
}

struct ClientArgs {
    transport: String,
    target: String,
    depth: usize,
    warmup: f64,
    seconds: f64,
}

// Keeps `depth` calls of the echo tool in flight on one connection: a warm-up, then the measured
// window. Any error or wrong answer is counted (and fails the run in load_compare).
async fn run_client(args: ClientArgs) -> Result<(), Box<dyn std::error::Error>> {
    let client = if args.transport == "stdio" {
        let argv: Vec<&str> = args.target.split_whitespace().collect();
        let mut command = tokio::process::Command::new(argv[0]);
        command.args(&argv[1..]);
        ().serve(TokioChildProcess::new(command)?).await?
    } else {
        ().serve(StreamableHttpClientTransport::from_uri(args.target.clone()))
            .await?
    };
    let calls = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let measuring = Arc::new(AtomicBool::new(false));
    let end = Instant::now() + Duration::from_secs_f64(args.warmup + args.seconds);
    let mut arguments = serde_json::Map::new();
    arguments.insert("message".into(), "hello".into());
    let mut workers = Vec::new();
    for _ in 0..args.depth {
        let peer = client.peer().clone();
        let (calls, errors, measuring) = (calls.clone(), errors.clone(), measuring.clone());
        let arguments = arguments.clone();
        workers.push(tokio::spawn(async move {
            while Instant::now() < end {
                let params = CallToolRequestParams::new("echo").with_arguments(arguments.clone());
                let ok = match peer.call_tool(params).await {
                    Ok(result) => {
                        result.is_error != Some(true)
                            && result.content.len() == 1
                            && result.content[0].as_text().map(|t| t.text.as_str())
                                == Some("Echo: hello")
                    }
                    Err(_) => false,
                };
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                if measuring.load(Ordering::Relaxed) {
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let start = Instant::now();
    measuring.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await?;
    }
    println!(
        "calls={} seconds={:.6} errors={}",
        calls.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64(),
        errors.load(Ordering::Relaxed)
    );
    client.cancel().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|at| args.get(at + 1))
    };
    if let Some(transport) = flag("--client") {
        let number = |name: &str, default: f64| flag(name).map_or(Ok(default), |v| v.parse());
        return run_client(ClientArgs {
            transport: transport.clone(),
            target: flag("--target").ok_or("--client needs --target")?.clone(),
            depth: number("--depth", 1.0)? as usize,
            warmup: number("--warmup", 0.5)?,
            seconds: number("--seconds", 2.0)?,
        })
        .await;
    }
    if let Some(at) = args.iter().position(|a| a == "--http") {
        let address = args.get(at + 1).ok_or("--http needs HOST:PORT")?;
        return serve_http(address).await;
    }
    let server = Echo.serve(stdio()).await?;
    server.waiting().await?;
    Ok(())
}
