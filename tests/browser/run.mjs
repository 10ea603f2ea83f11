// The office web UI in a real browser: headless Debian chromium driven by
// playwright-core (no browser download).  Run by tests/cli/t_browser.sh,
// which starts an agent with the UI and a lawyer, and passes:
//
//   HAMROH_UI        the UI's URL (http://127.0.0.1:PORT)
//   HAMROH_CHROMIUM  the browser (/usr/bin/chromium)
//   HAMROH_LAWYER, HAMROH_LAWYER_PW   a lawyer's user name and passphrase
//   HAMROH_SHOTS     where the screenshots go (PAGE-LANG-WxH.png)
//
// Every wait is a condition with a deadline (Playwright's locators); no
// sleeps.  A step that needs a route the agent does not have yet
// (ui-contract.md, h/api) checks instead that the page shows that 404's
// catalog message in the user's language, and says "pending" on stdout.
// Exit 0 iff every test passed.
import { chromium } from "playwright-core";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";

const E = process.env;
const U = E.HAMROH_UI;
const SHOTS = E.HAMROH_SHOTS;
const LAWYER = E.HAMROH_LAWYER, LAWYER_PW = E.HAMROH_LAWYER_PW;
const WAIT = 15000;	// ms: the deadline of every condition
const SIZES = [[1366, 768], [1280, 1024]];
const NAME = "Ҳакимов Фирӯз";
const PHONE = "+992 92 555 12 34";

const cat = {};
for (const l of ["tg", "ru", "en"])
	cat[l] = await (await fetch(`${U}/lang/${l}.json`)).json();
const fill = (s, a) => s.replace(/\{([1-5])\}/g, (m, n) =>
    a[n - 1] === undefined ? "" : String(a[n - 1]));
const T = (l, k, ...a) => {
	if (typeof cat[l][k] !== "string") throw new Error(`no ${k} in ${l}`);
	return fill(cat[l][k], a);
};

const browser = await chromium.launch({ executablePath: E.HAMROH_CHROMIUM,
    headless: true, args: ["--no-sandbox"] });
let failed = 0;
const pending = [];
let recordId = null;
const pageErrors = [];	// script errors and CSP refusals, on any page

function check(cond, what) {
	if (!cond) throw new Error(what);
}

async function test(name, fn) {
	try {
		await fn();
		console.log(`ok   ${name}`);
	} catch (e) {
		failed++;
		console.log(`FAIL ${name}\n    ${String(e.stack || e).split("\n")
		    .slice(0, 6).join("\n    ")}`);
	}
}

async function newPage(size = SIZES[0]) {
	const ctx = await browser.newContext({ viewport: { width: size[0],
	    height: size[1] }, locale: "en-US" });
	const page = await ctx.newPage();
	page.setDefaultTimeout(WAIT);
	page.on("pageerror", e => pageErrors.push(e.message));
	page.on("console", m => {
		// (The other port's page framing the agent's refusal is
		// refused by frame-ancestors: that one is the test's.)
		if (/Content Security Policy|Refused to/i.test(m.text()) &&
		    page.url().startsWith(U))
			pageErrors.push(m.text());
	});
	return { ctx, page };
}

// Wait until the page's view is PAGE drawn in LANG.
async function drawn(page, name, lang) {
	await page.locator(`#view[data-page="${name}"][data-lang="${lang}"]`)
	    .waitFor();
}

async function chooseLang(page, lang) {
	await page.locator("#lang").selectOption(lang);
	await page.locator(`html[lang="${lang}"]`).waitFor();
}

async function signIn(page, lang, user = LAWYER, pw = LAWYER_PW, base = U) {
	await page.goto(base + "/");
	await page.locator("#signin").waitFor();
	if (lang) await chooseLang(page, lang);
	await page.locator("#signin input[name=user]").fill(user);
	await page.locator("#signin input[name=passphrase]").fill(pw);
	await page.locator("#signin button[type=submit]").click();
	await page.locator("#nav").waitFor();
}

// Load URL until PAGE is drawn in LANG and cond() holds (what another
// office sends arrives on its own time), within a deadline; the view's
// text in the error otherwise.
async function until(page, url, name, lang, what, cond, ms = 30000) {
	const end = Date.now() + ms;
	for (;;) {
		await page.goto(url);
		await page.reload();
		await drawn(page, name, lang);
		if (await cond())
			return;
		if (Date.now() > end)
			throw new Error(`${url} never showed ${what}: ` +
			    await page.locator("#view").innerText());
		await page.waitForTimeout(250);	// the poll's interval
	}
}

// GET through the page's own session (its cookies), as the page would.
async function apiGet(page, p, base = U) {
	const r = await page.request.get(base + p);
	let data = null;
	try { data = await r.json(); } catch (e) { data = null; }
	return { status: r.status(), data };
}

