/*
 * zsize.c: bench tool — the size of FILE compressed by zstd at LEVEL (as
 * one frame, the best a link could do with the whole payload at once).
 *
 *     zsize FILE [LEVEL]
 */
#include <stdio.h>
#include <stdlib.h>

#include <zstd.h>

int
main(int argc, char **argv)
{
	FILE *f;
	char *in, *out;
	long len;
	size_t cap, n;
	int level = argc > 2 ? atoi(argv[2]) : 3;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: zsize FILE [LEVEL]\n");
		return (2);
	}
	if ((f = fopen(argv[1], "rb")) == NULL || fseek(f, 0, SEEK_END) ||
	    (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(argv[1]);
		return (1);
	}
	cap = ZSTD_compressBound((size_t)len);
	if ((in = malloc((size_t)len + 1)) == NULL ||
	    (out = malloc(cap)) == NULL ||
	    fread(in, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "zsize: cannot read %s\n", argv[1]);
		return (1);
	}
	fclose(f);
	n = ZSTD_compress(out, cap, in, (size_t)len, level);
	if (ZSTD_isError(n)) {
		fprintf(stderr, "zsize: %s\n", ZSTD_getErrorName(n));
		return (1);
	}
	printf("%zu\n", n);
	free(in);
	free(out);
	return (0);
}
