// The office UI: sign in, then the consultations (list, search, the form,
// one consultation with its history and conflicts) and the sync state.
// Plain JavaScript, no framework; every request goes to this agent only
// (agent/ui/API.md); every word through i18n.js's t() (agent/ui/lang/).
// A route the agent does not have yet (404) shows its catalog message
// where that part of the page would be, and the rest keeps working.
"use strict";

let i18n = null;		// the module /i18n.js
let me = null;			// /api/me while signed in
let csrf = "";
let schema = null;		// /api/schema's consultations, once loaded
let status = null;		// /api/status, the last answer
const LANG_KEY = "hamroh.lang";
const COLL = "consultations";
// Fields the form never asks for: the agent gives them.
const GIVEN = ["case_number", "lawyer", "person"];

function $(id) { return document.getElementById(id); }

function t(key, args) { return i18n.t(key, args); }

// el("tag.class", {attr: value}, child...): an element; children are
// nodes or text.  Never innerHTML: every text is text.
function el(spec, attrs, ...kids) {
	const [tag, ...cls] = spec.split(".");
	const e = document.createElement(tag);
	if (cls.length) e.className = cls.join(" ");
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k === "text") e.textContent = v;
		else if (k === "on") for (const [ev, f] of Object.entries(v))
			e.addEventListener(ev, f);
		else if (k in e && typeof v !== "string") e[k] = v;
		else e.setAttribute(k, v === true ? "" : v);
	}
	for (const k of kids)
		if (k !== null && k !== undefined && k !== false)
			e.append(k);
	return e;
}

// ---- Talking to the agent ---------------------------------------------

// GETs the start makes beside /api/me, before it knows a session is
// there: each answer is taken once, by the api() call that asks for the
// same path; a sign-out drops them.
const early = new Map();

async function api(method, path, body) {
	if (method === "GET" && early.has(path)) {
		const p = early.get(path);
		early.delete(path);
		return after401(await p, path);
	}
	return after401(await call(method, path, body), path);
}

function after401(r, path) {
	if (r.status === 401 && me && path !== "/api/signin") {
		signedOut("ui.signin.expired");
	}
	return r;
}

async function call(method, path, body) {
	const opt = { method: method, headers: {}, credentials: "same-origin" };
	if (method !== "GET") {
		opt.headers["Content-Type"] = "application/json";
		if (csrf) opt.headers["X-CSRF-Token"] = csrf;
		opt.body = JSON.stringify(body || {});
	}
	let r;
	try {
		r = await fetch(path, opt);
	} catch (e) {
		return { ok: false, status: 0, data: null };
	}
	let data = null;
	try { data = await r.json(); } catch (e) { data = null; }
	return { ok: r.ok, status: r.status, data: data };
}

// A catalog key's text, or null when the catalog lacks it.
function maybe(key, args) {
	const s = t(key, args);
	return s === key ? null : s;
}

function fieldLabel(f) {
	return maybe("ui.field." + COLL + "." + f) ||
	    (f === "case_number" ? t("ui.field.consultations.case_no") : f);
}

// An operations message's arguments are the CLI's words (field names,
// value codes, dates); the page says them in the user's language first
// (agent/ui/lang/README.md, "Arguments to map before substituting").
function fieldWord(f) {
	return maybe("ui.field." + COLL + "." + f) || f;
}

function listOf(a, one) {
	return typeof a === "string" ? a.split(", ").map(one).join(", ") : a;
}

function mapArgs(key, args) {
	const a = (args || []).slice();
	const field = typeof a[0] === "string" ? a[0] : "";
	const code = f => c => maybe("ui.value." + f + "." + c) || c;
	const date = v => typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v) ?
	    i18n.formatDate(v) : v;
	if (key === "FORM_REQUIRED_MANY") {
		a[0] = listOf(a[0], fieldWord);
		return a;
	}
	if (/^(FORM|FIELD)_/.test(key) && key !== "FIELD_UNKNOWN")
		a[0] = fieldWord(field);
	if (key === "FORM_ENUM" || key === "FORM_NOT_LISTED")
		a[1] = listOf(a[1], code(field));
	if (key === "FORM_REQUIRED_ONE_OF")
		a[2] = listOf(a[2], code(field));
	if (key === "FORM_NEEDED_WHEN") {
		a[2] = code(a[1])(a[2]);
		a[1] = fieldWord(a[1]);
	}
	if (key === "FORM_BEFORE") {
		a[2] = fieldWord(a[2]);
		a[1] = date(a[1]);
		a[3] = date(a[3]);
	}
	if (key === "FORM_FUTURE") {
		a[1] = date(a[1]);
		a[2] = date(a[2]);
	}
	if (key === "USER_ROLE" || key === "USER_COUNTS_ONLY")
		a[1] = code("user_role")(a[1]);
	return a;
}

// The words for an API answer that failed.
function errText(r) {
	const e = r && r.data && r.data.error;
	if (!e) return t("ui.common.offline");
	const args = mapArgs(e.key, e.args);
	let s = maybe(e.key, args) || e.message || e.key;
	if (e.tail && maybe(e.tail)) s += "; " + t(e.tail);
	return s;
}

function showError(text) {
	$("error").textContent = text;
	$("error").hidden = !text;
}

// What a change just did, said on the page drawn next (and gone on the
// one after).
let flash = "";

function showNotice(text) {
	$("notice").textContent = text;
	$("notice").hidden = !text;
}

// ---- Values: dates, codes ---------------------------------------------

function today(plusDays) {
	const d = new Date(Date.now() + (plusDays || 0) * 86400000);
	const p = n => String(n).padStart(2, "0");
	return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" +
	    p(d.getDate());
}

// Dates as an office writes them, 02.12.2026 (or 2026-12-02): a text
// field, not <input type=date>, whose format is the browser's locale
// (mm/dd/yyyy in an English Chromium), not the page's language.
function parseDate(s) {
	s = (s || "").trim();
	if (s === "") return "";
	let m = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/.exec(s);
	let y, mo, d;
	if (m) [y, mo, d] = [m[3], m[2], m[1]];
	else if ((m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s)))
		[y, mo, d] = [m[1], m[2], m[3]];
	else return null;
	const iso = y + "-" + mo.padStart(2, "0") + "-" + d.padStart(2, "0");
	const dt = new Date(iso + "T00:00:00Z");
	return !isNaN(dt) && dt.toISOString().slice(0, 10) === iso ? iso : null;
}

function showDate(iso) {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
	return m ? m[3] + "." + m[2] + "." + m[1] : "";
}

// A date field: the text, and under it the date in words (or what is
// wrong), as it is typed.
function dateInput(name, iso) {
	const input = el("input.date", { type: "text", name: name,
	    inputMode: "numeric", autocomplete: "off", maxLength: 10,
	    title: t("ui.form.hint.date", showDate(today())),
	    value: showDate(iso) });
	input.dataset.date = "1";
	return input;
}

function echoDate(input) {
	const label = input.closest("label");
	let echo = label && label.querySelector(".echo");
	if (!label) return;
	if (!echo) {
		echo = el("span.echo");
		input.after(echo);
	}
	if (input.value.trim() === "") { echo.hidden = true; return; }
	const v = parseDate(input.value);
	echo.textContent = v ? i18n.formatDate(v) : "";
	echo.hidden = !v;
}

document.addEventListener("input", ev => {
	if (ev.target.dataset && ev.target.dataset.date) echoDate(ev.target);
});

function fieldDef(name) {
	return schema && schema.fields.find(f => f.name === name);
}

// A field's value as a lawyer reads it.
function valueText(field, v) {
	if (v === undefined || v === null || v === "")
		return t("ui.common.empty");
	const def = fieldDef(field);
	const type = def ? def.type : null;
	if (type === "date" || /_(at|on)$/.test(field) &&
	    /^\d{4}-\d{2}-\d{2}$/.test(v))
		return i18n.formatDate(v);
	if (field === "center")
		return centerName(v);
	if (type === "country" || field === "destination")
		return maybe("ui.country." + v) || v;
	if (typeof v === "number")
		return i18n.formatNumber(v);
	if (typeof v === "boolean")
		return t(v ? "ui.common.yes" : "ui.common.no");
	return maybe("ui.value." + field + "." + v) || String(v);
}

async function loadSchema() {
	if (schema) return { ok: true };
	const r = await api("GET", "/api/schema");
	if (r.ok && r.data && r.data.collections &&
	    r.data.collections[COLL]) {
		schema = r.data.collections[COLL];
		schema.rules = schema.rules || [];
	}
	return r;
}

// ---- Header: office, navigation, pending changes, language -------------

async function refreshStatus() {
	const r = await api("GET", "/api/status");
	if (!r.ok) return;
	status = r.data;
	const n = Number(status.unacked || 0);
	$("pending").textContent = n > 0 ?
	    i18n.tn("ui.pending", n, []) : t("ui.pending_none");
	$("strip").classList.toggle("waiting", n > 0);
}