// The 404 of a route the agent does not have, as the page says it.
function noRoute(lang, method, url) {
	return T(lang, "UI_NO_ROUTE", method, url);
}

// ---- `hamroh ui`'s one-time link -------------------------------------------

await test("the link of 'hamroh ui' signs the lawyer in once", async () => {
	const { ctx, page } = await newPage();
	await page.goto(E.HAMROH_LINK);
	await drawn(page, "consultations", "tg");
	await page.locator("#who", { hasText: LAWYER }).waitFor();
	check(!page.url().includes("signin="), "the token stays in the address bar");
	await ctx.close();
	// Used: a second browser gets the sign-in page and the reason.
	const { ctx: c2, page: p2 } = await newPage();
	await p2.goto(E.HAMROH_LINK);
	await p2.locator("#signin").waitFor();
	await p2.locator("#error", { hasText: T("tg", "UI_TOKEN").slice(0, 30) })
	    .waitFor();
	check(await p2.locator("#view").isHidden(), "a used link drew a page");
	await c2.close();
});

// ---- (a) a lawyer's day ---------------------------------------------------

await test("a lawyer signs in, logs, finds, opens and closes a consultation in Tajik",
    async () => {
	const { ctx, page } = await newPage();
	await page.goto(U + "/");
	// Tajik by default, before anyone chose.
	await page.locator("#signin h1", { hasText: T("tg", "ui.signin.title") })
	    .waitFor();
	await chooseLang(page, "ru");
	await page.locator("#signin h1", { hasText: T("ru", "ui.signin.title") })
	    .waitFor();
	// A wrong passphrase: the catalog's words, in the language chosen.
	await page.locator("#signin input[name=user]").fill(LAWYER);
	await page.locator("#signin input[name=passphrase]").fill("wrong");
	await page.locator("#signin button[type=submit]").click();
	await page.locator("#error", { hasText: T("ru", "ui.signin.wrong") })
	    .waitFor();
	await page.locator("#signin input[name=passphrase]").fill(LAWYER_PW);
	await page.locator("#signin button[type=submit]").click();
	await drawn(page, "consultations", "ru");
	await chooseLang(page, "tg");
	await drawn(page, "consultations", "tg");
	await page.locator("#nav a", { hasText: T("tg", "ui.nav.consultations") })
	    .waitFor();
	check(await page.locator("#nav-admin").isHidden(),
	    "a lawyer sees the Admin menu");
	await page.locator("#pending").waitFor();

	// The form.
	// (The consultation t_browser.sh made to conflict on is there.)
	const held = (await apiGet(page, "/api/consultations")).data.total;
	await page.getByRole("link", { name: T("tg", "ui.cons.new") }).click();
	await drawn(page, "new", "tg");
	const schema = await apiGet(page, "/api/schema");
	if (schema.status === 404) {
		await page.locator("#view .error", { hasText:
		    noRoute("tg", "GET", "/api/schema") }).waitFor();
		pending.push("the form: GET /api/schema (h/api); the " +
		    "consultation was added through POST /api/consultations");
		const r = await page.evaluate(async (b) => {
			const me = await (await fetch("/api/me")).json();
			const res = await fetch("/api/consultations", { method:
			    "POST", headers: { "Content-Type": "application/json",
			    "X-CSRF-Token": me.csrf }, body: JSON.stringify(b) });
			return res.json();
		}, { center: "Khorog", opened_at: new Date().toISOString()
		    .slice(0, 10), channel: "walk_in", client_sex: "M",
		    topic: "entry_ban", status: "open", client_name: NAME,
		    client_phone: PHONE });
		check(r.id, "POST /api/consultations: " + JSON.stringify(r));
		recordId = r.id;
	} else {
		const f = page.locator("#view form.record");
		await f.locator("select[name=channel]").selectOption("walk_in");
		await f.locator("input[name=client_name]").fill(NAME);
		await f.locator("input[name=client_phone]").fill(PHONE);
		await f.locator("select[name=client_sex]").selectOption("M");
		await f.locator("select[name=topic]").selectOption("entry_ban");
		await f.locator("textarea[name=summary]").fill(
		    "Дар сарҳад манъи воридшавӣ гуфтанд; ҳуҷҷатҳоро санҷидем");
		// The cross-field rules, before the agent sees anything:
		// closed needs closed_on and outcome.
		await f.locator("select[name=status]").selectOption("closed");
		await f.locator("button[type=submit]").click();
		await f.locator("label.f-closed_on .field-error").waitFor();
		await f.locator("label.f-outcome .field-error").waitFor();
		check((await apiGet(page, "/api/consultations")).data.total === held,
		    "a form the rules refuse was sent");
		await f.locator("select[name=status]").selectOption("open");
		await f.locator("button[type=submit]").click();
		await drawn(page, "c", "tg");
		recordId = decodeURIComponent(new URL(page.url()).hash
		    .replace("#/c/", ""));
	}

	// Found by the phone written another way.
	await page.goto(U + "/#/consultations");
	await drawn(page, "consultations", "tg");
	await page.locator("#view form.search input").fill("925551234");
	await page.locator("#view form.search button").click();
	const hit = page.locator("#view table.list tbody tr", { hasText: NAME });
	await hit.waitFor();
	await page.locator("#view p.count", { hasText: fill(cat.tg[
	    "ui.results.other"], ["1"]) }).waitFor();
	await hit.locator("a").first().click();
	await drawn(page, "c", "tg");
	await page.locator("#view [data-field=client_name] dd", { hasText: NAME })
	    .waitFor();
	await page.locator("#view [data-field=topic] dd", { hasText: T("tg",
	    "ui.value.topic.entry_ban") }).waitFor();
	await page.screenshot({ path: path.join(SHOTS,
	    "consultation-tg-open-1366x768.png"), fullPage: true });

	// Closed: status, the date and the outcome.
	const close = page.locator("#view form.close");
	await close.locator("textarea[name=outcome]").fill(
	    "Ба консулгарӣ равона карда шуд");
	await close.locator("button[type=submit]").click();
	const set = await Promise.race([
	    page.locator("#view .status.big", { hasText: T("tg",
		"ui.value.status.closed") }).waitFor().then(() => "closed"),
	    close.locator(".error", { hasText: noRoute("tg", "POST",
		"/api/consultations/" + recordId) }).waitFor().then(() =>
		"404")]);
	if (set === "404") {
		pending.push("closing: POST /api/consultations/ID (h/api)");
		await ctx.close();
		return;
	}
	await page.goto(U + "/#/consultations");
	await drawn(page, "consultations", "tg");
	await page.locator("#view table.list tbody tr", { hasText: NAME })
	    .locator(".status", { hasText: T("tg", "ui.value.status.closed") })
	    .waitFor();
	await ctx.close();
});

