/*
 * gemu benchmark workload W3: a small CPU-bound kernel.
 *
 * In the spirit of CoreMark (linked-list work, matrix multiply, a state
 * machine, CRC) but original code. Everything is integer arithmetic on
 * fixed-width types, so the result is the same on i386 and x86-64 and
 * under any correct emulator. No I/O but the final printf, no malloc.
 *
 *     kernel [ITERATIONS]
 *
 * Prints one line per part and a final checksum line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_ITERS 3000

/* ---------------------------------------------------------------- PRNG */

static uint32_t rng_state;

static uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* --------------------------------------------------------------- CRC32 */

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc_bytes(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t crc_u32(uint32_t crc, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    return crc_bytes(crc, b, 4);
}

/* Bitwise CRC-16/CCITT, to have a branchy bit loop as well. */
static uint16_t crc16_bits(uint16_t crc, uint32_t v)
{
    for (int i = 0; i < 32; i++) {
        uint16_t bit = (uint16_t)((v >> (31 - i)) & 1);
        uint16_t top = (uint16_t)(crc >> 15);
        crc = (uint16_t)(crc << 1);
        if (top ^ bit)
            crc ^= 0x1021;
    }
    return crc;
}

/* --------------------------------------------------------- linked list */

#define LIST_N 600

struct node {
    struct node *next;
    int32_t key;
    uint32_t idx;
};

static struct node pool[LIST_N];

static int node_before(const struct node *a, const struct node *b, int mode)
{
    switch (mode) {
    case 0:
        if (a->key != b->key)
            return a->key < b->key;
        return a->idx <= b->idx;
    case 1:
        return a->idx <= b->idx;
    default: {
        uint32_t ka = ((uint32_t)a->key * 2654435761u) ^ a->idx;
        uint32_t kb = ((uint32_t)b->key * 2654435761u) ^ b->idx;
        return ka <= kb;
    }
    }
}

/* Bottom-up merge sort of a singly linked list (stable, no recursion). */
static struct node *list_sort(struct node *head, int mode)
{
    if (!head)
        return head;
    for (size_t width = 1;; width *= 2) {
        struct node *p = head, *tail = NULL;
        size_t merges = 0;
        head = NULL;
        while (p) {
            struct node *q = p;
            size_t psize = 0, qsize = width;
            merges++;
            for (size_t i = 0; i < width && q; i++) {
                psize++;
                q = q->next;
            }
            while (psize > 0 || (qsize > 0 && q)) {
                struct node *e;
                if (psize == 0) {
                    e = q; q = q->next; qsize--;
                } else if (qsize == 0 || !q) {
                    e = p; p = p->next; psize--;
                } else if (node_before(p, q, mode)) {
                    e = p; p = p->next; psize--;
                } else {
                    e = q; q = q->next; qsize--;
                }
                if (tail)
                    tail->next = e;
                else
                    head = e;
                tail = e;
            }
            p = q;
        }
        tail->next = NULL;
        if (merges <= 1)
            return head;
    }
}

static struct node *list_reverse(struct node *head)
{
    struct node *prev = NULL;
    while (head) {
        struct node *n = head->next;
        head->next = prev;
        prev = head;
        head = n;
    }
    return prev;
}

static struct node *list_find(struct node *head, int32_t key)
{
    while (head && head->key != key)
        head = head->next;
    return head;
}

static uint32_t list_work(uint32_t crc)
{
    struct node *head = NULL;
    for (uint32_t i = 0; i < LIST_N; i++) {
        pool[i].key = (int32_t)(rnd() % 20000u) - 10000;
        pool[i].idx = i;
        pool[i].next = head;
        head = &pool[i];
    }

    head = list_sort(head, 0);
    int32_t prev = INT32_MIN;
    uint32_t inversions = 0;
    for (struct node *n = head; n; n = n->next) {
        if (n->key < prev)
            inversions++;
        prev = n->key;
        crc = crc_u32(crc, (uint32_t)n->key);
    }
    crc = crc_u32(crc, inversions);

    /* Look up some keys, unlink the ones found and push them to the front. */
    for (int i = 0; i < 16; i++) {
        int32_t want = pool[rnd() % LIST_N].key;
        struct node *f = list_find(head, want);
        if (f && f != head) {
            struct node *p = head;
            while (p->next != f)
                p = p->next;
            p->next = f->next;
            f->next = head;
            head = f;
            crc = crc_u32(crc, f->idx);
        }
    }

    head = list_reverse(head);
    head = list_sort(head, 2);
    uint32_t pos = 0;
    for (struct node *n = head; n; n = n->next, pos++)
        if ((pos & 7) == 0)
            crc = crc_u32(crc, n->idx);

    head = list_sort(head, 1);
    pos = 0;
    for (struct node *n = head; n; n = n->next, pos++)
        if (n->idx != pos)
            crc = crc_u32(crc, 0xdeadu);
    return crc;
}

/* -------------------------------------------------------------- matrix */

#define MAT_N 24

static int16_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N];
static int32_t mat_c[MAT_N][MAT_N];

