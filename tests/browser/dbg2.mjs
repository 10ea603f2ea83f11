import { chromium } from "playwright-core";
import { readFileSync } from "fs";
const E = process.env, U = E.HAMROH_UI;
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
const ctx = await b.newContext({ viewport: { width: 1366, height: 768 } });
await ctx.addInitScript(() => { const o = new MutationObserver(() => { if (window.__first === undefined && document.querySelector("#view tbody tr[data-id]")) { window.__first = performance.now(); o.disconnect(); } }); o.observe(document, { childList: true, subtree: true, attributes: true }); });
const p = await ctx.newPage();
await p.goto(U + "/");
await p.locator("#signin input[name=user]").fill("bench");
await p.locator("#signin input[name=passphrase]").fill(readFileSync(E.PWF, "utf8").trim());
await p.locator("#signin button[type=submit]").click();
await p.locator("#view tbody tr[data-id]").first().waitFor();
await p.evaluate(async () => { while ((await fetch("/api/search?q=a")).status === 503) await new Promise(r => setTimeout(r, 200)); });
for (let i = 0; i < 4; i++) {
  await p.reload({ waitUntil: "commit" });
  await p.waitForFunction(() => window.__first !== undefined, null, { polling: 20 });
  console.log(await p.evaluate(() => "first " + window.__first.toFixed(0) + " dcl " + performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd.toFixed(0) + " resp " + performance.getEntriesByType("navigation")[0].responseEnd.toFixed(0) + "\n" + performance.getEntriesByType("resource").map(r => `${r.name.replace(location.origin, "")} start ${r.startTime.toFixed(0)} resp ${r.responseEnd.toFixed(0)} size ${r.transferSize}`).join("\n")));
}
await b.close();
