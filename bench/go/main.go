// The Go SDK side of the load comparison (scripts/bench.sh), written after the SDK's README
// (mcp.NewServer + mcp.AddTool, Server.Run on a StdioTransport; NewStreamableHTTPHandler for
// HTTP; mcp.NewClient + CommandTransport / StreamableClientTransport for the client).
//
//	goecho                                   stdio server
//	goecho --http HOST:PORT                  stateless Streamable HTTP server at /mcp
//	                                         (StreamableHTTPOptions.Stateless; SSE answers)
//	goecho --client stdio|http --target T    the client: T is the server's command line
//	       [--depth N] [--warmup S]          (split on spaces) or its URL; N calls in flight
//	       [--seconds S]                     on one session; prints "calls=… seconds=… errors=…"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type echoInput struct {
	Message string `json:"message" jsonschema:"Message to echo"`
}

func echo(_ context.Context, _ *mcp.CallToolRequest, in echoInput) (*mcp.CallToolResult, any, error) {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Echo: " + in.Message}}}, nil, nil
}

func newServer() *mcp.Server {
	server := mcp.NewServer(&mcp.Implementation{Name: "go-echo", Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "echo", Description: "Echoes back the message"}, echo)
	return server
}

func serveHTTP(address string) error {
	server := newServer()
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true})
	mux := http.NewServeMux()
	mux.Handle("/mcp", handler)
	httpServer := &http.Server{Addr: address, Handler: mux}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-stop
		httpServer.Close()
	}()
	log.Printf("goecho: listening on http://%s/mcp", address)
	if err := httpServer.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runClient keeps `depth` calls of the echo tool in flight on one session: a warm-up, then the
// measured window. Any error or wrong answer is counted, and fails the run.
func runClient(transport, target string, depth int, warmup, seconds float64) error {
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "goecho-client", Version: "1.0.0"}, nil)
	var t mcp.Transport
	if transport == "stdio" {
		argv := strings.Fields(target)
		t = &mcp.CommandTransport{Command: exec.Command(argv[0], argv[1:]...)}
	} else {
		t = &mcp.StreamableClientTransport{Endpoint: target}
	}
	session, err := client.Connect(ctx, t, nil)
	if err != nil {
		return err
	}
	defer session.Close()
	var measuring atomic.Bool
	var calls, errs atomic.Uint64
	deadline := time.Now().Add(time.Duration((warmup + seconds) * float64(time.Second)))
	var start time.Time
	var startOnce sync.Once
	go func() {
		time.Sleep(time.Duration(warmup * float64(time.Second)))
		startOnce.Do(func() { start = time.Now() })
		measuring.Store(true)
	}()
	var wg sync.WaitGroup
	params := &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"message": "hello"}}
	for i := 0; i < depth; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				res, err := session.CallTool(ctx, params)
				ok := err == nil && !res.IsError && len(res.Content) == 1
				if ok {
					text, isText := res.Content[0].(*mcp.TextContent)
					ok = isText && text.Text == "Echo: hello"
				}
				if !ok {
					errs.Add(1)
				}
				if measuring.Load() {
					calls.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	startOnce.Do(func() { start = time.Now() })
	fmt.Printf("calls=%d seconds=%.6f errors=%d\n", calls.Load(), time.Since(start).Seconds(), errs.Load())
	return nil
}

func main() {
	httpAddress := flag.String("http", "", "serve stateless Streamable HTTP at HOST:PORT")
	clientTransport := flag.String("client", "", "run the load client over stdio or http")
	target := flag.String("target", "", "the client's server: a command line or a URL")
	depth := flag.Int("depth", 1, "calls in flight")
	warmup := flag.Float64("warmup", 0.5, "seconds of warm-up")
	seconds := flag.Float64("seconds", 2, "seconds measured")
	flag.Parse()
	var err error
	switch {
	case *clientTransport != "":
		err = runClient(*clientTransport, *target, *depth, *warmup, *seconds)
	case *httpAddress != "":
		err = serveHTTP(*httpAddress)
	default:
		err = newServer().Run(context.Background(), &mcp.StdioTransport{})
	}
	if err != nil {
		log.Fatal(err)
	}
}
