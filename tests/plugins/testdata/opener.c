/* opener.c - dynamically linked guest for TestSWATPlugins: opens the file
   named by its argument, reads a byte, closes it and says so. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char c;
    int fd = open(argc > 1 ? argv[1] : "/", O_RDONLY);
    if (fd < 0 || read(fd, &c, 1) != 1 || close(fd) != 0) {
        return 1;
    }
    printf("opened %s\n", argv[1]);
    return 0;
}