function drawHeader() {
	const on = !!me;
	$("nav").hidden = !on;
	$("strip").hidden = !on;
	$("office").hidden = !on;
	$("signout").hidden = !on;
	if (!on) return;
	$("nav-admin").hidden = me.role !== "admin";
	$("office").textContent = me.center || (status && status.center) || "";
	$("who").textContent = t("ui.signin.as", me.user) + " · " +
	    (maybe("ui.value.user_role." + me.role) || me.role);
	const page = (location.hash.split("/")[1] || "consultations");
	for (const a of $("nav").querySelectorAll("a"))
		a.classList.toggle("here", a.dataset.page === page ||
		    page === "c" && a.dataset.page === "consultations" ||
		    page === "new" && a.dataset.page === "consultations");
	if (status) refreshPendingText();
}

function refreshPendingText() {
	const n = Number(status.unacked || 0);
	$("pending").textContent = n > 0 ?
	    i18n.tn("ui.pending", n, []) : t("ui.pending_none");
}

async function setLang(l) {
	try { localStorage.setItem(LANG_KEY, l); } catch (e) { /* kept */ }
	await i18n.load(l);
	$("lang").value = i18n.lang();
	i18n.localize(document);
	document.title = t("ui.app.name");
	drawHeader();
	if (me) route();
}

function savedLang() {
	let l = null;
	try { l = localStorage.getItem(LANG_KEY); } catch (e) { l = null; }
	return i18n.LANGS.includes(l) ? l : i18n.DEFAULT_LANG;
}

// ---- Signing in and out -------------------------------------------------

function signedIn(data) {
	me = data;
	csrf = data.csrf;
	$("signin").hidden = true;
	showError("");
	showNotice("");
	drawHeader();
	refreshStatus();
	if (!location.hash || location.hash.startsWith("#signin"))
		history.replaceState(null, "", "#/consultations");
	route();
}

function signedOut(why) {
	early.clear();
	me = null;
	csrf = "";
	status = null;
	schema = null;
	centers = null;
	$("view").hidden = true;
	$("view").textContent = "";
	$("signin").hidden = false;
	drawHeader();
	showNotice(why ? t(why) : "");
	$("signin").user.focus();
}

async function signIn(ev) {
	ev.preventDefault();
	const f = ev.target;
	const btn = f.querySelector("button");
	btn.disabled = true;
	showError("");
	showNotice(t("ui.common.loading"));
	const r = await api("POST", "/api/signin",
	    { user: f.user.value.trim(), passphrase: f.passphrase.value });
	btn.disabled = false;
	f.passphrase.value = "";
	showNotice("");
	if (r.ok) return signedIn(r.data);
	const k = r.data && r.data.error && r.data.error.key;
	showError(k === "USER_PASS_WRONG" || k === "USER_UNKNOWN" ?
	    t("ui.signin.wrong") : errText(r));
}

// ---- Pages --------------------------------------------------------------

const pages = {
	consultations: pageList,
	new: pageForm,
	c: pageRecord,
	sync: pageSync,
	guides: pageGuides,
	directory: pageDirectory,
	reports: pageReports,
	admin: pageAdmin,
};

let drawing = 0;	// the newest route() call; older ones stop drawing

