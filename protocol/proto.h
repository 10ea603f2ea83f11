#ifndef PROTOCOL_PROTO_H
#define PROTOCOL_PROTO_H

/*
 * Error codes of protocol/: negative, each with a one-line string.  Any of
 * them from a peer's bytes ends that session only.
 */
enum proto_err {
	PROTO_OK = 0,
	PROTO_EDECRYPT = -1,	/* Authentication failed: wrong key or tampered. */
	PROTO_ELEN = -2,	/* A length is wrong or over its limit. */
	PROTO_EDH = -3,		/* A public key of low order. */
	PROTO_ESTATE = -4,	/* Call out of sequence (our bug). */
	PROTO_EMAC1 = -5,	/* mac1 does not match: a stranger. */
	PROTO_EMSG = -6,	/* Malformed message. */
	PROTO_ENOMEM = -7	/* Out of memory. */
};

/* One line describing ${err}. */
const char *proto_strerror(int);

#endif /* !PROTOCOL_PROTO_H */
