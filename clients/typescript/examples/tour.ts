// A first session with @sanggar/client: log in, read every challenge page by page,
// start a discussion thread safely (a retry with the same Idempotency-Key creates nothing
// twice) and branch on a problem's code.
//
// usage (after `npm run build`, from a compiled copy: see README.md):
//   SANGGAR_URL=http://127.0.0.1:8000 SANGGAR_USERNAME=demo_admin SANGGAR_PASSWORD=sanggar-demo \
//     node build/examples/tour.js
import { createSanggarClient, newIdempotencyKey, ok, SanggarError } from "@sanggar/client";

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;

async function main(): Promise<void> {
  const sanggar = createSanggarClient({ baseUrl: env("SANGGAR_URL", "http://127.0.0.1:8000") });
  await sanggar.logIn(env("SANGGAR_USERNAME", "demo_admin"), env("SANGGAR_PASSWORD", "sanggar-demo"));
  const me = await ok(sanggar.api.GET("/api/v1/members/me"));
  console.log(`logged in as ${me.display_name} (@${me.handle})`);

  // Two a page, to show the cursor being followed; the iterator asks for the next page
  // only when the loop gets there.
  let count = 0;
  for await (const challenge of sanggar.each("/api/v1/challenges", { query: { limit: 2 } })) {
    count += 1;
    console.log(`challenge ${challenge.id}: ${challenge.title} (“${challenge.theme}”)`);
  }
  console.log(`challenges: ${count}`);

  // Keep the key with what you mean to create: a retry after a timeout sends the same one,
  // and the server answers the first response again (Idempotent-Replayed: true).
  const key = newIdempotencyKey();
  const create = () =>
    sanggar.api.POST("/api/v1/threads", {
      params: { header: { "Idempotency-Key": key } },
      body: { title: "Where do you print?", body: "Looking for a risograph studio nearby." },
    });
  const first = await create();
  const retry = await create();
  console.log(
    `thread ${first.data?.id} created; the retry answered thread ${retry.data?.id}` +
      ` (replayed: ${retry.response.headers.get("Idempotent-Replayed")})`,
  );

  try {
    await sanggar.api.GET("/api/v1/challenges/{challenge_id}", {
      params: { path: { challenge_id: 2_000_000_000 } },
    });
  } catch (error) {
    if (!(error instanceof SanggarError)) {
      throw error;
    }
    console.log(`problem: ${error.status} ${error.code}: ${error.detail}`);
  }
  await sanggar.logOut();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
