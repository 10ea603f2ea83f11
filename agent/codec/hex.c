/*
 * hex.c: hex encoding (agent/codec/hex.h), by libsodium's constant-time
 * code, since keys pass through it.
 */
#include "agent/codec/hex.h"

#include <string.h>

#include <sodium.h>

void
hex_encode(const uint8_t *b, size_t len, char *out)
{

	sodium_bin2hex(out, 2 * len + 1, b, len);
}

int
hex_decode(const char *s, uint8_t *out, size_t len)
{
	size_t bl;

	if (strlen(s) != 2 * len || sodium_hex2bin(out, len, s, 2 * len,
	    NULL, &bl, NULL) != 0 || bl != len)
		return (-1);
	return (0);
}
