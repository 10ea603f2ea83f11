// The ui-first and ui-search figures of make bench (tests/bench/uibench.sh
// starts the agent and passes):
//
//   HAMROH_UI               the UI's URL (http://127.0.0.1:PORT)
//   HAMROH_CHROMIUM         the browser (/usr/bin/chromium)
//   HAMROH_USER             a lawyer or admin of the node
//   HAMROH_PASSPHRASE_FILE  a file whose first line is its passphrase
//   HAMROH_AGENT_PID        the agent (its VmRSS at each stage, on stderr
//                           as "rss STAGE KIB" for uibench.sh)
//
// Headless Debian chromium driven by playwright-core (tests/browser's
// node_modules, as tests/browser/run.mjs), no browser download.  Every
// time is taken inside the page with performance.now(), so the driver's
// own round trips are not in it.  Prints one line per figure.
import { createRequire } from "node:module";
import fs from "node:fs";

const require = createRequire(new URL("../browser/package.json",
    import.meta.url));
const { chromium } = require("playwright-core");

const E = process.env;
const U = E.HAMROH_UI;
const PW = fs.readFileSync(E.HAMROH_PASSPHRASE_FILE, "utf8").split("\n")[0];
const WAIT = 120000;	// ms: the deadline of every condition
const LOADS = 9;	// warm navigations measured
const FLOOR = 9;	// fetches alone of the same list
const FIRST = '#view[data-page="consultations"] table.list tbody tr[data-id]';

const sorted = a => [...a].sort((x, y) => x - y);
const pct = (a, p) => sorted(a)[Math.min(a.length - 1,
    Math.ceil(p / 100 * a.length) - 1)];
const ms = x => x.toFixed(1);
const rss = stage => {
	const m = /VmRSS:\s*(\d+)/.exec(fs.readFileSync(
	    `/proc/${E.HAMROH_AGENT_PID}/status`, "utf8"));
	console.error(`rss ${stage} ${m[1]}`);
};

const browser = await chromium.launch({ executablePath: E.HAMROH_CHROMIUM,
    headless: true, args: ["--no-sandbox"] });
