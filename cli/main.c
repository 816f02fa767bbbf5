/* cli/main.c — entry point: dispatches to one command.
 *
 *   assay check ...        cli/check.c
 *   assay lint ...         cli/lint.c
 *   assay merge ...        cli/merge.c
 *   assay diff ...         cli/diff.c
 *   assay profile ...      cli/profile.c
 *   assay --help | -h      cli/help.c
 *   assay --version
 */
#include <signal.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/msg.h"

static const char *const commands[] = { "check", "lint", "merge", "diff", "profile" };
static const char *const top_options[] = { "--help", "--version", "-h" };

static int unknown_command(const char *word)
{
    const char *cands[] = { "check", "lint", "merge", "diff", "profile", "--help",
                            "--version" };
    const char *s = cli_suggest(word, cands, sizeof cands / sizeof cands[0]);
    if (s)
        return cli_usage_error(NULL, "unknown command '%s' (did you mean '%s'?)", word, s);
    return cli_usage_error(NULL, "unknown command '%s'; commands are: check, lint, merge, diff, "
                           "profile", word);
}

static int unknown_option(const char *word)
{
    const char *s = cli_suggest(word, top_options, sizeof top_options / sizeof top_options[0]);
    if (!s && word[0] == '-' && word[1] != '-')
        s = cli_suggest(word + 1, commands, sizeof commands / sizeof commands[0]);
    if (s)
        return cli_usage_error(NULL, "unknown option '%s' (did you mean '%s'?)", word, s);
    return cli_usage_error(NULL, "unknown option '%s'", word);
}

int main(int argc, char **argv)
{
    /* A write to a closed stdout fails with EPIPE (exit 3, silently) instead
     * of killing the process: SPEC §2. */
    signal(SIGPIPE, SIG_IGN);
    /* Before any library call: ICU takes its allocator only then. */
    if (cli_libmem_install() != 0) {
        cli_error("cannot install the libraries' allocators");
        return CLI_EXIT_SYSTEM;
    }
    if (argc < 2)
        return cli_usage_error(NULL, "no command given; commands are: check, lint, merge, diff, "
                                     "profile");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return cli_help(NULL);
    if (strcmp(cmd, "--version") == 0)
        return cli_version();
    if (strcmp(cmd, "check") == 0)
        return cli_check(argc - 1, argv + 1);
    if (strcmp(cmd, "lint") == 0)
        return cli_lint(argc - 1, argv + 1);
    if (strcmp(cmd, "profile") == 0)
        return cli_profile(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return cli_merge(argc - 1, argv + 1);
    if (strcmp(cmd, "diff") == 0)
        return cli_diff(argc - 1, argv + 1);
    if (cmd[0] == '-' && cmd[1] != '\0')
        return unknown_option(cmd);
    return unknown_command(cmd);
}
