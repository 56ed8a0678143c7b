// The client's behaviour against a scripted server (a fetch function): what a live server
// cannot be made to do on cue (several calls expiring at once, a refresh that is slow).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createSanggarClient,
  memoryTokenStore,
  newIdempotencyKey,
  SanggarError,
  type TokenPair,
} from "@sanggar/client";

const BASE = "http://sanggar.test";

const pair = (access: string, refresh: string): TokenPair => ({
  access_token: access,
  refresh_token: refresh,
  token_type: "bearer",
  expires_in: 900,
});

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" },
  });

const problem = (status: number, code: string, extra: object = {}): Response =>
  json(status, { type: `${BASE}/problems/${code}`, title: code, status, detail: `${code}!`, code, ...extra });

/** A server where "old" has expired and one refresh (slow) hands out "new". */
function expiringServer() {
  const seen = { refreshes: 0, requests: [] as Request[] };
  const fetch = async (request: Request): Promise<Response> => {
    seen.requests.push(request.clone());
    const path = new URL(request.url).pathname;
    if (path === "/api/v1/auth/refresh") {
      seen.refreshes += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return json(200, pair("new", "r2"));
    }
    const auth = request.headers.get("Authorization");
    if (auth === "Bearer old") {
      return problem(401, "token_expired");
    }
    if (auth !== "Bearer new") {
      return problem(401, "unauthorized");
    }
    return json(request.method === "POST" ? 201 : 200, { path, body: await request.text() });
  };
  return { seen, fetch };
}

test("concurrent calls with an expired token share one refresh, then all succeed", async () => {
  const server = expiringServer();
  const tokens = memoryTokenStore(pair("old", "r1"));
  const sanggar = createSanggarClient({ baseUrl: BASE, fetch: server.fetch, tokens });
  const calls = Array.from({ length: 5 }, () => sanggar.api.GET("/api/v1/members/me"));
  const answers = await Promise.all(calls);
  assert.equal(server.seen.refreshes, 1);
  assert.deepEqual(
    answers.map((answer) => answer.response.status),
    [200, 200, 200, 200, 200],
  );
  assert.equal(tokens.load()?.access_token, "new");
  // A call whose 401 arrives after the refresh retries with the new token, no second refresh.
  await sanggar.api.GET("/api/v1/members/me");
  assert.equal(server.seen.refreshes, 1);
});

test("a creating POST carries one Idempotency-Key, the same on its retry after a refresh", async () => {
  const server = expiringServer();
  const sanggar = createSanggarClient({
    baseUrl: BASE,
    fetch: server.fetch,
    tokens: memoryTokenStore(pair("old", "r1")),
  });
  const { data } = await sanggar.api.POST("/api/v1/threads", { body: { title: "Riso", body: "Who prints?" } });
  const posts = server.seen.requests.filter((request) => request.url.endsWith("/api/v1/threads"));
  const keys = posts.map((request) => request.headers.get("Idempotency-Key"));
  assert.equal(posts.length, 2); // expired, then retried
  assert.match(keys[0] ?? "", /^[0-9a-f-]{36}$/);
  assert.equal(keys[1], keys[0]);
  assert.deepEqual(JSON.parse((data as unknown as { body: string }).body), { title: "Riso", body: "Who prints?" });
});

test("unauthorized (not expired) logs out without refreshing", async () => {
  const server = expiringServer();
  const tokens = memoryTokenStore(pair("forged", "r1"));
  const loggedOut: string[] = [];
  const sanggar = createSanggarClient({
    baseUrl: BASE,
    fetch: server.fetch,
    tokens,
    onLoggedOut: (error) => loggedOut.push(error.code),
  });
  await assert.rejects(sanggar.api.GET("/api/v1/members/me"), { name: "SanggarError", code: "unauthorized" });
  assert.equal(server.seen.refreshes, 0);
  assert.deepEqual(loggedOut, ["unauthorized"]);
  assert.equal(tokens.load(), null);
});

test("a refused refresh rejects every waiting call and logs out once", async () => {
  let refreshes = 0;
  const fetch = async (request: Request): Promise<Response> => {
    if (request.url.endsWith("/auth/refresh")) {
      refreshes += 1;
      return problem(401, "refresh_token_reused");
    }
    return problem(401, "token_expired");
  };
  const loggedOut: string[] = [];
  const sanggar = createSanggarClient({
    baseUrl: BASE,
    fetch,
    tokens: memoryTokenStore(pair("old", "r1")),
    onLoggedOut: (error) => loggedOut.push(error.code),
  });
  const results = await Promise.allSettled([1, 2, 3].map(() => sanggar.api.GET("/api/v1/members/me")));
  assert.equal(refreshes, 1);
  assert.deepEqual(
    results.map((result) => (result.status === "rejected" ? (result.reason as SanggarError).code : "ok")),
    ["refresh_token_reused", "refresh_token_reused", "refresh_token_reused"],
  );
  assert.deepEqual(loggedOut, ["refresh_token_reused"]);
});

test("a problem is thrown as a SanggarError with code, status, title, detail and errors", async () => {
  const loc = ["query", "limit"];
  const fetch = async (): Promise<Response> =>
    problem(422, "validation_failed", { errors: [{ loc, msg: "too big", type: "less_than_equal" }] });
  const sanggar = createSanggarClient({ baseUrl: BASE, fetch, personalAccessToken: "sgr_pat_x" });
  const error = await sanggar.api.GET("/api/v1/challenges", { params: { query: { limit: 500 } } }).catch((e: unknown) => e);
  assert.ok(error instanceof SanggarError);
  assert.deepEqual(
    [error.status, error.code, error.title, error.detail, error.errors[0]?.loc],
    [422, "validation_failed", "validation_failed", "validation_failed!", loc],
  );
});

test("each() follows next_cursor and keeps the other query parameters", async () => {
  const asked: URL[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    asked.push(url);
    const at = Number(url.searchParams.get("cursor") ?? "0");
    const items = [at, at + 1].filter((n) => n < 5).map((id) => ({ id }));
    return json(200, { items, next_cursor: at + 2 < 5 ? String(at + 2) : null });
  };
  const sanggar = createSanggarClient({ baseUrl: BASE, fetch });
  const ids: number[] = [];
  for await (const challenge of sanggar.each("/api/v1/challenges", { query: { phase: "open", limit: 2 } })) {
    ids.push(challenge.id);
  }
  assert.deepEqual(ids, [0, 1, 2, 3, 4]);
  assert.deepEqual(
    asked.map((url) => url.search),
    ["?phase=open&limit=2", "?phase=open&limit=2&cursor=2", "?phase=open&limit=2&cursor=4"],
  );
});

test("idempotency keys are version 4 UUIDs, also where crypto.randomUUID is missing", () => {
  const uuid4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(newIdempotencyKey(), uuid4);
  // Browsers on plain http (a LAN address) have getRandomValues but not randomUUID.
  Object.defineProperty(crypto, "randomUUID", { value: undefined, configurable: true });
  try {
    const keys = new Set(Array.from({ length: 50 }, () => newIdempotencyKey()));
    assert.equal(keys.size, 50);
    for (const key of keys) {
      assert.match(key, uuid4);
    }
  } finally {
    delete (crypto as { randomUUID?: unknown }).randomUUID;
  }
  assert.equal(typeof crypto.randomUUID, "function");
});
