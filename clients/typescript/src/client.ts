// The Sanggar client: openapi-fetch typed by the contract (src/schema.ts, generated), with what
// every app otherwise writes itself: log-in, one refresh for many expired calls, problems as
// thrown errors, idempotency keys on creates and an iterator over cursor pages.
import createClient, { type Client } from "openapi-fetch";
import { eachItem, type ItemOf, type PagedPath, type PageParams } from "./pages.js";
import { SanggarError } from "./problem.js";
import type { components, paths } from "./schema.js";

export type TokenPair = components["schemas"]["TokenResponse"];

/** Where the log-in is kept: memory by default; an SPA may keep it in storage. */
export interface TokenStore {
  load(): TokenPair | null;
  save(tokens: TokenPair | null): void;
}

export function memoryTokenStore(initial: TokenPair | null = null): TokenStore {
  let tokens = initial;
  return {
    load: () => tokens,
    save: (next) => {
      tokens = next;
    },
  };
}

export interface SanggarOptions {
  /** The server, without `/api/v1`: `https://sanggar.example.org`. */
  baseUrl: string;
  tokens?: TokenStore;
  /** A personal access token (`sgr_pat_…`) for scripts and bots: sent as is, never refreshed. */
  personalAccessToken?: string;
  /** The fetch that reaches the server (a wrapper that logs or counts, in tests). */
  fetch?: (request: Request) => Promise<Response>;
  /** Called when the log-in is over (a refresh refused, a revoked token): show the log-in page. */
  onLoggedOut?: (problem: SanggarError) => void;
}

export interface Sanggar {
  /** openapi-fetch, typed by the contract. Answers of 400 or more throw a SanggarError. */
  readonly api: Client<paths>;
  /** The password grant (a form body, as OAuth2 asks); keeps the pair in the token store. */
  logIn(username: string, password: string): Promise<TokenPair>;
  /** Revokes this log-in on the server and forgets it here. */
  logOut(): Promise<void>;
  /** A new pair for the stored refresh token; concurrent callers share one request. */
  refresh(): Promise<TokenPair>;
  /** Every item of a list, following `next_cursor`: `for await (const c of sanggar.each(…))`. */
  each<P extends PagedPath>(path: P, params?: PageParams<P>): AsyncGenerator<ItemOf<P>, void, undefined>;
}

/** The data of a call that did not throw (only 2xx and 304 answers get this far). */
export async function ok<T>(call: Promise<{ data?: T; response: Response }>): Promise<T> {
  return (await call).data as T;
}

const isRefreshable = (error: SanggarError): boolean => error.code === "token_expired";

function withHeader(request: Request, name: string, value: string): Request {
  const headers = new Headers(request.headers);
  headers.set(name, value);
  return new Request(request, { headers });
}

/** A random (version 4) UUID. Browsers offer `crypto.randomUUID` only on https and localhost;
 * a development server reached by its LAN address still gets keys. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function createSanggarClient(options: SanggarOptions): Sanggar {
  const store = options.tokens ?? memoryTokenStore();
  const baseFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  // Log-in, refresh and log-out go out bare: no token, no retry, problems thrown by us.
  const bare = createClient<paths>({ baseUrl: options.baseUrl, fetch: baseFetch });
  let refreshing: Promise<TokenPair> | null = null;

  function loggedOut(problem: SanggarError): SanggarError {
    store.save(null);
    options.onLoggedOut?.(problem);
    return problem;
  }

  async function refreshNow(): Promise<TokenPair> {
    const refreshToken = store.load()?.refresh_token;
    if (refreshToken === undefined) {
      throw loggedOut(new SanggarError(401, { code: "unauthorized", detail: "Not logged in." }));
    }
    const { data, error, response } = await bare.POST("/api/v1/auth/refresh", {
      body: { refresh_token: refreshToken },
    });
    if (data === undefined) {
      throw loggedOut(SanggarError.of(response, error));
    }
    store.save(data);
    return data;
  }

  function refresh(): Promise<TokenPair> {
    // Single flight: every caller that finds the token expired waits for the same request, so
    // N parallel calls cost one rotation (and never present a rotated refresh token again).
    refreshing ??= refreshNow().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  /** The token to retry with after `used` was found expired: a newer one, or a refresh. */
  async function tokenAfter(used: string): Promise<string> {
    const current = store.load()?.access_token;
    if (current !== undefined && current !== used) {
      return current; // another call refreshed while this one was in flight
    }
    return (await refresh()).access_token;
  }

  function authorized(request: Request, token: string | undefined): Request {
    return token === undefined ? request : withHeader(request, "Authorization", `Bearer ${token}`);
  }

  async function send(request: Request): Promise<Response> {
    if (request.method === "POST" && !request.headers.has("Idempotency-Key")) {
      // One key per intended creation: the retry below (and a caller's own retry of the same
      // Request) cannot create twice. POSTs that create nothing ignore the header.
      request = withHeader(request, "Idempotency-Key", newIdempotencyKey());
    }
    const used = options.personalAccessToken ?? store.load()?.access_token;
    const spare = request.clone(); // the body, kept for a retry after refreshing
    let response = await baseFetch(authorized(request, used));
    if (response.status === 401 && used !== undefined && options.personalAccessToken === undefined) {
      const problem = await SanggarError.from(response.clone());
      if (!isRefreshable(problem)) {
        throw loggedOut(problem); // revoked, forged, or the member deactivated: log in again
      }
      response = await baseFetch(authorized(spare, await tokenAfter(used)));
    }
    if (response.status >= 400) {
      throw await SanggarError.from(response);
    }
    return response;
  }

  const api = createClient<paths>({ baseUrl: options.baseUrl, fetch: send });

  return {
    api,
    async logIn(username, password) {
      const { data, error, response } = await bare.POST("/api/v1/auth/token", {
        body: { username, password, grant_type: "password" },
        bodySerializer: (form) => new URLSearchParams(form as Record<string, string>),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      });
      if (data === undefined) {
        throw SanggarError.of(response, error);
      }
      store.save(data);
      return data;
    },
    async logOut() {
      const refreshToken = store.load()?.refresh_token;
      store.save(null);
      if (refreshToken !== undefined) {
        const { error, response } = await bare.POST("/api/v1/auth/logout", {
          body: { refresh_token: refreshToken },
        });
        if (!response.ok) {
          throw SanggarError.of(response, error);
        }
      }
    },
    refresh,
    each: (path, params) => eachItem(api, path, params),
  };
}
