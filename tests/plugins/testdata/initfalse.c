/* initfalse.c - a plugin whose plugin_init refuses to start. */
#include "plugins.h"

bool plugin_init(const char *args)
{
    (void)args;
    qemulib_log("initfalse: refusing\n");
    return false;
}
