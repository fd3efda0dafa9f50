/* SPDX-License-Identifier: Apache-2.0 */
/* Server lifetime, request framing, INIT/DESTROY and the opcode table. */
#include "fuse/fuse_internal.h"
#include "util/override_stat.h"
#include "util/cleanup.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

struct op_entry {
	fuse_op_fn *fn;
	bool modifies; /* refused with EROFS on a read-only share */
	const char *name;
};

static fuse_op_fn op_init, op_destroy, op_interrupt;

static const struct op_entry op_table[] = {
    [FUSE_LOOKUP] = {fuse_op_lookup, false, "LOOKUP"},
    [FUSE_FORGET] = {fuse_op_forget, false, "FORGET"},
    [FUSE_GETATTR] = {fuse_op_getattr, false, "GETATTR"},
    [FUSE_SETATTR] = {fuse_op_setattr, true, "SETATTR"},
    [FUSE_READLINK] = {fuse_op_readlink, false, "READLINK"},
    [FUSE_SYMLINK] = {fuse_op_symlink, true, "SYMLINK"},
    [FUSE_MKNOD] = {fuse_op_mknod, true, "MKNOD"},
    [FUSE_MKDIR] = {fuse_op_mkdir, true, "MKDIR"},
    [FUSE_UNLINK] = {fuse_op_unlink, true, "UNLINK"},
    [FUSE_RMDIR] = {fuse_op_rmdir, true, "RMDIR"},
    [FUSE_RENAME] = {fuse_op_rename, true, "RENAME"},
    [FUSE_LINK] = {fuse_op_link, true, "LINK"},
    [FUSE_OPEN] = {fuse_op_open, false, "OPEN"},
    [FUSE_READ] = {fuse_op_read, false, "READ"},
    [FUSE_WRITE] = {fuse_op_write, true, "WRITE"},
    [FUSE_STATFS] = {fuse_op_statfs, false, "STATFS"},
    [FUSE_RELEASE] = {fuse_op_release, false, "RELEASE"},
    [FUSE_FSYNC] = {fuse_op_fsync, false, "FSYNC"},
    [FUSE_SETXATTR] = {fuse_op_setxattr, true, "SETXATTR"},
    [FUSE_GETXATTR] = {fuse_op_getxattr, false, "GETXATTR"},
    [FUSE_LISTXATTR] = {fuse_op_listxattr, false, "LISTXATTR"},
    [FUSE_REMOVEXATTR] = {fuse_op_removexattr, true, "REMOVEXATTR"},
    [FUSE_FLUSH] = {fuse_op_flush, false, "FLUSH"},
    [FUSE_INIT] = {op_init, false, "INIT"},
    [FUSE_OPENDIR] = {fuse_op_opendir, false, "OPENDIR"},
    [FUSE_READDIR] = {fuse_op_readdir, false, "READDIR"},
    [FUSE_RELEASEDIR] = {fuse_op_releasedir, false, "RELEASEDIR"},
    [FUSE_FSYNCDIR] = {fuse_op_fsyncdir, false, "FSYNCDIR"},
    [FUSE_ACCESS] = {fuse_op_access, false, "ACCESS"},
    [FUSE_CREATE] = {fuse_op_create, true, "CREATE"},
    [FUSE_INTERRUPT] = {op_interrupt, false, "INTERRUPT"},
    [FUSE_DESTROY] = {op_destroy, false, "DESTROY"},
    [FUSE_BATCH_FORGET] = {fuse_op_batch_forget, false, "BATCH_FORGET"},
    [FUSE_FALLOCATE] = {fuse_op_fallocate, true, "FALLOCATE"},
    [FUSE_READDIRPLUS] = {fuse_op_readdirplus, false, "READDIRPLUS"},
    [FUSE_RENAME2] = {fuse_op_rename2, true, "RENAME2"},
    [FUSE_LSEEK] = {fuse_op_lseek, false, "LSEEK"},
    /* Not "modifies": a read-only share still maps files for reading;
     * the op refuses a writable mapping there itself. */
    [FUSE_SETUPMAPPING] = {fuse_op_setupmapping, false, "SETUPMAPPING"},
    [FUSE_REMOVEMAPPING] = {fuse_op_removemapping, false, "REMOVEMAPPING"},
};

#define OP_TABLE_LEN (sizeof(op_table) / sizeof(op_table[0]))

static bool has_no_reply(uint32_t opcode)
{
	return opcode == FUSE_FORGET || opcode == FUSE_BATCH_FORGET || opcode == FUSE_INTERRUPT;
}

/* What the guest gets to keep across a re-INIT or DESTROY: only the root. */
static void forget_session(struct fuse_server *s)
{
	fuse_dax_forget_all(s);
	handle_remove_all(&s->handles);
	inode_forget_all(&s->inodes);
}

