// gemu-test: dyn=1
// qsort on ints, strings and structs with total-order comparators, bsearch,
// plus a hand-written merge sort and heap sort cross-checked against qsort.
#include "gt.h"

static int cmpint(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

struct rec {
	int key;
	double w;
	char name[12];
};

static int cmprec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->w != y->w)
		return x->w < y->w ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void msort(int *a, int *tmp, int n)
{
	if (n < 2)
		return;
	int m = n / 2;
	msort(a, tmp, m);
	msort(a + m, tmp, n - m);
	int i = 0, j = m, k = 0;
	while (i < m && j < n)
		tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
	while (i < m)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof(int));
}

static void sift(int *a, int i, int n)
{
	for (;;) {
		int l = 2 * i + 1, big = i;
		if (l < n && a[l] > a[big])
			big = l;
		if (l + 1 < n && a[l + 1] > a[big])
			big = l + 1;
		if (big == i)
			return;
		int t = a[i];
		a[i] = a[big];
		a[big] = t;
		i = big;
	}
}

static void hsort(int *a, int n)
{
	for (int i = n / 2 - 1; i >= 0; i--)
		sift(a, i, n);
	for (int e = n - 1; e > 0; e--) {
		int t = a[0];
		a[0] = a[e];
		a[e] = t;
		sift(a, 0, e);
	}
}

#define N 20000

int main(void)
{
	static int a[N], b[N], c[N], tmp[N];
	gt_srand(777);
	for (int i = 0; i < N; i++)
		a[i] = b[i] = c[i] = (int)(gt_rand() % 100000) - 50000;
	qsort(a, N, sizeof(int), cmpint);
	msort(b, tmp, N);
	hsort(c, N);
	printf("ints sorted: %s msort agrees: %s hsort agrees: %s\n",
	       memcmp(a, b, sizeof a) == 0 ? "yes" : "no", memcmp(a, b, sizeof a) == 0 ? "yes" : "no",
	       memcmp(a, c, sizeof a) == 0 ? "yes" : "no");
	printf("min=%d max=%d median=%d checksum=%08x\n", a[0], a[N - 1], a[N / 2], gt_fnv(a, sizeof a));
	int found = 0;
	for (int k = -50000; k < 50000; k += 37)
		found += bsearch(&k, a, N, sizeof(int), cmpint) != NULL;
	printf("bsearch found %d\n", found);

	static char words[2000][16];
	static char *wp[2000];
	for (int i = 0; i < 2000; i++) {
		int len = 1 + (int)(gt_rand() % 12);
		for (int j = 0; j < len; j++)
			words[i][j] = (char)('a' + gt_rand() % 26);
		words[i][len] = 0;
		wp[i] = words[i];
	}
	qsort(wp, 2000, sizeof(char *), cmpstr);
	for (int i = 0; i < 2000; i += 250)
		printf("word[%d]=%s\n", i, wp[i]);
	uint32_t h = 2166136261u;
	for (int i = 0; i < 2000; i++)
		h = (h ^ gt_fnv(wp[i], strlen(wp[i]))) * 16777619u;
	printf("words checksum %08x\n", h);

	static struct rec recs[3000];
	for (int i = 0; i < 3000; i++) {
		recs[i].key = (int)(gt_rand() % 50);
		recs[i].w = (double)(gt_rand() % 1000) / 8.0;
		snprintf(recs[i].name, sizeof recs[i].name, "n%u", gt_rand() % 100000);
	}
	qsort(recs, 3000, sizeof(struct rec), cmprec);
	for (int i = 0; i < 3000; i += 500)
		printf("rec[%d]=%d %g %s\n", i, recs[i].key, recs[i].w, recs[i].name);
	return 0;
}
