/* cli/help.c — help texts (to stdout, exit 0) and --version.
 *
 * Every option that cli/check.c parses is listed here, including the ones
 * this version refuses as "not supported yet"; docs/cli.md says the same at
 * length. */
#include <string.h>

#include "cli/cli.h"
#include "cli/msg.h"

static const char help_main[] =
    "Usage: assay COMMAND [options]\n"
    "\n"
    "assay is a streaming data-quality gate: it checks and cleans every record\n"
    "against a declarative rules file, writes the records that pass, quarantines\n"
    "the records that fail (byte for byte as read) and reports quality statistics.\n"
    "\n"
    "Commands:\n"
    "  check -r RULES [options] [INPUT ...]   validate and clean records (the filter)\n"
    "  lint RULES ...                         check rules files, explain every error\n"
    "  merge [-o FILE] STATS ...              merge the stats files of shards into\n"
    "                                         the stats of the whole\n"
    "\n"
    "Options:\n"
    "  -h, --help       show this help ('assay COMMAND --help' for a command)\n"
    "      --version    show the version of assay and of the libraries it uses\n"
    "\n"
    "Exit codes: 0 ok; 1 the data failed (a threshold was breached); 2 usage error\n"
    "or invalid rules file; 3 I/O or system error.\n";

static const char help_check[] =
    "Usage: assay check -r RULES [options] [INPUT ...]\n"
    "\n"
    "Validate and clean records against a rules file. Records that pass are\n"
    "written (cleaned) to the output; records that fail go to the quarantine\n"
    "exactly as read. No INPUT, or '-', means standard input; several INPUTs are\n"
    "one stream of records. A summary goes to stderr.\n"
    "\n"
    "Input:\n"
    "  -r, --rules FILE             the rules file (required)\n"
    "  -f, --format FMT             input format: csv, tsv, ndjson, json (an\n"
    "                               array of records) or xml; default from the\n"
    "                               extension (.csv .tsv .tab .ndjson .jsonl .json\n"
    "                               .xml, also under .gz/.zst), else sniffed from\n"
    "                               the first bytes ({ ndjson, [ json, < xml)\n"
    "      --record-path PATH       XML: the record element, e.g. /orders/order\n"
    "                               (or dialect.recordPath in the rules)\n"
    "      --output-format FMT      output format; default: same as the input.\n"
    "                               Converts CSV/TSV <-> NDJSON/JSON, and JSON or\n"
    "                               XML to CSV (columns: the rules' fields)\n"
    "      --schema-order           CSV output columns in the rules' field order;\n"
    "                               columns no field names are left out\n"
    "      --delimiter C            CSV delimiter: one character ('tab' or '\\t' for\n"
    "                               TAB); overrides the rules' dialect\n"
    "      --quote C|none           CSV quote character, or 'none' for no quoting\n"
    "      --encoding NAME|auto     input encoding, over the rules' (default: auto:\n"
    "                               a BOM, else UTF-8 when the start is valid\n"
    "                               UTF-8, else detected); any name ICU knows:\n"
    "                               windows-1252, ISO-8859-15, Shift_JIS, UTF-16..\n"
    "\n"
    "Outputs (each written to a temporary file and renamed when the run ends):\n"
    "  -o, --output FILE            passing records; default: standard output.\n"
    "                               Inputs and outputs named *.gz or *.zst are\n"
    "                               read and written compressed\n"
    "  -q, --quarantine FILE        failing records, verbatim; default:\n"
    "                               <input stem>.quarantine.<ext> beside the first\n"
    "                               input (stdin.quarantine.<ext> for stdin);\n"
    "                               '-q /dev/null' discards them on purpose\n"
    "  -e, --errors FILE            one NDJSON object per violation\n"
    "  -c, --changes FILE           one NDJSON object per value a cleaning step\n"
    "                               changed\n"
    "  -s, --stats FILE             quality statistics as JSON\n"
    "      --junit FILE             JUnit XML report for CI: one test suite per\n"
    "                               input, one test case per check of the rules\n"
    "                               (failing with its first failing records), and\n"
    "                               a suite of the policy's thresholds\n"
    "      --metrics FILE           the run's totals as Prometheus metrics (text\n"
    "                               format 0.0.4) for node_exporter's textfile\n"
    "                               collector: name it *.prom in its directory\n"
    "\n"
    "Processing:\n"
    "      --no-clean               validate only: no cleaning step runs and\n"
    "                               passing records are written as read\n"
    "      --annotate               add _assay_line and _assay_errors to\n"
    "                               quarantined records\n"
    "  -j, --jobs N                 worker threads checking batches of records\n"
    "                               while one thread reads and one writes (default:\n"
    "                               the number of cores; 0: check on the reading\n"
    "                               thread). Every output is the same for every N.\n"
    "                               (JSON arrays and XML: checked on one thread)\n"
    "      --batch-records N        records per batch handed to a worker (default\n"
    "                               4096; a batch is also cut at 1 MiB of input)\n"
    "      --max-record-bytes N     size limit of a record (default 16M)\n"
    "      --max-field-bytes N      size limit of a field (default 4M); sizes take\n"
    "                               a K, M or G suffix (units of 1024)\n"
    "      --max-errors-per-rule N  write at most N lines per field and rule to -e\n"
    "                               (0: no cap, the default); stats keep the totals\n"
    "      --max-unique-keys N      stop with exit 3 past N distinct keys of the\n"
    "                               unique/primaryKey checks (0: built-in default)\n"
    "      --byte-range START:END   check only the records that start in these\n"
    "                               bytes of the one input file (END left out: its\n"
    "                               end); both ends move to the reader's resync\n"
    "                               point, so shards never cut or repeat a record\n"
    "                               (combine their -s files with assay merge)\n"
    "      --now TIMESTAMP          the clock of today()/now() in record rules and\n"
    "                               of relative bounds (today-30d), as an ISO date\n"
    "                               or datetime, for reproducible runs\n"
    "\n"
    "Reporting:\n"
    "      --quiet                  no summary on stderr (warnings and errors stay)\n"
    "      --no-progress            no progress on stderr (this version never\n"
    "                               shows progress)\n"
    "  -h, --help                   show this help\n"
    "\n"
    "Named by the product but not supported yet by this version (refused, exit 2):\n"
    "  --progress; --output-format xml from input other than XML.\n"
    "\n"
    "Options take their value as '--opt VALUE' or '--opt=VALUE'; '--' ends the\n"
    "options. An output may not name an input or the rules file, and two outputs\n"
    "may not name one file (/dev/null excepted).\n"
    "\n"
    "Exit codes: 0 every record passed, or the quarantine stayed within the rules'\n"
    "policy; 1 a threshold was breached (by default: any record quarantined);\n"
    "2 usage error or invalid rules file; 3 I/O or system error.\n";

