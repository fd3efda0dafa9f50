/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The FUSE request server behind mvm's virtio-fs device: a passthrough to
 * one host directory. It is transport independent: the device pops a
 * descriptor chain, hands over the guest-readable buffers (the request) and
 * the guest-writable buffers (the reply) as iovecs into checked guest memory,
 * and sends back however many bytes fuse_server_handle() wrote.
 * Design and security model: docs/fuse.md.
 */
#ifndef MVM_FUSE_SERVER_H
#define MVM_FUSE_SERVER_H

#include "mvm.h"
#include "util/log.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct fuse_server;

struct fuse_server_opts {
	const char *root_dir;	      /* shared host directory; must exist */
	bool read_only;		      /* every modifying request fails with EROFS */
	const struct mvm_logger *log; /* may be NULL; must outlive the server */
	uint32_t max_write;	      /* 0: 1 MiB. Largest READ/WRITE payload offered to
				       * the guest; the device's queue must take
				       * max_write / 4096 + 4 descriptors per request. */
	uint32_t cache_timeout_ms;    /* 0: 1000. How long the guest may cache
				       * entries and attributes. */
	bool cache_negative;	      /* a name that is not there is cached as
				       * long: for a share that only this guest
				       * changes (an image's layers and run
				       * layer), never for a host directory */
	size_t max_inodes;	      /* 0: FD_QUOTA_DEFAULT_MAX_INODES. Inodes (one
				       * O_PATH fd each) the guest may hold at once;
				       * past it a new file's LOOKUP, CREATE,
				       * MKNOD, ... is ENFILE. */
	mvm_share_mode share_mode;    /* MVM_SHARE_VIRTUAL fails when the file
				       * system holds no user xattrs; AUTO then
				       * falls back to passthrough */
	size_t max_handles;	      /* 0: FD_QUOTA_DEFAULT_MAX_HANDLES. Open files
				       * and directories; past it OPEN, OPENDIR and
				       * CREATE are ENFILE. */
	bool acting_set;	      /* the workers run as acting_uid:acting_gid (the
				       * jail's target user), not as the process's
				       * effective ids: AUTO and passthrough's
				       * switching of ids follow those */
	uid_t acting_uid;
	gid_t acting_gid;
	/* Host directories shown in the root under the names "0", "1", ...
	 * in this order, instead of whatever the root holds under those
	 * names: an image's layers as one share (docs/images.md, "Running an
	 * image"). Opened when the server is made, so a jailed worker reaches
	 * them; lookups below a graft stay beneath it. Use with read_only. */
	const char *const *grafts;
	size_t n_grafts;
	/* A DAX window (docs/fuse.md, "The DAX window"): host memory that the
	 * VMM registered as guest memory and shows the guest as the device's
	 * shared-memory region. SETUPMAPPING maps file ranges into it with
	 * mmap(MAP_FIXED), REMOVEMAPPING puts anonymous memory back. NULL: no
	 * window. Its size is a multiple of FUSE_DAX_CHUNK; it must stay
	 * mapped until fuse_server_free(). */
	uint8_t *dax_window;
	uint64_t dax_window_size;
	uint64_t dax_min_size; /* 0: FUSE_DAX_DEFAULT_MIN_SIZE. Regular files of
				* at least this size are offered to the guest
				* for DAX, when they are looked up */
};

/* The guest kernel maps the window in chunks of 2 MiB (FUSE_DAX_SHIFT);
 * the server takes nothing finer. */
#define FUSE_DAX_CHUNK (2ull << 20)
/* Smaller files are cheaper through READ: one request against a
 * SETUPMAPPING, an mmap and, later, a REMOVEMAPPING. */
#define FUSE_DAX_DEFAULT_MIN_SIZE (1ull << 20)

/* Opens root_dir (O_PATH) and /proc/self/fd, which the server needs to
 * reopen files for I/O. Fails with a clear error when /proc is not mounted.
 * The first server of the process raises the soft RLIMIT_NOFILE to the hard
 * limit; all servers share an fd budget derived from it (util/fd_quota.h). */
struct fuse_server *fuse_server_new(const struct fuse_server_opts *o, mvm_error **err);

/* Handles one request. `in` holds the request bytes (fuse_in_header and
 * arguments, possibly split over several iovecs; every length in it is
 * untrusted), `out` the reply buffers. Returns the number of reply bytes
 * written (>= sizeof(struct fuse_out_header)), 0 when the operation has no
 * reply (FORGET, BATCH_FORGET), or -1 when not even a fuse_out_header fits
 * into `out`: the device then returns the chain with 0 bytes used.
 * Safe to call from several threads at once. */
ssize_t fuse_server_handle(struct fuse_server *s, const struct iovec *in, int n_in,
			   const struct iovec *out, int n_out);

/* A vCPU's KVM_RUN failed with EFAULT: the guest touched a page of the DAX
 * window that the host cannot give it, because the file mapped there was
 * truncated on the host below the mapping. Puts anonymous memory where a
 * mapping now lies past its file's end, so the guest reads zeros there
 * instead of the VM ending. Returns how many chunks it changed: 0 means
 * the fault has another cause. Any thread; takes no guest input. */
size_t fuse_server_dax_repair(struct fuse_server *s);

/* True when the server presents virtual ownership (the share mode as
 * resolved by fuse_server_new()). */
bool fuse_server_virtual_owner(const struct fuse_server *s);

struct fuse_server_stats {
	uint64_t requests;		    /* every request with a valid header */
	uint64_t read_bytes, write_bytes; /* data moved by READ and WRITE */
};
/* Any thread, at any time. */
void fuse_server_get_stats(struct fuse_server *s, struct fuse_server_stats *out);

/* Closes every fd and frees all state. No call may be in flight. NULL is ok. */
void fuse_server_free(struct fuse_server *s);

#endif