// ---- (b) security through the browser -------------------------------------

await test("a page on another loopback port cannot write through the lawyer's browser",
    async () => {
	const { ctx, page } = await newPage();
	await signIn(page, "tg");
	const before = (await apiGet(page, "/api/consultations")).data.total;
	const body = JSON.stringify({ center: "Khorog", opened_at: "2026-11-20",
	    channel: "walk_in", client_sex: "F", topic: "patent",
	    status: "open", client_name: "EVIL" });
	const evil = http.createServer((req, res) => {
		res.writeHead(200, { "Content-Type": "text/html" });
		res.end(`<!DOCTYPE html><title>wait</title>
<form id="f" method="POST" action="${U}/api/consultations" enctype="text/plain"
 target="out"><input name='${body.slice(0, -1)},"x":"' value='"}'></form>
<iframe name="out"></iframe>
<script>
fetch(${JSON.stringify(U + "/api/consultations")}, { method: "POST",
    mode: "no-cors", credentials: "include",
    headers: { "Content-Type": "text/plain" }, body: ${JSON.stringify(body)} })
  .then(() => "sent", () => "refused")
  .then(s => { document.title = "done " + s; document.getElementById("f").submit(); });
</script>`);
	});
	await new Promise(ok => evil.listen(0, "127.0.0.1", ok));
	const other = `http://127.0.0.1:${evil.address().port}/`;
	const answers = [];
	page.on("response", r => { if (r.url().endsWith("/api/consultations") &&
	    r.request().method() === "POST") answers.push(r.status()); });
	const formPost = page.waitForEvent("response", { predicate: r =>
	    r.request().method() === "POST" &&
	    r.request().resourceType() === "document" });
	await page.goto(other);
	// The fetch is over once the title says so; then the form posts.
	await page.waitForFunction(() => document.title.startsWith("done"));
	check((await formPost).status() === 403, "the other port's form post was not refused");
	check(answers.length === 2, `POSTs seen from the other port: ${answers}`);
	check(answers.every(s => s === 403), `the other port's POSTs got ${answers}`);
	evil.close();
	const after = (await apiGet(page, "/api/consultations")).data;
	check(after.total === before, `the other port's page wrote: ${before} -> ${after.total}`);
	check(!JSON.stringify(after).includes("EVIL"), "EVIL was written");
	await ctx.close();
});

await test("a session cookie is useless after sign-out", async () => {
	const { ctx, page } = await newPage();
	await signIn(page, "tg");
	await drawn(page, "consultations", "tg");
	const cookies = await ctx.cookies();
	check(cookies.some(c => c.name === "hamroh_session" && c.httpOnly &&
	    c.sameSite === "Strict"), "no HttpOnly SameSite=Strict session cookie");
	await page.locator("#signout").click();
	await page.locator("#signin").waitFor();
	await page.locator("#notice", { hasText: T("tg", "ui.signin.signed_out") })
	    .waitFor();
	// The old cookie, put back into a new browser: nothing.
	const { ctx: c2, page: p2 } = await newPage();
	await c2.addCookies(cookies.filter(c => c.name === "hamroh_session"));
	check((await apiGet(p2, "/api/me")).status === 401, "/api/me with the old cookie");
	check((await apiGet(p2, "/api/consultations")).status === 401,
	    "/api/consultations with the old cookie");
	await p2.goto(U + "/#/consultations");
	await p2.locator("#signin").waitFor();
	check(await p2.locator("#view").isHidden(), "a page is drawn with the old cookie");
	await ctx.close();
	await c2.close();
});

