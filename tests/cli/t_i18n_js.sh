#!/usr/bin/env bash
# Proves i18n.js writes what a Tajik, Russian or English reader expects (#14): Tajik dates from its own month table with izofat and "соли" (5 марти соли 2026), Russian months genitive in a date and nominative alone, numbers grouped by narrow no-break spaces with a decimal comma in tg and ru, Russian one/few/many counts and invariant Tajik ones picked from the real catalogs, arguments put into an operations message, and a missing key shown raw.  Needs node (the browser tests' machines have it); skipped without.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
command -v node >/dev/null || { echo "skip: no node to run i18n.js"; exit 77; }
BUILT=$HAMROH_BUILD/ui/lang
[ -f "$BUILT/tg.json" ] || die "no $BUILT/tg.json ('make unit' makes it)"

# The page loads i18n.js as an ES module; node takes a .mjs as one.
cp "$HAMROH_REPO/agent/ui/assets/i18n.js" "$T/i18n.mjs"
cat >"$T/check.mjs" <<'EOF_JS'
import * as i from "./i18n.mjs";
import fs from "fs";
const dir = process.argv[2];
const cats = {};
for (const l of i.LANGS)
	cats[l] = JSON.parse(fs.readFileSync(`${dir}/${l}.json`, "utf8"));
let bad = 0;
function eq(got, want, what) {
	if (got !== want) {
		console.log(`FAIL ${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
		bad++;
	}
}
const N = "\u202f";
const use = (l) => i.useCatalog(l, cats[l]);

use("tg");
eq(i.formatDate("2026-03-05"), "5 марти соли 2026", "tg date");
eq(i.formatDate("2026-05-01"), "1 майи соли 2026", "tg date in May");
eq(i.formatDate("2026-12-31"), "31 декабри соли 2026", "tg date in December");
eq(i.formatMonth("2026-09"), "сентябри соли 2026", "tg month");
eq(i.formatDateTime(new Date(2026, 10, 20, 9, 5).getTime()),
    "20 ноябри соли 2026, соати 09:05", "tg date and time");
eq(i.monthName(2), "феврал", "tg February alone");
eq(i.formatNumber(1234567.5), `1${N}234${N}567,5`, "tg number");
eq(i.formatNumber(-1234), `-1${N}234`, "tg negative number");
for (const n of [1, 2, 5, 21])
	eq(i.tn("ui.results", n), `${n} натиҷа`, `tg count ${n}`);
eq(i.t("FORM_RANGE", ["client_age", "150", "0", "120"]),
    "майдони 'client_age' 150 аст; иҷозат дода мешавад: аз 0 то 120",
    "tg operations message with arguments");
eq(i.t("ui.no.such.key"), "ui.no.such.key", "a missing key shown raw");
eq(i.formatDate("not a date"), "not a date", "not a date left alone");

eq(i.formatBytes(512), "512 байт", "tg bytes");
eq(i.formatBytes(1536), "1,5 КБ", "tg kilobytes");
eq(i.formatBytes(12 * 1048576), "12 МБ", "tg megabytes");
const now = Date.UTC(2026, 10, 20, 12, 0);
eq(i.formatAgo(now - 30e3, now), "ҳозир", "tg just now");
eq(i.formatAgo(now - 3 * 86400e3, now), "3 рӯз пеш", "tg 3 days ago");
eq(i.formatAgo(now - 30 * 86400e3, now), "21 октябри соли 2026", "tg a month ago is a date");

use("ru");
eq(i.formatAgo(now - 5 * 60e3, now), "5 минут назад", "ru 5 minutes ago");
eq(i.formatAgo(now - 2 * 3600e3, now), "2 часа назад", "ru 2 hours ago");
eq(i.formatAgo(now - 21 * 60e3, now), "21 минуту назад", "ru 21 minutes ago");
eq(i.formatDate("2026-03-05"), "5 марта 2026 г.", "ru date");
eq(i.formatMonth("2026-03-05"), "март 2026 г.", "ru month");
eq(i.formatDateTime(new Date(2026, 0, 2, 14, 30).getTime()),
    "2 января 2026 г., 14:30", "ru date and time");
eq(i.formatNumber(1234567.5), `1${N}234${N}567,5`, "ru number");
const ru = { 1: "one", 2: "few", 4: "few", 5: "many", 11: "many", 12: "many",
    14: "many", 21: "one", 22: "few", 25: "many", 101: "one", 111: "many", 0: "many" };
for (const [n, c] of Object.entries(ru))
	eq(i.pluralCategory(Number(n), "ru"), c, `ru plural of ${n}`);
eq(i.pluralCategory(1.5, "ru"), "other", "ru plural of 1.5");
eq(i.tn("ui.results", 1), "1 результат", "ru 1 result");
eq(i.tn("ui.results", 3), "3 результата", "ru 3 results");
eq(i.tn("ui.results", 11), "11 результатов", "ru 11 results");
eq(i.tn("ui.results", 1234), `1${N}234 результата`, "ru 1234 results");
eq(i.t("ui.signin.as", "saidova"), "Вы вошли как saidova", "ru one argument");

use("en");
eq(i.formatDate("2026-03-05"), "5 March 2026", "en date");
eq(i.formatMonth("2026-03"), "March 2026", "en month");
eq(i.formatNumber(1234567.5), "1,234,567.5", "en number");
eq(i.tn("ui.results", 1), "1 result", "en 1 result");
eq(i.tn("ui.results", 2), "2 results", "en 2 results");
// localize() on a stand-in for the DOM: text, placeholder, title.
function el(attrs) {
	return { attrs, textContent: "", getAttribute(a) { return this.attrs[a]; },
	    setAttribute(a, v) { this.attrs[a] = v; } };
}
const nav = el({ "data-i18n": "ui.nav.guides" });
const box = el({ "data-i18n-placeholder": "ui.cons.search.placeholder" });
const all = [nav, box];
const root = { querySelectorAll: (sel) => all.filter((e) =>
    e.attrs[sel.slice(1, -1)] !== undefined) };
i.localize(root);
eq(nav.textContent, "Guides", "localize text");
eq(box.attrs.placeholder, "name, phone, case number or words of the summary",
    "localize placeholder");
// en.json as built holds catalog.def's English too.
eq(i.t("NO_RECORD", ["consultations", "ab12"]), "no consultations record ab12",
    "en operations message from catalog.def");
process.exit(bad ? 1 : 0);
EOF_JS
out=$(cd "$T" && node check.mjs "$BUILT" 2>&1) || die "i18n.js:
$out"
echo "ok: i18n.js tables"
