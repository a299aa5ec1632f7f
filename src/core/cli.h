/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_CLI_H
#define SCORPI_CLI_H

#include <stdio.h>

#include "config.h"

enum cli_result {
	CLI_RUN, /* cfg describes a VM to run */
	CLI_DONE, /* help or version was printed: exit 0 */
	CLI_ERROR, /* a one-line error was printed: exit 1 */
};

/* Parses a bhyve-style command line into cfg. */
enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg);
void cli_usage(FILE *out);

#endif
