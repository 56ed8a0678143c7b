// Uploads a file through Sanggar's Swagger UI (/docs) in headless Chromium, as a frontend
// developer trying the media endpoint would: Authorize (password flow), open media_upload,
// "Try it out", choose the file in the form's file input, fill alt_text, Execute, and read
// the answer on the page. Requests that leave the machine are aborted and reported in `left`.
//
// usage: node swagger-ui-upload.mjs <base url> <username> <password> <file> <screenshot.png>
// prints one JSON line:
// {"fileInputs": n, "status": "...", "body": "...", "left": [...]}
import { chromium } from "playwright-core";

const [baseUrl, username, password, file, screenshot] = process.argv.slice(2);
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const left = new Set();

const isLocal = (href) => {
  const url = new URL(href);
  return url.protocol === "data:" || url.protocol === "blob:" || LOOPBACK.has(url.hostname);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  await context.route("**/*", (route) => {
    const href = route.request().url();
    if (isLocal(href)) return route.continue();
    left.add(href);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  try {
    console.log(JSON.stringify({ ...(await upload(page)), left: [...left] }));
  } catch (error) {
    await page.screenshot({ path: screenshot, fullPage: true }); // what the page showed
    throw error;
  }
} finally {
  await browser.close();
}

async function upload(page) {
  await page.goto(`${baseUrl}/docs`);
  await page.locator(".info .version-stamp").first().waitFor({ timeout: 30000 });

  await page.locator(".auth-wrapper .btn.authorize").click();
  const dialog = page.locator(".dialog-ux");
  await dialog.locator("#oauth_username").fill(username);
  await dialog.locator("#oauth_password").fill(password);
  await dialog.locator(".auth-container").first().locator("button.authorize").click();
  await dialog.locator("button", { hasText: "Logout" }).first().waitFor();
  await dialog.locator("button", { hasText: "Close" }).first().click();

  const operation = page.locator("#operations-media-media_upload");
  await operation.locator(".opblock-summary").click();
  await operation.locator("button.try-out__btn").click();
  const inputs = operation.locator('input[type="file"]');
  await inputs.first().waitFor({ timeout: 30000 });
  const fileInputs = await inputs.count();
  // The file goes in as a user choosing it would (the DevTools protocol sets the input).
  await inputs.first().setInputFiles(file);
  const alt = operation.locator('tr[data-property-name="alt_text"] input:not([type="file"])');
  await alt.first().fill("A red square, uploaded from Swagger UI");
  await operation.locator("button.execute").click();
  const live = operation.locator(".live-responses-table .response").first();
  const status = (await live.locator(".response-col_status").textContent({ timeout: 30000 })) ?? "";
  const body = (await live.locator(".response-col_description pre").first().textContent()) ?? "";
  await operation.screenshot({ path: screenshot });
  return { fileInputs, status: status.trim(), body };
}
