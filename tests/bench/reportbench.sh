#!/usr/bin/env bash
# The report figures for make bench (runs alone too):
#
#     tests/bench/reportbench.sh [HAMROH [INPUT]]
#
# 350,000 consultations (tests/tools/gen_consultations.py, default
# fields; their opened_at moved into one year, 2025, month and day kept,
# closed_on by the same days: one year of the whole network, as the
# issue's target is) imported on a node made as an office's is
# (staff.sh), the generator's twelve centers on its list:
#   report-q       report quarterly --from 2025-01-01 --to 2025-12-31
#   report-cm      report --by center,month
#   report-persons report topic-sex --count persons
#                  each warm (run once, then the best of 3 timed), target
#                  <= 2 s; the floor is a bare SELECT ..., count(*) ...
#                  GROUP BY of the same groupings over the same table
#                  (python3's sqlite3, same run), ratio floor / hamroh.
#   export-clear   export --csv consultations, no user signed in: time
#                  (target <= 30 s) and peak RSS (target <= 64 MiB), the
#                  rows checked against SELECT count(*) of the database.
#   export-admin   the same by the signed-in admin (confidential fields
#                  too): its peak holds Argon2id's 64 MiB of the sign-in,
#                  so the RSS once the export writes (the sign-in over) is
#                  printed beside it, sampled from /proc/PID/status.
# INPUT (make bench: build/bench-350k-2025.jsonl) is generated first if
# it is missing, and kept (remove it after changing the generator).
# BENCH_ONLY=report runs it; another figure's name runs nothing here.
set -eu
case ${BENCH_ONLY:-} in
''|report) ;;
*) exit 0 ;;
esac
H=${1:-./hamroh}
N=${REPORTBENCH_N:-350000}
INPUT=${2:-}
T=$(mktemp -d "${TMPDIR:-/tmp}/hamroh-reportbench.XXXXXX")
trap 'if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi' EXIT
# shellcheck source=tests/bench/staff.sh
. "$(dirname "$0")/staff.sh"
DB=$T/A/hamroh.db

below() {	# below VALUE TARGET: " BELOW TARGET" if VALUE > TARGET
	awk -v v="$1" -v t="$2" 'BEGIN { if (v > t) printf " BELOW TARGET" }'
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
best3() {	# best3 CMD...: one warm-up run, then the best of 3, in s
	local b='' t0 t1 s _
	"$@" >/dev/null
	for _ in 1 2 3; do
		t0=$(now)
		"$@" >/dev/null
		t1=$(now)
		s=$(secs "$t0" "$t1")
		b=$(awk -v b="$b" -v s="$s" 'BEGIN { print (b == "" || s < b) ? s : b }')
	done
	echo "$b"
}
floor() {	# floor SQL: the best of 3 of SQL over the node's db, in s
	python3 - "$DB" "$1" <<'EOF_PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute(sys.argv[2]).fetchall()
best = None
for _ in range(3):
    t0 = time.monotonic()
    c.execute(sys.argv[2]).fetchall()
    t = time.monotonic() - t0
    best = t if best is None or t < best else best
print("%.3f" % best)
EOF_PY
}
# run OUT CMD...: wall time, peak RSS (wait4's ru_maxrss) and the largest
# VmRSS sampled once OUT holds bytes (the command past its sign-in), KiB.
run() {
	python3 - "$@" <<'EOF_PY'
import os, re, sys, time
out = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
t0 = time.monotonic()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ,
                     file_actions=[(os.POSIX_SPAWN_DUP2, out, 1)])
after = 0
while True:
    p, status, ru = os.wait4(pid, os.WNOHANG)
    if p == pid:
        break
    try:
        st = open("/proc/%d/status" % pid).read()
        m = re.search(r"VmRSS:\s+(\d+)", st)
        if m and os.fstat(out).st_size > 0:
            after = max(after, int(m.group(1)))
    except OSError:
        pass
    time.sleep(0.01)
t = time.monotonic() - t0
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit("reportbench: %s exited %d" % (" ".join(sys.argv[2:]),
             os.waitstatus_to_exitcode(status)))
print("%.2f %d %d" % (t, ru.ru_maxrss, after))
EOF_PY
}
rows() {	# rows CSV: the records in an export --csv (its header aside)
	python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline=""))) - 1)' "$1"
}

# --- the node: 350,000 consultations of one year -----------------------------
t0=$(now)
[ -n "$INPUT" ] || INPUT=$T/in.jsonl
[ -s "$INPUT" ] || python3 tests/tools/gen_consultations.py "$N" | python3 -c '
import datetime, json, sys
D = datetime.date.fromisoformat
for line in sys.stdin:
    r = json.loads(line)
    o = D(r["opened_at"])
    n = datetime.date(2025, o.month, min(o.day, 28 if o.month == 2 else 31))
    r["opened_at"] = n.isoformat()
    if "closed_on" in r:
        r["closed_on"] = (D(r["closed_on"]) + (n - o)).isoformat()
    sys.stdout.write(json.dumps(r) + "\n")
