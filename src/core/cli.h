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

/*
 * Parses a bhyve-style command line into cfg, which it initialises; with
 * CLI_RUN the caller owns cfg and frees it with config_free.
 */
enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg);
void cli_usage(FILE *out);
/* Adds one device as -s, -u or -l gives it ("2,virtio-blk,disk.img"). */
int cli_add_device(struct vm_config *cfg, enum dev_bus bus, const char *spec);

#endif
