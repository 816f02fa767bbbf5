/* core/status.c — status names and the versions assay runs with. */
#include <stdio.h>

#include <csv.h>
#include <jansson.h>
#include <libxml/parser.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <unicode/uversion.h>

#include "assay/assay.h"

ASSAY_API const char *assay_strerror(assay_status st)
{
    switch (st) {
    case ASSAY_OK: return "success";
    case ASSAY_E_USAGE: return "usage error";
    case ASSAY_E_RULES: return "invalid rules file";
    case ASSAY_E_IO: return "input/output error";
    case ASSAY_E_NOMEM: return "out of memory";
    case ASSAY_E_LIMIT: return "limit reached";
    case ASSAY_E_INTERNAL: return "internal error";
    }
    return "unknown error";
}

ASSAY_API const char *assay_version(void)
{
    return ASSAY_VERSION;
}

ASSAY_API void assay_library_versions(char *buf, size_t cap)
{
    UVersionInfo icu;
    char icu_s[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(icu);
    u_versionToString(icu, icu_s);
    char pcre[64] = "";
    pcre2_config(PCRE2_CONFIG_VERSION, pcre);
    uint32_t jit = 0;
    pcre2_config(PCRE2_CONFIG_JIT, &jit);
    /* libxml2 reports its runtime version as a string of digits (20914). */
    int xv = 0;
    sscanf(xmlParserVersion, "%d", &xv);
#ifndef ASSAY_LIBCSV_VERSION
#define ASSAY_LIBCSV_VERSION "unknown"
#endif
    snprintf(buf, cap, "ICU %s, PCRE2 %s%s, libxml2 %d.%d.%d, jansson %s, libcsv %s",
             icu_s, pcre, jit ? " (JIT)" : " (no JIT)", xv / 10000, xv / 100 % 100,
             xv % 100, jansson_version_str(), ASSAY_LIBCSV_VERSION);
}
