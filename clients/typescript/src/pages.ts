import type { Client } from "openapi-fetch";
import type { paths } from "./schema.js";

type GetOperation<P> = P extends keyof paths
  ? paths[P] extends { get: infer Operation }
    ? Operation
    : never
  : never;
type PageOf<P> =
  GetOperation<P> extends { responses: { 200: { content: { "application/json": infer Page } } } }
    ? Page
    : never;

/** Every GET path that answers a cursor page: `{items, next_cursor}`. */
export type PagedPath = {
  [P in keyof paths]: PageOf<P> extends { items: unknown[]; next_cursor: string | null } ? P : never;
}[keyof paths];

/** What one page of `P` holds: `ItemOf<"/api/v1/challenges">` is a challenge. */
export type ItemOf<P extends PagedPath> = PageOf<P> extends { items: (infer Item)[] } ? Item : never;

type GetParameters<P> = GetOperation<P> extends { parameters: infer Parameters } ? Parameters : never;

/** The path and query parameters of a paged GET, without `cursor` (the iterator follows it). */
export type PageParams<P extends PagedPath> = {
  [K in keyof GetParameters<P> as K extends "path" | "query" ? K : never]: K extends "query"
    ? Omit<NonNullable<GetParameters<P>[K]>, "cursor">
    : GetParameters<P>[K];
};

interface Page<Item> {
  items: Item[];
  next_cursor: string | null;
}

/**
 * Every item of a list, page after page, following `next_cursor` until it is null; the other
 * query parameters stay the same (as the API asks). Stop early with `break`.
 */
export async function* eachItem<P extends PagedPath>(
  api: Client<paths>,
  path: P,
  params?: PageParams<P>,
): AsyncGenerator<ItemOf<P>, void, undefined> {
  const { path: pathParams, query } = (params ?? {}) as {
    path?: Record<string, unknown>;
    query?: Record<string, unknown>;
  };
  let cursor: string | null = null;
  do {
    // The generic path defeats openapi-fetch's per-path typing; PageParams<P> typed it above.
    const get = api.GET as unknown as (
      url: string,
      init: { params: { path?: Record<string, unknown>; query: Record<string, unknown> } },
    ) => Promise<{ data?: Page<ItemOf<P>> }>;
    const { data } = await get(path, {
      params: { ...(pathParams ? { path: pathParams } : {}), query: { ...query, cursor } },
    });
    if (data === undefined) {
      return;
    }
    yield* data.items;
    cursor = data.next_cursor;
  } while (cursor !== null);
}
