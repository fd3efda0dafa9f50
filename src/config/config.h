/* SPDX-License-Identifier: Apache-2.0 */
/* The validated settings of one VM. The builder fills a struct mvm_config;
 * build() checks it and hands a deep copy to the VM. Every other module
 * (VMM, devices, init blob) reads settings only from here. */
#ifndef MVM_CONFIG_CONFIG_H
#define MVM_CONFIG_CONFIG_H

#include "mvm.h"
#include "util/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each share's DAX window unless set: none. Measured in the emulated test
 * machine, a window made a 64 MiB sequential read 2.2x slower (every 4 KiB
 * page is a nested page fault there; docs/fuse.md, "The DAX window"). */
#define MVM_DEFAULT_DAX_WINDOW_MIB 0

/* The mode of one share (mvm_builder_share_mode_for()). */
struct config_share_mode {
	char *guest; /* normalised guest path of the share */
	mvm_share_mode mode;
};

/* An image as the root (mvm_builder_image()). */
struct config_image {
	char *ref;   /* NULL: root_path is the root */
	char *store; /* NULL: the default store */
	char *upper; /* keep the run's writable layer here; NULL: a fresh one,
		      * removed when the VM is freed */
	bool tmpfs_set;	  /* mvm_builder_upper_tmpfs() was called */
	bool tmpfs_upper; /* the fresh one is a tmpfs in the guest; after
			   * build(): the default without an upper dir */
	bool has_entrypoint;
	char **entrypoint; /* replaces the image's Entrypoint */
	size_t n_entrypoint;
	/* Set by build() (image/image_run.h). */
	char *name;	 /* full name the ref resolved to */
	char *store_dir; /* where runs/ is */
	char **layers;	 /* unpacked layer dirs, bottom first, each once */
	size_t n_layers;
	int hold_fd; /* the store's GC lock, held shared while the VM lives */
};

/* The longest vsock socket path: a sockaddr_un holds 107 bytes, and guest
 * connections to host port P use the path with "_P" (up to 11 bytes)
 * appended. */
#define VSOCK_PATH_MAX 96

/* A file mvm-init places in the guest's root (MVM_CFG_FILE). */
struct config_file {
	char *path; /* absolute guest path, normalised by build() */
	uint8_t *data;
	size_t len;
	uint32_t mode;
	bool readonly;
};

struct config_tmpfs {
	char *path;	/* absolute guest path, normalised by build() */
	uint32_t flags; /* MVM_TMPFS_* */
	char *data;	/* "mode=755,size=64m": the kept options */
};

struct mvm_config {
	struct mvm_logger log;
	char *root_path;   /* absolute, resolved host directory after build() */
	unsigned num_vcpus; /* 1..255 after build() */
	uint32_t ram_mib;   /* > 0 after build() */
	bool ram_set;
	uint32_t dax_window_mib; /* per share; 0: no DAX */
	bool tty;                /* the program gets a terminal (guest pty) */
	uint16_t tty_rows, tty_cols; /* its size at start; 0: 24 x 80 */

	mvm_path_pair *mapped_dirs; /* host absolute, guest normalised */
	size_t n_mapped_dirs;
	mvm_port_pair *ports;
	size_t n_ports;
	mvm_rlimit *rlimits;
	size_t n_rlimits;

	char *workdir_path; /* NULL when unset */
	char *exec_path;    /* NULL when unset */
	char **args;        /* argv[1..] */
	size_t n_args;
	mvm_env_pair *env;
	size_t n_env;

	char *console_output; /* NULL when unset */
	char *vsock_path;     /* the vsock device's Unix socket; NULL: no vsock */
	bool has_assigned_ip;
	uint32_t assigned_ip; /* host byte order */
	bool local_only;      /* default true */
	bool publish_listening;	     /* forward the ports the guest listens on */
	bool hold;		     /* the program waits for mvm_vm_release() */
	uint32_t publish_bind_ip;    /* from there, host byte order */
	mvm_share_mode share_mode; /* of every share without its own below */
	struct config_share_mode *share_modes;
	size_t n_share_modes;
	bool seccomp; /* default true */
	bool jail;    /* default true */
	bool has_jail_user; /* the VM's threads switch to jail_uid:jail_gid */
	uint32_t jail_uid, jail_gid;

	/* Host fds for the program's stdin, stdout and stderr (default 0, 1,
	 * 2; stdin -1 means none). Borrowed from the application. */
	int stdin_fd, stdout_fd, stderr_fd;

	char *kernel_path; /* NULL: use the search order (see src/vmm/kernel.c) */

	struct config_image image;
	char *hostname;	 /* the guest's; NULL: the kernel's default */
	char **sysctls;	 /* "KEY=VALUE" for the guest's /proc/sys */
	size_t n_sysctls;
	struct config_file *files; /* placed in the guest's root at start */
	size_t n_files;
	struct config_tmpfs *tmpfs; /* mounted in the guest's root at start */
	size_t n_tmpfs;
	char **read_only; /* normalised guest paths of read-only shares */
	size_t n_read_only;
	uint32_t *groups; /* the program's supplementary groups */
	size_t n_groups;
	char *user;	 /* "name", "uid", "name:group", "uid:gid"; NULL: root */
	bool has_ids;	 /* build() resolved user */
	uint32_t uid, gid;
};

void mvm_config_init(struct mvm_config *c);
void mvm_config_clear(struct mvm_config *c);
/* The mode of the share mounted at `guest` ("/" for the root). */
mvm_share_mode config_share_mode_of(const struct mvm_config *c, const char *guest);
/* Whether the share mounted at `guest` is read-only. */
bool config_read_only_of(const struct mvm_config *c, const char *guest);
/* Deep copy; returns -1 with err on allocation failure. */
int mvm_config_copy(struct mvm_config *dst, const struct mvm_config *src, mvm_error **err);

#endif
