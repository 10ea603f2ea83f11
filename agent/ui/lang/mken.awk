# mken.awk: the UI's English catalog, made at build time from the two
# files that hold its strings, so no English message is written twice:
#
#   awk -f agent/ui/lang/mken.awk agent/ops/catalog.def agent/ui/lang/en.json
#
# prints one flat JSON object: every MSG(KEY, "text") line of catalog.def
# as "KEY": "text", then the "ui.*" lines of en.json as they are.  Both
# inputs are one entry a line; anything this cannot read exactly (an MSG
# spread over lines, a C escape JSON does not share, an en.json line that
# is not '"key": "value",') stops the build with the line named.
# agent/ui/lang/Makefile.inc runs it; tests/cli/t_i18n.sh checks its output.

function die(msg) {
	printf "mken.awk: %s:%d: %s\n", FILENAME, FNR, msg >"/dev/stderr"
	failed = 1
	exit 1
}

FNR == 1 { file++ }

# catalog.def: C string literals whose only escapes are \" and \\, which
# mean the same in JSON.
file == 1 && /^MSG\(/ {
	if ($0 !~ /^MSG\([A-Z][A-Z0-9_]*, ".*"\)$/)
		die("not one MSG(KEY, \"text\") on one line")
	key = substr($0, 5, index($0, ",") - 5)
	text = substr($0, index($0, ", \"") + 3)
	text = substr(text, 1, length(text) - 2)
	rest = text
	gsub(/\\["\\]/, "", rest)
	if (rest ~ /[\\"]/)
		die("an escape other than \\\" or \\\\ in " key)
	if (key in seen)
		die("key " key " twice")
	seen[key] = 1
	ops[++nops] = "  \"" key "\": \"" text "\","
	next
}

# en.json: "{", then '  "ui.x": "text",' lines (the last without ","),
# then "}".
file == 2 {
	if (FNR == 1) {
		if ($0 != "{")
			die("the first line must be {")
		next
	}
	if (ended)
		die("text after the closing }")
	if ($0 == "}") {
		ended = 1
		next
	}
	if ($0 !~ /^  "ui\.[a-z0-9_.A-Z-]+": ".*",?$/)
		die("not '  \"ui.key\": \"text\",' (en.json holds only ui.* keys; the operations' English is catalog.def's)")
	ui[++nui] = $0
	next
}

END {
	if (failed)
		exit 1
	if (file != 2 || nops == 0 || nui == 0 || !ended) {
		print "mken.awk: give catalog.def and a complete en.json" >"/dev/stderr"
		exit 1
	}
	if (ui[nui] ~ /,$/) {
		print "mken.awk: en.json's last entry ends with ','" >"/dev/stderr"
		exit 1
	}
	print "{"
	for (i = 1; i <= nops; i++)
		print ops[i]
	for (i = 1; i <= nui; i++)
		print ui[i]
	print "}"
}
