/* Shared by entry32.S and entry64.S. */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x0
/* The exceptions whose delivery pushes an error code. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)
