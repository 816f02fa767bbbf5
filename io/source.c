/* io/source.c — byte sources for the readers: a memory buffer (tests use its
 * chunk size to prove chunk-split invariance) and a file descriptor. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "io/csv_reader.h"

ptrdiff_t io_mem_read(void *ctx, char *buf, size_t cap)
{
    io_mem_source *m = ctx;
    size_t n = m->n - m->off;
    if (n > cap)
        n = cap;
    if (m->chunk && n > m->chunk)
        n = m->chunk;
    if (n > (size_t)PTRDIFF_MAX)
        n = (size_t)PTRDIFF_MAX;
    if (n)
        memcpy(buf, m->p + m->off, n);
    m->off += n;
    return (ptrdiff_t)n;
}

ptrdiff_t io_fd_read(void *ctx, char *buf, size_t cap)
{
    int fd = *(const int *)ctx;
    if (cap > (size_t)SSIZE_MAX)
        cap = (size_t)SSIZE_MAX;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0)
            return (ptrdiff_t)n;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        /* a descriptor we were handed in non-blocking mode (a shared pipe
         * on standard input): wait until it has data */
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
            return -1;
    }
}
