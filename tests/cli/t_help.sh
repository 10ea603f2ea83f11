#!/usr/bin/env bash
# Proves the help made from the one command table holds together: every command 'hamroh help' lists has its help (help CMD = CMD --help, exit 0, its synopsis, even with its arguments missing), the options it lists are accepted and a made-up one refused, every option the sources parse and every variable they read is in the man page, which renders without warnings, the bash completion completes commands and subcommands, and a mistyped command names the nearest one.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

n=0
fresh() {	# a data dir that does not exist yet, a new one each call
	n=$((n + 1))
	echo "$TMPDIR/none.$n"
}

# --- the listing -------------------------------------------------------------
list=$(expect_ok "$H" help)
rows=$(printf '%s\n' "$list" | awk '/^  [a-z]/ { if ($2 ~ /^[a-z]+$/) print $1 " " $2; else print $1 }')
[ "$(printf '%s\n' "$rows" | wc -l)" -ge 30 ] ||
    die "'hamroh help' lists only $(printf '%s\n' "$rows" | wc -l) commands: $rows"
for want in "add" "peer add" "key rotate" "network create" "bundle export" "help"; do
	grep -qx "$want" <<<"$rows" || die "'hamroh help' does not list '$want'"
done
assert_eq "$(expect_ok "$H" help)" "$list" "'hamroh help' twice"

# --- each command's help -----------------------------------------------------
cmds=
while IFS= read -r row; do
	read -r -a w <<<"$row"
	out=$(expect_ok "$H" help "${w[@]}")
	assert_contains "$out" "usage: hamroh [--data DIR] $row" "'hamroh help $row'"
	# Before the command checks its arguments: none are given here.
	"$H" "${w[@]}" --help >"$TMPDIR/h.out" 2>"$TMPDIR/h.err" ||
	    die "'hamroh $row --help' exited $?: $(cat "$TMPDIR/h.err")"
	[ ! -s "$TMPDIR/h.err" ] || die "'hamroh $row --help' wrote on stderr: $(cat "$TMPDIR/h.err")"
	assert_eq "$(cat "$TMPDIR/h.out")" "$out" "'hamroh $row --help' against 'hamroh help $row'"
	assert_eq "$("$H" "${w[@]}" -h)" "$out" "'hamroh $row -h'"
	case " $cmds " in *" ${w[0]} "*) ;; *) cmds="$cmds ${w[0]}" ;; esac
done <<<"$rows"
# A command with subcommands: every one, and its help names each.
for c in $cmds; do
	out=$(expect_ok "$H" "$c" --help)
	assert_contains "$out" "usage: hamroh [--data DIR] $c" "'hamroh $c --help'"
	for sub in $(printf '%s\n' "$rows" | awk -v c="$c" '$1 == c && NF == 2 { print $2 }'); do
		assert_contains "$out" "hamroh [--data DIR] $c $sub" "'hamroh $c --help' names '$c $sub'"
	done
done
out=$(expect_ok "$H" --data "$(fresh)" add --help)
assert_contains "$out" "consultations:" "'hamroh add --help' lists the fields"
expect_fail --rc 2 "help of two commands" "$H" help add set extra
expect_fail --rc 2 "help of a subcommand that is not" "$H" help peer ad
assert_contains "$ERR" "'add'" "help of 'peer ad' names 'peer add'"
expect_fail --rc 2 "help of a subcommand of a command without" "$H" help status now

# --- the options listed are those accepted -----------------------------------
# For every row: each option its help lists is not refused as unknown (the
# command may fail for another reason: no node here, missing arguments);
# a made-up one is.
while IFS= read -r row; do
	read -r -a w <<<"$row"
	# "  --name NAME   text": the option and its value, then two spaces.
	opts=$("$H" help "${w[@]}" | awk -F '  +' '/^Options:/ { on = 1; next } on && /^  --/ { print $2 }')
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		read -r o a <<<"$line"
		val=()
		case $a in
		'')	;;
		*'|'*)	val=("${a%%|*}") ;;
		[a-z]*)	val=("$a") ;;
		*)	val=(x) ;;
		esac
		rc=0
		timeout 20 "$H" --data "$(fresh)" "${w[@]}" "$o" "${val[@]}" \
		    >/dev/null 2>"$TMPDIR/o.err" </dev/null || rc=$?
		[ $rc -le 2 ] || die "'hamroh $row $o ${val[*]}' exited $rc: $(cat "$TMPDIR/o.err")"
		! grep -q "unknown option" "$TMPDIR/o.err" ||
		    die "'hamroh $row' lists $o, but refuses it: $(cat "$TMPDIR/o.err")"
		checked=$((${checked:-0} + 1))
	done <<<"$opts"
	expect_fail --rc 2 "'hamroh $row --frobnicate'" "$H" --data "$(fresh)" "${w[@]}" --frobnicate
	assert_contains "$ERR" "unknown option '--frobnicate'" "'hamroh $row --frobnicate'"
