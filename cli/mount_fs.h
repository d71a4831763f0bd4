/*
 * mount_fs.h - the read-only FUSE file system behind 'hexz mount': the fuse_operations that
 * present an open archive (its file tree, or one file per stream) and the state they share,
 * which FUSE hands back to every callback as fuse_get_context()->private_data.
 */
#ifndef HEXZ_CLI_MOUNT_FS_H
#define HEXZ_CLI_MOUNT_FS_H

#define FUSE_USE_VERSION 31
#include <fuse.h>
#include <stdint.h>

#include "hexz.h"

typedef struct mount_fs mount_fs;

/* Prepares to serve `r` (borrowed; it must outlive the mount_fs). `archive` names the archive in
 * messages and lends its mtime to the root directory and the stream files. `cache_bytes` > 0
 * puts a cache of that many bytes of decoded data in front of the reader; 0 means none. Returns
 * CLI_OK, or CLI_FAIL after reporting the problem on stderr. */
int mount_fs_create(mount_fs **out, hexz_reader *r, const char *archive, uint64_t cache_bytes);

/* Frees what mount_fs_create() allocated (not the reader). NULL is a no-op. */
void mount_fs_free(mount_fs *fs);

/* The operations; pass the mount_fs as fuse_new()'s private data. */
const struct fuse_operations *mount_fs_operations(void);

#endif
