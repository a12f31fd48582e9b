/* core/cli/main.c — the `cpose` executable: hands the command line to cpose_cli_main. */
#include "core/cli/cli.h"

int main(int argc, char **argv) { return cpose_cli_main(argc, argv); }
