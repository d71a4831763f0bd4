/*
 * umask.c - reads the process's umask from /proc/self/status (see umask.h for why).
 */
#include "umask.h"

#include <stdio.h>

mode_t hx_process_umask(void)
{
    FILE *s = fopen("/proc/self/status", "re");
    unsigned mask = 022;
    char line[256];
    while (s && fgets(line, sizeof line, s))
        if (sscanf(line, "Umask: %o", &mask) == 1) break;
    if (s) fclose(s);
    return (mode_t)(mask & 0777);
}