await test("no page shows data without sign-in", async () => {
	const { ctx, page } = await newPage();
	for (const h of ["#/consultations", "#/new", "#/c/" + (recordId || "x"),
	    "#/sync", "#/guides", "#/directory", "#/admin"]) {
		await page.goto(U + "/" + h);
		await page.locator("#signin").waitFor();
		check(await page.locator("#view").isHidden(), `${h} drew a view`);
		check(await page.locator("#nav").isHidden(), `${h} shows the menu`);
		const text = await page.locator("body").innerText();
		check(!text.includes(NAME), `${h} shows the client's name`);
	}
	for (const p of ["/api/consultations", "/api/status", "/api/search?q=925551234"])
		check((await apiGet(page, p)).status === 401, `${p} without sign-in`);
	await ctx.close();
});

await test("the agent's refusals are said in the user's language, fields by their labels",
    async () => {
	const { ctx, page } = await newPage();
	await signIn(page, "ru");
	await drawn(page, "consultations", "ru");
	// What the agent answers to a consultation closed without its date
	// and outcome, as the page would say it (its own api() and errText()).
	const said = await page.evaluate(async () => {
		const r = await api("POST", "/api/consultations", { center: "Khorog",
		    opened_at: "2026-11-20", channel: "walk_in", client_sex: "M",
		    topic: "patent", status: "closed" });
		return { status: r.status, key: r.data.error.key,
		    args: r.data.error.args, text: errText(r) };
	});
	check(said.status === 400 && /^FORM_/.test(said.key), JSON.stringify(said));
	check(!/\b(closed_on|outcome|status)\b/.test(said.text),
	    `a field's code in "${said.text}"`);
	check(said.text.includes(T("ru", "ui.field.consultations.closed_on")) ||
	    said.text.includes(T("ru", "ui.field.consultations.outcome")),
	    `no field label in "${said.text}"`);
	check(/[а-яё]{3}/i.test(said.text) && !/ is required /.test(said.text),
	    `not Russian: "${said.text}"`);
	await ctx.close();
});

await test("a guide's Markdown is rendered without raw HTML, scripts or remote images",
    async () => {
	const { ctx, page } = await newPage();
	await signIn(page, "tg");
	const requests = [];
	page.on("request", r => requests.push(r.url()));
	const out = await page.evaluate(async () => {
		const md = await import("/md.js");
		const hostile = [
		    "# Ҳуқуқҳои муҳоҷир",
		    "<script>window.pwned = 1</script>",
		    "<img src=x onerror=\"window.pwned = 2\">",
		    "![a photo](http://evil.example/p.png)",
		    "[click](javascript:window.pwned=3) and [ok](https://tj.example/a)",
		    "- **патент**: *ҳар моҳ* пардохт кунед",
		    "- `код` <b onmouseover=x>bold</b>",
		    "> <iframe src=http://evil.example></iframe>",
		    "```", "<style>body{display:none}</style>", "```"].join("\n");
		const box = document.createElement("div");
		box.append(md.render(hostile));
		document.body.append(box);
		const all = [...box.querySelectorAll("*")];
		return {
		    tags: [...new Set(all.map(e => e.tagName.toLowerCase()))].sort(),
		    attrs: [...new Set(all.flatMap(e => [...e.attributes]
			.map(a => a.name)))].sort(),
		    hrefs: [...box.querySelectorAll("a")].map(a => a.href),
		    text: box.textContent, pwned: window.pwned || 0 };
	});
	for (const bad of ["script", "img", "iframe", "style", "b"])
		check(!out.tags.includes(bad), `a <${bad}> came of the guide`);
	check(out.attrs.every(a => ["href", "rel", "target"].includes(a)),
	    `attributes: ${out.attrs}`);
	check(out.hrefs.length === 1 && out.hrefs[0] === "https://tj.example/a",
	    `links kept: ${out.hrefs}`);
	check(out.tags.includes("h2") && out.tags.includes("strong") &&
	    out.tags.includes("li") && out.tags.includes("pre"),
	    `the Markdown's own marks: ${out.tags}`);
	check(out.text.includes("<script>window.pwned = 1</script>"),
	    "raw HTML is not shown as its text");
	check(out.pwned === 0, "a script of the guide ran");
	check(!requests.some(u => u.includes("evil.example")),
	    "the guide made a request outside the agent");
	await ctx.close();
});

