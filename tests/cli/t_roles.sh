#!/usr/bin/env bash
# timeout: 60
# Proves the CLI refuses, before anything is committed, writes the node's role does not allow: a center or office node publishing a guide or editing the directory, a node of one center changing another center's consultation or creating one for another center or with no center, and anyone moving a consultation to another center; while a member may log a consultation of its own center, a center's own node may edit it, and an admin may create and edit anything else.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

mknode A Dushanbe
mknode B Khujand
mknode C Murghob
expect_ok on A network create --name tj-legal >/dev/null
expect_ok on A center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Khujand --role center)
expect_ok on B join "$tok" >/dev/null
expect_ok on A center add Murghob "Murghob center" >/dev/null
tok=$(expect_ok on A invite "$(on C id --invite)" --name C --center Murghob --role office)
expect_ok on C join "$tok" >/dev/null
printf '# Patent\n\nRenew in time.\n' >"$T/g.md"

for n in B C; do
	on $n vector >"$T/$n.v0"
	expect_fail "$n publishing a guide" on $n guide publish "$T/g.md" title=Patent language=tg
	assert_contains "$ERR" "only admins write guides" "$n's guide refusal"
	expect_fail "$n adding to the directory" on $n add directory name=Hotline kind=hotline country=RU phone=+74950000000
	assert_contains "$ERR" "only admins write directory" "$n's directory refusal"
	printf '{"name":"Hotline","kind":"hotline","country":"RU","phone":"+7"}\n' >"$T/d.jsonl"
	expect_fail "$n importing into the directory" on $n import directory "$T/d.jsonl"
	assert_contains "$ERR" "only admins write directory" "$n's directory import refusal"
	on $n vector >"$T/$n.v1"
	assert_same_file "$T/$n.v1" "$T/$n.v0" "$n committed nothing"
done

# Consultations: C logs one of its own center and may edit it; B may not.
id=$(expect_ok on C add consultations channel=walk_in topic=other client_sex=F center=Murghob opened_at=2026-11-20 status=open summary="own")
expect_ok on C set consultations "$id" status=closed closed_on=2026-11-21 outcome=Advised >/dev/null
# B learns of it the way USB sticks carry it, then tries to change it.
expect_ok on C bundle export "$T/c.bundle" >/dev/null
expect_ok on B bundle import "$T/c.bundle" >/dev/null
expect_fail "B changing C's consultation" on B set consultations "$id" status=open
assert_contains "$ERR" "belongs to center 'Murghob'" "B's refusal names the center"
expect_fail "B deleting C's consultation" on B rm consultations "$id"
assert_contains "$ERR" "belongs to center 'Murghob'" "B's rm refusal"
# Any member may log a consultation of its own center, and only of that.
expect_ok on B add consultations channel=walk_in topic=other client_sex=F center=Khujand opened_at=2026-11-21 status=open >/dev/null
on B vector >"$T/B.v2"
expect_fail "B logging a consultation of Murghob" on B add consultations channel=walk_in topic=other client_sex=F center=Murghob opened_at=2026-11-21 status=open
assert_contains "$ERR" "may create consultations of that center only, not of 'Murghob'" "B's create refusal"
expect_fail "B logging a consultation with no center" on B add consultations channel=walk_in topic=other client_sex=F opened_at=2026-11-21 status=open
assert_contains "$ERR" "a consultation names its center when it is created" "B's no-center refusal"
# A consultation's center never changes, not even by its own center.
expect_fail "C moving its consultation to Khujand" on C set consultations "$id" center=Khujand
assert_contains "$ERR" "the center of a consultation is fixed when it is created (it is 'Murghob')" "C's move refusal"
on B vector >"$T/B.v3"
assert_same_file "$T/B.v3" "$T/B.v2" "B committed none of the refused consultations"
# The admin may change anything.
expect_ok on A bundle import "$T/c.bundle" >/dev/null
expect_ok on A set consultations "$id" outcome="referred to consulate" >/dev/null
expect_ok on A add consultations channel=walk_in topic=other client_sex=F center=Khujand opened_at=2026-11-22 status=open >/dev/null
expect_fail "A moving C's consultation" on A set consultations "$id" center=Dushanbe
assert_contains "$ERR" "is fixed when it is created" "even an admin's move refusal"
expect_ok on A guide publish "$T/g.md" title=Patent language=tg >/dev/null
echo "t_roles: ok"