async function route() {
	if (!me) return;
	const parts = location.hash.replace(/^#\/?/, "").split("/");
	const page = pages[parts[0]] ? parts[0] : "consultations";
	const mine = ++drawing;
	showError("");
	drawHeader();
	const view = el("div.page", { id: "page-" + page });
	await pages[page](view, parts.slice(1).map(decodeURIComponent));
	early.clear();		// the first page took what it asked for
	if (mine !== drawing) return;
	$("view").replaceWith(view);
	view.id = "view";
	view.dataset.page = page;
	view.dataset.lang = i18n.lang();	// drawn, in this language
	showNotice(flash);
	flash = "";
	view.hidden = false;
	for (const i of view.querySelectorAll("input[data-date]"))
		echoDate(i);
	refreshStatus();
}

// A part of a page that the agent could not give: its message in place.
function failBox(r) {
	return el("p.error.inline", { text: errText(r), role: "alert" });
}

// ---- The consultations list ---------------------------------------------

let listLimit = 50;	// rows asked for; "show more" adds 50 (the API: 500)
const filters = { mine: false, open: false, overdue: false, center: "",
    topic: "", from: "", to: "", q: "" };

function listQuery() {
	const p = new URLSearchParams({ limit: String(listLimit) });
	if (filters.mine) p.set("mine", "1");
	if (filters.open) p.set("status", "open");
	if (filters.overdue) p.set("overdue", "1");
	for (const k of ["center", "topic", "from", "to"])
		if (filters[k]) p.set(k, filters[k]);
	return "/api/consultations?" + p.toString();
}

// Rows the agent sent, kept to the filters here too (an agent without
// the filters answers all of them).
function keep(c) {
	const f = c.fields || c;
	if (filters.open && f.status !== "open") return false;
	if (filters.overdue && (f.status !== "open" ||
	    !(f.opened_at < today(-30)))) return false;
	if (filters.center && f.center !== filters.center) return false;
	if (filters.topic && f.topic !== filters.topic) return false;
	if (filters.from && f.opened_at < filters.from) return false;
	if (filters.to && f.opened_at > filters.to) return false;
	return true;
}

function row(id, f, conflicts) {
	const caseNo = f.case_number || f.case_no || "";
	const link = el("a", { href: "#/c/" + encodeURIComponent(id),
	    text: caseNo || t("ui.record.details") });
	const st = el("span.status.s-" + (f.status || "none"),
	    { text: valueText("status", f.status) });
	return el("tr", { "data-id": id },
	    el("td", {}, link, conflicts ? el("span.badge",
		{ text: t("ui.conflict.badge") }) : null),
	    el("td.nowrap", { text: valueText("opened_at", f.opened_at) }),
	    el("td", { text: centerName(f.center) }),
	    el("td", { text: valueText("topic", f.topic) }),
	    el("td", {}, st),
	    el("td", { text: f.client_name || "" }));
}

function table(rows) {
	const head = ["case_no", "date", "center", "topic", "status", "client"]
	    .map(c => el("th", { scope: "col", text: t("ui.cons.col." + c) }));
	return el("table.list", {}, el("thead", {}, el("tr", {}, ...head)),
	    el("tbody", {}, ...rows));
}

function pick(name, label, values, any, labelOf) {
	const s = el("select", { name: name },
	    el("option", { value: "", text: any }),
	    ...values.map(v => el("option", { value: v, text: labelOf(v) })));
	s.value = filters[name];
	return el("label", {}, el("span", { text: label }), s);
}

// A search right after signing in may come before the session's index
// is built (503 UI_SEARCH_BUILDING): it says so and asks again, for a
// minute at most, while the page it was typed on stays.
async function searchOnce(q) {
	const path = "/api/search?q=" + encodeURIComponent(q);
	const mine = drawing;
	let r = await api("GET", path);
	for (let i = 0; i < 60 && r.status === 503 && r.data && r.data.error &&
	    r.data.error.key === "UI_SEARCH_BUILDING" && mine === drawing;
	    i++) {
		showNotice(errText(r));
		await new Promise(res => setTimeout(res, 1000));
		r = await api("GET", path);
	}
	showNotice("");
	return r;
}

async function pageList(view) {
	const [r] = await Promise.all([
	    filters.q ? searchOnce(filters.q) : api("GET", listQuery()),
	    loadSchema(), loadCenters()]);
	const search = el("form.search", { role: "search" },
	    el("input", { type: "search", name: "q", value: filters.q,
		placeholder: t("ui.cons.search.placeholder"),
		"aria-label": t("ui.common.search") }),
	    el("button", { type: "submit", text: t("ui.cons.search.submit") }));
	search.addEventListener("submit", ev => {
		ev.preventDefault();
		filters.q = search.q.value.trim();
		route();
	});
	const head = el("div.head",
	    {}, el("h1", { text: t("ui.cons.title") }), search,
	    el("a.button", { href: "#/new", text: t("ui.cons.new") }));
	view.append(head);

	const topics = (fieldDef("topic") || {}).values || [];
	const known = new Set((centers || []).map(c => c.code));
	const items = r.ok ? (r.data.consultations || r.data.hits || []) : [];
	for (const c of items) {
		const f = c.fields || c;
		if (f.center) known.add(f.center);
	}
	if (filters.center) known.add(filters.center);
	const box = (name, key) => {
		const c = el("input", { type: "checkbox", name: name,
		    checked: filters[name] });
		return el("label.check", {}, c, el("span", { text: t(key) }));
	};
	const fl = el("form.filters", { "aria-label": t("ui.cons.filter.title") },
	    box("mine", "ui.cons.filter.mine"),
	    box("open", "ui.cons.filter.open"),
	    box("overdue", "ui.cons.filter.overdue"),
	    pick("center", t("ui.cons.filter.center"), [...known].sort(),
		t("ui.cons.filter.any_center"), centerName),
	    pick("topic", t("ui.cons.filter.topic"), topics,
		t("ui.cons.filter.any_topic"), v => valueText("topic", v)),
	    el("label", {}, el("span", { text: t("ui.cons.filter.from") }),
		dateInput("from", filters.from)),
	    el("label", {}, el("span", { text: t("ui.cons.filter.to") }),
		dateInput("to", filters.to)),
	    );
	const clear = el("button.quiet.small", { type: "button",
	    text: t("ui.cons.filter.clear"), on: { click: () => {
		for (const k of Object.keys(filters))
			filters[k] = typeof filters[k] === "boolean" ? false : "";
		route();
	    } } });
	fl.addEventListener("change", () => {
		for (const k of ["mine", "open", "overdue"])
			filters[k] = fl[k].checked;
		for (const k of ["center", "topic"])
			filters[k] = fl[k].value;
		for (const k of ["from", "to"]) {
			const v = parseDate(fl[k].value);
			if (v === null) return;	// not a date (yet)
			filters[k] = v;
		}
		route();
	});
	view.append(fl);

	if (!r.ok) {
		view.append(failBox(r));
		return;
	}
	const shown = items.filter(keep);
	const rows = shown.map(c => row(c.id, c.fields || c, c.conflicts));
	const count = filters.q ? i18n.tn("ui.results", shown.length, []) :
	    t("ui.cons.newest_first");
	const any = Object.values(filters).some(v => v);
	view.append(el("div.countline", {}, el("p.count", { text: count }),
	    any ? clear : null));
	if (!rows.length)
		view.append(el("p.empty", { text: t("ui.cons.none") }));
	else
		view.append(table(rows));
	if (!filters.q && r.data.total > items.length && listLimit < 500)
		view.append(el("p.more", {}, el("button.quiet", { type: "button",
		    text: t("ui.common.more"), on: { click: () => {
			listLimit = Math.min(500, listLimit + 50);
			route();
		    } } })));
}

// ---- The new-consultation form ------------------------------------------

// The network's centers (/api/centers), or null where the agent has not
// the route: the center is then typed.
let centers = null;

async function loadCenters() {
	if (centers) return;
	const r = await api("GET", "/api/centers");
	if (r.ok && r.data && Array.isArray(r.data.centers))
		centers = r.data.centers;
}

function centerName(code) {
	const c = centers && centers.find(x => x.code === code);
	if (!c) return code || "";
	return (i18n.lang() === "tg" && c.name_tg) ||
	    (i18n.lang() === "ru" && c.name_ru) || c.name || code;
}

function inputFor(def) {
	const name = def.name;
	const oneOf = schema.rules.find(r => r.kind === "one_of" &&
	    r.field === name && Array.isArray(r.values));
	let input;
	if (name === "center" && centers && centers.length) {
		input = el("select", { name: name },
		    el("option", { value: "", text: t("ui.form.choose") }),
		    ...centers.map(c => el("option", { value: c.code,
			text: centerName(c.code) })));
	} else if (oneOf) {
		input = el("select", { name: name },
		    el("option", { value: "", text: t("ui.form.choose") }),
		    ...oneOf.values.map(v => el("option", { value: v,
			text: valueText(name, v) })));
	} else if (def.type === "enum" && def.values) {
		input = el("select", { name: name },
		    el("option", { value: "", text: t("ui.form.choose") }),
		    ...def.values.map(v => el("option", { value: v,
			text: valueText(name, v) })));
	} else if (def.type === "country") {
		input = el("select", { name: name },
		    el("option", { value: "", text: t("ui.form.choose") }),
		    ...countryCodes().map(c => el("option", { value: c,
			text: t("ui.country." + c) })));
	} else if (def.type === "date") {
		input = dateInput(name, "");
	} else if (def.type === "int") {
		input = el("input", { type: "number", name: name, min: "0",
		    step: "1", inputMode: "numeric" });
	} else if (def.type === "bool") {
		input = el("input", { type: "checkbox", name: name });
	} else if (name === "summary" || name === "outcome" ||
	    (def.max && def.max > 300)) {
		input = el("textarea", { name: name, rows: "4" });
	} else {
		input = el("input", { type: name === "client_phone" ? "tel" :
		    "text", name: name });
	}
	if (def.max && def.type === "text") input.maxLength = def.max;
	return input;
}

// The countries, by their Tajik/Russian/English names (the catalog's
// ui.country.XX keys, all 249; the order is the user's language's).
function countryCodes() {
	const codes = [];
	for (let a = 65; a <= 90; a++)
		for (let b = 65; b <= 90; b++) {
			const c = String.fromCharCode(a, b);
			if (maybe("ui.country." + c)) codes.push(c);
		}
	return codes.sort((x, y) => t("ui.country." + x).localeCompare(
	    t("ui.country." + y), i18n.lang()));
}

function isRequired(name) {
	const def = fieldDef(name);
	return !!(def && def.required) || schema.rules.some(r =>
	    r.kind === "required" && r.field === name);
}

// The schema's rules, checked here before the agent checks them again:
// a list of [field, message].
function checkForm(vals) {
	const bad = [];
	const add = (f, m, kind) => {
		if (!bad.some(b => b[0] === f)) bad.push([f, m, kind]);
	};
	for (const [f, v] of Object.entries(vals))
		if (v && typeof v === "object") {
			add(f, t("ui.form.hint.date", showDate(today())), "date");
			delete vals[f];
		}
	for (const def of schema.fields)
		if (isRequired(def.name) && !GIVEN.includes(def.name) &&
		    vals[def.name] === undefined)
			add(def.name, t("ui.form.field_required"), "missing");
	for (const r of schema.rules) {
		const v = vals[r.field];
		if (r.kind === "needed_when" && vals[r.other] === r.value &&
		    v === undefined)
			add(r.field, maybe("ui.form.hint." + r.value) ||
			    t("ui.form.field_required"), "missing");
		if (r.kind === "not_before" && v !== undefined &&
		    vals[r.other] !== undefined && v < vals[r.other])
			add(r.field, t("ui.form.hint." + r.field));
		if (r.kind === "not_future" && v !== undefined && v > today(1))
			add(r.field, maybe("ui.form.hint." + r.field) ||
			    t("ui.form.hint.opened_at"));
	}
	return bad;
}

function formValues(form) {
	const vals = {};
	for (const def of schema.fields) {
		const e = form.elements[def.name];
		if (!e) continue;
		if (def.type === "bool") { vals[def.name] = e.checked; continue; }
		let v = e.value.trim();
		if (def.type === "date" && v !== "")
			v = parseDate(v) === null ? { bad: v } : parseDate(v);
		if (v === "") continue;
		vals[def.name] = def.type === "int" ? Number(v) : v;
	}
	return vals;
}

function markErrors(form, bad) {
	for (const p of form.querySelectorAll(".field-error")) p.remove();
	for (const e of form.querySelectorAll("[aria-invalid]"))
		e.removeAttribute("aria-invalid");
	for (const [f, m] of bad) {
		const e = form.elements[f];
		if (!e) continue;
		e.setAttribute("aria-invalid", "true");
		const l = e.closest("label");
		(l.querySelector(".below") || l).append(el("span.field-error",
		    { text: m }));
	}
}

let lookupTimer = 0;

// A person's earlier consultations, looked up by name and phone.
function personLookup(form, aside) {
	clearTimeout(lookupTimer);
	lookupTimer = setTimeout(async () => {
		const q = [form.client_phone && form.client_phone.value,
		    form.client_name && form.client_name.value]
		    .map(s => (s || "").trim()).filter(s => s.length >= 3);
		const list = aside.querySelector("ul");
		list.textContent = "";
		if (!q.length) return;
		const seen = new Set();
		for (const s of q) {
			const r = await api("GET", "/api/search?q=" +
			    encodeURIComponent(s));
			if (!r.ok) continue;
			for (const h of r.data.hits || []) {
				if (seen.has(h.id)) continue;
				seen.add(h.id);
				list.append(el("li", {}, el("a", {
				    href: "#/c/" + encodeURIComponent(h.id),
				    text: (h.case_no || "") + " · " +
					valueText("opened_at", h.opened_at) +
					" · " + valueText("topic", h.topic) }),
				    el("span.sub", { text: h.client_name || "" })));
			}
		}
		if (!seen.size)
			list.append(el("li.empty", { text: t("ui.person.none") }));
	}, 300);
}

async function pageForm(view) {
	view.append(el("div.head", {}, el("h1", { text: t("ui.form.title_new") })));
	const [r] = await Promise.all([loadSchema(), loadCenters()]);
	if (!schema) {
		view.append(failBox(r));
		return;
	}
	const form = el("form.record", { novalidate: true });
	form.append(el("p.note", { text: t("ui.form.required_note") }));
	const grid = el("div.grid");
	// A field needed when another has a value comes right after it
	// (status, then the closing date and the outcome).
	const fields = schema.fields.slice();
	for (const r of schema.rules.filter(r => r.kind === "needed_when")) {
		const i = fields.findIndex(d => d.name === r.field);
		if (i < 0 || !fields.some(d => d.name === r.other)) continue;
		const [d] = fields.splice(i, 1);
		const j = fields.findIndex(x => x.name === r.other);
		let k = j + 1;
		while (k < fields.length && schema.rules.some(q => q.kind ===
		    "needed_when" && q.field === fields[k].name &&
		    q.other === r.other))
			k++;
		fields.splice(k, 0, d);
	}
	const when = name => schema.rules.find(r => r.kind === "needed_when" &&
	    r.field === name);
	for (const def of fields) {
		if (GIVEN.includes(def.name) || !maybe("ui.field." + COLL +
		    "." + def.name))
			continue;
		const input = inputFor(def);
		const req = isRequired(def.name);
		if (req) input.setAttribute("aria-required", "true");
		const hint = maybe("ui.form.hint." + def.name) ||
		    (def.type === "date" ? t("ui.form.hint.date",
			showDate(today())) : null) ||
		    (def.type === "text" && (def.name === "summary" ||
		    def.name === "client_name") ? t("ui.form.hint.text") : null);
		const label = el("label.f-" + def.name +
		    (input.tagName === "TEXTAREA" ? ".wide" : ""), {},
		    el("span.label", {}, fieldLabel(def.name),
			req || when(def.name) ? el("span.req", { text: " *",
			    title: t("ui.common.required"), hidden: !req,
			    "data-when": when(def.name) ? def.name : null }) : null),
		    input, el("span.below", {}, def.type === "date" ?
			el("span.echo", { hidden: true }) : null,
			hint ? el("span.hint", { text: hint }) : null));
		grid.append(label);
	}
	form.append(grid);
	if (form.center) form.center.value = me.center || "";
	if (form.opened_at) {
		form.opened_at.value = showDate(today());
	}
	if (form.status) form.status.value = "open";
	const err = el("p.error.inline", { role: "alert", hidden: true });
	form.append(err, el("div.actions", {},
	    el("button", { type: "submit", text: t("ui.form.save") }),
	    el("a.button.quiet", { href: "#/consultations",
		text: t("ui.form.cancel") })));
	const aside = el("aside.person", {},
	    el("h2", { text: t("ui.person.title") }),
	    el("p.hint", { text: t("ui.person.hint") }), el("ul"));
	// A field needed when another has a value is marked required then.
	const marks = () => {
		for (const m of form.querySelectorAll("[data-when]")) {
			const r = when(m.dataset.when);
			m.hidden = !(form.elements[r.other] &&
			    form.elements[r.other].value === r.value);
		}
	};
	form.addEventListener("change", marks);
	form.addEventListener("input", ev => {
		if (ev.target.name === "client_name" ||
		    ev.target.name === "client_phone")
			personLookup(form, aside);
	});
	form.addEventListener("submit", async ev => {
		ev.preventDefault();
		const vals = formValues(form);
		const bad = checkForm(vals);
		markErrors(form, bad);
		if (bad.length) {
			const missing = bad.filter(b => b[2] === "missing").length;
			err.textContent = missing ? i18n.tn("ui.form.missing",
			    missing, []) : bad[0][1];
			err.hidden = false;
			form.elements[bad[0][0]].focus();
			return;
		}
		err.hidden = true;
		const b = form.querySelector("button[type=submit]");
		b.disabled = true;
		const res = await api("POST", "/api/consultations", vals);
		b.disabled = false;
		if (!res.ok) {
			err.textContent = errText(res);
			err.hidden = false;
			return;
		}
		location.hash = "#/c/" + encodeURIComponent(res.data.id);
	});
	view.append(el("div.beside", {}, form, aside));
}

// ---- One consultation ---------------------------------------------------

function closeForm(id, f) {
	const form = el("form.close", {},
	    el("h2", { text: t("ui.form.close_case") }),
	    el("p.hint", { text: t("ui.form.hint.closed") }),
	    el("label", {}, el("span.label", {},
		fieldLabel("closed_on"), el("span.req", { text: " *" })),
		dateInput("closed_on", today())),
	    el("label", {}, el("span.label", {}, fieldLabel("outcome"),
		el("span.req", { text: " *" })),
		el("textarea", { name: "outcome", rows: "3" })));
	const err = el("p.error.inline", { role: "alert", hidden: true });
	form.append(err, el("div.actions", {},
	    el("button", { type: "submit", text: t("ui.form.close_case") })));
	form.addEventListener("submit", async ev => {
		ev.preventDefault();
		const on = parseDate(form.closed_on.value);
		const out = form.outcome.value.trim();
		let m = null;
		if (on === null) m = t("ui.form.hint.date", showDate(today()));
		else if (!on || !out) m = t("ui.form.hint.closed");
		else if (on < (f.opened_at || "") || on > today(1))
			m = t("ui.form.hint.closed_on");
		if (m) { err.textContent = m; err.hidden = false; return; }
		const r = await api("POST", "/api/consultations/" +
		    encodeURIComponent(id),
		    { status: "closed", closed_on: on, outcome: out });
		if (!r.ok) {
			err.textContent = errText(r);
			err.hidden = false;
			return;
		}
		flash = t("ui.form.saved", f.case_number || "");
		route();
	});
	return form;
}

function conflictBox(id, c) {
	const box = el("section.conflict", {},
	    el("h2", { text: t("ui.conflict.title") }),
	    el("p", { text: t("ui.conflict.explain") }));
	for (const fc of c.fields || []) {
		const rows = (fc.heads || []).map(h => el("tr", {},
		    el("td.value", { text: valueText(fc.field, h.value) }),
		    el("td", { text: h.user || "" }),
		    el("td", { text: centerName(h.center) }),
		    el("td.nowrap", { text: i18n.formatDateTime(h.at_ms) }),
		    el("td", {}, el("button", { type: "button",
			text: t("ui.conflict.keep"), on: { click: async () => {
			    const body = {};
			    body[fc.field] = h.value;
			    const r = await api("POST", "/api/consultations/" +
				encodeURIComponent(id), body);
			    if (!r.ok) { showError(errText(r)); return; }
			    flash = (t("ui.conflict.resolved",
				valueText(fc.field, h.value)));
			    route();
			} } }))));
		box.append(el("h3", { text: t("ui.conflict.field",
		    fieldLabel(fc.field)) }),
		    el("table.list", {}, el("thead", {}, el("tr", {},
			...["value", "author", "center", "time"].map(k =>
			    el("th", { text: t("ui.conflict." + k) })),
			el("th"))), el("tbody", {}, ...rows)));
	}
	return box;
}

async function pageRecord(view, args) {
	const id = args[0] || "";
	const enc = encodeURIComponent(id);
	const [r, h, c] = await Promise.all([
	    api("GET", "/api/consultations/" + enc),
	    api("GET", "/api/consultations/" + enc + "/history"),
	    api("GET", "/api/consultations/" + enc + "/conflicts"),
	    loadSchema()]);
	view.append(el("p.back", {}, el("a", { href: "#/consultations",
	    text: "← " + t("ui.nav.consultations") })));
	if (!r.ok) {
		view.append(el("h1", { text: t("ui.record.title", "") }),
		    r.status === 404 ? el("p.error.inline",
			{ text: t("ui.record.not_found") }) : failBox(r));
		return;
	}
	const rec = r.data.record, f = rec.fields;
	view.append(el("div.head", {},
	    el("h1", { text: t("ui.record.title", f.case_number || "") }),
	    el("span.status.big.s-" + (f.status || "none"),
		{ text: valueText("status", f.status) })));
	if (c.ok && c.data.fields && c.data.fields.length)
		view.append(conflictBox(id, c.data));
	const order = schema ? schema.fields.map(d => d.name) : [];
	for (const k of Object.keys(f)) if (!order.includes(k)) order.push(k);
	const dl = el("dl.fields");
	for (const k of order) {
		// The case number is the title already.
		if (!(k in f) || k === "case_number" ||
		    !maybe("ui.field." + COLL + "." + k))
			continue;
		dl.append(el("div", { "data-field": k },
		    el("dt", { text: fieldLabel(k) }),
		    el("dd", { text: valueText(k, f[k]) })));
	}
	view.append(el("section", {}, el("h2", { text: t("ui.record.details") }),
	    dl));
	if (f.status !== "closed")
		view.append(closeForm(id, f));
	const hist = el("section.history", {},
	    el("h2", { text: t("ui.history.title") }));
	if (!h.ok) {
		hist.append(failBox(h));
	} else if (!(h.data.changes || []).length) {
		hist.append(el("p.empty", { text: t("ui.history.none") }));
	} else {
		// Oldest first: a field's old value is the one its previous
		// change wrote.
		const last = {};
		const shown = v => v === "" || v == null ?
		    t("ui.history.empty_value") : null;
		const rows = h.data.changes.map(ch => {
			const had = ch.field in last ? last[ch.field] : "";
			last[ch.field] = ch.value;
			return el("tr", {},
			    el("td.nowrap", { text: i18n.formatDateTime(ch.at_ms) }),
			    el("td", { text: ch.user || ch.who || "" }),
			    el("td", { text: centerName(ch.center) }),
			    el("td", { text: fieldLabel(ch.field) }),
			    el("td.old", { text: shown(had) ||
				valueText(ch.field, had) }),
			    el("td", { text: shown(ch.value) ||
				valueText(ch.field, ch.value) }));
		});
		hist.append(el("table.list", {}, el("thead", {}, el("tr", {},
		    ...["when", "who", "where", "field", "old", "new"].map(k =>
			el("th", { text: t("ui.history." + k) })))),
		    el("tbody", {}, ...rows)));
	}
	view.append(hist);
}

// ---- Sync ---------------------------------------------------------------

// The agent's last error for a peer (English, for the log) in words a
// lawyer can act on: the catalog's ui.sync.err.* by what it says.
const SYNC_ERRORS = [[/revoked|no longer a member/i, "revoked"],
    [/clock|skew/i, "clock"], [/version|protocol/i, "old_version"],
    [/key|certificate|handshake|not a member/i, "key"],
    [/refused|goodbye|stopping|not running/i, "refused"], [/time[ds]? ?out|slow|broke/i, "timeout"],
    [/unreachable|resolve|no route|reset|closed|cannot reach|down/i,
	"unreachable"]];

function syncError(text) {
	if (!text) return t("ui.sync.no_error");
	for (const [re, k] of SYNC_ERRORS)
		if (re.test(text)) return t("ui.sync.err." + k);
	return text;
}

async function pageSync(view) {
	view.append(el("div.head", {}, el("h1", { text: t("ui.sync.title") })));
	const r = await api("GET", "/api/status");
	if (!r.ok) { view.append(failBox(r)); return; }
	status = r.data;
	if (!status.agent_running)
		view.append(el("p.warn", { text: t("ui.sync.agent_down") }));
	const peers = status.peers || [];
	if (!peers.length) {
		view.append(el("p.empty", { text: t("ui.sync.none") }));
		return;
	}
	const rows = peers.map(p => {
		const on = /^connected/.test(p.state || "") && !p.stale;
		const seen = p.last_sync_ms ? t("ui.sync.last_seen",
		    i18n.formatAgo(Number(p.last_sync_ms))) : t("ui.sync.never");
		// "Up to date" only when the peer acknowledged everything.
		const done = p.in_sync && status.acks_known &&
		    Number(p.lacking || 0) === 0;
		return el("tr", { "data-peer": p.key },
		    el("td", {}, el("strong", { text: p.name || "" }),
			el("span.sub.mono", { text: " " + (p.key || "")
			    .slice(0, 12) })),
		    el("td", {}, el("span.state" + (on ? ".on" : ".off"),
			{ text: on ? t("ui.sync.connected") :
			    t("ui.sync.not_connected") }),
			on ? null : el("span.sub", { text: " · " + seen })),
		    el("td", {}, el("span.status" + (done ? ".s-closed" :
			".s-referred"), { text: done ?
			t("ui.sync.up_to_date") : t("ui.sync.not_up_to_date") })),
		    el("td.num", { text: i18n.formatNumber(Number(p.lacking ||
			0)) }),
		    el("td", { text: syncError(p.last_error) }));
	});
	view.append(el("table.list", {}, el("thead", {}, el("tr", {},
	    el("th", { text: t("ui.sync.col.office") }),
	    el("th", { text: t("ui.sync.col.state") }),
	    el("th", { text: t("ui.sync.title") }),
	    el("th", { text: t("ui.sync.they_lack") }),
	    el("th", { text: t("ui.sync.last_error") }))),
	    el("tbody", {}, ...rows)));
}

// ---- Guides -------------------------------------------------------------

let md = null;		// the module /md.js (a guide's Markdown, safely)

// What this user has looked at: guide id -> the published_ms seen, kept
// in this browser.
function seenKey() { return "hamroh.guides.seen." + (me ? me.user : ""); }

function seenGuides() {
	try {
		return JSON.parse(localStorage.getItem(seenKey()) || "{}") || {};
	} catch (e) {
		return {};
	}
}

function markSeen(g) {
	const s = seenGuides();
	s[g.id] = Math.max(Number(g.published_ms || 0), Number(s[g.id] || 0));
	try { localStorage.setItem(seenKey(), JSON.stringify(s)); } catch (e) {
		/* not kept: shown as new again next time */
	}
}

function isNew(g, seen) {
	return !(g.id in seen) || Number(g.published_ms || 0) > Number(seen[g.id]);
}

function msDate(ms) {
	return ms ? i18n.formatDate(new Date(Number(ms)).toISOString()
	    .slice(0, 10)) : "";
}

function langName(code) {
	return maybe("ui.value.language." + code) || code || "";
}

// The admins' upload: title, language, version and the Markdown file.
function publishForm(guide) {
	const langs = ["tg", "ru", "en", "uz", "other"];
	const form = el("form.record.publish", {},
	    el("h2", { text: t(guide ? "ui.guides.new_version" :
		"ui.guides.publish_new") }),
	    el("div.grid", {},
		el("label", {}, el("span.label", { text: t("ui.field.guides.title") }),
		    el("input", { name: "title", required: true, maxLength: 500,
			value: guide ? guide.title : "" }), el("span.below")),
		el("label", {}, el("span.label", { text: t("ui.field.guides.language") }),
		    el("select", { name: "language" }, ...langs.map(l =>
			el("option", { value: l, text: langName(l) }))),
		    el("span.below")),
		el("label", {}, el("span.label", { text:
		    t("ui.field.guides.version_label") }),
		    el("input", { name: "version_label", required: true,
			maxLength: 100 }), el("span.below")),
		// The browser's own file button speaks its language, not the
		// page's: it is hidden behind one of ours.
		el("label.file", {}, el("span.label", { text: t("ui.field.guides.body") }),
		    el("span.button.quiet.pick", { text: t("ui.guides.upload") }),
		    el("span.below", {}, el("input.unseen", { name: "file",
			type: "file", accept: ".md,.txt,text/markdown,text/plain" }),
			el("span.chosen"), el("span.hint",
			{ text: t("ui.guides.file_hint") })))));
	form.file.addEventListener("change", () => {
		const f = form.file.files[0];
		form.querySelector(".chosen").textContent = f ? f.name + " · " +
		    i18n.formatBytes(f.size) : "";
	});
	form.language.value = guide ? guide.language : i18n.lang();
	const err = el("p.error.inline", { role: "alert", hidden: true });
	form.append(err, el("div.actions", {}, el("button", { type: "submit",
	    text: t("ui.guides.publish") })));
	form.addEventListener("submit", async ev => {
		ev.preventDefault();
		const f = form.file.files[0];
		const fail = m => { err.textContent = m; err.hidden = false; };
		if (!form.title.value.trim() || !form.version_label.value.trim())
			return fail(i18n.tn("ui.form.missing", 1, []));
		if (!f || f.size > 1024 * 1024)
			return fail(t("ui.guides.file_hint"));
		const body = { title: form.title.value.trim(),
		    language: form.language.value,
		    version_label: form.version_label.value.trim(),
		    body: await f.text() };
		if (guide) body.id = guide.id;
		const r = await api("POST", "/api/guides", body);
		if (!r.ok) return fail(errText(r));
		flash = t("ui.guides.published", body.version_label);
		// A new version, published from the guide's own page, keeps
		// its address: no hashchange then, so draw it here.
		const to = "#/guides/" + encodeURIComponent(r.data.id);
		if (location.hash === to) route();
		else location.hash = to;
	});
	return form;
}

async function pageGuides(view, args) {
	if (args[0]) return pageGuide(view, args[0]);
	view.append(el("div.head", {}, el("h1", { text: t("ui.guides.title") })));
	const r = await api("GET", "/api/guides");
	if (!r.ok) {
		view.append(failBox(r));
	} else {
		const seen = seenGuides();
		const gs = (r.data.guides || []).slice().sort((x, y) =>
		    Number(y.published_ms || 0) - Number(x.published_ms || 0));
		const fresh = gs.filter(g => isNew(g, seen));
		if (fresh.length)
			view.append(el("p.warn", { text: t("ui.guides.new_since") +
			    ": " + fresh.map(g => g.title).join(", ") }));
		if (!gs.length)
			view.append(el("p.empty", { text: t("ui.guides.none") }));
		else
			view.append(el("table.list", {}, el("thead", {}, el("tr", {},
			    ...["title", "language", "version", "date"].map(k =>
				el("th", { text: t("ui.guides.col." + k) })))),
			    el("tbody", {}, ...gs.map(g => el("tr", { "data-id": g.id },
				el("td", {}, el("a", { href: "#/guides/" +
				    encodeURIComponent(g.id), text: g.title }),
				    isNew(g, seen) ? el("span.badge.new",
					{ text: t("ui.guides.new_badge") }) : null),
				el("td", { text: langName(g.language) }),
				el("td", { text: g.version_label || "" }),
				el("td.nowrap", { text: msDate(g.published_ms) }))))));
	}
	if (me.role === "admin")
		view.append(publishForm(null));
}

async function pageGuide(view, id) {
	view.append(el("p.back", {}, el("a", { href: "#/guides",
	    text: "← " + t("ui.guides.all") })));
	const [r] = await Promise.all([api("GET", "/api/guides/" +
	    encodeURIComponent(id)), md ? null : import("/md.js").then(m => {
		md = m; })]);
	if (!r.ok) { view.append(failBox(r)); return; }
	const g = r.data.guide;
	markSeen(g);
	view.append(el("div.head", {}, el("h1", { text: g.title }),
	    el("span.sub", { text: t("ui.guides.version_of", [g.version_label,
		msDate(g.published_ms)]) + " · " + langName(g.language) }),
	    el("button.quiet", { type: "button", text: t("ui.guides.print"),
		on: { click: () => window.print() } })));
	const body = el("article.guide");
	body.append(md.render(g.body || ""));
	view.append(body);
	if (me.role === "admin")
		view.append(publishForm(g));
}

// ---- Directory ----------------------------------------------------------

const dirFilters = { country: "", city: "", kind: "", q: "" };

async function pageDirectory(view) {
	view.append(el("div.head", {}, el("h1", { text: t("ui.dir.title") })));
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(dirFilters)) if (v) p.set(k, v);
	const [r, sr] = await Promise.all([api("GET", "/api/directory?" +
	    p.toString()), api("GET", "/api/schema")]);
	const dirSchema = sr.ok && sr.data && sr.data.collections &&
	    sr.data.collections.directory;
	const kindDef = dirSchema && dirSchema.fields.find(f => f.name === "kind");
	const kinds = (kindDef && kindDef.values) || [];
	const fl = el("form.filters", {},
	    el("label", {}, el("span", { text: t("ui.dir.filter.country") }),
		el("select", { name: "country" },
		    el("option", { value: "", text: t("ui.dir.filter.any_country") }),
		    ...countryCodes().map(c => el("option", { value: c,
			text: t("ui.country." + c) })))),
	    el("label", {}, el("span", { text: t("ui.dir.filter.city") }),
		el("input", { name: "city", value: dirFilters.city })),
	    el("label", {}, el("span", { text: t("ui.dir.filter.kind") }),
		el("select", { name: "kind" },
		    el("option", { value: "", text: t("ui.dir.filter.any_kind") }),
		    ...kinds.map(k => el("option", { value: k,
			text: valueText("kind", k) })))),
	    el("label", {}, el("span", { text: t("ui.common.search") }),
		el("input", { name: "q", type: "search", value: dirFilters.q })),
	    el("button", { type: "submit", text: t("ui.common.search") }));
	fl.country.value = dirFilters.country;
	fl.kind.value = dirFilters.kind;
	fl.addEventListener("submit", ev => {
		ev.preventDefault();
		for (const k of Object.keys(dirFilters))
			dirFilters[k] = fl[k].value.trim();
		route();
	});
	view.append(fl);
	if (!r.ok) { view.append(failBox(r)); return; }
	const items = r.data.entries || [];
	if (!items.length) {
		view.append(el("p.empty", { text: t("ui.dir.none") }));
		return;
	}
	const cols = ["name", "kind", "country", "city", "phone", "hours",
	    "verified_on"];
	view.append(el("table.list", {}, el("thead", {}, el("tr", {},
	    ...cols.map(c => el("th", { text: t("ui.field.directory." + c) })))),
	    el("tbody", {}, ...items.map(d => {
		const f = d.fields || d;
		return el("tr", { "data-id": d.id, class: d.stale ? "stale" : null },
		    el("td", {}, el("strong", { text: f.name || "" }),
			f.notes ? el("span.sub.block", { text: f.notes }) : null),
		    el("td", { text: maybe("ui.value.kind." + f.kind) || f.kind || "" }),
		    el("td", { text: maybe("ui.country." + f.country) || f.country || "" }),
		    el("td", { text: f.city || "" }),
		    el("td.nowrap", { text: f.phone || "" }),
		    el("td", { text: f.hours || "" }),
		    el("td", {}, el("span.nowrap", { text: f.verified_on ?
			i18n.formatDate(f.verified_on) : "" }),
			d.stale ? el("span.badge", { text: t("ui.dir.stale"),
			    title: t("ui.dir.stale_tip", i18n.formatDate(
				f.verified_on || "")) }) : null));
	    }))));
}

