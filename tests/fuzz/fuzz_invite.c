/*
 * fuzz_invite.c: libFuzzer target for the invite-token decoder of
 * agent/codec/invite.c, what `hamroh join TOKEN` reads from a line pasted by a
 * person.  Compiled against the production sources; no I/O.
 *
 * The input, cut at its first NUL as a command-line argument is, goes to
 * invite_decode().  A refusal must come with a reason of one line.  An
 * accepted token must hold only what the decoder promises (names within
 * their limits and printable, addresses valid, a version it reads, a
 * signature that verifies), and must come back through the encoder: the
 * token invite_encode() makes of it decodes to the same invite, and
 * encoding that gives the same token again.  The signature covers every
 * field, so the first decode and the second must agree byte for byte.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/codec/invite.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* ${s}, a NUL-terminated buffer of ${size}, is a printable name. */
static void
name(const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	assert(len < size);
	assert(invite_name_ok(s, len));
}

static void
check(struct invite *iv)
{
	size_t i;

	assert(iv->version >= 1 && iv->version <= INVITE_VERSION);
	name(iv->net, sizeof(iv->net));
	assert(iv->net[0] != '\0');
	name(iv->m.name, sizeof(iv->m.name));
	assert(iv->m.name[0] != '\0');
	name(iv->m.center, sizeof(iv->m.center));
	name(iv->m.role, sizeof(iv->m.role));
	name(iv->m.expires, sizeof(iv->m.expires));
	assert(iv->naddr <= MEMBER_MAX_ADDRS);
	for (i = 0; i < iv->naddr; i++) {
		name(iv->addr[i], sizeof(iv->addr[i]));
		assert(member_addr_valid(iv->addr[i]));
	}
	assert(iv->nkeys <= INVITE_MAX_KEYS);
	assert(iv->version > 1 || iv->nkeys == 0);
	for (i = 0; i < iv->nkeys; i++) {
		assert(iv->keys[i].version > 0 &&
		    iv->keys[i].version <= INT32_MAX);
		name(iv->keys[i].center, sizeof(iv->keys[i].center));
	}
	assert(iv->npeers <= INVITE_MAX_PEERS);
	assert(iv->version > 2 || iv->npeers == 0);
	for (i = 0; i < iv->npeers; i++) {
		name(iv->peers[i].addr, sizeof(iv->peers[i].addr));
		assert(member_addr_valid(iv->peers[i].addr));
		assert(invite_key_ok(iv->peers[i].key));
	}
	assert(invite_key_ok(iv->admin));
	assert(invite_sig(iv, NULL) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct invite *a, *b;
	char why[256], *tok, *tok2, *in;

	if (sodium_init() < 0)
		abort();
	if ((in = malloc(size + 1)) == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	/* Zeroed, so that two decodes of one token compare whole. */
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (b = calloc(1, sizeof(*b))) == NULL)
		abort();

	why[0] = '\0';
	if (invite_decode(in, a, why, sizeof(why)) != 0) {
		assert(why[0] != '\0' && strchr(why, '\n') == NULL);
		goto done;
	}
	check(a);
	if (invite_encode(a, &tok) != 0)
		abort();		/* It fit as decoded: memory. */
	if (invite_decode(tok, b, why, sizeof(why)) != 0)
		assert(!"a re-encoded token does not decode");
	assert(memcmp(a, b, sizeof(*a)) == 0);
	if (invite_encode(b, &tok2) != 0)
		abort();
	assert(strcmp(tok, tok2) == 0);
	sodium_free(tok2);
	sodium_free(tok);
done:
	free(b);
	free(a);
	free(in);
	return (0);
}
