// A small SPA-style client for Sanggar, typed only by what openapi-typescript generates from
// the contract (src/schema.d.ts). The test suite type-checks it with `tsc --strict`: a renamed
// field, a removed operation or a field turned optional breaks the build here first.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
export type Member = Schemas["MemberPublic"];
export type Challenge = Schemas["ChallengePublic"];
export type ChallengePhase = Schemas["ChallengePhase"];
export type Submission = Schemas["SubmissionPublic"];
export type NewSubmission = Schemas["SubmissionCreate"];
export type Vote = Schemas["VotePublic"];
export type Result = Schemas["ResultItem"];
export type ShowcaseItem = Schemas["ShowcaseItem"];
export type Problem = Schemas["Problem"];

/** A problem+json answer, thrown so the UI can show `detail` and branch on `code`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title);
  }
}

function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined) {
    return result.data;
  }
  throw new ApiError(result.response.status, result.error as Problem);
}

export function sanggar(baseUrl: string, accessToken?: string) {
  const api = createClient<paths>({
    baseUrl,
    headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
  });

  return {
    /** Logs in with the password grant; keep `access_token` for the next calls. */
    async logIn(username: string, password: string): Promise<string> {
      const token = unwrap(
        await api.POST("/api/v1/auth/token", {
          body: { username, password, grant_type: "password" },
          bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
        }),
      );
      return token.access_token;
    },

    /** Who is logged in, for the header: "Rina Wijaya (@rina_draws)". */
    async whoAmI(): Promise<string> {
      const me: Member = unwrap(await api.GET("/api/v1/members/me", {}));
      return `${me.display_name} (@${me.handle})`;
    },

    /** One page of challenges in a phase, and the cursor of the next page (null: last). */
    async listChallenges(
      phase: ChallengePhase,
      cursor?: string,
    ): Promise<{ challenges: Challenge[]; next: string | null }> {
      const page = unwrap(
        await api.GET("/api/v1/challenges", {
          params: { query: { phase, limit: 20, ...(cursor ? { cursor } : {}) } },
        }),
      );
      return { challenges: page.items, next: page.next_cursor };
    },

    /** What a challenge card shows: open until when, and how busy it is. */
    describe(challenge: Challenge): string {
      const closes = new Date(challenge.submissions_close_at).toLocaleDateString();
      return `${challenge.title} — “${challenge.theme}”, ${challenge.submission_count} works, until ${closes}`;
    },

    async submit(challengeId: number, work: NewSubmission): Promise<Submission> {
      return unwrap(
        await api.POST("/api/v1/challenges/{challenge_id}/submissions", {
          params: { path: { challenge_id: challengeId } },
          body: work,
        }),
      );
    },

    /** Votes for a work; `remaining` is what is left of the caller's budget. */
    async vote(submissionId: number): Promise<number> {
      const vote: Vote = unwrap(
        await api.PUT("/api/v1/submissions/{submission_id}/vote", {
          params: { path: { submission_id: submissionId } },
        }),
      );
      return vote.remaining;
    },

    /** The podium: winners first, with their authors. */
    async results(challengeId: number): Promise<{ rank: number; title: string; by: string }[]> {
      const page = unwrap(
        await api.GET("/api/v1/challenges/{challenge_id}/results", {
          params: { path: { challenge_id: challengeId } },
        }),
      );
      return page.items
        .filter((item: Result) => item.winner)
        .map((item: Result) => ({
          rank: item.rank,
          title: item.submission.title,
          by: item.submission.author.display_name,
        }));
    },

    async showcase(): Promise<ShowcaseItem[]> {
      return unwrap(await api.GET("/api/v1/showcase", {})).items;
    },
  };
}