static int op_init(struct fuse_op *op)
{
	struct fuse_server *s = op->s;
	/* Kernels before 7.36 send only these four fields; later ones append
	 * flags2 (with FUSE_INIT_EXT) and padding. */
	struct fuse_init_in in = {0};
	int rc = fuse_arg(op, &in, offsetof(struct fuse_init_in, flags2));
	if (rc)
		return rc;
	if ((in.flags & FUSE_INIT_EXT) && fuse_arg(op, &in.flags2, sizeof(in.flags2)) != 0)
		in.flags2 = 0;
	struct fuse_init_out out = {.major = FUSE_KERNEL_VERSION,
				    .minor = FUSE_KERNEL_MINOR_VERSION};
	if (in.major > FUSE_KERNEL_VERSION) {
		/* A newer major: answer with ours only, the kernel retries. */
		return fuse_reply(op, &out, FUSE_COMPAT_INIT_OUT_SIZE);
	}
	if (in.major < FUSE_KERNEL_VERSION || in.minor < FUSE_MIN_MINOR) {
		log_warn(s->log, "fuse: guest speaks FUSE %u.%u, need 7.%u or later", in.major,
			 in.minor, FUSE_MIN_MINOR);
		return -EPROTO;
	}
	if (in.minor < out.minor)
		out.minor = in.minor;
	/* Offered only what we implement: no writeback cache, no locks, no
	 * FUSE_DONT_MASK (the guest kernel applies the umask), no
	 * EXPORT_SUPPORT (so no LOOKUP of "." or ".."). */
	const uint32_t wanted = FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_PARALLEL_DIROPS |
				FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO | FUSE_MAX_PAGES;
	out.flags = in.flags & wanted;
	out.max_readahead = in.max_readahead;
	out.max_write = s->max_write;
	out.time_gran = 1;
	if (out.flags & FUSE_MAX_PAGES)
		out.max_pages = (uint16_t)(s->max_write / 4096);
	/* DAX, per file: the guest kernel offers FUSE_MAP_ALIGNMENT only when
	 * it found the window, and FUSE_HAS_INODE_DAX unless mounted with
	 * dax=always or dax=never. The window takes whole chunks only. */
	bool dax = s->dax.base != NULL && (in.flags & FUSE_MAP_ALIGNMENT) &&
		   (in.flags & FUSE_INIT_EXT) && (in.flags2 & (FUSE_HAS_INODE_DAX >> 32));
	if (dax) {
		out.flags |= FUSE_MAP_ALIGNMENT | FUSE_INIT_EXT;
		out.map_alignment = 21; /* log2(FUSE_DAX_CHUNK) */
		out.flags2 = (uint32_t)(FUSE_HAS_INODE_DAX >> 32);
	}
	/* A second INIT comes from a guest that reset the device and
	 * remounted: whatever it held before is gone from its side too. */
	if (atomic_load(&s->proto_minor) != 0)
		forget_session(s);
	rc = fuse_reply(op, &out, sizeof(out));
	if (rc)
		return rc;
	atomic_store(&s->dax.active, dax);
	atomic_store(&s->proto_minor, out.minor);
	log_debug(s->log, "fuse: INIT guest 7.%u, speaking 7.%u, flags %#x%s", in.minor, out.minor,
		  out.flags, dax ? ", DAX window" : "");
	return 0;
}

static int op_destroy(struct fuse_op *op)
{
	forget_session(op->s);
	atomic_store(&op->s->proto_minor, 0);
	return 0;
}

static int op_interrupt(struct fuse_op *op)
{
	/* Requests run to completion quickly; nothing to interrupt. */
	return FUSE_NO_REPLY;
}

static int dispatch(struct fuse_server *s, const struct fuse_in_header *hdr, struct fuse_reader *r,
		    struct fuse_writer *w)
{
	if (hdr->opcode >= OP_TABLE_LEN || op_table[hdr->opcode].fn == NULL)
		return -ENOSYS;
	const struct op_entry *e = &op_table[hdr->opcode];
	if (hdr->opcode != FUSE_INIT && atomic_load(&s->proto_minor) == 0)
		return has_no_reply(hdr->opcode) ? FUSE_NO_REPLY : -EIO;
	if (e->modifies && s->read_only)
		return -EROFS;
	struct fuse_op op = {.s = s, .hdr = hdr, .in = r, .out = w};
	return e->fn(&op);
}

