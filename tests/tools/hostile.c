/*
 * hostile.c: test tool — a member that completes the handshake honestly,
 * then sends one hostile frame, and reports whether the agent hung up.
 *
 *     hostile DATA_DIR PORT PEER_ID CASE
 *
 * CASE: huge-array, huge-map, deep, trailing, ext, bad-type, oversize,
 * garbage, version (a HELLO of session protocol 1, as an older hamroh
 * sends it), stranger (random bytes
 * instead of message 1: the agent must close having sent nothing at all),
 * replay (the genuine message 1 in ./msg1.rec, kept there by "record" or
 * cut from a recording of the wire, is sent again: the agent must answer
 * nothing), old-version (message 1 of
 * handshake version 1: the agent must answer message 2 with its own
 * version, then close without a byte more).
 * Exit 0 when the agent closed the connection within 10 s, 1 when it did
 * not (or, for stranger, sent a byte), 2 on a setup error.
 *
 * Many cheap members at once, for descriptor budgets (t_fdbudget):
 *
 *     hostile - - - keys N
 *         Print the ids (hex) of N member keys made from fixed seeds, one
 *         a line, for the admin to invite.
 *     hostile DATA_DIR PORT PEER_ID hold N STATUS_FILE
 *         With those N keys (and DATA_DIR's network key), complete N
 *         handshakes from 127.3.0.1, 127.3.0.2, ... (one address each: the
 *         agent limits handshakes per address), one after another, send
 *         each an empty HELLO and hold them all open, pinging every 10 s
 *         and draining what the agent sends.  STATUS_FILE gets "up=U
 *         refused=R closed=C" (sessions completed, handshakes the agent
 *         turned away, sessions it closed since) after each change.  Runs
 *         until killed.
 *
 * A peer that never reads (t_pingflood):
 *
 *     hostile DATA_DIR PORT PEER_ID pingflood N
 *
 * sends N PINGs and never reads a byte.  It prints "flooded K" once all
 * K = N are written, or once the agent has taken none for 3 s (it stopped
 * reading), then keeps the connection open, reading nothing, until it is
 * killed (10 minutes at most).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/sync/session.h"
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

/* Member ${i}'s Ed25519 key pair, from a fixed seed. */
static void
member_key(unsigned i, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];
	char label[64];

	snprintf(label, sizeof(label), "hamroh hostile member %u", i);
	crypto_generichash(seed, sizeof(seed), (const uint8_t *)label,
	    strlen(label), NULL, 0);
	crypto_sign_seed_keypair(pk, sk, seed);
}

/*
 * The dialer's side of the handshake over ${fd}, as session.c does it (the
 * clock as counter, handshake ${version}), with ${sk} to the agent whose
 * id is ${peer_ed}: message 1 goes to ${m1}, which is sent; then message 2
 * is read.  0 and the transport's header sent (${enc} ready) if the agent
 * answered; -1 if not; ${keep_m1} only builds and sends message 1.
 */
static int
handshake(int fd, const uint8_t sk[64], const uint8_t netkey[32],
    const uint8_t peer_ed[32], uint8_t version, uint8_t *m1, bool keep_m1,
    struct hs *hs, struct frame_enc *enc)
{
	uint8_t p1[SESSION_HS_PAYLOAD1], m2[SESSION_MSG2_LEN];
	uint8_t p2[SESSION_HS_PAYLOAD2], xs[32], xp[32], peer_x[32], e[32];
	uint8_t k[32], tx[32], rx[32], h[32], hdr[FRAME_HDR_LEN];
	uint8_t pro[HS_PROLOGUE_LEN];
	struct timespec ts;
	uint64_t now;
	int i;

