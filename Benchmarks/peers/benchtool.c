// benchtool: the small, fast helpers of `make bench-peers` (compiled at bench time with cc -O2).
//
//   benchtool send HOST PORT FILE     stream FILE over one TCP connection (sendfile(2), blocking;
//                                     the receiver's TCP window is the only brake), then close.
//                                     Prints "bytes seconds" on stdout.
//   benchtool sink PORT               accept one connection on 127.0.0.1:PORT, read to EOF into a
//                                     1 MiB buffer, print "bytes seconds" (from accept to EOF).
//   benchtool run RUSAGE CMD ARGS...  run CMD as a child, forward SIGTERM/SIGINT to it, and when it
//                                     ends write "user_s sys_s maxrss_kib status" (wait4) to the
//                                     file RUSAGE. A small launcher, so that the child's peak RSS is
//                                     its own: Linux counts the RSS of the process that forked it
//                                     (a harness holding hundreds of MiB) in the child's maxrss.
//   benchtool watch FILE N TIMEOUT    poll FILE every 2 ms, counting newlines in the bytes added
//                                     since the last poll (pread into a 4 MiB buffer); print the
//                                     CLOCK_MONOTONIC time at which the N-th newline was seen and
//                                     exit 0, or print "timeout LINES" and exit 1 after TIMEOUT s.
//
// The harness reads CLOCK_MONOTONIC through Python's time.monotonic(), so the times compare.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what) {
    fprintf(stderr, "benchtool: %s: %s\n", what, strerror(errno));
    return 2;
}

static int do_send(const char *host, int port, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return die(path);
    struct stat st;
    if (fstat(fd, &st) != 0) return die("fstat");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) { fprintf(stderr, "benchtool: bad address %s\n", host); return 2; }
    int sndbuf = 4 << 20;
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) return die("connect");
    double t0 = now();
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = sendfile(s, fd, &off, (size_t)(st.st_size - off) > (1 << 30) ? (1 << 30) : (size_t)(st.st_size - off));
        if (n < 0) { if (errno == EINTR) continue; return die("sendfile"); }
        if (n == 0) break;
    }
    shutdown(s, SHUT_WR);
    // Wait for the receiver to close (it may hold the connection open: read until EOF or error).
    char b[256];
    while (read(s, b, sizeof b) > 0) {}
    close(s);
    printf("%lld %.6f\n", (long long)off, now() - t0);
    return off == st.st_size ? 0 : 1;
}

static int do_sink(int port) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0) return die("socket");
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l, (struct sockaddr *)&a, sizeof a) != 0) return die("bind");
    if (listen(l, 4) != 0) return die("listen");
    int c = accept(l, NULL, NULL);
    if (c < 0) return die("accept");
    double t0 = now();
    static char buf[1 << 20];
    long long total = 0;
    for (;;) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n < 0) { if (errno == EINTR) continue; return die("read"); }
        if (n == 0) break;
        total += n;
    }
    printf("%lld %.6f\n", total, now() - t0);
    close(c);
    close(l);
    return 0;
}

static int do_watch(const char *path, long long want, double timeout) {
    static char buf[4 << 20];
    double deadline = now() + timeout;
    long long lines = 0;
    off_t done = 0;
    int fd = -1;
    const struct timespec tick = {0, 2 * 1000 * 1000};
    for (;;) {
        if (fd < 0) fd = open(path, O_RDONLY);
        if (fd >= 0) {
            for (;;) {
                ssize_t n = pread(fd, buf, sizeof buf, done);
                if (n <= 0) break;
                for (const char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) lines++;
                done += n;
                if (lines >= want) {
                    printf("%.6f %lld\n", now(), lines);
                    return 0;
                }
            }
        }
        if (now() > deadline) {
            printf("timeout %lld\n", lines);
            return 1;
        }
        nanosleep(&tick, NULL);
    }
}

static volatile pid_t child = 0;

static void forward(int sig) {
    if (child > 0) kill(child, sig);
}

static int do_run(const char *rusage_path, char **argv) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    pid_t pid = fork();
    if (pid < 0) return die("fork");
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "benchtool: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    child = pid;
    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) return die("wait4");
    }
    FILE *f = fopen(rusage_path, "w");
    if (!f) return die(rusage_path);
    fprintf(f, "%ld.%06ld %ld.%06ld %ld %d\n", (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
            (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, ru.ru_maxrss, status);
    fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "run") == 0) return do_run(argv[2], argv + 3);
    if (argc == 5 && strcmp(argv[1], "send") == 0) return do_send(argv[2], atoi(argv[3]), argv[4]);
    if (argc == 3 && strcmp(argv[1], "sink") == 0) return do_sink(atoi(argv[2]));
    if (argc == 5 && strcmp(argv[1], "watch") == 0) return do_watch(argv[2], atoll(argv[3]), atof(argv[4]));
    fprintf(stderr, "usage: benchtool send HOST PORT FILE | sink PORT | watch FILE N TIMEOUT_SECONDS | run RUSAGE_FILE CMD [ARG...]\n");
    return 2;
}