ssize_t fuse_server_handle(struct fuse_server *s, const struct iovec *in, int n_in,
			   const struct iovec *out, int n_out)
{
	struct fuse_in_header hdr = {0};
	struct fuse_reader r;
	size_t in_total = 0, out_total = 0;
	bool out_ok =
	    fuse_iov_total(out, n_out, &out_total) && out_total >= sizeof(struct fuse_out_header);
	struct fuse_writer w;
	fuse_writer_init(&w, out, out_ok ? n_out : 0, out_ok ? out_total : 0);
	if (out_ok)
		fuse_writer_advance(&w, sizeof(struct fuse_out_header));

	int rc;
	if (!fuse_iov_total(in, n_in, &in_total)) {
		rc = -EINVAL;
	} else {
		fuse_reader_init(&r, in, n_in, in_total);
		size_t ext = 0;
		if (!fuse_read(&r, &hdr, sizeof(hdr))) {
			rc = -EINVAL;
		} else if (hdr.len < sizeof(hdr) || hdr.len > in_total ||
			   (ext = (size_t)hdr.total_extlen * 8) > hdr.len - sizeof(hdr)) {
			/* len must describe bytes that really are there.
			 * Extensions (security contexts) are never negotiated,
			 * so they are skipped, not parsed. */
			rc = -EINVAL;
		} else if (!out_ok && !has_no_reply(hdr.opcode)) {
			rc = -EINVAL;
		} else {
			r.remaining = hdr.len - sizeof(hdr) - ext;
			atomic_fetch_add_explicit(&s->n_requests, 1, memory_order_relaxed);
			rc = dispatch(s, &hdr, &r, &w);
		}
	}
	if (rc != 0 && rc != FUSE_NO_REPLY)
		log_debug(s->log, "fuse: opcode %u unique %llu nodeid %llu: error %d", hdr.opcode,
			  (unsigned long long)hdr.unique, (unsigned long long)hdr.nodeid, rc);
	if (rc == FUSE_NO_REPLY || (has_no_reply(hdr.opcode) && hdr.len >= sizeof(hdr)))
		return 0;
	if (!out_ok)
		return -1;
	if (rc < 0)
		w.used = sizeof(struct fuse_out_header); /* an error carries no body */
	struct fuse_out_header oh = {
	    .len = (uint32_t)w.used, .error = rc < 0 ? rc : 0, .unique = hdr.unique};
	fuse_write_at(&w, 0, &oh, sizeof(oh));
	return (ssize_t)w.used;
}

static int check_procfs(int fd, mvm_error **err)
{
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0)
		return mvm_err_sys(err, "fstatfs '/proc/self/fd'");
	if (sfs.f_type != PROC_SUPER_MAGIC)
		return mvm_err(err, MVM_ERR_UNSUPPORTED, 0,
			       "'/proc/self/fd' is not on procfs (type %#lx): the virtio-fs "
			       "server reopens files through it, mount /proc",
			       (unsigned long)sfs.f_type);
	return 0;
}

/* Virtual ownership needs user xattrs on the share's file system (tmpfs
 * has them only from Linux 6.6 on). */
static bool holds_user_xattrs(struct fuse_server *s)
{
	struct fuse_inode *root = inode_get(&s->inodes, FUSE_ROOT_ID);
	if (!root)
		return false;
	char path[32];
	fuse_proc_path(path, root->fd);
	bool yes = getxattr(path, OVERRIDE_STAT_XATTR, NULL, 0) >= 0 || errno != ENOTSUP;
	inode_put(&s->inodes, root);
	return yes;
}

static int pick_share_mode(struct fuse_server *s, const struct fuse_server_opts *o,
			   uid_t acting_uid, mvm_error **err)
{
	mvm_share_mode m = o->share_mode;
	if (m == MVM_SHARE_AUTO)
		m = acting_uid == 0 ? MVM_SHARE_PASSTHROUGH : MVM_SHARE_VIRTUAL;
	if (m == MVM_SHARE_VIRTUAL && !holds_user_xattrs(s)) {
		if (o->share_mode == MVM_SHARE_VIRTUAL)
			return mvm_err(err, MVM_ERR_UNSUPPORTED, ENOTSUP,
				       "virtio-fs: the file system of '%s' holds no user xattrs, "
				       "which the virtual share mode needs (use the passthrough "
				       "mode or another file system)",
				       o->root_dir);
		log_warn(o->log,
			 "virtio-fs: '%s' holds no user xattrs: sharing it in passthrough mode, "
			 "where the guest sees the host's owners and cannot chown",
			 o->root_dir);
		m = MVM_SHARE_PASSTHROUGH;
	}
	s->virtual_owner = m == MVM_SHARE_VIRTUAL;
	return 0;
}

