/* cli/signals.c — remove temporary output files on SIGINT/SIGTERM.
 *
 * The library reports every temporary file it creates or removes through
 * opts.on_tempfile (possibly from worker threads). We keep the paths in a
 * fixed-size static table — global state is allowed in the CLI layer only —
 * whose slots are claimed with C11 atomics, so that the signal handler can
 * walk it without a lock: it unlinks every published path (unlink is
 * async-signal-safe), restores the default action and re-raises the signal,
 * so the shell sees 130/143. (SIGPIPE is ignored for the whole process in
 * cli/main.c.) */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define CLI_MAX_TEMPFILES 32
#define CLI_TEMPFILE_PATH 4096

enum { SLOT_FREE = 0, SLOT_WRITING, SLOT_READY };

static struct {
    atomic_int state;
    char path[CLI_TEMPFILE_PATH];
} tempfiles[CLI_MAX_TEMPFILES];

static void remember(const char *path)
{
    size_t len = strlen(path);
    if (len >= CLI_TEMPFILE_PATH)
        return; /* cannot be tracked; the library still removes it on errors */
    for (size_t i = 0; i < CLI_MAX_TEMPFILES; i++) {
        int expected = SLOT_FREE;
        if (atomic_compare_exchange_strong(&tempfiles[i].state, &expected, SLOT_WRITING)) {
            memcpy(tempfiles[i].path, path, len + 1);
            atomic_store(&tempfiles[i].state, SLOT_READY);
            return;
        }
    }
}

static void forget(const char *path)
{
    for (size_t i = 0; i < CLI_MAX_TEMPFILES; i++) {
        if (atomic_load(&tempfiles[i].state) == SLOT_READY &&
            strcmp(tempfiles[i].path, path) == 0) {
            atomic_store(&tempfiles[i].state, SLOT_FREE);
            return;
        }
    }
}

void cli_tempfile_track(const char *path, int added, void *ctx)
{
    (void)ctx;
    if (!path)
        return;
    if (added)
        remember(path);
    else
        forget(path);
}

void cli_tempfiles_remove_all(void)
{
    for (size_t i = 0; i < CLI_MAX_TEMPFILES; i++) {
        if (atomic_load(&tempfiles[i].state) == SLOT_READY)
            unlink(tempfiles[i].path);
    }
}

static void on_fatal_signal(int sig)
{
    cli_tempfiles_remove_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_handler = on_fatal_signal;
    const int sigs[] = { SIGINT, SIGTERM };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        /* A signal ignored by the parent (nohup, a background job) stays so. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
}
