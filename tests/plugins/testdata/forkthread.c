/* forkthread.c - guest for the fork and thread plugin tests: it runs a
   loop (so that the parent has executed many instructions), forks a child
   that writes a line and exits with status 3, waits for it, then starts
   and joins a thread. */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void *thread_main(void *arg)
{
    (void)arg;
    return NULL;
}

int main(void)
{
    volatile unsigned sum = 0; /* wraps the same way on both architectures */
    for (unsigned i = 0; i < 300000; i++) {
        sum += i;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        write(1, "child\n", 6);
        _exit(3);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) {
        perror("fork/waitpid");
        return 1;
    }
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    pthread_t t;
    if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, NULL) != 0) {
        printf("thread failed\n");
        return 1;
    }
    printf("thread done %u\n", sum);
    return 0;
}