done <<<"$rows"
[ "${checked:-0}" -ge 20 ] || die "only ${checked:-0} listed options were checked"

# --- the man page ------------------------------------------------------------
man=$(expect_ok "$H" help --man)
for sec in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS ENVIRONMENT FILES "EXIT STATUS" "SEE ALSO"; do
	grep -qx "\.SH \"\\{0,1\\}$sec\"\\{0,1\\}" <<<"$man" || die "the man page has no $sec section"
done
# Every command row, every option any command parses, every variable read.
while IFS= read -r row; do
	assert_contains "$man" "fBhamroh $row\\fR" "the man page's COMMANDS"
done <<<"$rows"
src=$(find "$HAMROH_REPO/agent" -name '*.c')
# shellcheck disable=SC2086
parsed=$(grep -ohE 'cli_(opt|opt_next|flag)\([^"]*"--[a-z-]+"' $src | grep -oE -- '--[a-z-]+' | sort -u)
[ -n "$parsed" ] || die "found no cli_opt/cli_flag calls in agent/"
for o in $parsed; do
	assert_contains "$man" "\\fB${o//-/\\-}\\fR" "the man page lists $o"
done
# shellcheck disable=SC2086
vars=$(grep -ohE 'getenv\("[A-Z_]+"\)' $src | grep -oE '[A-Z_]{2,}' | sort -u)
for v in $vars; do
	grep -qx "\.B $v" <<<"$man" || die "the man page's ENVIRONMENT does not name $v"
done
if command -v groff >/dev/null; then
	printf '%s\n' "$man" | groff -man -Tutf8 -ww -z 2>"$TMPDIR/groff.err" ||
	    die "groff failed on the man page: $(cat "$TMPDIR/groff.err")"
	[ ! -s "$TMPDIR/groff.err" ] || die "groff warns about the man page: $(head -5 "$TMPDIR/groff.err")"
	if command -v man >/dev/null; then
		printf '%s\n' "$man" | MANWIDTH=80 man --warnings -l - >"$TMPDIR/man.out" 2>"$TMPDIR/man.err" ||
		    die "man -l failed: $(cat "$TMPDIR/man.err")"
		[ ! -s "$TMPDIR/man.err" ] || die "man warns about the man page: $(head -5 "$TMPDIR/man.err")"
		grep -q "EXIT STATUS" "$TMPDIR/man.out" || die "man -l rendered no EXIT STATUS"
	fi
else
	echo "t_help: no groff here: the man page is not rendered"
fi

# --- the bash completion -----------------------------------------------------
expect_ok "$H" help --completion bash >"$TMPDIR/hamroh.bash"
bash -n "$TMPDIR/hamroh.bash" || die "the completion script is not valid bash"
comp() {	# comp WORD...: what the completion offers for the last WORD
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hamroh; echo "${COMPREPLY[*]}"' \
	    comp "$TMPDIR/hamroh.bash" "$@"
}
assert_eq "$(comp hamroh pe)" "peer" "completion of 'hamroh pe'"
assert_eq "$(comp hamroh peer a)" "add" "completion of 'hamroh peer a'"
assert_eq "$(comp hamroh --data /x ke)" "key" "completion of 'hamroh --data /x ke'"
assert_eq "$(comp hamroh key "")" "list rotate" "completion of 'hamroh key '"
assert_eq "$(comp hamroh bundle export --s)" "--since" "completion of 'hamroh bundle export --s'"
assert_eq "$(comp hamroh invite K --role "")" "admin center office" "completion of '--role '"
assert_eq "$(comp hamroh list --json gu)" "guides" "completion of 'hamroh list --json gu'"
assert_eq "$(comp hamroh help fo)" "fork" "completion of 'hamroh help fo'"
assert_contains " $(comp hamroh add consultations cl) " " client_name= " "completion of a field"
expect_fail --rc 2 "completion for another shell" "$H" help --completion tcsh

# --- a mistyped command ------------------------------------------------------
expect_fail --rc 2 "a mistyped command" "$H" stauts
assert_contains "$ERR" "'status'" "'hamroh stauts' suggests status"
assert_contains "$ERR" "hamroh --help" "'hamroh stauts' points to --help"
expect_fail --rc 2 "a mistyped command under help" "$H" help pere
assert_contains "$ERR" "'peer'" "'hamroh help pere' suggests peer"
expect_fail --rc 2 "a command near nothing" "$H" frobnicate
[[ $ERR != *"did you mean"* ]] || die "'hamroh frobnicate' suggests something: $ERR"

# --- the bare overview -------------------------------------------------------
rc=0
"$H" >/dev/null 2>"$TMPDIR/bare.err" || rc=$?
assert_eq "$rc" 2 "exit of a bare 'hamroh'"
assert_contains "$(cat "$TMPDIR/bare.err")" "usage: hamroh" "a bare 'hamroh'"
echo "t_help: ok"
