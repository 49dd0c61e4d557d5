/*
 * COM1 output (polling the line status register's THRE bit), a small
 * printf, the check result lines and power-off.
 */
#include <stdarg.h>
#include "kernel.h"

#define COM1 0x3f8

int failures;

void putc(char c)
{
	if (c == '\n')
		putc('\r');
	/* LSR bit 5: the transmit holding register is empty. */
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (u8)c);
}

void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void putnum(u64 v, int base, int width, char pad, int neg)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % (u64)base];
		v /= (u64)base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (width-- > n)
		putc(pad);
	while (n)
		putc(buf[--n]);
}

/* vprintf knows %s %c %d %u %x and the l/ll sizes, a 0 flag and a width. */
static void vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putc(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, longs = 0;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			longs++, fmt++;
		u64 v = 0;
		if (*fmt == 'd' || *fmt == 'u' || *fmt == 'x') {
			if (longs >= 2)
				v = va_arg(ap, u64);
			else if (longs == 1)
				v = va_arg(ap, unsigned long);
			else
				v = va_arg(ap, unsigned int);
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			puts(s ? s : "(null)");
			break;
		}
		case 'c':
			putc((char)va_arg(ap, int));
			break;
		case 'd': {
			long long sv = longs >= 2 ? (long long)v : longs == 1 ? (long)v : (int)v;
			putnum(sv < 0 ? (u64)-sv : (u64)sv, 10, width, pad, sv < 0);
			break;
		}
		case 'u':
			putnum(v, 10, width, pad, 0);
			break;
		case 'x':
			putnum(v, 16, width, pad, 0);
			break;
		case '%':
			putc('%');
			break;
		default:
			putc('?');
		}
	}
}

void printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void ok(const char *name) { printf("ok %s\n", name); }

void fail(const char *name, const char *fmt, ...)
{
	va_list ap;
	failures++;
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putc('\n');
}

void skip(const char *name, const char *fmt, ...)
{
	va_list ap;
	printf("skip %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putc('\n');
}

/*
 * poweroff ends both machines: qemu's isa-debug-exit device at port 0xf4
 * (exit status (v<<1)|1), then a halt with interrupts off, which ends
 * gemu-system.
 */
void poweroff(void)
{
	outb(0xf4, 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void *memset(void *d, int c, unsigned long n)
{
	u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	u8 *p = d;
	const u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}