try {
	const ctx = await browser.newContext({ viewport: { width: 1366,
	    height: 768 }, locale: "en-US" });
	// In every document: the time (since its navigation started) when
	// the list's first row is in a drawn view.
	await ctx.addInitScript(sel => {
		const o = new MutationObserver(() => {
			if (window.__first === undefined &&
			    document.querySelector(sel)) {
				window.__first = performance.now();
				o.disconnect();
			}
		});
		o.observe(document, { childList: true, subtree: true,
		    attributes: true, attributeFilter: ["data-page"] });
	}, FIRST);
	const page = await ctx.newPage();
	page.setDefaultTimeout(WAIT);

	await page.goto(U + "/");
	await page.locator("#signin").waitFor();
	await page.locator("#signin input[name=user]").fill(E.HAMROH_USER);
	await page.locator("#signin input[name=passphrase]").fill(PW);
	await page.locator("#signin button[type=submit]").click();
	await page.locator(FIRST).first().waitFor();
	// The session's search index is built on a worker at sign-in.
	// (waitForFunction would take an async predicate's promise for true.)
	await page.evaluate(async wait => {
		const end = performance.now() + wait;
		while ((await fetch("/api/search?q=a")).status === 503) {
			if (performance.now() > end)
				throw new Error("the search index was not built in time");
			await new Promise(r => setTimeout(r, 200));
		}
	}, WAIT);
	rss("signed-in");

	// (1) Warm: the browser has the assets; each reload is a navigation.
	const loads = [];
	for (let i = 0; i < LOADS; i++) {
		await page.reload({ waitUntil: "commit" });
		await page.waitForFunction(() => window.__first !== undefined,
		    null, { polling: 20, timeout: WAIT });
		loads.push(await page.evaluate(() => window.__first));
	}
	const floor = await page.evaluate(async n => {
		const t = [];
		for (let i = 0; i < n; i++) {
			const t0 = performance.now();
			const r = await fetch("/api/consultations?limit=50");
			await r.json();
			t.push(performance.now() - t0);
		}
		return t;
	}, FLOOR);
	// Where the time goes: the same listing asked for 1 row (the newest
	// page comes from the list's index, the total from count(*)).
	const [one, total] = await page.evaluate(async n => {
		const t = [];
		let total = 0;
		for (let i = 0; i < n; i++) {
			const t0 = performance.now();
			const r = await fetch("/api/consultations?limit=1");
			total = (await r.json()).total;
			t.push(performance.now() - t0);
		}
		return [t.sort((x, y) => x - y)[n >> 1], total];
	}, 3);
	const best = Math.min(...loads), med = pct(loads, 50);
	const fbest = Math.min(...floor), fmed = pct(floor, 50);
	console.log(`ui-first   ${ms(best).padStart(7)} ms best, ${ms(med)} ms median of ${LOADS} warm loads to the first row` +
	    `   /api/consultations?limit=50 alone ${ms(fbest)} best, ${ms(fmed)} median` +
	    `   (target <= 300 ms)${med > 300 ? " BELOW TARGET" : ""}`);
	console.log(`           the fetch alone is ${(fmed / med * 100).toFixed(0)}% of the median load;` +
	    ` limit=1 takes ${ms(one)} ms (${total} records counted, 1 opened)`);
	rss("after-loads");
	// (2) Queries: names, phones written another way (their last 9
	// digits, no "+", no spaces) and case numbers of records the node
	// holds (the newest 500 the list gives); imported records have no
	// case number, so a word of their summary takes that turn then.
	const recs = await page.evaluate(async () =>
	    (await (await fetch("/api/consultations?limit=500")).json())
		.consultations.map(c => c.fields || c));
	const kinds = [[], [], []];
	for (const f of recs) {
		if (f.client_name) kinds[0].push(f.client_name);
		if (f.client_phone)
			kinds[1].push(f.client_phone.replace(/\D/g, "").slice(-9));
		const c = f.case_number || f.case_no;
		const w = (f.summary || "").split(/[\s.,]+/)
		    .filter(x => x.length >= 6);
		if (c) kinds[2].push(c);
		else if (w.length) kinds[2].push(w[kinds[2].length % w.length]);
	}
	const qs = [];
	for (let i = 0; qs.length < 102 && i < recs.length; i++)
		for (const k of kinds)
			if (i < k.length && qs.length < 102) qs.push(k[i]);
	// Through the UI: typed into the list's search box and submitted,
	// until the redrawn view is in.
	const ui = [], alone = [];
	let found = 0;
	for (const q of qs) {
		const [t, n] = await page.evaluate(async q => {
			const old = document.getElementById("view");
			const f = old.querySelector("form.search");
			f.q.value = q;
			const t0 = performance.now();
			await new Promise(res => {
				const o = new MutationObserver(() => {
					const v = document.getElementById("view");
					if (v && v !== old && v.dataset.page) {
						o.disconnect();
						res();
					}
				});
				o.observe(document.body, { childList: true,
				    subtree: true, attributes: true });
				f.requestSubmit();
			});
			return [performance.now() - t0, document
			    .querySelectorAll("#view tbody tr[data-id]").length];
		}, q);
		ui.push(t);
		if (n > 0) found++;
		alone.push(await page.evaluate(async q => {
			const t0 = performance.now();
			const r = await fetch("/api/search?q=" +
			    encodeURIComponent(q));
			await r.json();
			return performance.now() - t0;
		}, q));
	}
	const p99 = pct(ui, 99);
	console.log(`ui-search  p50 ${ms(pct(ui, 50))} ms  p99 ${ms(p99)} ms typed and drawn, ${qs.length} queries (names, phones, case numbers or words; ${found} with hits)` +
	    `   /api/search alone p50 ${ms(pct(alone, 50))} p99 ${ms(pct(alone, 99))} ms` +
	    `   (target p99 <= 100 ms)${p99 > 100 ? " BELOW TARGET" : ""}`);
	rss("after-searches");
	await ctx.close();
} finally {
	await browser.close();
}
