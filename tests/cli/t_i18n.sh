#!/usr/bin/env bash
# Proves the UI's catalogs are complete (#14, Languages): en, tg and ru hold every operations message of catalog.def and the same ui.* keys (each count with its language's plural forms), with the English's placeholders, as valid UTF-8 JSON, tg and ru never left in English; every schema field (centers' too), coded value, country and role has a label; a missing key's line says where to add it; the build's en.json is catalog.def's English plus en.json's ui.* keys; and the check fails, naming the key, on each of those mistakes made on purpose.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
R=$HAMROH_REPO
SRC=$R/agent/ui/lang
BUILT=$HAMROH_BUILD/ui/lang
for l in en tg ru; do
	[ -f "$BUILT/$l.json" ] || die "no $BUILT/$l.json ('make unit' makes it)"
done

# check SRC BUILT [CATALOG [SCHEMA]]: run the checker; output in $OUT.
check() {
	local rc=0
	OUT=$(python3 "$R/tests/tools/i18n_check.py" --src "$1" --built "$2" \
	    --catalog "${3:-$R/agent/ops/catalog.def}" \
	    --schema "${4:-$R/store/schema.c}" \
	    --users "$R/agent/access/users.c" 2>&1) || rc=$?
	return $rc
}
check "$SRC" "$BUILT" || die "the catalogs have problems:
$OUT"

# The built en.json is what mken.awk makes now (not a stale copy).
awk -f "$SRC/mken.awk" "$R/agent/ops/catalog.def" "$SRC/en.json" >"$T/en.json"
assert_same_file "$BUILT/en.json" "$T/en.json" "built en.json"

# broken DESC NEEDLE: the check must fail and name NEEDLE.  The copies to
# break are in $T/src and $T/built (made fresh by fresh()).
fresh() {
	rm -rf "$T/src" "$T/built"
	cp -r "$SRC" "$T/src"
	cp -r "$BUILT" "$T/built"
}
rebuild_en() {
	awk -f "$SRC/mken.awk" "${1:-$R/agent/ops/catalog.def}" \
	    "$T/src/en.json" >"$T/built/en.json"
}
broken() {
	local desc=$1 needle=$2; shift 2
	if check "$T/src" "$T/built" "$@"; then
		die "the check passed with $desc"
	fi
	assert_contains "$OUT" "$needle" "the check's report on $desc"
}
# edit FILE PYTHON: rewrite a catalog copy with a Python expression on d.
edit() {
	python3 - "$1" "$2" <<'EOF_PY'
import json, sys
path, expr = sys.argv[1], sys.argv[2]
d = json.load(open(path, encoding="utf-8"))
exec(expr)
with open(path, "w", encoding="utf-8") as f:
    f.write("{\n" + ",\n".join("  %s: %s" % (json.dumps(k),
        json.dumps(v, ensure_ascii=False)) for k, v in d.items()) + "\n}\n")
EOF_PY
}

fresh; edit "$T/src/tg.json" 'del d["NO_RECORD"]'; cp "$T/src/tg.json" "$T/built/"
broken "an operations message missing from tg" "tg.json: missing NO_RECORD"
# ...and says in the same line what to do, for whoever adds a message.
assert_contains "$OUT" "tg.json: missing NO_RECORD (catalog.def has it): add NO_RECORD to agent/ui/lang/tg.json, in Tajik (see agent/ui/lang/README.md)" "the fix named"

fresh; edit "$T/src/ru.json" 'del d["ui.nav.guides"]'; cp "$T/src/ru.json" "$T/built/"
broken "a ui key missing from ru" "ru.json: missing ui.nav.guides"

fresh; edit "$T/src/en.json" 'd["ui.nav.archive"] = "Archive"'; rebuild_en
broken "a ui key only in en" "tg.json: missing ui.nav.archive"

fresh; edit "$T/src/ru.json" 'del d["ui.results.few"]'; cp "$T/src/ru.json" "$T/built/"
broken "a Russian count without its few form" "ru.json: the count ui.results has"

fresh; edit "$T/src/ru.json" 'd["FORM_RANGE"] = d["FORM_RANGE"].replace("{4}", "120")'
cp "$T/src/ru.json" "$T/built/"
broken "a placeholder dropped" "ru.json: FORM_RANGE: placeholders"

fresh; edit "$T/src/tg.json" 'd["ui.signin.submit"] = "Sign in"'; cp "$T/src/tg.json" "$T/built/"
broken "Tajik left in English" "tg.json: ui.signin.submit is the English text"

fresh; edit "$T/src/ru.json" 'd["ui.sync.up_to_date"] = "OK"'; cp "$T/src/ru.json" "$T/built/"
broken "a Russian label with no Russian word" "ru.json: ui.sync.up_to_date has no Tajik or Russian word"

fresh; printf '{\n  "ui.a": "\377"\n}\n' >"$T/src/ru.json"; cp "$T/src/ru.json" "$T/built/"
broken "bytes that are not UTF-8" "ru.json: not valid UTF-8"

fresh; sed -i '2s/.*/&\n  "ui.nav.sync": "x",/' "$T/src/tg.json"; cp "$T/src/tg.json" "$T/built/"
broken "a key twice" "tg.json: key ui.nav.sync twice"

fresh; sed -i '$d' "$T/src/tg.json"; cp "$T/src/tg.json" "$T/built/"
broken "a truncated file" "tg.json: not valid JSON"

fresh; cp "$T/src/ru.json" "$T/src/tg.json"
broken "tg.json not copied to the build" "differs from"

# A message added to catalog.def without translations; a topic and a field
# added to the schema without labels.
fresh; cp "$R/agent/ops/catalog.def" "$T/catalog.def"
echo 'MSG(I18N_TEST_NEW, "a new message {1}")' >>"$T/catalog.def"
rebuild_en "$T/catalog.def"
broken "a new catalog.def message" "tg.json: missing I18N_TEST_NEW" "$T/catalog.def"
sed 's/"social_protection", "other", NULL/"social_protection", "asylum", "other", NULL/; s/TEXT("lawyer", 200, false),/&\n\tTEXT("interpreter", 200, false),/; s/TEXT("region", 100, true),/&\n\tTEXT("phone", 50, false),/' \
    "$R/store/schema.c" >"$T/schema.c"
fresh
broken "a new topic" "missing ui.value.topic.asylum" "$R/agent/ops/catalog.def" "$T/schema.c"
assert_contains "$OUT" "missing ui.field.consultations.interpreter (the schema has it): add it to agent/ui/lang/en.json, tg.json and ru.json" "a new field"
assert_contains "$OUT" "missing ui.field.centers.phone" "a new field of the centers list"

# The generator refuses what it cannot copy exactly.
printf 'MSG(A_B, "one"\n    " two")\n' >"$T/multi.def"
if awk -f "$SRC/mken.awk" "$T/multi.def" "$SRC/en.json" >/dev/null 2>"$T/err"; then
	die "mken.awk took an MSG over two lines"
fi
assert_contains "$(cat "$T/err")" "multi.def:1: not one MSG" "mken.awk on a split MSG"
printf '{\n  "NO_RECORD": "x"\n}\n' >"$T/en_ops.json"
if awk -f "$SRC/mken.awk" "$R/agent/ops/catalog.def" "$T/en_ops.json" >/dev/null 2>"$T/err"; then
	die "mken.awk took an operations key in en.json"
fi
assert_contains "$(cat "$T/err")" "en.json holds only ui.* keys" "mken.awk on an ops key"
echo "ok: catalogs complete"