static uint32_t matrix_work(uint32_t crc)
{
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            mat_a[i][j] = (int16_t)((rnd() & 0x3ff) - 512);
            mat_b[i][j] = (int16_t)((rnd() & 0x3ff) - 512);
        }

    /* C = A * B */
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t s = 0;
            for (int k = 0; k < MAT_N; k++)
                s += (int32_t)mat_a[i][k] * mat_b[k][j];
            mat_c[i][j] = s;
        }

    /* C += A * k, then column sums of C with a bit-field extract. */
    int16_t k = (int16_t)(rnd() & 0xff);
    uint32_t acc = 0;
    for (int j = 0; j < MAT_N; j++) {
        int32_t col = 0;
        for (int i = 0; i < MAT_N; i++) {
            mat_c[i][j] += (int32_t)mat_a[i][j] * k;
            col += (mat_c[i][j] >> 4) & 0x7f;
        }
        acc = acc * 31u + (uint32_t)col;
    }

    /* C = B^T * A, summing with signed compares. */
    int32_t maxv = INT32_MIN, minv = INT32_MAX;
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t s = 0;
            for (int kk = 0; kk < MAT_N; kk++)
                s += (int32_t)mat_b[kk][i] * mat_a[kk][j];
            if (s > maxv) maxv = s;
            if (s < minv) minv = s;
            mat_c[i][j] ^= s;
        }

    crc = crc_u32(crc, acc);
    crc = crc_u32(crc, (uint32_t)maxv);
    crc = crc_u32(crc, (uint32_t)minv);
    crc = crc_bytes(crc, (const uint8_t *)mat_c, sizeof mat_c);
    return crc;
}

/* ------------------------------------------------------- state machine */

enum st { S_START, S_SIGN, S_ZERO, S_INT, S_HEXP, S_HEX, S_DOT, S_FRAC,
          S_EXP, S_EXPSIGN, S_EXPNUM, S_IDENT, S_BAD, S_COUNT };

#define TEXT_N 2048

static char text[TEXT_N + 1];
static uint32_t final_counts[S_COUNT];
static uint32_t transitions;

static const char *const pieces[] = {
    "0", "17", "-42", "+3.25", "0x1f", "0XbeEf", "6.02e23", "-1.5E-3",
    "alpha", "_x9", "1e", "0x", "--5", "3..4", "9z", ".5", "1.2.3", "hello_world",
};

static void text_make(void)
{
    size_t n = 0;
    while (n < TEXT_N) {
        const char *p = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
        while (*p && n < TEXT_N)
            text[n++] = *p++;
        if (n < TEXT_N)
            text[n++] = (rnd() & 3) ? ',' : ' ';
    }
    text[TEXT_N] = 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

static enum st step(enum st s, char c)
{
    switch (s) {
    case S_START:
        if (c == '+' || c == '-') return S_SIGN;
        if (c == '0') return S_ZERO;
        if (is_digit(c)) return S_INT;
        if (c == '.') return S_DOT;
        if (is_alpha(c)) return S_IDENT;
        return S_BAD;
    case S_SIGN:
        if (c == '0') return S_ZERO;
        if (is_digit(c)) return S_INT;
        if (c == '.') return S_DOT;
        return S_BAD;
    case S_ZERO:
        if (c == 'x' || c == 'X') return S_HEXP;
        /* fall through */
    case S_INT:
        if (is_digit(c)) return S_INT;
        if (c == '.') return S_FRAC;
        if (c == 'e' || c == 'E') return S_EXP;
        return S_BAD;
    case S_HEXP:
    case S_HEX:
        return is_hex(c) ? S_HEX : S_BAD;
    case S_DOT:
        return is_digit(c) ? S_FRAC : S_BAD;
    case S_FRAC:
        if (is_digit(c)) return S_FRAC;
        if (c == 'e' || c == 'E') return S_EXP;
        return S_BAD;
    case S_EXP:
        if (c == '+' || c == '-') return S_EXPSIGN;
        /* fall through */
    case S_EXPSIGN:
    case S_EXPNUM:
        return is_digit(c) ? S_EXPNUM : S_BAD;
    case S_IDENT:
        return (is_alpha(c) || is_digit(c)) ? S_IDENT : S_BAD;
    default:
        return S_BAD;
    }
}

static void scan(void)
{
    enum st s = S_START;
    for (const char *p = text;; p++) {
        char c = *p;
        if (c == ',' || c == ' ' || c == 0) {
            if (s != S_START)
                final_counts[s]++;
            s = S_START;
            if (c == 0)
                break;
            continue;
        }
        enum st n = step(s, c);
        if (n != s)
            transitions++;
        s = n;
    }
}

static uint32_t state_work(uint32_t crc)
{
    for (int i = 0; i < S_COUNT; i++)
        final_counts[i] = 0;
    transitions = 0;
    text_make();
    scan();
    /* Corrupt a few bytes and scan again, as input noise. */
    for (int i = 0; i < 24; i++) {
        uint32_t r = rnd();
        text[r % TEXT_N] = "0123456789.eEx+-_a,"[(r >> 16) % 19];
    }
    scan();
    for (int i = 0; i < S_COUNT; i++)
        crc = crc_u32(crc, final_counts[i]);
    return crc_u32(crc, transitions);
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    long iters = DEFAULT_ITERS;
    if (argc > 1)
        iters = strtol(argv[1], NULL, 10);
    if (iters <= 0) {
        fprintf(stderr, "usage: kernel [ITERATIONS>0]\n");
        return 2;
    }

    crc_init();
    uint32_t c_list = 0, c_mat = 0, c_state = 0;
    uint16_t total = 0xffff;
    for (long it = 0; it < iters; it++) {
        rng_state = 0x9e3779b9u ^ (uint32_t)(it * 2246822519u + 1u);
        c_list = list_work(c_list);
        c_mat = matrix_work(c_mat);
        c_state = state_work(c_state);
        total = crc16_bits(total, c_list ^ c_mat ^ c_state);
    }

    printf("iterations: %ld\n", iters);
    printf("list:   %08x\n", c_list);
    printf("matrix: %08x\n", c_mat);
    printf("state:  %08x\n", c_state);
    printf("checksum: %04x\n", total);
    return 0;
}
