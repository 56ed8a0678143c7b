import type { components } from "./schema.js";

export type Problem = components["schemas"]["Problem"];
export type FieldError = components["schemas"]["ValidationProblem"]["errors"][number];

/**
 * An answer of 400 or more, thrown by every call: Sanggar sends RFC 9457 problem details, so
 * the UI branches on `code` (stable) and shows `detail` (for people, may be reworded).
 */
export class SanggarError extends Error {
  override readonly name = "SanggarError";
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  /** One entry per invalid value on a 422 (`loc` says where), else empty. */
  readonly errors: readonly FieldError[];
  /** Quote it when reporting a problem: the server's log line carries it too. */
  readonly requestId: string | null;

  constructor(status: number, problem: Partial<Problem> & { errors?: FieldError[] }, requestId: string | null = null) {
    const title = problem.title ?? `HTTP ${status}`;
    super(problem.detail ?? title);
    this.status = status;
    // A proxy in front of Sanggar may answer without problem details: still a code to branch on.
    this.code = problem.code ?? `http_${status}`;
    this.title = title;
    this.detail = problem.detail ?? title;
    this.type = problem.type ?? "about:blank";
    this.errors = problem.errors ?? [];
    this.requestId = requestId;
  }

  /** Reads a failed answer's problem details (leaves the response's body consumed). */
  static async from(response: Response): Promise<SanggarError> {
    let body: unknown = undefined;
    try {
      body = JSON.parse(await response.text());
    } catch {
      // not JSON: a proxy's HTML page, an empty body
    }
    return SanggarError.of(response, body);
  }

  /** The error for a failed answer whose body is already parsed (openapi-fetch's `error`). */
  static of(response: Response, body: unknown): SanggarError {
    const problem = typeof body === "object" && body !== null ? (body as Partial<Problem>) : {};
    return new SanggarError(response.status, problem, response.headers.get("X-Request-ID"));
  }
}
