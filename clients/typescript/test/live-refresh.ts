// Against a live server: several calls made at once with an expired access token cost one
// refresh, counted by the fetch the client is given. Prints one JSON line for the test.
//
// usage: SANGGAR_URL=… SANGGAR_USERNAME=… SANGGAR_PASSWORD=… EXPIRED_TOKEN=… CALLS=5 \
//   node build/test/live-refresh.js
import { createSanggarClient, memoryTokenStore, ok } from "@sanggar/client";

const need = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) {
    throw new Error(`${name} is not set`);
  }
  return value;
};

async function main(): Promise<void> {
  let refreshes = 0;
  const tokens = memoryTokenStore();
  const sanggar = createSanggarClient({
    baseUrl: need("SANGGAR_URL"),
    tokens,
    fetch: (request) => {
      if (new URL(request.url).pathname === "/api/v1/auth/refresh") {
        refreshes += 1;
      }
      return fetch(request);
    },
  });
  const pair = await sanggar.logIn(need("SANGGAR_USERNAME"), need("SANGGAR_PASSWORD"));
  tokens.save({ ...pair, access_token: need("EXPIRED_TOKEN") });
  const calls = Array.from({ length: Number(need("CALLS")) }, () =>
    ok(sanggar.api.GET("/api/v1/members/me")),
  );
  const members = await Promise.all(calls);
  console.log(JSON.stringify({ refreshes, handles: members.map((member) => member.handle) }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
