// Drives Sanggar's Swagger UI (/docs) in headless Chromium the way an admin would: Authorize
// with the password flow, then "Try it out" on members_get_me. Every request that is not to a
// loopback address is aborted and reported, so the page must work offline.
//
// usage: node swagger-ui.mjs <base url> <username> <password> <screenshot.png>
// prints one JSON line: {"oas": "...", "status": "...", "body": "...", "blocked": [...]}
import { chromium } from "playwright-core";

const [baseUrl, username, password, screenshot] = process.argv.slice(2);
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const blocked = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.protocol === "blob:" || LOOPBACK.has(url.hostname)) {
      return route.continue();
    }
    blocked.push(url.href);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  try {
    await run(page);
  } catch (error) {
    await page.screenshot({ path: screenshot }); // what the page showed when it failed
    throw error;
  }
} finally {
  await browser.close();
}

async function run(page) {
  await page.goto(`${baseUrl}/docs`);
  const oas = (await page.locator(".info .version-stamp").first().textContent({ timeout: 30000 })) ?? "";

  await page.locator(".auth-wrapper .btn.authorize").click();
  const dialog = page.locator(".dialog-ux");
  await dialog.locator("#oauth_username").fill(username);
  await dialog.locator("#oauth_password").fill(password);
  await dialog.locator(".auth-container").first().locator("button.authorize").click();
  await dialog.locator("button", { hasText: "Logout" }).first().waitFor();
  await dialog.locator("button", { hasText: "Close" }).first().click();

  const operation = page.locator("#operations-members-members_get_me");
  await operation.locator(".opblock-summary").click();
  await operation.locator("button.try-out__btn").click();
  await operation.locator("button.execute").click();
  const live = operation.locator(".live-responses-table .response").first();
  const status = (await live.locator(".response-col_status").textContent({ timeout: 30000 })) ?? "";
  const body = (await live.locator(".response-col_description pre").first().textContent()) ?? "";
  await operation.screenshot({ path: screenshot }); // the call and its answer
  console.log(JSON.stringify({ oas: oas.trim(), status: status.trim(), body, blocked }));
}
