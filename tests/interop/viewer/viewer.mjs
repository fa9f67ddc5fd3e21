// The trace viewer in headless Chromium: the waterfall of act 2 of `glassbox demo` shows the
// agent's CLIENT span with the help desk's stage spans stitched under it, one colour per service,
// and a click on a span shows its attributes and the resource that produced it.
//
//   GLASSBOX_BIN=build/bin/glassbox node --test tests/interop/viewer/viewer.mjs
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const bin = process.env.GLASSBOX_BIN ?? resolve("build/bin/glassbox");
const chromiumPath = process.env.GLASSBOX_CHROMIUM ?? "/usr/bin/chromium";
const work = mkdtempSync(join(tmpdir(), "glassbox-viewer-"));
const screenshot = resolve(process.env.GLASSBOX_SCREENSHOT ?? join(work, "viewer.png"));
const cleanups = [];
after(async () => {
  for (const f of cleanups.reverse()) await f();
  rmSync(work, { recursive: true, force: true });
});

function freePort() {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

async function waitFor(url, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return r;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("act 2's waterfall shows the client span and the server's stages", async () => {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} missing (apt-get install chromium)`);
  const db = join(work, "traces.db");

  // 1. The demo tells its story non-interactively and exits 0, leaving its traces in the db.
  const demo = spawnSync(bin, ["demo", "--no-wait", "--db", db], { encoding: "utf8", timeout: 60000, env: { ...process.env, NO_COLOR: "1" } });
  assert.equal(demo.status, 0, `demo failed:\n${demo.stdout}\n${demo.stderr}`);
  const act2 = demo.stdout.match(/act 2[^\n]*\/trace\/([0-9a-f]{32})/);
  assert.ok(act2, `no act 2 URL in the demo's output:\n${demo.stdout}`);
  const traceId = act2[1];
  assert.match(demo.stdout, /\[REDACTED\]/, "act 3 shows redaction");

  // 2. A collector on the same database, on a free port.
  const port = await freePort();
  const collector = spawn(bin, ["collector", "--listen", `127.0.0.1:${port}`, "--db", db], { stdio: ["ignore", "inherit", "inherit"] });
  cleanups.push(() => new Promise((done) => { collector.once("exit", done); collector.kill("SIGTERM"); }));
  const base = `http://127.0.0.1:${port}`;
  const list = await (await waitFor(`${base}/api/traces`)).json();
  assert.ok(list.traces.some((t) => t.traceId === traceId), "act 2's trace is in the store");

  // 3. Headless Chromium, a fresh profile, no network beyond 127.0.0.1.
  const profile = join(work, "profile");
  mkdirSync(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
    viewport: { width: 1400, height: 900 },
  });
  cleanups.push(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(`${base}/`);
  await page.waitForSelector("tr.trace-row");
  assert.ok((await page.locator("tr.trace-row").count()) >= 4, "the list shows the demo's traces");

  await page.goto(`${base}/trace/${traceId}`);
  await page.waitForSelector(".span-row");
  const rows = await page.$$eval(".span-row", (els) => els.map((e) => ({ ...e.dataset })));
  const top = rows[0];
  assert.equal(top.name, "tools/call search_tickets");
  assert.equal(top.service, "support-agent");
  assert.equal(top.depth, "0");
  const server = rows.filter((r) => r.service === "acme-helpdesk");
  const root = server.find((r) => r.depth === "1");
  assert.ok(root && root.name === "tools/call search_tickets", "the server's root sits under the client span");
  const stages = new Set(server.filter((r) => r.depth === "2").map((r) => r.name));
  for (const stage of ["auth.validate", "policy.evaluate", "cache.lookup", "crm.lookup_customer", "kb.search", "tool.summarize"]) {
    assert.ok(stages.has(stage), `stage ${stage} in the waterfall (got ${[...stages].join(", ")})`);
  }
  // The help desk's knowledge base (a nested MCP server, S16) is the third level.
  assert.ok(rows.some((r) => r.service === "acme-kb" && r.name === "tools/call search"), "the knowledge base's spans");
  // Bars are coloured per service: the agent's, the help desk's and the knowledge base's differ.
  const colours = await page.$$eval(".span-row .bar", (els) => [...new Set(els.map((e) => e.style.background))]);
  assert.equal(colours.length, 3, `one colour per service, got ${colours}`);

  // A click shows the span's attributes and the resource that produced it.
  await page.locator('.span-row[data-name="auth.validate"]').click();
  const detail = page.locator("#detail");
  await detail.waitFor({ state: "visible" });
  const text = await detail.innerText();
  assert.match(text, /acme-helpdesk/);
  assert.match(text, /service\.version/);
  assert.match(text, /auth\.outcome/);

  mkdirSync(resolve(screenshot, ".."), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  assert.deepEqual(errors, [], "no script errors on the page");
});
