/* CPL 3 checks: not written yet. */
#include "kernel.h"
void check_user(void) {}