static int open_grafts(struct fuse_server *s, const struct fuse_server_opts *o, mvm_error **err)
{
	if (o->n_grafts == 0)
		return 0;
	s->graft_fds = calloc(o->n_grafts, sizeof(*s->graft_fds));
	if (s->graft_fds == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio-fs: %zu grafts", o->n_grafts);
	for (; s->n_grafts < o->n_grafts; s->n_grafts++) {
		const char *dir = o->grafts[s->n_grafts];
		int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return mvm_err_sys(err, "virtio-fs: open directory '%s'", dir);
		s->graft_fds[s->n_grafts] = fd;
	}
	return 0;
}

bool fuse_server_virtual_owner(const struct fuse_server *s)
{
	return s->virtual_owner;
}

struct fuse_server *fuse_server_new(const struct fuse_server_opts *o, mvm_error **err)
{
	if (!o || !o->root_dir || !o->root_dir[0]) {
		mvm_err(err, MVM_ERR_INVALID, 0, "virtio-fs: a root directory is required");
		return NULL;
	}
	uint32_t max_write = o->max_write ? o->max_write : FUSE_DEFAULT_MAX_WRITE;
	if (max_write < 4096 || max_write > FUSE_MAX_MAX_WRITE || max_write % 4096) {
		mvm_err(err, MVM_ERR_INVALID, 0,
			"virtio-fs: max_write %u must be a multiple of 4096 in [4096, %u]",
			max_write, FUSE_MAX_MAX_WRITE);
		return NULL;
	}
	cleanup_close int root_fd = open(o->root_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		mvm_err_sys(err, "virtio-fs: open shared directory '%s'", o->root_dir);
		return NULL;
	}
	struct stat st;
	if (fstat(root_fd, &st) < 0) {
		mvm_err_sys(err, "virtio-fs: stat '%s'", o->root_dir);
		return NULL;
	}
	cleanup_close int proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0) {
		mvm_err_sys(err, "virtio-fs: open '/proc/self/fd' (is /proc mounted?)");
		return NULL;
	}
	if (check_procfs(proc_fd, err) < 0)
		return NULL;

	struct fuse_server *s = calloc(1, sizeof(*s));
	if (!s) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio-fs: allocate server");
		return NULL;
	}
	s->proc_self_fd = -1;
	if (inode_table_init(&s->inodes) < 0) {
		free(s);
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio-fs: allocate inode table");
		return NULL;
	}
	if (handle_table_init(&s->handles) < 0 ||
	    inode_table_set_root(&s->inodes, root_fd, st.st_dev, st.st_ino, st.st_mode) < 0) {
		fuse_server_free(s);
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio-fs: allocate tables");
		return NULL;
	}
	root_fd = -1; /* owned by the root inode now */
	fd_quota_init(&s->quota, o->max_inodes, o->max_handles);
	s->inodes.quota = &s->quota;
	s->handles.quota = &s->quota;
	fd_quota_process_setup(o->log);
	s->proc_self_fd = steal_fd(&proc_fd);
	if (open_grafts(s, o, err) < 0 || fuse_dax_init(s, o, err) < 0) {
		fuse_server_free(s);
		return NULL;
	}
	s->read_only = o->read_only;
	s->log = o->log;
	s->max_write = max_write;
	s->timeout_ms = o->cache_timeout_ms ? o->cache_timeout_ms : 1000;
	s->negative_timeout = o->cache_negative;
	/* Who the workers will be: the jail's target user, or this process. */
	uid_t acting_uid = o->acting_set ? o->acting_uid : geteuid();
	gid_t acting_gid = o->acting_set ? o->acting_gid : getegid();
	if (pick_share_mode(s, o, acting_uid, err) < 0) {
		fuse_server_free(s);
		return NULL;
	}
	/* Only root can take on the guest's ids; otherwise every file the
	 * guest creates belongs to the user running the VMM. */
	s->switch_creds = !s->virtual_owner && acting_uid == 0 && acting_gid == 0;
	atomic_init(&s->proto_minor, 0);
	log_debug(s->log, "virtio-fs: serving '%s'%s in %s mode, at most %zu inodes and %zu open files",
		  o->root_dir, o->read_only ? " read-only" : "",
		  s->virtual_owner ? "virtual" : "passthrough", s->quota.max[FD_INODE],
		  s->quota.max[FD_HANDLE]);
	return s;
}

void fuse_server_get_stats(struct fuse_server *s, struct fuse_server_stats *out)
{
	out->requests = atomic_load_explicit(&s->n_requests, memory_order_relaxed);
	out->read_bytes = atomic_load_explicit(&s->read_bytes, memory_order_relaxed);
	out->write_bytes = atomic_load_explicit(&s->write_bytes, memory_order_relaxed);
}

void fuse_server_free(struct fuse_server *s)
{
	if (!s)
		return;
	/* The window's chunks hold inode refs: they go first. */
	fuse_dax_destroy(s);
	handle_table_destroy(&s->handles);
	inode_table_destroy(&s->inodes);
	if (s->proc_self_fd >= 0)
		close(s->proc_self_fd);
	for (size_t i = 0; i < s->n_grafts; i++)
		close(s->graft_fds[i]);
	free(s->graft_fds);
	free(s);
}
