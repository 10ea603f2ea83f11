/*
 * test_log.c: text from other nodes is escaped wherever it is printed
 * (agent/daemon/log.c): control characters, separators, bidi controls and
 * invalid UTF-8 come out as visible escapes, everything else as it is;
 * a log line stays one line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon/log.h"

static void
check(const char *in, size_t len, int flags, const char *want)
{
	char out[256];
	char *buf = NULL;
	size_t blen = 0;
	FILE *f;

	assert_string_equal(log_esc(out, sizeof(out), in, len, flags), want);
	assert_non_null(f = open_memstream(&buf, &blen));
	log_esc_put(f, in, len, flags);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, want);
	free(buf);
}

#define CHECK(in, want)	check((in), sizeof(in) - 1, 0, (want))

static void
test_escape(void **state)
{
	char out[6];

	(void)state;
	CHECK("khorog-office", "khorog-office");
	CHECK("Хорог (Бадахшон) — 🏔", "Хорог (Бадахшон) — 🏔");
	CHECK("C:\\path\\n", "C:\\path\\n");	/* Backslashes as they are. */
	CHECK("a\nINFO session forged", "a\\nINFO session forged");
	CHECK("cr\r tab\t", "cr\\r tab\\t");
	CHECK("\x1b[2J\x1b]0;owned\x07", "\\x1b[2J\\x1b]0;owned\\x07");
	CHECK("nul\0del\x7f", "nul\\x00del\\x7f");
	CHECK("c1 \xc2\x9b\xc2\x85", "c1 \\u{9b}\\u{85}");
	CHECK("ls\xe2\x80\xa8 rlo\xe2\x80\xae iso\xe2\x81\xa6",
	    "ls\\u{2028} rlo\\u{202e} iso\\u{2066}");
	CHECK("bad \xff \xc0\xaf \xed\xa0\x80", "bad \\xff \\xc0\\xaf "
	    "\\xed\\xa0\\x80");
	CHECK("cut \xe2\x82", "cut \\xe2\\x82");
	check("two\nlines\tand\x1b", 14, LOG_ESC_MULTILINE,
	    "two\nlines\tand\\x1b");
	/* Cut to fit, never inside an escape or a character. */
	assert_string_equal(log_esc(out, sizeof(out), "ab\x1b", 3, 0), "ab");
	assert_string_equal(log_esc(out, sizeof(out), "abcdeЖ", 7, 0),
	    "abcde");
	assert_string_equal(log_esc(out, sizeof(out), "abcЖ", 5, 0),
	    "abcЖ");
}

/* A name with a newline and ESC in a log line: one line, no ESC. */
static void
test_log_line(void **state)
{
	const char *t = getenv("TMPDIR");
	char path[300], buf[512];
	int fd, saved;
	ssize_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/test_log.XXXXXX", t ? t : "/tmp");
	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(dup2(fd, 2) == 2);
	log_msg(LOG_LVL_INFO, "session", "peer=%s (%s) up", "ab12",
	    "evil\nINFO session peer=ffff@1.2.3.4 (admin) up\x1b[2J");
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "INFO session peer=ab12 (evil\\nINFO "
	    "session peer=ffff@1.2.3.4 (admin) up\\x1b[2J) up\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_log_line),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