// ---- Between two offices: B (Khujand) syncs with A --------------------------

const UB = E.HAMROH_UI_B;
const ADMIN = E.HAMROH_ADMIN, ADMIN_PW = E.HAMROH_ADMIN_PW;
const recUrl = (base, id) => base + "/#/c/" + encodeURIComponent(id);

await test("a consultation a lawyer logged in A's UI shows in B's UI after sync",
    async () => {
	check(recordId, "the lawyer's test logged no consultation");
	const { ctx, page } = await newPage();
	// B's own admin, on B's own UI.
	await signIn(page, "tg", ADMIN, ADMIN_PW, UB);
	const row = page.locator(`#view table.list tbody tr[data-id="${recordId}"]`);
	await until(page, UB + "/#/consultations", "consultations", "tg",
	    "A's consultation", async () => await row.count() > 0);
	await row.locator("td", { hasText: T("tg", "ui.value.topic.entry_ban") })
	    .waitFor();
	await row.locator("a").first().click();
	await drawn(page, "c", "tg");
	await page.locator("#view [data-field=topic] dd", { hasText: T("tg",
	    "ui.value.topic.entry_ban") }).waitFor();
	await ctx.close();
});

await test("a conflict made on two nodes shows with author, center and time, is resolved with one click, and is gone in both UIs",
    async () => {
	const id = E.HAMROH_CONFLICT;
	check(id, "no HAMROH_CONFLICT from t_browser.sh");
	const { ctx: cb, page: pb } = await newPage();
	await signIn(pb, "tg", ADMIN, ADMIN_PW, UB);
	const boxB = pb.locator("#view section.conflict");
	await until(pb, recUrl(UB, id), "c", "tg", "the conflict on B",
	    async () => await boxB.count() > 0);
	const { ctx, page } = await newPage();
	await signIn(page, "tg", ADMIN, ADMIN_PW);
	const box = page.locator("#view section.conflict");
	for (const lang of ["tg", "ru"]) {
		await chooseLang(page, lang);
		await page.goto(recUrl(U, id));
		await drawn(page, "c", lang);
		await box.locator("h3", { hasText: T(lang, "ui.conflict.field",
		    T(lang, "ui.field.consultations.topic")) }).waitFor();
		const rows = box.locator("tbody tr");
		check(await rows.count() === 2, `${await rows.count()} competing values`);
		const seen = [];
		for (let i = 0; i < 2; i++) {
			const cells = await rows.nth(i).locator("td").allInnerTexts();
			seen.push(cells);
			check(cells[1].trim() === ADMIN, `author "${cells[1]}"`);
			check(cells[2].trim() !== "", "no center");
			check(/\d/.test(cells[3]), `time "${cells[3]}"`);
			check(cells[4].trim() === T(lang, "ui.conflict.keep"),
			    `the button says "${cells[4]}"`);
		}
		const vals = seen.map(c => c[0].trim()).sort();
		const want = [T(lang, "ui.value.topic.entry_ban"),
		    T(lang, "ui.value.topic.patent")].sort();
		check(vals.join("|") === want.join("|"), `values ${vals}`);
		check(seen[0][2] !== seen[1][2], `one center for both: ${seen[0][2]}`);
		await checkWords(page, lang, "the conflict");
		await page.screenshot({ path: path.join(SHOTS,
		    `conflict-${lang}-1366x768.png`), fullPage: true });
	}
	// One click: A's value is kept (the page is in ru now).
	const patent = T("ru", "ui.value.topic.patent");
	await box.locator("tbody tr", { hasText: patent }).getByRole("button",
	    { name: T("ru", "ui.conflict.keep") }).click();
	await page.locator("#view [data-field=topic] dd", { hasText: patent })
	    .waitFor();
	const gone = (p, b) => async () => await b.count() === 0 &&
	    (await p.locator("#view [data-field=topic] dd").innerText())
		.includes(T("ru", "ui.value.topic.patent"));
	await until(page, recUrl(U, id), "c", "ru", "the conflict resolved",
	    gone(page, box));
	await chooseLang(pb, "ru");
	await until(pb, recUrl(UB, id), "c", "ru", "the conflict resolved on B",
	    gone(pb, boxB));
	for (const [p, base] of [[page, U], [pb, UB]]) {
		const c = await apiGet(p, "/api/consultations/" +
		    encodeURIComponent(id) + "/conflicts", base);
		check(c.status === 200 && !(c.data.fields || []).length,
		    `${base} still lists a conflict: ${JSON.stringify(c.data)}`);
	}
	await ctx.close();
	await cb.close();
});