	hs_x25519_keys(sk, xs, xp);
	if (hs_x25519_pub(peer_ed, peer_x) != 0)
		return (-1);
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	memset(p1, 0, sizeof(p1));
	memcpy(p1, sk + 32, 32);
	for (i = 0; i < 8; i++)
		p1[32 + i] = (uint8_t)(now >> (56 - 8 * i));
	p1[40] = version;
	randombytes_buf(e, sizeof(e));
	hs_prologue(netkey, pro);
	hs_init(hs, true, pro, sizeof(pro), xs, peer_x, netkey);
	hs_write1(hs, e, p1, sizeof(p1), m1);
	hs_mac1_key(netkey, peer_x, k);
	hs_mac1(k, m1, HS_MSG1_LEN(SESSION_HS_PAYLOAD1),
	    m1 + HS_MSG1_LEN(SESSION_HS_PAYLOAD1));
	if (keep_m1)
		return (0);
	if (writen(fd, m1, SESSION_MSG1_LEN) ||
	    readn(fd, m2, sizeof(m2)) ||
	    hs_read2(hs, m2, sizeof(m2), p2) != 0 ||
	    hs_split(hs, tx, rx, h) != 0)
		return (-1);
	frame_enc_init(enc, tx, hdr);
	return (writen(fd, hdr, sizeof(hdr)));
}

/* A HELLO from ${name} (empty vector, no features), or if NULL a PING. */
static int
send_msg(int fd, struct frame_enc *enc, const char *name)
{
	msgpack_sbuffer sb;
	struct timespec ts;
	uint64_t now;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	msgpack_sbuffer_init(&sb);
	r = name != NULL ? msg_hello(&sb, name, NULL, 0, 0, now, false) :
	    msg_ping(&sb, MSG_PING, now);
	if (r == 0)
		r = send_frame(fd, enc, (uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return (r);
}

static void
hold_status(const char *path, unsigned up, unsigned refused, unsigned closed)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fprintf(f, "up=%u refused=%u closed=%u\n", up, refused, closed);
	if (fclose(f) == 0)
		rename(tmp, path);
}

/*
 * Read and drop what the agent sent on the first ${n} of ${pfd}, waiting
 * up to ${ms} for any; a connection it closed is closed and counted.
 */
static int
drain(struct pollfd *pfd, unsigned n, uint8_t *buf, size_t len, int ms,
    unsigned *closed)
{
	unsigned i;
	ssize_t r;

	if (poll(pfd, n, ms) < 0)
		return (-1);
	for (i = 0; i < n; i++) {
		if (pfd[i].fd == -1 || pfd[i].revents == 0)
			continue;
		r = read(pfd[i].fd, buf, len);
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			close(pfd[i].fd);
			pfd[i].fd = -1;
			(*closed)++;
		}
	}
	return (0);
}

/*
 * A PING on each of the first ${n} of ${pfd} every 10 s: the agent drops
 * a connection it hears nothing on for 45 s.
 */
static void
ping_due(struct pollfd *pfd, struct frame_enc *enc, unsigned n, time_t *last)
{
	unsigned i;

	if (time(NULL) - *last < 10)
		return;
	*last = time(NULL);
	for (i = 0; i < n; i++)
		if (pfd[i].fd != -1)
			(void)send_msg(pfd[i].fd, &enc[i], NULL);
}

