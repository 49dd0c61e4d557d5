// Standard streams: reads all of stdin (fed by the harness) with read(2)
// and stdio, processes it (line count, word count, reversed lines, checksum),
// writes to both stdout and stderr, unbuffered/line-buffered modes, EOF.
// gemu-test: stdin="The quick brown fox\njumps over\n\nthe lazy dog.\nlast line without newline"
#include "gt.h"
#include <ctype.h>
#include <unistd.h>

int main(void)
{
	static char data[1 << 16];
	size_t len = 0;
	ssize_t n;
	/* first 10 bytes with read(2), the rest with stdio */
	while (len < 10 && (n = read(0, data + len, 10 - len)) > 0)
		len += (size_t)n;
	len += fread(data + len, 1, sizeof data - 1 - len, stdin);
	data[len] = 0;
	printf("read %zu bytes, eof=%d checksum=%08x\n", len, feof(stdin) != 0, gt_fnv(data, len));
	int lines = 0, words = 0, inword = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			lines++;
		if (isspace((unsigned char)data[i]))
			inword = 0;
		else if (!inword) {
			inword = 1;
			words++;
		}
	}
	printf("lines=%d words=%d\n", lines, words);
	fprintf(stderr, "stderr: processing %d lines\n", lines);
	/* print lines reversed, in reverse order */
	char *linev[256];
	int nl = 0;
	for (char *s = strtok(data, "\n"); s && nl < 256; s = strtok(NULL, "\n"))
		linev[nl++] = s;
	for (int i = nl - 1; i >= 0; i--) {
		size_t l = strlen(linev[i]);
		for (size_t j = 0; j < l / 2; j++) {
			char t = linev[i][j];
			linev[i][j] = linev[i][l - 1 - j];
			linev[i][l - 1 - j] = t;
		}
		printf("%d: %s\n", i, linev[i]);
		fprintf(stderr, "err %d\n", i);
	}
	printf("getchar at EOF: %d\n", getchar());
	setvbuf(stderr, NULL, _IOFBF, 1024);
	fprintf(stderr, "fully buffered stderr line\n");
	fflush(stderr);
	write(2, "raw write to fd 2\n", 18);
	write(1, "raw write to fd 1 (before buffered stdout)\n", 43);
	printf("final stdout line\n");
	return 0;
}
