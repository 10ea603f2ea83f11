/*
 * replay.c: a plain main() for the libFuzzer targets, so that `make test`
 * replays their corpora under gcc (plain and with sanitizers) without
 * libFuzzer, as SQLite's fuzzcheck.c does.
 *
 *   fuzz_replay_<t> PATH...
 *
 * Each PATH is a file, or a directory whose files (not dot files, not
 * subdirectories) are replayed in name order.  Each file is read into a
 * buffer of exactly its size, so that ASan sees a read past the end, and
 * handed once to LLVMFuzzerTestOneInput() in a child process of its own:
 * a crash, a sanitizer report or a leak (LeakSanitizer checks when the
 * child exits) is then pinned on the file, whose name is printed, and the
 * other inputs still run.  A target's LLVMFuzzerInitialize(), if it has
 * one, runs once in the parent first, so the children share its work.  (A death callback would not do: gcc links
 * ASan and UBSan as two runtimes, and only one of them would call it.)
 * Prints "replayed N inputs"; exits 0 if every input ran and returned,
 * 1 if one failed or a PATH is missing, unreadable or an empty directory,
 * 2 on usage errors.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
/* Optional, as in libFuzzer: run once, before any input. */
int LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

static size_t nrun, nfailed;		/* Inputs run; of those, failed. */

/*
 * Run one input in a child and count it; report how it ended.  Return 0,
 * or -1 if it failed or could not run.
 */
static int
run_child(const char *path, const uint8_t *buf, size_t len)
{
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "replay: fork: %s\n", strerror(errno));
		return (-1);
	}
	if (pid == 0) {
		LLVMFuzzerTestOneInput(buf, len);
		exit(0);	/* exit(), not _exit(): LSan runs then. */
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			fprintf(stderr, "replay: waitpid: %s\n",
			    strerror(errno));
			return (-1);
		}
	nrun++;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return (0);
	nfailed++;
	if (WIFSIGNALED(st))
		fprintf(stderr, "replay: FAILED on %s (signal %d)\n", path,
		    WTERMSIG(st));
	else
		fprintf(stderr, "replay: FAILED on %s (exit %d)\n", path,
		    WEXITSTATUS(st));
	return (-1);
}

/* Read ${path} into an exact-size buffer and run it.  Return 0 or -1. */
static int
run_file(const char *path)
{
	FILE *f;
	struct stat sb;
	uint8_t *buf;
	size_t len;
	int rc;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "replay: %s: not a regular file\n", path);
		fclose(f);
		return (-1);
	}
	len = (size_t)sb.st_size;
	/* malloc(0) may return NULL; keep a real, zero-length buffer. */
	if ((buf = malloc(len > 0 ? len : 1)) == NULL) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		fclose(f);
		return (-1);
	}
	if (fread(buf, 1, len, f) != len || getc(f) != EOF) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(buf);
		fclose(f);
		return (-1);
	}
	fclose(f);
	rc = run_child(path, buf, len);
	free(buf);
	return (rc);
}

static int
cmp_str(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Run every file in directory ${dir}.  Return 0 or -1. */
static int
run_dir(const char *dir)
{
	DIR *d;
	struct dirent *de;
	struct stat sb;
	char **names = NULL, **nn, *p;
	size_t i, nnames = 0, cap = 0, before = nrun, dlen = strlen(dir);
	int rc = 0;

	/* "dir/" names files "dir/x", not "dir//x". */
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (nnames == cap) {
			cap = cap ? 2 * cap : 64;
			if ((nn = realloc(names, cap * sizeof(*names))) == NULL)
				goto oom;
			names = nn;
		}
		if ((p = malloc(dlen + strlen(de->d_name) + 2)) == NULL)
			goto oom;
		sprintf(p, "%.*s/%s", (int)dlen, dir, de->d_name);
		names[nnames++] = p;
	}
	closedir(d);
	d = NULL;
	if (nnames > 0)
		qsort(names, nnames, sizeof(*names), cmp_str);
	for (i = 0; i < nnames; i++) {
		if (stat(names[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			continue;
		if (run_file(names[i]) != 0)
			rc = -1;
	}
	if (nrun == before) {
		fprintf(stderr, "replay: %s: no inputs\n", dir);
		rc = -1;
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return (rc);

oom:
	fprintf(stderr, "replay: %s: out of memory\n", dir);
	if (d != NULL)
		closedir(d);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return (-1);
}

int
main(int argc, char *argv[])
{
	struct stat sb;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
		return (2);
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
		} else if (S_ISDIR(sb.st_mode)) {
			if (run_dir(argv[i]) != 0)
				rc = 1;
		} else if (run_file(argv[i]) != 0)
			rc = 1;
	}
	if (nfailed > 0)
		printf("replayed %zu inputs, %zu FAILED\n", nrun, nfailed);
	else
		printf("replayed %zu inputs\n", nrun);
	return (rc);
}
