/*
 * proto.c: error strings of protocol/.
 */
#include "protocol/proto.h"

const char *
proto_strerror(int err)
{

	switch (err) {
	case PROTO_OK:
		return ("no error");
	case PROTO_EDECRYPT:
		return ("decryption failed (wrong key or tampered data)");
	case PROTO_ELEN:
		return ("bad length");
	case PROTO_EDH:
		return ("invalid public key");
	case PROTO_ESTATE:
		return ("protocol step out of order");
	case PROTO_EMAC1:
		return ("bad mac1 (not our network or not for us)");
	case PROTO_EMSG:
		return ("malformed message");
	case PROTO_ENOMEM:
		return ("out of memory");
	default:
		return ("unknown error");
	}
}
