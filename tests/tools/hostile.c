/*
 * hostile.c: test tool — a member that completes the handshake honestly,
 * then sends one hostile frame, and reports whether the agent hung up.
 *
 *     hostile DATA_DIR PORT CASE
 *
 * CASE: huge-array, huge-map, deep, trailing, ext, bad-type, oversize,
 * garbage, version (a HELLO of session protocol 1, as an older hamroh
 * sends it), stranger (random bytes
 * instead of message 1: the agent must close having sent nothing at all),
 * replay (a genuine message 1 recorded in FILE by "record FILE" is sent
 * again: the agent must answer nothing), old-version (message 1 of
 * handshake version 1: the agent must answer message 2 with its own
 * version, then close without a byte more).
 * Exit 0 when the agent closed the connection within 10 s, 1 when it did
 * not (or, for stranger, sent a byte), 2 on a setup error.
 *
 *     hostile DATA_DIR PORT PEER_ID pingflood N
 *
 * sends N PINGs and never reads a byte.  It prints "flooded K" once all
 * K = N are written, or once the agent has taken none for 3 s (it stopped
 * reading), then keeps the connection open, reading nothing, until it is
 * killed (10 minutes at most).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/session.h"
#include "protocol/frame.h"
#include "protocol/hs.h"
#include "protocol/msg.h"

static int
readfile(const char *dir, const char *name, uint8_t *buf, size_t len)
{
	char path[4096];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY)) == -1)
		return (-1);
	n = read(fd, buf, len);
	close(fd);
	return (n == (ssize_t)len ? 0 : -1);
}

static int
readn(int fd, uint8_t *b, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, b, n)) <= 0)
			return (-1);
		b += r;
		n -= (size_t)r;
	}
	return (0);
}

static int
writen(int fd, const uint8_t *b, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = write(fd, b, n)) <= 0)
			return (-1);
		b += r;
		n -= (size_t)r;
	}
	return (0);
}

/* Send ${body} as one frame. */
static int
send_frame(int fd, struct frame_enc *e, const uint8_t *body, size_t len)
{
	uint8_t *w = malloc(FRAME_WIRE_LEN(len));
	int r;

	if (w == NULL || frame_enc(e, body, len, false, w) != 0) {
		free(w);
		return (-1);
	}
	r = writen(fd, w, FRAME_WIRE_LEN(len));
	free(w);
	return (r);
}

/*
 * Write ${n} PING frames, never reading; print how many went before the
 * agent stopped taking them, then wait for the end of the connection.
 */
static int
pingflood(int fd, struct frame_enc *e, long n)
{
	struct timeval tv = { 3, 0 };
	msgpack_sbuffer sb;
	uint8_t *chunk, *w;
	size_t plen, per = 1000;
	long sent = 0, k;

	msgpack_sbuffer_init(&sb);
	if (msg_ping(&sb, MSG_PING, 1))
		return (2);
	plen = FRAME_WIRE_LEN(sb.size);
	if ((chunk = malloc(per * plen)) == NULL)
		return (2);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (sent < n) {
		k = n - sent < (long)per ? n - sent : (long)per;
		for (w = chunk; w < chunk + k * plen; w += plen)
			if (frame_enc(e, (uint8_t *)sb.data, sb.size, false,
			    w) != 0)
				return (2);
		if (writen(fd, chunk, (size_t)k * plen))
			break;		/* Not taken for 3 s (or closed). */
		sent += k;
	}
	free(chunk);
	msgpack_sbuffer_destroy(&sb);
	printf("flooded %ld\n", sent);
	fflush(stdout);
	/* Hold the connection open, reading nothing, until killed. */
	for (k = 0; k < 600; k++)
		sleep(1);
	return (0);
}

/*
 * Send ${m1} and expect the agent to close without a single byte back
 * within 10 s: 0 if so, 1 if it answered or kept the connection open.
 */
