// i18n.js: the page's words, dates and numbers in Tajik, Russian or English.
//
// An ES module (<script type="module">), no dependency.  The catalogs are
// /lang/LANG.json (agent/ui/lang/README.md: keys, placeholders, plurals);
// dates, months and numbers come from the tables below, not from Intl:
// Chromium's Intl has no Tajik (it falls back to English) and glibc's
// tg_TJ prints Russian month names.
//
//   import * as i18n from "/i18n.js";
//   await i18n.load(i18n.chosenLang());      // once, before drawing
//   el.textContent = i18n.t("ui.nav.guides");
//   el.textContent = i18n.t(err.key, err.args);      // an API error
//   el.textContent = i18n.tn("ui.results", 12);      // "12 натиҷа"
//   cell.textContent = i18n.formatDate("2026-03-05"); // "5 марти 2026"

export const LANGS = ["tg", "ru", "en"];
export const DEFAULT_LANG = "tg";
const STORE_KEY = "hamroh.lang";

const catalogs = Object.create(null);	// lang -> { key: text }
let current = DEFAULT_LANG;
const warned = new Set();

// ---- Choosing and loading a language ----------------------------------

function known(lang) {
	return LANGS.includes(lang);
}

// The language the user chose last (remembered in this browser), else the
// first of the browser's languages we have, else Tajik.
export function chosenLang() {
	try {
		const saved = globalThis.localStorage?.getItem(STORE_KEY);
		if (known(saved))
			return saved;
	} catch (e) {
		// Storage refused (private mode): fall through.
	}
	const prefs = globalThis.navigator?.languages ?? [];
	for (const p of prefs) {
		const base = String(p).toLowerCase().split("-")[0];
		if (known(base))
			return base;
	}
	return DEFAULT_LANG;
}

// Remember ${lang} for the next visit; the caller loads it and redraws.
export function rememberLang(lang) {
	if (!known(lang))
		throw new Error(`unknown language ${lang}`);
	try {
		globalThis.localStorage?.setItem(STORE_KEY, lang);
	} catch (e) {
		// Not remembered; the choice still holds for this page.
	}
}

// Fetch /lang/${lang}.json (once) and make it the current language.
export async function load(lang) {
	if (!known(lang))
		lang = DEFAULT_LANG;
	if (!catalogs[lang]) {
		const r = await fetch(`/lang/${lang}.json`,
		    { credentials: "same-origin" });
		if (!r.ok)
			throw new Error(`/lang/${lang}.json: HTTP ${r.status}`);
		catalogs[lang] = await r.json();
	}
	current = lang;
	if (globalThis.document?.documentElement)
		document.documentElement.lang = lang;
	return lang;
}

// Use ${catalog} (an object like LANG.json's) for ${lang} without a fetch
// (tests; a page that embeds its catalog).
export function useCatalog(lang, catalog) {
	catalogs[lang] = catalog;
	current = lang;
}

export function lang() {
	return current;
}

// ---- Messages -----------------------------------------------------------

// The text of ${key} with {1}..{5} replaced by ${args} (an array, as an API
// error carries it, or one value).  A key the catalog lacks is returned as
// it is, so that tests find raw keys on the page, and logged once.
export function t(key, args) {
	const cat = catalogs[current];
	const text = cat ? cat[key] : undefined;
	if (typeof text !== "string") {
		if (!warned.has(current + " " + key)) {
			warned.add(current + " " + key);
			console.warn(`i18n: no "${key}" in ${current}.json`);
		}
		return key;
	}
	return fill(text, args);
}

function fill(text, args) {
	if (args === undefined || args === null)
		return text;
	const a = Array.isArray(args) ? args : [args];
	return text.replace(/\{([1-5])\}/g, (m, n) =>
	    a[n - 1] === undefined || a[n - 1] === null ? "" : String(a[n - 1]));
}

// The plural category of ${n} in ${lng}: "one", "few", "many" or "other".
// Russian: 1, 21, 101 one; 2-4, 22-24 few; 0, 5-20, 25-30 many; fractions
// other.  Tajik: a noun after a numeral stays singular ("5 натиҷа"), so
// always other.  English: 1 one, else other.
export function pluralCategory(n, lng = current) {
	const i = Math.abs(Number(n));
	switch (lng) {
	case "ru":
		if (!Number.isInteger(i))
			return "other";
		if (i % 10 === 1 && i % 100 !== 11)
			return "one";
		if (i % 10 >= 2 && i % 10 <= 4 && (i % 100 < 12 || i % 100 > 14))
			return "few";
		return "many";
	case "en":
		return i === 1 ? "one" : "other";
	default:
		return "other";
	}
}

