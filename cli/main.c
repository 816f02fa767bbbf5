/* cli/main.c — entry point: dispatches to one command. */
#include <stdio.h>
#include <string.h>

#include "assay/assay.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        char libs[256];
        assay_library_versions(libs, sizeof libs);
        printf("assay %s (%s)\n", assay_version(), libs);
        return 0;
    }
    fprintf(stderr, "assay: error: no command given\nTry 'assay --help' for more information.\n");
    return 2;
}