static int
silence(int fd, const uint8_t *m1, size_t len, const char *cs)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	uint8_t buf[256];
	ssize_t r;
	int i;

	if (writen(fd, m1, len))
		return (0);	/* Closed on us already. */
	for (i = 0; i < 100; i++) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((r = read(fd, buf, sizeof(buf))) > 0) {
			fprintf(stderr, "hostile: %s: got %zd bytes back\n", cs,
			    r);
			return (1);
		}
		return (0);
	}
	fprintf(stderr, "hostile: %s: the agent kept the connection open\n",
	    cs);
	return (1);
}

int
main(int argc, char **argv)
{
	static const uint8_t huge_array[] = { 0x92, 0x03, 0xdd, 0xff, 0xff,
	    0xff, 0xff };
	static const uint8_t huge_map[] = { 0xdf, 0x00, 0xff, 0xff, 0xff };
	static const uint8_t trailing[] = { 0x92, 0x04, 0x01, 0xc0, 0xc0 };
	static const uint8_t ext[] = { 0x92, 0x04, 0xd4, 0x01, 0x01 };
	static const uint8_t bad_type[] = { 0x92, 0x02, 0xa3, 'a', 'b', 'c' };
	uint8_t sk[64], netkey[32], xs[32], xp[32], peer_x[32], e[32], k[32];
	uint8_t p1[SESSION_HS_PAYLOAD1], m1[SESSION_MSG1_LEN];
	uint8_t m2[SESSION_MSG2_LEN], p2[SESSION_HS_PAYLOAD2], peer_ed[32];
	uint8_t tx[32], rx[32], h[32], hdr[FRAME_HDR_LEN], buf[4096];
	struct sockaddr_in sa;
	struct frame_enc enc;
	struct hs hs;
	struct pollfd pfd;
	msgpack_sbuffer sb;
	const char *cs;
	uint64_t now;
	struct timespec ts;
	int fd, i, deadline;
	ssize_t r;

	if (argc < 5 || argc > 6 || sodium_init() < 0) {
		fprintf(stderr, "usage: hostile DATA_DIR PORT PEER_ID CASE\n");
		return (2);
	}
	cs = argv[4];
	if (readfile(argv[1], "node.key", sk, 64) ||
	    readfile(argv[1], "network.key", netkey, 32) ||
	    sodium_hex2bin(peer_ed, 32, argv[3], 64, NULL, NULL, NULL) != 0) {
		fprintf(stderr, "hostile: cannot read keys\n");
		return (2);
	}
	hs_x25519_keys(sk, xs, xp);
	if (hs_x25519_pub(peer_ed, peer_x) != 0)
		return (2);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		perror("hostile: connect");
		return (2);
	}

	if (strcmp(cs, "stranger") == 0) {
		/* Right size, wrong everything: expect silence, then EOF. */
		randombytes_buf(m1, sizeof(m1));
		return (silence(fd, m1, sizeof(m1), cs));
	}

	if (strcmp(cs, "replay") == 0) {
		/* A message 1 some earlier connection really sent. */
		if (readfile(".", "msg1.rec", m1, sizeof(m1))) {
			fprintf(stderr, "hostile: no msg1.rec to replay\n");
			return (2);
		}
		return (silence(fd, m1, sizeof(m1), cs));
	}

	/* An honest handshake, as session.c does it (the clock as counter). */
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	memset(p1, 0, sizeof(p1));
	memcpy(p1, sk + 32, 32);
	for (i = 0; i < 8; i++)
		p1[32 + i] = (uint8_t)(now >> (56 - 8 * i));
	p1[40] = strcmp(cs, "old-version") == 0 ? 1 : HS_VERSION;
	randombytes_buf(e, sizeof(e));
	{
		uint8_t pro[HS_PROLOGUE_LEN];

		hs_prologue(netkey, pro);
		hs_init(&hs, true, pro, sizeof(pro), xs, peer_x, netkey);
	}
	hs_write1(&hs, e, p1, sizeof(p1), m1);
	hs_mac1_key(netkey, peer_x, k);
	hs_mac1(k, m1, HS_MSG1_LEN(SESSION_HS_PAYLOAD1),
	    m1 + HS_MSG1_LEN(SESSION_HS_PAYLOAD1));
	if (strcmp(cs, "record") == 0) {
		/* Keep this genuine message 1 for a replay later. */
		FILE *f = fopen("msg1.rec", "wb");

		if (f == NULL || fwrite(m1, 1, sizeof(m1), f) != sizeof(m1) ||
		    fclose(f) != 0)
			return (2);
	}
	if (strcmp(cs, "old-version") == 0) {
		if (writen(fd, m1, sizeof(m1)) || readn(fd, m2, sizeof(m2)) ||
		    hs_read2(&hs, m2, sizeof(m2), p2) != 0 ||
		    p2[0] != HS_VERSION) {
			fprintf(stderr, "hostile: %s: no message 2 with the "
			    "agent's version\n", cs);
			return (1);
		}
		return (silence(fd, NULL, 0, cs));
	}
	if (writen(fd, m1, sizeof(m1)) || readn(fd, m2, sizeof(m2)) ||
	    hs_read2(&hs, m2, sizeof(m2), p2) != 0 ||
	    hs_split(&hs, tx, rx, h) != 0) {
		fprintf(stderr, "hostile: handshake refused\n");
		return (2);
	}
	frame_enc_init(&enc, tx, hdr);
	if (writen(fd, hdr, sizeof(hdr)))
		return (2);
	msgpack_sbuffer_init(&sb);
	if (strcmp(cs, "version") == 0) {
		/* [1, 1, 1, name, vector, features]: hamroh 1's HELLO. */
		static const uint8_t v1[] = { 0x96, 0x01, 0x01, 0x01, 0xa3,
		    'o', 'l', 'd', 0x90, 0x00 };

		msgpack_sbuffer_write(&sb, (const char *)v1, sizeof(v1));
	} else
		msg_hello(&sb, "hostile", NULL, 0, 0, now, false);
	if (send_frame(fd, &enc, (uint8_t *)sb.data, sb.size))
		return (2);
	msgpack_sbuffer_destroy(&sb);
	/* Then the case. */
	if (strcmp(cs, "version") == 0)
		r = 0;		/* The HELLO was the case. */
	else if (strcmp(cs, "record") == 0)
		return (0);	/* An honest session; the agent may keep it. */
	else if (strcmp(cs, "pingflood") == 0)
		return (pingflood(fd, &enc, argc > 5 ? atol(argv[5]) : 100000));
	else if (strcmp(cs, "huge-array") == 0)
		r = send_frame(fd, &enc, huge_array, sizeof(huge_array));
	else if (strcmp(cs, "huge-map") == 0)
		r = send_frame(fd, &enc, huge_map, sizeof(huge_map));
	else if (strcmp(cs, "trailing") == 0)
		r = send_frame(fd, &enc, trailing, sizeof(trailing));
	else if (strcmp(cs, "ext") == 0)
		r = send_frame(fd, &enc, ext, sizeof(ext));
	else if (strcmp(cs, "bad-type") == 0)
		r = send_frame(fd, &enc, bad_type, sizeof(bad_type));
	else if (strcmp(cs, "deep") == 0) {
		memset(buf, 0x91, 200);
		buf[199] = 0x01;
		r = send_frame(fd, &enc, buf, 200);
	} else if (strcmp(cs, "oversize") == 0) {
		/* An encrypted length of 512 MiB, as an attacker can send. */
		uint8_t lb[4] = { 0x20, 0x00, 0x00, 0x00 };

		crypto_secretstream_xchacha20poly1305_push(&enc.st, buf, NULL,
		    lb, 4, NULL, 0,
		    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
		r = writen(fd, buf, FRAME_LEN_WIRE);
	} else if (strcmp(cs, "garbage") == 0) {
		randombytes_buf(buf, sizeof(buf));
		r = writen(fd, buf, sizeof(buf));
	} else {
		fprintf(stderr, "hostile: unknown case %s\n", cs);
		return (2);
	}
	if (r != 0)
		return (0);	/* Already closed on us. */

	/* Did the agent hang up?  Drain what it says until EOF. */
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (deadline = 100; deadline > 0; deadline--) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((r = read(fd, buf, sizeof(buf))) <= 0)
			return (0);
	}
	fprintf(stderr, "hostile: %s: the agent kept the session open\n", cs);
	return (1);
}