// ---- Reports ------------------------------------------------------------

// The page's report: a named layout, or groupings of one's own; what the
// query to /api/report (and its downloads) says.
const rep = { name: "quarterly", by: ["topic", "client_sex", ""], from: "",
    to: "", on: "", count: "", center: "", topic: "" };
const DERIVED = ["month", "quarter", "year", "age_band", "region",
    "referred_kind"];

function repQuery() {
	const p = new URLSearchParams();
	if (rep.name) p.set("name", rep.name);
	else p.set("by", rep.by.filter(b => b).join(","));
	for (const k of ["from", "to", "on", "count", "center", "topic"])
		if (rep[k]) p.set(k, rep[k]);
	return p.toString();
}

function dimLabel(d) {
	return d === "region" ? t("ui.field.centers.region") :
	    DERIVED.includes(d) ? t("ui.rp.d." + d) : fieldLabel(d);
}

// A value of grouping ${d} as the user reads it.
function dimValue(d, v) {
	if (v === "") return cap(t("REPORT_NOT_GIVEN"));
	if (d === "month") return i18n.formatMonth(v);
	const q = /^(\d{4})-Q(\d)$/.exec(v);
	if (d === "quarter" && q) return t("ui.rp.q", [q[2], q[1]]);
	if (d === "age_band")
		return v === "0-17" ? t("ui.rp.under18") : v.replace("-", "–");
	if (d === "referred_kind") return valueText("kind", v);
	return d === "region" || d === "year" ? v : valueText(d, v);
}