/* The "hold" case: ${n} members' sessions, held open until killed. */
static int
hold(const uint8_t netkey[32], const uint8_t peer_ed[32], int port,
    unsigned n, const char *status)
{
	struct frame_enc *enc;
	struct pollfd *pfd;
	struct sockaddr_in sa, src;
	uint8_t pk[32], sk[64], m1[SESSION_MSG1_LEN], buf[65536];
	unsigned i, up = 0, refused = 0, closed = 0;
	struct hs hs;
	time_t last_ping;
	int fd;

	if ((pfd = calloc(n, sizeof(*pfd))) == NULL ||
	    (enc = calloc(n, sizeof(*enc))) == NULL)
		return (2);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	last_ping = time(NULL);
	for (i = 0; i < n; i++) {
		pfd[i].fd = -1;
		member_key(i, pk, sk);
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f030000u + 1 + (i % 250) +
		    (i / 250) * 256);
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1 ||
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
			perror("hostile: hold: connect");
			return (2);
		}
		if (handshake(fd, sk, netkey, peer_ed, HS_VERSION, m1, false,
		    &hs, &enc[i]) != 0 || send_msg(fd, &enc[i], "held") != 0) {
			close(fd);
			refused++;
		} else {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			pfd[i].fd = fd;
			pfd[i].events = POLLIN;
			up++;
		}
		hold_status(status, up, refused, closed);
		/* Read what the agent sends those up so far, as peers do. */
		drain(pfd, i + 1, buf, sizeof(buf), 0, &closed);
		ping_due(pfd, enc, i + 1, &last_ping);
	}
	hold_status(status, up, refused, closed);
	for (;;) {
		if (drain(pfd, n, buf, sizeof(buf), 1000, &closed) < 0)
			return (2);
		hold_status(status, up, refused, closed);
		ping_due(pfd, enc, n, &last_ping);
	}
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
	uint8_t sk[64], netkey[32], m1[SESSION_MSG1_LEN], peer_ed[32];
	uint8_t buf[4096];
	struct sockaddr_in sa;
	struct frame_enc enc;
	struct hs hs;
	struct pollfd pfd;
	const char *cs;
	int fd, deadline;
	ssize_t r;

	if (argc < 5 || sodium_init() < 0) {
		fprintf(stderr, "usage: hostile DATA_DIR PORT PEER_ID CASE\n");
		return (2);
	}
	cs = argv[4];
	if (strcmp(cs, "keys") == 0 && argc == 6) {
		uint8_t pk[32];
		char hex[65];
		unsigned j, n = (unsigned)atoi(argv[5]);

		for (j = 0; j < n; j++) {
			member_key(j, pk, sk);
			printf("%s\n", sodium_bin2hex(hex, sizeof(hex), pk,
			    32));
		}
		return (0);
	}
	/* hold takes N and STATUS_FILE, pingflood an optional N. */
	if ((strcmp(cs, "hold") == 0) != (argc == 7) ||
	    (strcmp(cs, "hold") != 0 && argc != 5 &&
	    !(strcmp(cs, "pingflood") == 0 && argc == 6))) {
		fprintf(stderr, "usage: hostile DATA_DIR PORT PEER_ID CASE\n");
		return (2);
	}
	if (readfile(argv[1], "node.key", sk, 64) ||
	    readfile(argv[1], "network.key", netkey, 32) ||
	    sodium_hex2bin(peer_ed, 32, argv[3], 64, NULL, NULL, NULL) != 0) {
		fprintf(stderr, "hostile: cannot read keys\n");
		return (2);
	}
	if (strcmp(cs, "hold") == 0)
		return (hold(netkey, peer_ed, atoi(argv[2]),
		    (unsigned)atoi(argv[5]), argv[6]));
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
	if (strcmp(cs, "old-version") == 0) {
		uint8_t m2[SESSION_MSG2_LEN], p2[SESSION_HS_PAYLOAD2];

		if (handshake(fd, sk, netkey, peer_ed, 1, m1, true, &hs,
		    &enc) != 0 || writen(fd, m1, sizeof(m1)) ||
		    readn(fd, m2, sizeof(m2)) ||
		    hs_read2(&hs, m2, sizeof(m2), p2) != 0 ||
		    p2[0] != HS_VERSION) {
			fprintf(stderr, "hostile: %s: no message 2 with the "
			    "agent's version\n", cs);
			return (1);
		}
		return (silence(fd, NULL, 0, cs));
	}
	if (handshake(fd, sk, netkey, peer_ed, HS_VERSION, m1, false, &hs,
	    &enc) != 0) {
		fprintf(stderr, "hostile: handshake refused\n");
		return (2);
	}
	if (strcmp(cs, "record") == 0) {
		/* Keep this genuine message 1 for a replay later. */
		FILE *f = fopen("msg1.rec", "wb");

		if (f == NULL || fwrite(m1, 1, sizeof(m1), f) != sizeof(m1) ||
		    fclose(f) != 0)
			return (2);
	}
	if (strcmp(cs, "version") == 0) {
		/* [1, 1, 1, name, vector, features]: hamroh 1's HELLO. */
		static const uint8_t v1[] = { 0x96, 0x01, 0x01, 0x01, 0xa3,
		    'o', 'l', 'd', 0x90, 0x00 };

		if (send_frame(fd, &enc, v1, sizeof(v1)))
			return (2);
	} else if (send_msg(fd, &enc, "hostile"))
		return (2);
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
