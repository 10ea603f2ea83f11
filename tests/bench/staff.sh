# staff.sh: sourced by netbench.sh and loopbench.sh once $H (the hamroh
# binary) and $T (their scratch dir) are set.
#
# The nodes are made and used as an office's are: `init --user bench`
# signs the node's first admin up, and every later command signs bench in
# when it needs a user (import, invite, join...; the sign-in is lazy, so
# a command that needs none reads nothing).  The passphrase is one line of
# a file in $T given on fd 9 (--passphrase-fd), never argv or the
# environment.  $H becomes a wrapper that adds that to every call; $HB
# stays the bare binary, for the agent (it needs no passphrase) and for
# timed commands that need no user.
HB=$(cd "$(dirname "$H")" && pwd)/$(basename "$H")
(umask 077 && printf '%s\n' 'bench passphrase, not a real one' >"$T/passphrase")
cat >"$T/hamroh-as-bench" <<EOF_WRAP
#!/bin/sh
exec "$HB" --user bench --passphrase-fd 9 "\$@" 9<"$T/passphrase"
EOF_WRAP
chmod 700 "$T/hamroh-as-bench"
H=$T/hamroh-as-bench