// A count: ${base}.CATEGORY with {1} = ${n} written as a number in the
// current language and {2}.. = ${more}.  Falls back to ${base}.other.
export function tn(base, n, more = []) {
	const cat = catalogs[current] ?? {};
	let key = `${base}.${pluralCategory(n, current)}`;
	if (typeof cat[key] !== "string")
		key = `${base}.other`;
	return t(key, [formatNumber(n, current), ...more]);
}

// Translate the page's fixed words in place: every element under ${root}
// with data-i18n="KEY" gets t(KEY) as its text, data-i18n-placeholder and
// data-i18n-title its placeholder and title, and data-i18n-aria its
// aria-label.  Call it after load() and after switching languages.
export function localize(root = globalThis.document) {
	if (!root?.querySelectorAll)
		return;
	const attrs = [["data-i18n-placeholder", "placeholder"],
	    ["data-i18n-title", "title"], ["data-i18n-aria", "aria-label"]];
	for (const el of root.querySelectorAll("[data-i18n]"))
		el.textContent = t(el.getAttribute("data-i18n"));
	for (const [data, attr] of attrs)
		for (const el of root.querySelectorAll(`[${data}]`))
			el.setAttribute(attr, t(el.getAttribute(data)));
}

// ---- Dates ----------------------------------------------------------------

// Tajik month names.  In a date the month takes the izofat -и and the year
// "соли", as the laws and official letters of Tajikistan write it:
// "5 марти соли 2026"; a month alone (a column "month", a period) is
// "марти соли 2026" as well, and "март" only standing by itself.
const TG_MONTHS = ["январ", "феврал", "март", "апрел", "май", "июн", "июл",
    "август", "сентябр", "октябр", "ноябр", "декабр"];
// Russian: genitive in a date (5 марта 2026 г.), nominative alone (март).
const RU_MONTHS_GEN = ["января", "февраля", "марта", "апреля", "мая",
    "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"];
const RU_MONTHS_NOM = ["январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"];
const EN_MONTHS = ["January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December"];

export const MONTHS = Object.freeze({
	tg: Object.freeze(TG_MONTHS.slice()),
	ru: Object.freeze(RU_MONTHS_NOM.slice()),
	ruGenitive: Object.freeze(RU_MONTHS_GEN.slice()),
	en: Object.freeze(EN_MONTHS.slice()),
});

// The izofat of a month: every Tajik month name ends in a consonant (й
// included: "майи"), so it takes plain -и.
function tgIzofat(word) {
	return word + "и";
}

export function monthName(m, lng = current) {
	const i = m - 1;
	if (!(i >= 0 && i < 12))
		return "";
	switch (lng) {
	case "ru": return RU_MONTHS_NOM[i];
	case "en": return EN_MONTHS[i];
	default: return TG_MONTHS[i];
	}
}

// "YYYY-MM-DD" (or the date part of an ISO time) as its own numbers: a
// date written by a lawyer is a calendar day, never shifted by time zone.
function ymd(iso) {
	const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?/.exec(String(iso ?? ""));
	if (!m)
		return null;
	const y = +m[1], mo = +m[2], d = m[3] === undefined ? 0 : +m[3];
	if (mo < 1 || mo > 12 || (m[3] !== undefined && (d < 1 || d > 31)))
		return null;
	return { y, mo, d };
}

function dateText(y, mo, d, lng) {
	switch (lng) {
	case "ru":
		return `${d} ${RU_MONTHS_GEN[mo - 1]} ${y} г.`;
	case "en":
		return `${d} ${EN_MONTHS[mo - 1]} ${y}`;
	default:
		return `${d} ${tgIzofat(TG_MONTHS[mo - 1])} соли ${y}`;
	}
}

// 2026-03-05: tg "5 марти соли 2026", ru "5 марта 2026 г.", en
// "5 March 2026".  Input that is not a date is returned unchanged.
export function formatDate(iso, lng = current) {
	const p = ymd(iso);
	if (!p || p.d === 0)
		return String(iso ?? "");
	return dateText(p.y, p.mo, p.d, lng);
}

