/* sleeper.c - a guest that sleeps for 10 seconds: the plugin crash test
   kills gemu from a thread of the plugin's meanwhile. */
#include <unistd.h>

int main(void)
{
    sleep(10);
    return 0;
}
