// Drives Sanggar's documentation in headless Chromium the way a frontend developer would:
// Swagger UI (/docs) with Authorize (password flow) and "Try it out" on members_get_me, then
// ReDoc (/redoc) until it has rendered. The pages must work offline, wherever they are served:
// - every request the browser sends (pages, scripts, images, fonts, XHR) is seen through the
//   DevTools protocol; one to anything but a loopback address is reported in `left`, and
//   aborted;
// - every Content-Security-Policy violation is reported in `violations` (a request the page
//   tried but its CSP stopped never reaches the network, so `left` alone would miss it).
//
// usage: node swagger-ui.mjs <base url> <username> <password> <screenshot.png> [<host name>]
// With a host name (say sanggar.test), Chromium resolves it to 127.0.0.1 and the pages are
// opened under it, as behind a proxy with a real name: that host counts as this machine.
// prints one JSON line:
// {"oas": "...", "status": "...", "body": "...", "redoc": "...", "left": [...], "violations": [...]}
import { chromium } from "playwright-core";

const [givenUrl, username, password, screenshot, hostName] = process.argv.slice(2);
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const served = new URL(givenUrl);
if (hostName) {
  served.hostname = hostName;
  LOOPBACK.add(hostName);
}
const baseUrl = served.origin;
const left = new Set();
const violations = [];

const isLocal = (href) => {
  const url = new URL(href);
  return url.protocol === "data:" || url.protocol === "blob:" || LOOPBACK.has(url.hostname);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    ...(hostName ? [`--host-resolver-rules=MAP ${hostName} 127.0.0.1`] : []),
  ],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__violations = window.__violations ?? [];
      window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  await context.route("**/*", (route) => {
    const href = route.request().url();
    if (isLocal(href)) return route.continue();
    left.add(href);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const devtools = await context.newCDPSession(page);
  await devtools.send("Network.enable");
  devtools.on("Network.requestWillBeSent", ({ request }) => {
    if (!isLocal(request.url)) left.add(request.url);
  });
  try {
    const swagger = await swaggerUi(page);
    const redoc = await reDoc(page);
    console.log(JSON.stringify({ ...swagger, redoc, left: [...left], violations }));
  } catch (error) {
    await page.screenshot({ path: screenshot }); // what the page showed when it failed
    throw error;
  }
} finally {
  await browser.close();
}

async function collectViolations(page) {
  violations.push(...(await page.evaluate(() => window.__violations ?? [])));
}

async function swaggerUi(page) {
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
  await collectViolations(page);
  return { oas: oas.trim(), status: status.trim(), body };
}

async function reDoc(page) {
  await page.goto(`${baseUrl}/redoc`);
  const title = (await page.locator(".api-info h1").first().textContent({ timeout: 60000 })) ?? "";
  // The sidebar (with its attribution image) renders after the content: let it settle.
  await page.locator(".menu-content").first().waitFor();
  await page.waitForLoadState("networkidle");
  await page.waitForTimeout(500);
  await collectViolations(page);
  return title.trim();
}
