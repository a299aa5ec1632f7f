// SPDX-License-Identifier: MIT
/* scorpi: the command-line front end on libscorpi. */
#include <stdio.h>

#include "core/cli.h"
#include "core/vm.h"

int main(int argc, char **argv)
{
	struct vm_config cfg;

	switch (cli_parse(argc, argv, &cfg)) {
	case CLI_DONE:
		return 0;
	case CLI_ERROR:
		return SCORPI_EXIT_ERROR;
	case CLI_RUN:
		break;
	}
	return vm_run(&cfg);
}