await test("a guide an admin publishes in A's UI shows in B's UI as new since B last looked",
    async () => {
	const TITLE = "Патент: пардохти ҳармоҳа";
	const { ctx: cb, page: pb } = await newPage();
	await signIn(pb, "tg", ADMIN, ADMIN_PW, UB);
	await pb.goto(UB + "/#/guides");
	await drawn(pb, "guides", "tg");
	check(!(await pb.locator("#view").innerText()).includes(TITLE),
	    "B shows the guide before it is published");
	const { ctx, page } = await newPage();
	await signIn(page, "tg", ADMIN, ADMIN_PW);
	const publish = async (version, body) => {
		const f = page.locator("#view form.publish");
		if (version === "1")
			await f.locator("input[name=title]").fill(TITLE);
		await f.locator("input[name=version_label]").fill(version);
		await f.locator("input[name=file]").setInputFiles({
		    name: "patent.md", mimeType: "text/markdown",
		    buffer: Buffer.from(body) });
		await f.locator("button[type=submit]").click();
		await page.locator("#view article.guide", { hasText:
		    body.split("\n").pop() }).waitFor();
	};
	await page.goto(U + "/#/guides");
	await drawn(page, "guides", "tg");
	await publish("1", "# Патент\n\nПардохтро ҳар моҳ то рӯзи охир кунед.");
	const row = pb.locator("#view table.list tbody tr", { hasText: TITLE });
	const isNew = async () => await row.locator(".badge.new").count() > 0 &&
	    (await pb.locator("#view p.warn").allInnerTexts()).some(w =>
		w.includes(T("tg", "ui.guides.new_since")) && w.includes(TITLE));
	await until(pb, UB + "/#/guides", "guides", "tg", "the guide as new", isNew);
	await pb.screenshot({ path: path.join(SHOTS, "guides-tg-new-1366x768.png") });
	// Looked at, it is not new; a new version makes it new again.
	await row.locator("a").first().click();
	await pb.locator("#view article.guide").waitFor();
	await pb.goto(UB + "/#/guides");
	await drawn(pb, "guides", "tg");
	await row.waitFor();
	check(!await row.locator(".badge.new").count(), "a guide looked at is still new");
	check(!(await pb.locator("#view p.warn").allInnerTexts()).some(w =>
	    w.includes(T("tg", "ui.guides.new_since"))), "B still says something is new");
	await publish("2", "# Патент\n\nАз 1 январ нархи патент дигар шуд.");
	await until(pb, UB + "/#/guides", "guides", "tg", "version 2 as new", isNew);
	await ctx.close();
	await cb.close();
});

// ---- (c) no raw keys, no English in tg and ru; (d) screenshots -------------