const cap = s => s.charAt(0).toUpperCase() + s.slice(1);

// A cell of the extended table (index n of a dimension: its total).
function cell(r, idx, marks) {
	let a = marks ? r.marks : r.counts;
	for (const i of idx) a = a[i];
	return a;
}

function cellText(r, idx) {
	const m = cell(r, idx, true);
	return m === "primary" ? "<5" : m === "complement" ? "x" :
	    i18n.formatNumber(cell(r, idx));
}

function td(r, idx, total) {
	const m = cell(r, idx, true);
	return el("td.n" + (m ? ".c-" + m[0] : "") + (total ? ".tot" : ""),
	    { text: cellText(r, idx) });
}

// One table of ${r}; ${k}: the layer (3-D), else undefined.
function repTable(r, k) {
	const D = r.dims, tot = cap(t("REPORT_TOTAL"));
	const lay = k === undefined ? [] : [k];
	const rows = [];
	const lab = (d, i) => i === D[d].n ? tot : dimValue(D[d].name,
	    D[d].values[i]);
	if (!D.length)
		return el("table.list.rep", {}, el("tr", {},
		    el("th", { text: tot }), td(r, [], true)));
	const ncol = D.length > 1 ? D[1].n : -1;
	const head = [el("th", { scope: "col", text: dimLabel(D[0].name) })];
	if (ncol < 0) head.push(el("th.n", { text: t("ui.rp.count") }));
	for (let j = 0; j <= ncol; j++)
		head.push(el("th.n" + (j === ncol ? ".tot" : ""), { scope: "col",
		    text: lab(1, j) }));
	for (let i = 0; i <= D[0].n; i++) {
		const tr = el("tr" + (i === D[0].n ? ".tot" : ""), {},
		    el("th", { scope: "row", text: lab(0, i) }));
		if (ncol < 0) tr.append(td(r, [i], i === D[0].n));
		for (let j = 0; j <= ncol; j++)
			tr.append(td(r, [i, j, ...lay], j === ncol ||
			    i === D[0].n));
		rows.push(tr);
	}
	return el("table.list.rep", {}, el("thead", {}, el("tr", {}, ...head)),
	    el("tbody", {}, ...rows));
}

