// gemu-test: dyn=1
// malloc/calloc/realloc/free stress driven by a deterministic LCG, with
// small, medium and large (mmap threshold) sizes; contents verified.
#include "gt.h"

#define SLOTS 512

static void *slot[SLOTS];
static size_t slen[SLOTS];
static unsigned char stag[SLOTS];

static void fillp(unsigned char *p, size_t n, unsigned char tag)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(tag + i * 13);
}

static int checkp(const unsigned char *p, size_t n, unsigned char tag)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(tag + i * 13))
			return 0;
	return 1;
}

static size_t pick_size(void)
{
	uint32_t r = gt_rand();
	r %= 32;
	if (r == 0)
		return 0;
	if (r < 16)
		return 1 + gt_rand() % 64;
	if (r < 28)
		return 64 + gt_rand() % 4096;
	if (r < 31)
		return 4096 + gt_rand() % 32768;
	return 130000 + gt_rand() % 70000; /* above the mmap threshold */
}

int main(void)
{
	gt_srand(12345);
	unsigned long ops[4] = {0}, bad = 0, total = 0;
	for (int it = 0; it < 4000; it++) {
		int s = (int)(gt_rand() % SLOTS);
		int op = (int)(gt_rand() % 4);
		if (slot[s] && !checkp(slot[s], slen[s], stag[s]))
			bad++;
		if (op == 0 || !slot[s]) {
			free(slot[s]);
			size_t n = pick_size();
			if (gt_rand() % 4 == 0) {
				slot[s] = calloc(1, n);
				for (size_t i = 0; i < n; i++)
					if (((unsigned char *)slot[s])[i])
						bad++;
			} else
				slot[s] = malloc(n);
			if (!slot[s] && n) {
				printf("allocation failed\n");
				return 1;
			}
			slen[s] = n;
			stag[s] = (unsigned char)gt_rand();
			fillp(slot[s], n, stag[s]);
			total += n;
			ops[0]++;
		} else if (op == 1) {
			size_t n = pick_size();
			void *p = realloc(slot[s], n ? n : 1);
			if (!p) {
				printf("realloc failed\n");
				return 1;
			}
			size_t keep = slen[s] < n ? slen[s] : n;
			if (!checkp(p, keep, stag[s]))
				bad++;
			slot[s] = p;
			slen[s] = n;
			fillp(p, n, stag[s]);
			ops[1]++;
		} else if (op == 2) {
			free(slot[s]);
			slot[s] = NULL;
			slen[s] = 0;
			ops[2]++;
		} else {
			/* aligned allocations */
			size_t al = (size_t)16 << (gt_rand() % 8);
			void *p = aligned_alloc(al, al * 3);
			if (!p || ((uintptr_t)p & (al - 1)))
				bad++;
			memset(p, 0xab, al * 3);
			free(p);
			ops[3]++;
		}
	}
	unsigned long live = 0;
	for (int s = 0; s < SLOTS; s++) {
		if (slot[s]) {
			if (!checkp(slot[s], slen[s], stag[s]))
				bad++;
			live += slen[s];
		}
		free(slot[s]);
	}
	printf("alloc=%lu realloc=%lu free=%lu aligned=%lu bytes=%lu live=%lu bad=%lu\n", ops[0], ops[1],
	       ops[2], ops[3], total, live, bad);
	/* many tiny allocations in a linked list */
	struct node {
		struct node *next;
		int v;
	} *head = NULL;
	for (int i = 0; i < 30000; i++) {
		struct node *n = malloc(sizeof *n);
		n->v = i;
		n->next = head;
		head = n;
	}
	long long sum = 0;
	while (head) {
		struct node *n = head;
		sum += n->v;
		head = n->next;
		free(n);
	}
	printf("list sum=%lld\n", sum);
	return 0;
}
