// The office UI's first page: sign in, then the consultations.  Plain
// JavaScript, no framework; every request goes to this agent only.
"use strict";

let csrf = "";

function $(id) { return document.getElementById(id); }

function show(id, on) { $(id).hidden = !on; }

function fail(body) {
	const e = body && body.error;
	$("error").textContent = e ? e.message : "The agent did not answer.";
	show("error", true);
}

async function api(method, path, body) {
	const opt = { method: method, headers: {}, credentials: "same-origin" };
	if (method !== "GET") {
		opt.headers["Content-Type"] = "application/json";
		if (csrf) opt.headers["X-CSRF-Token"] = csrf;
		opt.body = JSON.stringify(body || {});
	}
	const r = await fetch(path, opt);
	let data = null;
	try { data = await r.json(); } catch (e) { data = null; }
	return { ok: r.ok, status: r.status, data: data };
}

function cell(tr, text) {
	const td = document.createElement("td");
	td.textContent = text == null ? "" : String(text);
	tr.appendChild(td);
}

async function list() {
	const r = await api("GET", "/api/consultations?limit=50");
	if (!r.ok) { fail(r.data); return; }
	const rows = $("rows");
	rows.textContent = "";
	for (const c of r.data.consultations) {
		const tr = document.createElement("tr"), f = c.fields;
		cell(tr, f.opened_at); cell(tr, f.center); cell(tr, f.topic);
		cell(tr, f.status); cell(tr, f.client_name);
		rows.appendChild(tr);
	}
	show("list", true);
}

function signedIn(me) {
	csrf = me.csrf;
	$("who").textContent = "Signed in as " + me.user + " (" + me.role +
	    (me.center ? ", " + me.center : "") + ")";
	show("who", true);
	show("signout", true);
	show("signin", false);
	show("error", false);
	list();
}

function signedOut() {
	csrf = "";
	show("who", false);
	show("signout", false);
	show("list", false);
	show("signin", true);
}

async function start() {
	$("signin").addEventListener("submit", async function (ev) {
		ev.preventDefault();
		const f = ev.target;
		const r = await api("POST", "/api/signin",
		    { user: f.user.value, passphrase: f.passphrase.value });
		f.passphrase.value = "";
		if (r.ok) signedIn(r.data); else fail(r.data);
	});
	$("signout").addEventListener("click", async function () {
		await api("POST", "/api/signout");
		signedOut();
	});
	const m = /^#signin=([0-9a-f]{32})$/.exec(location.hash);
	if (m) {
		history.replaceState(null, "", "/");
		const r = await api("POST", "/api/signin", { token: m[1] });
		if (r.ok) { signedIn(r.data); return; }
		fail(r.data);
	}
	const me = await api("GET", "/api/me");
	if (me.ok) signedIn(me.data); else signedOut();
}

document.addEventListener("DOMContentLoaded", start);
