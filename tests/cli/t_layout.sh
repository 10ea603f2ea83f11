#!/usr/bin/env bash
# Proves the README's "Where to start" list is true: every task it names points at a file that exists and holds the symbol named beside it (a function defined or a table declared there), and the list names the five tasks a newcomer is most often given.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

readme=$HAMROH_REPO/README.md
list=$(awk '/^Where to start for common changes/{on=1; next} on && /^## /{exit} on' "$readme")
entries=$(printf '%s\n' "$list" | grep -E '^- [^:]+: `[^`]+` \(`[^`]+`\)$' || true)
[ -n "$entries" ] || die "README has no 'Where to start' list of '- task: \`file\` (\`symbol\`)' lines"

for task in 'change how an invite token is encoded' 'add a field to the status page' \
    'add a consultation field' 'change a handshake rule' 'add a CLI command'; do
	printf '%s\n' "$entries" | grep -qF -- "- $task: " ||
	    die "README's list does not say where to $task"
done

n=0
while IFS= read -r line; do
	file=$(printf '%s' "$line" | sed -E 's/^- [^:]+: `([^`]+)`.*/\1/')
	sym=$(printf '%s' "$line" | sed -E 's/.*\(`([^`]+)`\)$/\1/')
	[ -f "$HAMROH_REPO/$file" ] || die "README names $file, which does not exist"
	case $sym in
	*'[]')	pat="^(static )?(const )?struct [a-z_]+ ${sym%'[]'}\\[\\] =" ;;
	*)	pat="^${sym}\\(" ;;
	esac
	grep -qE "$pat" "$HAMROH_REPO/$file" ||
	    die "README says $file holds $sym, but it is not defined there"
	n=$((n + 1))
done <<<"$entries"
[ "$n" -ge 5 ] || die "only $n entries checked"
