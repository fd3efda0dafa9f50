/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between the server's dispatch and its operation files only. */
#ifndef MVM_FUSE_INTERNAL_H
#define MVM_FUSE_INTERNAL_H

#include "fuse/fuse_req.h"
#include "fuse/fuse_server.h"
#include "fuse/handle_table.h"
#include "fuse/inode_table.h"

#include <limits.h>
#include <linux/fuse.h>
#include <stdatomic.h>
#include <sys/stat.h>

struct override_stat; /* util/override_stat.h */

/* The DAX window (fuse_dax.c): file ranges mapped into host memory that the
 * VMM registered as guest memory. The window is cut into chunks of the
 * size the guest kernel maps (FUSE_DAX_CHUNK); each remembers what is
 * mapped there, for REMOVEMAPPING and for fuse_server_dax_repair(). */
struct fuse_dax_chunk {
	struct fuse_inode *ino; /* a ref on the mapped file; NULL: anonymous */
	uint64_t foffset;	/* file offset of the chunk's first byte */
	uint64_t valid;		/* bytes of the chunk still backed by the file */
};

struct fuse_dax {
	pthread_mutex_t lock;
	uint8_t *base; /* NULL: no window */
	uint64_t size;
	size_t n_chunks;
	struct fuse_dax_chunk *chunks;
	uint64_t min_size;  /* regular files this large or larger get FUSE_ATTR_DAX */
	atomic_bool active; /* the guest's INIT asked for per-inode DAX */
};

/* Oldest protocol we speak: virtio-fs itself arrived with 7.31 (Linux 5.4);
 * 7.27 keeps every argument struct at its current size for the ops we serve
 * (mknod_in, create_in, write_in, getattr_in grew before 7.13). */
#define FUSE_MIN_MINOR 27
#define FUSE_DEFAULT_MAX_WRITE (1u << 20)
/* Keeps a maximal READ/WRITE within FUSE_MAX_IOVS page-sized buffers. */
#define FUSE_MAX_MAX_WRITE (2u << 20)
/* READ/READDIR/xattr sizes are capped here whatever the guest asks. */
#define FUSE_MAX_READ_SIZE FUSE_MAX_MAX_WRITE
#define FUSE_MAX_IOVS 1024 /* UIO_MAXIOV */
/* Returned by an op that must not be answered (FORGET). */
#define FUSE_NO_REPLY 1

struct fuse_server {
	struct fd_quota quota; /* what inodes and handles may hold */
	struct inode_table inodes;
	struct handle_table handles;
	int proc_self_fd; /* O_PATH on /proc/self/fd, to reopen O_PATH fds */
	bool read_only;
	bool switch_creds; /* we run as root: create files as the guest's uid/gid */
	bool virtual_owner; /* ownership and special files in OVERRIDE_STAT_XATTR */
	const struct mvm_logger *log;
	uint32_t max_write;
	uint32_t timeout_ms;
	atomic_uint proto_minor; /* 0 until INIT succeeded */
	bool negative_timeout; /* a failed LOOKUP is cached for timeout_ms */
	int *graft_fds;	       /* O_PATH; fuse_server_opts.grafts */
	size_t n_grafts;
	struct fuse_dax dax;
	/* For mvm_vm_get_stats(); relaxed: each is a count, not a lock. */
	atomic_uint_fast64_t n_requests, read_bytes, write_bytes;
};

/* One request in flight. */
struct fuse_op {
	struct fuse_server *s;
	const struct fuse_in_header *hdr;
	struct fuse_reader *in;	 /* positioned after fuse_in_header */
	struct fuse_writer *out; /* positioned after fuse_out_header */
};

/* Returns 0 (the reply body is in op->out), -errno, or FUSE_NO_REPLY. */
typedef int fuse_op_fn(struct fuse_op *op);

/* fuse_common.c */
int fuse_arg(struct fuse_op *op, void *dst, size_t len);
int fuse_reply(struct fuse_op *op, const void *src, size_t len);
/* Reads a name for a directory entry: non-empty, NUL-terminated inside the
 * request, no '/', at most NAME_MAX bytes, never "." or ".." (the protocol
 * needs neither: we do not offer EXPORT_SUPPORT). */
int fuse_read_name(struct fuse_op *op, char name[NAME_MAX + 1]);
/* Takes a ref on hdr.nodeid's inode, or returns NULL (and *rc = -EBADF). */
struct fuse_inode *fuse_get_inode(struct fuse_op *op, uint64_t nodeid, int *rc);
/* The guest's view st as a fuse_attr; FUSE_ATTR_DAX for the regular files
 * that the DAX window should serve. */
void fuse_fill_attr(struct fuse_server *s, struct fuse_attr *a, const struct stat *st);
/* The guest kernel encodes mknod's rdev with new_encode_dev(). */
dev_t fuse_decode_dev(uint32_t dev);
void fuse_fill_attr_out(struct fuse_server *s, struct fuse_attr_out *a, const struct stat *st);
/* Reopens an O_PATH fd through /proc/self/fd for real I/O. -errno on error. */
int fuse_reopen(struct fuse_server *s, int path_fd, int flags);
/* "/proc/self/fd" relative name of fd, for the *at() calls that lack
 * AT_EMPTY_PATH. */