// The row totals as bars, drawn here; a hidden one is a hatched bar of
// one length whatever it hides, with its mark.
function repChart(r) {
	const D = r.dims, NS = "http://www.w3.org/2000/svg";
	const sv = (tag, a, txt) => {
		const e = document.createElementNS(NS, tag);
		for (const [k, v] of Object.entries(a)) e.setAttribute(k, v);
		if (txt !== undefined) e.textContent = txt;
		return e;
	};
	const tail = D.slice(1).map(d => d.n);
	const bars = D[0].values.map((v, i) => ({ l: dimValue(D[0].name, v),
	    n: cell(r, [i, ...tail]), m: cell(r, [i, ...tail], true) }));
	const max = Math.max(1, ...bars.map(b => b.m ? 0 : b.n));
	const W = 720, L = 270, H = 24;
	const svg = sv("svg", { viewBox: `0 0 ${W} ${bars.length * H + 4}`,
	    width: W, role: "img", class: "chart",
	    "aria-label": t("ui.rp.chart", [dimLabel(D[0].name)]) },
	    undefined);
	const pat = sv("pattern", { id: "hatch", width: 6, height: 6,
	    patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
	pat.append(sv("rect", { width: 3, height: 6, fill: "#9aa" }));
	const defs = sv("defs", {});
	defs.append(pat);
	svg.append(defs);
	bars.forEach((b, i) => {
		const y = i * H + 2, w = b.m ? 36 : (W - L - 70) * b.n / max;
		const l = b.l.length > 36 ? b.l.slice(0, 35) + "…" : b.l;
		svg.append(sv("text", { x: L - 6, y: y + 14, "text-anchor": "end",
		    "font-size": 14 }, l),
		    sv("rect", { x: L, y: y + 3, width: Math.max(w, 1), height: 14,
		    fill: b.m ? "url(#hatch)" : "#2b6a8f",
		    stroke: b.m ? "#778" : "none" }),
		    sv("text", { x: L + w + 5, y: y + 14, "font-size": 14 },
		    b.m ? (b.m === "primary" ? "<5" : "x") :
		    i18n.formatNumber(b.n)));
	});
	return el("figure.chart", {}, el("figcaption",
	    { text: t("ui.rp.chart", [dimLabel(D[0].name)]) }), svg);
}

// The notes under the table, from the report's facts, in the user's words.
function repNotes(b) {
	const r = b.report, n = [],
	    on = fieldLabel(r.on || "opened_at").toLowerCase();
	const f = (r.filters || []).map(s => {
		const [k, v] = [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)];
		return dimLabel(k) + ": " + (k === "center" ? centerName(v) :
		    dimValue(k, v));
	});
	n.push(f.length ? t("REPORT_NOTE_FILTERS", [f.join(", ")]) :
	    t("REPORT_NOTE_NO_FILTERS"));
	n.push(r.from || r.to ? t("REPORT_NOTE_PERIOD", [on, r.from ?
	    i18n.formatDate(r.from) : "…", r.to ? i18n.formatDate(r.to) : "…"]) :
	    t("ui.rp.any", [on]));
	n.push(t(r.counted === "persons" ? "REPORT_NOTE_PERSONS" :
	    "REPORT_NOTE_CONSULTATIONS"));
	if (r.suppressed) n.push(t("REPORT_NOTE_SUPPRESSED",
	    [String(r.threshold - 1), String(r.threshold)]));
	if (r.left_out) n.push(t("REPORT_NOTE_LEFT_OUT",
	    [i18n.formatNumber(r.left_out)]));
	n.push(b.as_of_ms.length ? t("ui.rp.asof", [b.as_of_ms.map(a =>
	    centerName(a.center) + " — " + i18n.formatDateTime(a.ms))
	    .join("; ")]) : t("REPORT_NOTE_ASOF_NONE"));
	return el("ul.notes", {}, ...n.map(s => el("li", { text: cap(s) })));
}

async function pageReports(view) {
	const q = repQuery();
	const [l, r] = await Promise.all([api("GET", "/api/reports"),
	    api("GET", "/api/report?" + q), loadSchema(), loadCenters()]);
	view.append(el("div.head", {}, el("h1", { text: t("ui.rp.title") })));
	if (!l.ok) { view.append(failBox(l)); return; }
	const sel = (name, label, opts, v) => {
		const s = el("select", { name: name }, ...opts.map(([c, x]) =>
		    el("option", { value: c, text: x })));
		s.value = v;
		return el("label", {}, el("span", { text: label }), s);
	};
	const fields = l.data.fields.map(f => [f, dimLabel(f)]);
	const none = [["", t("ui.rp.none")]];
	const fl = el("form.filters.rp", {},
	    sel("name", t("ui.rp.layout"), [...l.data.layouts.map(x =>
		[x.name, cap(t(x.desc))]), ["", t("ui.rp.own")]], rep.name));
	if (!rep.name)
		["rows", "cols", "layers"].forEach((k, i) => fl.append(
		    sel("by" + i, t("ui.rp." + k), i ? none.concat(fields) :
		    fields, rep.by[i])));
	const topics = (fieldDef("topic") || {}).values || [];
	fl.append(
	    el("label", {}, el("span", { text: t("ui.cons.filter.from") }),
		dateInput("from", rep.from)),
	    el("label", {}, el("span", { text: t("ui.cons.filter.to") }),
		dateInput("to", rep.to)),
	    sel("on", t("ui.rp.on"), ["opened_at", "closed_on"].map(f =>
		[f, fieldLabel(f)]), rep.on || "opened_at"),
	    sel("count", t("ui.rp.count"), ["consultations", "persons"].map(c =>
		[c, t("ui.rp.c." + c)]), rep.count || "consultations"),
	    sel("center", t("ui.cons.filter.center"), [["",
		t("ui.cons.filter.any_center")]].concat((centers || []).map(c =>
		[c.code, centerName(c.code)])), rep.center),
	    sel("topic", t("ui.cons.filter.topic"), [["",
		t("ui.cons.filter.any_topic")]].concat(topics.map(v =>
		[v, valueText("topic", v)])), rep.topic));
	fl.addEventListener("change", () => {
		for (const k of ["name", "on", "count", "center", "topic"])
			rep[k] = fl[k].value;
		for (let i = 0; i < 3; i++) if (fl["by" + i])
			rep.by[i] = fl["by" + i].value;
		for (const k of ["from", "to"]) {
			const v = parseDate(fl[k].value);
			if (v === null) return;
			rep[k] = v;
		}
		route();
	});
	view.append(fl);
	if (!r.ok) { view.append(failBox(r)); return; }
	const b = r.data, R = b.report, D = R.dims;
	D.forEach(d => { d.n = d.values.length; });
	const lay = l.data.layouts.find(x => x.name === rep.name);
	// What the table is, printed too (the form is not).
	const out = el("section.report", {}, el("p.rp-title", { text: lay ?
	    cap(t(lay.desc)) : D.map(d => dimLabel(d.name)).join(" × ") }));
	if (b.withheld)
		out.append(el("p.withheld", { text: t("ui.rp.withheld") }));
	else {
		if (D.length < 3) out.append(repTable(R));
		else for (let k = 0; k <= D[2].values.length; k++)
			out.append(el("h2", { text: k < D[2].n &&
			    /^(month|quarter|year)$/.test(D[2].name) ?
			    cap(dimValue(D[2].name, D[2].values[k])) :
			    dimLabel(D[2].name) + ": " + (k === D[2].n ?
			    cap(t("REPORT_TOTAL")) : dimValue(D[2].name,
			    D[2].values[k])) }), repTable(R, k));
		out.append(el("p.legend", {}, el("span", {}, el("b.c-p",
		    { text: "<5" }), " " + t("ui.rp.lp")), el("span", {},
		    el("b.c-c", { text: "x" }), " " + t("ui.rp.lx"))));
		if (D.length) out.append(repChart(R));
	}
	out.append(repNotes(b));
	const dl = (sfx, key) => el("a.button.quiet", { href: "/api/report" +
	    sfx, download: "", text: t(key) });
	out.append(el("p.actions", {}, dl(".csv?" + q, "ui.rp.csv"),
	    dl(".csv?" + q + "&sep=%3B", "ui.rp.csv_semi"),
	    dl(".xlsx?" + q, "ui.rp.xlsx"),
	    el("button.quiet", { type: "button", text: t("ui.rp.print"),
		on: { click: () => window.print() } })));
	view.append(out);
}

// ---- Admin ----------------------------------------------------------------

// A button that asks once more, in the page's words (the browser's own
// confirm() dialog speaks the browser's language): the first click shows
// ${question} and a confirm button, which does ${act}.
function confirmButton(label, question, act) {
	const box = el("span.confirm");
	const ask = el("button.quiet.small", { type: "button", text: label });
	ask.addEventListener("click", () => {
		box.textContent = "";
		box.append(el("span", { text: question + " " }),
		    el("button.small.danger", { type: "button",
			text: t("ui.common.confirm"), on: { click: act } }),
		    el("button.quiet.small", { type: "button",
			text: t("ui.common.cancel"), on: { click: () => {
			    box.textContent = "";
			    box.append(ask);
			} } }));
	});
	box.append(ask);
	return box;
}

// A small form: fields [name, label key, input], a submit label and what
// to do with the values; its errors under it.
function smallForm(title, fields, submit, act) {
	const form = el("form.record.small", {}, el("h3", { text: t(title) }),
	    el("div.grid", {}, ...fields.map(([, key, input]) =>
		el("label", {}, el("span.label", { text: t(key) }), input,
		    el("span.below")))));
	const err = el("p.error.inline", { role: "alert", hidden: true });
	const out = el("div.result");
	form.append(err, el("div.actions", {}, el("button", { type: "submit",
	    text: t(submit) })), out);
	form.addEventListener("submit", async ev => {
		ev.preventDefault();
		err.hidden = true;
		const vals = {};
		for (const [name] of fields) vals[name] = form.elements[name].value.trim();
		const m = await act(vals, out);
		if (m) { err.textContent = m; err.hidden = false; }
	});
	return form;
}

function roleSelect(name, roles, prefix) {
	return el("select", { name: name }, ...roles.map(r => el("option",
	    { value: r, text: t(prefix + r) })));
}

async function pageAdmin(view) {
	view.append(el("div.head", {}, el("h1", { text: t("ui.admin.title") })));
	if (me.role !== "admin") {
		view.append(el("p.warn", { text: t("ui.admin.network_only") }));
		return;
	}
	const [users, cs, st] = await Promise.all([api("GET", "/api/users"),
	    api("GET", "/api/centers"), api("GET", "/api/status")]);
	const done = () => route();

	// Users.
	const us = el("section", {}, el("h2", { text: t("ui.admin.users") }));
	if (!users.ok) us.append(failBox(users));
	else us.append(el("table.list", {}, el("thead", {}, el("tr", {},
	    el("th", { text: t("ui.admin.user_name") }),
	    el("th", { text: t("ui.admin.role") }), el("th"))),
	    el("tbody", {}, ...(users.data.users || []).map(u => el("tr", {},
		el("td", { text: u.name }),
		el("td", { text: maybe("ui.value.user_role." + u.role) || u.role }),
		el("td", {}, u.name === me.user ? null : confirmButton(
		    t("ui.admin.remove"), t("ui.admin.remove_confirm", u.name),
		    async () => {
			const r = await api("DELETE", "/api/users/" +
			    encodeURIComponent(u.name));
			if (!r.ok) showError(errText(r)); else done();
		    })))))));
	const pass = () => el("input", { type: "password",
	    autocomplete: "new-password" });
	us.append(smallForm("ui.admin.add_user", [
	    ["name", "ui.admin.user_name", el("input", { autocomplete: "off" })],
	    ["role", "ui.admin.role", roleSelect("role", ["lawyer",
		"statistician", "admin"], "ui.value.user_role.")],
	    ["passphrase", "ui.admin.new_pass", pass()],
	    ["again", "ui.admin.repeat_pass", pass()]], "ui.admin.add_user",
	    async (v, out) => {
		if (!v.name || !v.passphrase) return i18n.tn("ui.form.missing", 1, []);
		if (v.passphrase !== v.again) return t("ui.admin.pass_mismatch");
		const r = await api("POST", "/api/users", { name: v.name,
		    role: v.role, passphrase: v.passphrase });
		if (!r.ok) return errText(r);
		if (r.data && r.data.recovery) {
			out.append(el("p.warn", {}, el("strong", { text:
			    t("ui.admin.recovery_code") + ": " }),
			    el("span.mono", { text: r.data.recovery }), " — ",
			    t("ui.admin.recovery_hint")));
			return null;
		}
		done();
		return null;
	    }));
	view.append(us);

	// Centers and their keys.
	const cz = el("section", {}, el("h2", { text: t("ui.admin.centers") }));
	if (!cs.ok) cz.append(failBox(cs));
	else cz.append(el("table.list", {}, el("thead", {}, el("tr", {},
	    el("th", { text: t("ui.admin.center_name") }),
	    el("th", { text: t("ui.admin.prefix") }),
	    el("th", { text: t("ui.admin.region") }),
	    el("th", { text: t("ui.admin.keys") }))),
	    el("tbody", {}, ...(cs.data.centers || []).map(c => el("tr", {},
		el("td", {}, el("strong", { text: centerName(c.code) }),
		    el("span.sub", { text: " " + c.code })),
		el("td.mono", { text: c.prefix || "" }),
		el("td", { text: c.region || "" }),
		el("td", {}, confirmButton(t("ui.admin.rotate"),
		    t("ui.admin.rotate_confirm", centerName(c.code)),
		    async () => {
			const r = await api("POST", "/api/keys/rotate",
			    { center: c.code });
			if (!r.ok) showError(errText(r));
			else { flash = (t("ui.admin.rotated", [centerName(
			    c.code), r.data && r.data.version || ""])); done(); }
		    })))))));
	cz.append(smallForm("ui.admin.add_center", [
	    ["code", "ui.field.consultations.center", el("input")],
	    ["name", "ui.admin.center_name", el("input")],
	    ["prefix", "ui.admin.prefix", el("input", { maxLength: 3 })],
	    ["region", "ui.admin.region", el("input")]], "ui.admin.add_center",
	    async v => {
		const r = await api("POST", "/api/centers", v);
		if (!r.ok) return errText(r);
		centers = null;
		done();
		return null;
	    }));
	view.append(cz);

	// The network's offices: invite one, revoke one.
	const net = el("section", {}, el("h2", { text: t("ui.admin.offices") }));
	const peers = st.ok ? st.data.peers || [] : [];
	if (peers.length)
		net.append(el("table.list.compact", {}, el("tbody", {}, ...peers.map(p =>
		    el("tr", {}, el("td", {}, el("strong", { text: p.name || "" }),
			el("span.sub.mono", { text: " " + (p.key || "").slice(0, 16) })),
			el("td", {}, p.ended ? null : confirmButton(
			    t("ui.admin.revoke"), t("ui.admin.revoke_confirm",
				p.name || p.key), async () => {
				const r = await api("POST", "/api/revoke",
				    { key: p.key, reason: "" });
				if (!r.ok) showError(errText(r)); else done();
			    })))))));
	net.append(smallForm("ui.admin.invite", [
	    ["key", "ui.admin.invite.node_key", el("input.mono", {
		autocomplete: "off", title: t("ui.admin.invite.node_key_hint") })],
	    ["name", "ui.admin.invite.name", el("input")],
	    ["center", "ui.admin.invite.center", el("input")],
	    ["role", "ui.admin.invite.role", roleSelect("role", ["office",
		"center", "admin"], "ui.value.role.")],
	    ["address", "ui.admin.invite.address", el("input",
		{ placeholder: "192.168.1.10:4411" })],
	    ["expires_days", "ui.admin.invite.expires", el("input",
		{ type: "number", min: "1", value: "7" })]],
	    "ui.admin.invite.create", async (v, out) => {
		const body = Object.assign({}, v, { expires_days:
		    Number(v.expires_days || 7) });
		const r = await api("POST", "/api/invite", body);
		if (!r.ok) return errText(r);
		out.textContent = "";
		out.append(el("p", {}, el("strong", { text:
		    t("ui.admin.invite.token") })),
		    el("textarea.mono.token", { readOnly: true, rows: "3",
			value: r.data.token || "" }),
		    el("p.hint", { text: t("ui.admin.invite.token_hint") }),
		    el("p", { text: t("ui.admin.invite.dials") + " " +
			(r.data.dials || []).join(", ") }));
		return null;
	    }));
	view.append(net);
}

// ---- Start --------------------------------------------------------------

async function start() {
	// The one-time link of `hamroh ui` signs in first; otherwise who is
	// signed in, and what the first page needs, are asked for while the
	// words load (one round trip, not three).
	const m = /^#signin=([0-9a-f]{32})$/.exec(location.hash);
	let meP = null;
	if (!m) {
		meP = call("GET", "/api/me");
		if (!location.hash || location.hash === "#/consultations")
			for (const p of [listQuery(), "/api/schema",
			    "/api/centers", "/api/status"])
				early.set(p, call("GET", p));
	}
	i18n = await import("/i18n.js");
	await i18n.load(savedLang());
	$("lang").value = i18n.lang();
	i18n.localize(document);
	document.title = t("ui.app.name");
	$("lang").addEventListener("change", ev => setLang(ev.target.value));
	$("signin").addEventListener("submit", signIn);
	$("signout").addEventListener("click", async () => {
		await api("POST", "/api/signout");
		history.replaceState(null, "", "/");
		signedOut("ui.signin.signed_out");
	});
	window.addEventListener("hashchange", () => { if (me) route(); });
	// The waiting changes stay true on a page in use; a page left alone
	// asks nothing, so that the agent's 30 idle minutes still end the
	// session on a shared PC.
	let used = Date.now();
	for (const ev of ["keydown", "pointerdown", "pointermove", "wheel"])
		document.addEventListener(ev, () => { used = Date.now(); },
		    { passive: true });
	setInterval(() => {
		if (me && !document.hidden && Date.now() - used < 5 * 60000)
			refreshStatus();
	}, 10000);
	// The one-time link of `hamroh ui`: the token rides in the fragment.
	if (m) {
		history.replaceState(null, "", "/");
		const r = await api("POST", "/api/signin", { token: m[1] });
		if (r.ok) return signedIn(r.data);
		showError(errText(r));
	}
	const r = meP ? await meP : await api("GET", "/api/me");
	if (r.ok) signedIn(r.data);
	else signedOut(null);
}

document.addEventListener("DOMContentLoaded", start);