' >"$INPUT.part" && mv "$INPUT.part" "$INPUT"
"$H" --data "$T/A" init --name A >/dev/null
"$H" --data "$T/A" network create --name bench >/dev/null
# The generator's centers, each with its region, so that import and
# --by region know them.
while read -r code prefix region; do
	"$H" --data "$T/A" center add "$code" "$code center" --prefix "$prefix" \
	    --region "$region" >/dev/null
done <<'EOF_CENTERS'
Dushanbe DUS Dushanbe
Khujand KHJ Sughd
Bokhtar BKH Khatlon
Kulob KUL Khatlon
Khorog KHG GBAO
Istaravshan IST Sughd
Panjakent PNJ Sughd
Rasht RSH RRS
Isfara ISF Sughd
Murghob MRG GBAO
Vahdat VHD RRS
Hisor HSR RRS
EOF_CENTERS
t1=$(now)
"$H" --data "$T/A" import consultations "$INPUT" >/dev/null
t2=$(now)
rm -f "$T/in.jsonl"
count=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM c_consultations WHERE _deleted IS NOT 1").fetchone()[0])' "$DB")
[ "$count" -eq "$N" ] || { echo "reportbench: $count consultations imported of $N" >&2; exit 1; }
printf 'report     %d consultations of 2025 on one node: generated (or kept) and the node made in %.0f s, imported in %.0f s\n' \
    "$count" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")"

# --- the reports: warm, against a bare GROUP BY --------------------------------
figure() {	# figure NAME SQL CMD...
	local name=$1 sql=$2 s f
	shift 2
	s=$(best3 "$HB" --data "$T/A" "$@")
	f=$(floor "$sql")
	printf '%-14s %6.2f s  floor %.2f s  ratio %.2f (target <= 2 s)%s\n' \
	    "$name" "$s" "$f" "$(awk -v s="$s" -v f="$f" 'BEGIN { printf "%.2f", f / s }')" \
	    "$(below "$s" 2)"
}
Q="substr(opened_at, 1, 4) || '-Q' || ((CAST(substr(opened_at, 6, 2) AS INTEGER) + 2) / 3)"
W="FROM c_consultations WHERE _deleted IS NOT 1 AND consent_stats IS NOT 'no'"
figure report-q "SELECT destination, client_sex, $Q, count(*) $W AND opened_at >= '2025-01-01' AND opened_at <= '2025-12-31' GROUP BY 1, 2, 3" \
    report quarterly --from 2025-01-01 --to 2025-12-31
figure report-cm "SELECT center, substr(opened_at, 1, 7), count(*) $W GROUP BY 1, 2" \
    report --by center,month
figure report-persons "SELECT topic, client_sex, count(*) $W GROUP BY 1, 2" \
    report topic-sex --count persons
echo '               (the floor of persons is the plain count: no window over each person)'

# --- export --csv: time, RSS, rows --------------------------------------------
export_figure() {	# export_figure NAME WHO CMD...
	local name=$1 who=$2 r s peak after n
	shift 2
	r=$(run "$T/out.csv" "$@" export --csv consultations)
	read -r s peak after <<<"$r"
	n=$(rows "$T/out.csv")
	rm -f "$T/out.csv"
	[ "$n" -eq "$count" ] || { echo "reportbench: $name wrote $n rows, the database holds $count" >&2; exit 1; }
	mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
	if [ "$who" = clear ]; then
		printf '%-14s %6.2f s (target <= 30 s)%s  peak RSS %s MiB (target <= 64 MiB)%s  no user signed in\n' \
		    "$name" "$s" "$(below "$s" 30)" "$(mib "$peak")" "$(below "$peak" 65536)"
		printf '               %d rows = SELECT count(*); RSS once writing %s MiB\n' "$n" "$(mib "$after")"
	else
		# The sign-in's Argon2id takes 64 MiB and gives it back
		# before the first row: the export's own is once writing.
		printf '%-14s %6.2f s (target <= 30 s)%s  RSS once writing %s MiB (target <= 64 MiB)%s  the admin signed in\n' \
		    "$name" "$s" "$(below "$s" 30)" "$(mib "$after")" "$(below "$after" 65536)"
		printf '               %d rows = SELECT count(*); peak RSS %s MiB, with the sign-in'"'"'s Argon2id (64 MiB)\n' "$n" "$(mib "$peak")"
	fi
}
export_figure export-clear clear "$HB" --data "$T/A" 2>"$T/export.err"
export_figure export-admin admin "$H" --data "$T/A"