static const char help_lint[] =
    "Usage: assay lint RULES ...\n"
    "\n"
    "Check rules files: load each one exactly as 'assay check' would and explain\n"
    "every problem as 'FILE:LINE:COLUMN: JSON-PATH: message'. Unknown keys are\n"
    "errors (keys starting with 'x-' excepted); Table Schema keys that assay does\n"
    "not check yet are warnings. A valid file prints\n"
    "'FILE: OK (N fields, W warnings)' to stdout.\n"
    "\n"
    "Options:\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit codes: 0 every file is valid (warnings allowed); 2 a file has an error\n"
    "or cannot be read; 3 out of memory or another system error.\n";

static const char help_merge[] =
    "Usage: assay merge [-o FILE] STATS ...\n"
    "\n"
    "Merge the statistics files that 'assay check -s' wrote for shards of one\n"
    "data set into the statistics of the whole, as one check over all of it\n"
    "would have written them. Every count sums exactly; header lists become\n"
    "their union; inputs are concatenated; the thresholds are recomputed from\n"
    "the merged counts with the limits the shards carry (which must agree).\n"
    "An encoding that differs between shards is written as \"mixed\".\n"
    "timing.seconds is the longest shard's (shards run in parallel).\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   where the merged stats go; default: standard output\n"
    "                      (written to a temporary file and renamed at the end)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit codes: 0 every merged threshold holds; 1 a merged threshold is\n"
    "breached (the data failed, as check over the whole would have said);\n"
    "2 usage error, or a stats file that is not JSON, not assay statistics, or\n"
    "of another stats_version or other threshold limits than the first;\n"
    "3 a stats file cannot be read or the output cannot be written.\n";

int cli_help(const char *cmd)
{
    const char *text = help_main;
    if (cmd && strcmp(cmd, "check") == 0)
        text = help_check;
    else if (cmd && strcmp(cmd, "lint") == 0)
        text = help_lint;
    else if (cmd && strcmp(cmd, "merge") == 0)
        text = help_merge;
    cli_out("%s", text);
    return cli_stdout_finish();
}

int cli_version(void)
{
    char libs[512];
    assay_library_versions(libs, sizeof libs);
    cli_out("assay %s\n%s\n", assay_version(), libs);
    return cli_stdout_finish();
}
