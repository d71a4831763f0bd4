/*
 * umask.h - the process's file-creation mask, read without changing it.
 */
#ifndef HX_COMMON_UMASK_H
#define HX_COMMON_UMASK_H

#include <sys/types.h>

/* The umask (only its 0777 bits); 022 if /proc/self/status cannot be read. umask(2) can only
 * be read by setting it, which would race with other threads creating files, so the value comes
 * from Linux's /proc/self/status. Thread-safe. */
mode_t hx_process_umask(void);

#endif