// 2026-03 or 2026-03-05: tg "марти соли 2026", ru "март 2026 г.", en
// "March 2026".
export function formatMonth(iso, lng = current) {
	const p = ymd(iso);
	if (!p)
		return String(iso ?? "");
	switch (lng) {
	case "ru":
		return `${RU_MONTHS_NOM[p.mo - 1]} ${p.y} г.`;
	case "en":
		return `${EN_MONTHS[p.mo - 1]} ${p.y}`;
	default:
		return `${tgIzofat(TG_MONTHS[p.mo - 1])} соли ${p.y}`;
	}
}

function pad2(n) {
	return n < 10 ? "0" + n : String(n);
}

// A moment (ISO 8601 with a zone, or milliseconds since 1970) in this
// computer's local time: tg "5 марти соли 2026, соати 14:05", ru
// "5 марта 2026 г., 14:05", en "5 March 2026, 14:05" (24-hour clock in
// all three, as offices in Tajikistan write it).
export function formatDateTime(when, lng = current) {
	const dt = typeof when === "number" ? new Date(when) : new Date(String(when));
	if (Number.isNaN(dt.getTime()))
		return String(when ?? "");
	const date = dateText(dt.getFullYear(), dt.getMonth() + 1, dt.getDate(),
	    lng);
	const time = `${pad2(dt.getHours())}:${pad2(dt.getMinutes())}`;
	return lng === "tg" || !known(lng) ? `${date}, соати ${time}` :
	    `${date}, ${time}`;
}

// ---- Numbers -------------------------------------------------------------

const NNBSP = "\u202f";		// narrow no-break space
const SEP = {
	tg: { group: NNBSP, decimal: ",", minus: "-" },
	ru: { group: NNBSP, decimal: ",", minus: "-" },
	en: { group: ",", decimal: ".", minus: "-" },
};

// 1234567.5: tg and ru "1 234 567,5" (narrow no-break spaces), en
// "1,234,567.5"; four digits are grouped too ("1 234").  ${digits} fixes the
// number of decimals; without it at most 2 are shown, trailing zeros cut.
export function formatNumber(n, lng = current, digits) {
	const x = Number(n);
	if (!Number.isFinite(x))
		return String(n);
	const s = SEP[lng] ?? SEP.tg;
	let str = digits === undefined ? String(Math.round(Math.abs(x) * 100) / 100) :
	    Math.abs(x).toFixed(digits);
	if (/e/i.test(str))
		str = Math.abs(x).toFixed(digits ?? 0);
	let [int, frac] = str.split(".");
	int = int.replace(/\B(?=(\d{3})+(?!\d))/g, s.group);
	const neg = x < 0 && /[1-9]/.test(str);
	return (neg ? s.minus : "") + int + (frac ? s.decimal + frac : "");
}

// ${n} bytes as the sync page shows them: "512 байт", "1,5 КБ", "12 МБ"
// (1 KB = 1024 bytes; one decimal below 10 of a unit).
export function formatBytes(n, lng = current) {
	const units = ["ui.unit.bytes", "ui.unit.kb", "ui.unit.mb", "ui.unit.gb"];
	let x = Math.max(0, Number(n) || 0), u = 0;
	while (x >= 1024 && u < units.length - 1) {
		x /= 1024;
		u++;
	}
	const digits = u === 0 || x >= 10 ? 0 : 1;
	return t(units[u], formatNumber(Number(x.toFixed(digits)), lng));
}

// How long ago ${when} (ISO time or milliseconds) was, from ${now}:
// "ҳозир" under a minute, then minutes, hours, days ("3 рӯз пеш"); a week
// or more is the date itself.
export function formatAgo(when, now = Date.now(), lng = current) {
	const at = typeof when === "number" ? when : Date.parse(String(when));
	if (Number.isNaN(at))
		return String(when ?? "");
	const s = Math.max(0, (now - at) / 1000);
	if (s < 60)
		return t("ui.time.just_now");
	if (s < 3600)
		return tn("ui.time.minutes_ago", Math.floor(s / 60));
	if (s < 86400)
		return tn("ui.time.hours_ago", Math.floor(s / 3600));
	if (s < 7 * 86400)
		return tn("ui.time.days_ago", Math.floor(s / 86400));
	return formatDate(new Date(at).toISOString().slice(0, 10), lng);
}
