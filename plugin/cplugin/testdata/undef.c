/* undef.c - a plugin calling a function gemu does not provide. */
#include "plugins.h"

void qemulib_no_such_function(void);

bool plugin_init(const char *args)
{
    (void)args;
    qemulib_no_such_function();
    return true;
}