void fuse_fd_name(char buf[16], int fd);
/* "/proc/self/fd/N" of fd, for the path-only calls (the *xattr family
 * refuses O_PATH fds). */
void fuse_proc_path(char buf[32], int fd);
/* Looks name up in parent and fills e; the guest now holds one more lookup
 * of the result. -errno on error. */
int fuse_lookup_name(struct fuse_server *s, struct fuse_inode *parent, const char *name,
		     struct fuse_entry_out *e);
/* Whether name is the graft "0".."n-1" of the root; *index which. */
bool fuse_graft_index(const char *name, size_t n, size_t *index);
/* openat() of one checked name in dirfd that cannot resolve outside dirfd
 * nor through any symlink (openat2 RESOLVE_BENEATH where the kernel has
 * it). O_CLOEXEC is added. Returns the fd or -1 with errno. */
int fuse_open_beneath(int dirfd, const char *name, int flags, mode_t mode);
/* As above, for a file we already hold an O_PATH fd of (taken). */
int fuse_lookup_fd(struct fuse_server *s, int path_fd, struct fuse_entry_out *e);
/* The same, right after the virtual mode stored `set` as path_fd's
 * override: the guest's view is made from it without reading it back (one
 * getxattr fewer per file the guest creates). */
int fuse_lookup_fd_set(struct fuse_server *s, int path_fd, const struct override_stat *set,
		       struct fuse_entry_out *e);

/* Create files as the guest's user: per-thread fsuid/fsgid. */
struct fuse_creds {
	bool switched;
};
int fuse_creds_enter(struct fuse_op *op, struct fuse_creds *c);
void fuse_creds_leave(struct fuse_creds *c);

/* The host process's umask also applies to what we create; give back the
 * permission bits that the guest asked for and the host umask removed. */
void fuse_restore_mode(struct fuse_server *s, int path_fd, mode_t wanted);

/* fuse_virt.c. What the guest sees of a file: the host's stat, with the
 * override applied in the virtual-ownership mode. -errno on error. */
int fuse_stat_fd(struct fuse_server *s, int fd, struct stat *st);
/* The same for a host stat of fd already at hand, in place. */
int fuse_guest_view(struct fuse_server *s, int fd, struct stat *st);
/* Puts override o onto the host attributes st (virtual mode). */
void fuse_virt_apply(struct stat *st, const struct override_stat *o);
int fuse_stat_inode(struct fuse_server *s, const struct fuse_inode *i, struct stat *st);
/* The guest's view of fd as an override (type always set). */
int fuse_virt_get(struct fuse_server *s, int fd, struct override_stat *o);
/* Stores o on fd, whose host type is host_type. -errno on error. */
int fuse_virt_set(int fd, mode_t host_type, const struct override_stat *o);
/* Owner, group and mode (type included) of a file the request creates in
 * parent: the guest's ids, the group of a setgid parent. */
int fuse_virt_new_owner(struct fuse_op *op, struct fuse_inode *parent, mode_t mode,
			struct override_stat *o);
/* Maps a guest xattr name to the host's; -EOPNOTSUPP for names the guest
 * cannot have, -EPERM for names reserved to us, -ERANGE when the host name
 * would be too long. */
int fuse_xattr_host_name(const struct fuse_server *s, const char *guest, char *host,
			 size_t host_len);
/* Rewrites a host listxattr() list in place into the guest's; returns
 * its new length. */
size_t fuse_xattr_guest_list(const struct fuse_server *s, char *list, size_t len);

/* Operations, by concern. */
fuse_op_fn fuse_op_lookup, fuse_op_forget, fuse_op_batch_forget, fuse_op_readlink, fuse_op_symlink,
    fuse_op_mknod, fuse_op_mkdir, fuse_op_unlink, fuse_op_rmdir, fuse_op_rename, fuse_op_rename2,
    fuse_op_link;
fuse_op_fn fuse_op_getattr, fuse_op_setattr, fuse_op_statfs, fuse_op_access;
fuse_op_fn fuse_op_open, fuse_op_create, fuse_op_read, fuse_op_write, fuse_op_release,
    fuse_op_flush, fuse_op_fsync, fuse_op_fallocate, fuse_op_lseek;
fuse_op_fn fuse_op_opendir, fuse_op_readdir, fuse_op_readdirplus, fuse_op_releasedir,
    fuse_op_fsyncdir;
fuse_op_fn fuse_op_setxattr, fuse_op_getxattr, fuse_op_listxattr, fuse_op_removexattr;
fuse_op_fn fuse_op_setupmapping, fuse_op_removemapping;

/* fuse_dax.c: the window's life. init validates and takes the window from
 * the options; destroy drops every mapping's inode ref (before the inode
 * table goes); forget_all unmaps everything (DESTROY, a second INIT). */
int fuse_dax_init(struct fuse_server *s, const struct fuse_server_opts *o, mvm_error **err);
void fuse_dax_forget_all(struct fuse_server *s);
void fuse_dax_destroy(struct fuse_server *s);

#endif