// en.json's ui.* values of two words or more that tg/ru do not share.
function englishPhrases(lang) {
	const own = new Set(Object.values(cat[lang]));
	const out = [];
	for (const [k, v] of Object.entries(cat.en)) {
		if (!k.startsWith("ui.") || k.startsWith("ui.lang.") || own.has(v))
			continue;
		const s = v.replace(/\{[1-5]\}/g, " ").replace(/\s+/g, " ").trim();
		for (const part of s.split(/[;:,.()“”"?!—…]/))
			if (part.trim().split(" ").filter(w => /[A-Za-z]{2}/.test(w))
			    .length >= 2)
				out.push(part.trim());
	}
	return [...new Set(out)];
}
const capsKeys = new Set(Object.keys(cat.en).filter(k => /^[A-Z][A-Z0-9_]+$/.test(k)));

async function checkWords(page, lang, where) {
	const text = await page.locator("body").innerText();
	const raw = text.match(/\bui\.[a-z][a-z0-9_.]*/);
	check(!raw, `${where} in ${lang} shows the raw key ${raw && raw[0]}`);
	const caps = (text.match(/\b[A-Z][A-Z0-9_]{3,}\b/g) || [])
	    .filter(w => capsKeys.has(w));
	check(!caps.length, `${where} in ${lang} shows the raw key ${caps[0]}`);
	if (lang === "en") return;
	const en = englishPhrases(lang).filter(p => text.includes(p));
	check(!en.length, `${where} in ${lang} shows English: "${en[0]}"`);
}

const MAIN = [["consultations", "#/consultations"], ["form", "#/new"],
    ["consultation", null], ["sync", "#/sync"], ["guides", "#/guides"],
    ["directory", "#/directory"]];

await test("every main page in tg and ru: no raw key, no English; screenshots", async () => {
	check(SHOTS && fs.existsSync(SHOTS), "no screenshot dir HAMROH_SHOTS");
	for (const size of SIZES) {
		const tag = `${size[0]}x${size[1]}`;
		// Sign-in, in each language.
		const { ctx: c0, page: p0 } = await newPage(size);
		await p0.goto(U + "/");
		await p0.locator("#signin").waitFor();
		for (const lang of ["tg", "ru", "en"]) {
			await chooseLang(p0, lang);
			await p0.locator("#signin h1", { hasText:
			    T(lang, "ui.signin.title") }).waitFor();
			await checkWords(p0, lang, "sign-in");
			await p0.screenshot({ path: path.join(SHOTS,
			    `signin-${lang}-${tag}.png`) });
		}
		await c0.close();
		const { ctx, page } = await newPage(size);
		await signIn(page, "tg");
		for (const lang of ["tg", "ru", "en"]) {
			await chooseLang(page, lang);
			for (const [name, hash] of MAIN) {
				const h = hash || "#/c/" + encodeURIComponent(
				    recordId || "none");
				await page.goto(U + "/" + h);
				const p = name === "form" ? "new" :
				    name === "consultation" ? "c" : name;
				await drawn(page, p, lang);
				await checkWords(page, lang, name);
				await page.screenshot({ path: path.join(SHOTS,
				    `${name}-${lang}-${tag}.png`) });
			}
		}
		await ctx.close();
		// The admin page, as an admin sees it.
		const { ctx: ca, page: pa } = await newPage(size);
		await signIn(pa, "tg", E.HAMROH_ADMIN, E.HAMROH_ADMIN_PW);
		await pa.locator("#nav-admin").waitFor();
		for (const lang of ["tg", "ru", "en"]) {
			await chooseLang(pa, lang);
			await pa.goto(U + "/#/admin");
			await drawn(pa, "admin", lang);
			await checkWords(pa, lang, "admin");
			await pa.screenshot({ path: path.join(SHOTS,
			    `admin-${lang}-${tag}.png`), fullPage: true });
		}
		await ca.close();
	}
});

// ---- Reports: a layout and a built table, the chart, a download ----------

await test("the Reports page in tg, ru and en: a layout and a built table, the chart, a CSV download; screenshots", async () => {
	for (const size of SIZES) {
		const tag = `${size[0]}x${size[1]}`;
		const { ctx, page } = await newPage(size);
		await signIn(page, "tg");
		for (const lang of ["tg", "ru", "en"]) {
			await chooseLang(page, lang);
			await page.goto(U + "/#/reports");
			await drawn(page, "reports", lang);
			await page.locator("#nav a[data-page=reports].here").waitFor();
			// The quarterly layout: the page's first.
			check(await page.locator("select[name=name]").inputValue() ===
			    "quarterly", "the quarterly layout is not the first");
			await page.locator("#view table.rep").first().waitFor();
			check(await page.locator("#view figure.chart svg rect").count() > 0,
			    `no bar in the chart (${lang})`);
			const txt = await page.locator("#view").innerText();
			check(txt.toLowerCase().includes(T(lang,
			    "REPORT_NOTE_CONSULTATIONS").toLowerCase()),
			    `the notes in ${lang}: ${txt.slice(-400)}`);
			await checkWords(page, lang, "reports");
			await page.screenshot({ path: path.join(SHOTS,
			    `reports-${lang}-${tag}.png`), fullPage: true });
			// Printed: the table, chart and notes, not the form or links.
			await page.emulateMedia({ media: "print" });
			check(!await page.locator("form.rp").isVisible() &&
			    !await page.locator("#view p.actions").isVisible() &&
			    await page.locator("#view figure.chart").isVisible(),
			    `the printed Reports page (${lang})`);
			await page.screenshot({ path: path.join(SHOTS,
			    `reports-print-${lang}-${tag}.png`), fullPage: true });
			await page.emulateMedia({ media: "screen" });
			// One's own: topic by sex.
			await page.locator("select[name=name]").selectOption("");
			await page.locator("select[name=by0]").waitFor();
			await page.locator("select[name=by0]").selectOption("topic");
			await page.locator("select[name=by1]").selectOption("client_sex");
			await page.locator("#view table.rep thead th", { hasText:
			    T(lang, "ui.field.consultations.topic") }).waitFor();
			await page.locator("#view table.rep th", { hasText:
			    T(lang, "ui.value.client_sex.F") }).first().waitFor();
			check(await page.locator("#view figure.chart svg rect").count() > 0,
			    `no bar in the built report's chart (${lang})`);
			await checkWords(page, lang, "reports (built)");
			await page.screenshot({ path: path.join(SHOTS,
			    `reports-built-${lang}-${tag}.png`), fullPage: true });
			// The downloads are links of the same query; the CSV
			// starts with the BOM, the ';' one has its separator.
			const href = await page.locator("#view a[href*='report.csv']")
			    .nth(1).getAttribute("href");
			const got = await page.evaluate(async h => {
				const r = await fetch(h);
				const b = new Uint8Array(await r.arrayBuffer());
				return { s: r.status, bom: [...b.slice(0, 3)],
				    d: r.headers.get("content-disposition"),
				    text: new TextDecoder().decode(b) };
			}, href);
			check(got.s === 200 && got.bom.join() === "239,187,191",
			    `the CSV download: ${got.s} ${got.bom}`);
			check(/attachment; filename="hamroh-report-table-/.test(got.d),
			    `the CSV's name: ${got.d}`);
			check(got.text.includes(";"), "the CSV for Excel lacks ';'");
			const x = await page.evaluate(async h => {
				const r = await fetch(h);
				const b = new Uint8Array(await r.arrayBuffer());
				return r.status + " " + String.fromCharCode(b[0], b[1]);
			}, await page.locator("#view a[href*='report.xlsx']")
			    .getAttribute("href"));
			check(x === "200 PK", `the XLSX download: ${x}`);
			await page.locator("select[name=name]").selectOption("quarterly");
			await page.locator("select[name=by0]").waitFor({ state: "detached" });
		}
		await ctx.close();
	}
});

// ---- Sync: "up to date" only when the other office acknowledged -----------

// Reload the sync page until ${cond}(row locator) holds (the agent's view
// of a peer changes on its own time), within the deadline.
async function syncUntil(page, what, cond) {
	const row = page.locator("#view tr[data-peer]").first();
	await until(page, U + "/#/sync", "sync", "tg", what, async () =>
	    await row.count() && await cond(row));
	return row;
}

await test("the sync page: connected and up to date, then not, in plain words",
    async () => {
	const { ctx, page } = await newPage();
	await signIn(page, "tg");
	const has = async (row, key) => (await row.innerText()).includes(
	    T("tg", key));
	await syncUntil(page, "B connected and up to date", async row =>
	    await has(row, "ui.sync.connected") &&
	    await has(row, "ui.sync.up_to_date"));
	await page.locator("#pending", { hasText: T("tg", "ui.pending_none") })
	    .waitFor();
	await page.screenshot({ path: path.join(SHOTS,
	    "sync-tg-peer-1366x768.png") });
	// B stops; a change made here waits for it.
	// Gone for good before the change is made, or it may still take it.
	const pid = Number(E.HAMROH_PEER_PID);
	process.kill(pid, "SIGTERM");
	const gone = () => {
		try {
			return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`,
			    "utf8"));
		} catch (e) {
			return true;
		}
	};
	for (const end = Date.now() + WAIT; !gone(); ) {
		check(Date.now() < end, `B's agent (pid ${pid}) did not stop`);
		await page.waitForTimeout(100);	// the poll's interval
	}
	await syncUntil(page, "B not connected", async row =>
	    await has(row, "ui.sync.not_connected"));
	const r = await page.evaluate(async () => {
		const me = await (await fetch("/api/me")).json();
		const res = await fetch("/api/consultations", { method: "POST",
		    headers: { "Content-Type": "application/json",
		    "X-CSRF-Token": me.csrf }, body: JSON.stringify({
		    center: "Khorog", opened_at: new Date().toISOString()
			.slice(0, 10), channel: "hotline", client_sex: "F",
		    topic: "patent", status: "open" }) });
		return res.status;
	});
	check(r === 201, `adding while B is down: ${r}`);
	// What B lacks is counted, and B is not called up to date.
	const row = await syncUntil(page, "B lacking the change", async row =>
	    await has(row, "ui.sync.not_up_to_date") &&
	    (await row.locator("td.num").innerText()).trim() !== "0");
	check(!(await has(row, "ui.sync.up_to_date")) ||
	    T("tg", "ui.sync.not_up_to_date").includes(T("tg",
		"ui.sync.up_to_date")), "B is called up to date while it lacks a change");
	// The header says so, in the catalog's words.  (Polled: the agent's
	// /api/status has been seen to answer an older state now and then
	// right after a write; see the report.)
	const want = fill(cat.tg["ui.pending.other"], ["1"]);
	for (const end = Date.now() + 30000; ; ) {
		await page.reload();
		await drawn(page, "sync", "tg");
		const text = await page.locator("#pending").innerText();
		if (text.includes(want)) break;
		check(Date.now() < end, `the header says "${text}", not "${want}"`);
		await page.waitForTimeout(250);	// the poll's interval
	}
	await checkWords(page, "tg", "the sync page with B down");
	// The agent's last error (English, for its log) is said in Tajik.
	check(!/[a-z]{4,} [a-z]{4,}/.test(await row.locator("td").last()
	    .innerText()), "the last error is not in Tajik: " +
	    await row.locator("td").last().innerText());
	await page.screenshot({ path: path.join(SHOTS,
	    "sync-tg-peer-down-1366x768.png") });
	await ctx.close();
});

await test("no page had a script error or broke its Content-Security-Policy",
    async () => {
	// The other port's page is the test's own, not the UI's.
	check(!pageErrors.length, pageErrors.slice(0, 3).join("; "));
});

await browser.close();
for (const p of pending)
	console.log(`pending ${p}`);
console.log(failed ? `${failed} browser test(s) failed` : "all browser tests passed");
process.exit(failed ? 1 : 0);
