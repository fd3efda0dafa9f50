/* SPDX-License-Identifier: Apache-2.0 */
/* Parses the config blob (guest/protocol.h) into owned C strings. The blob
 * is untrusted: every length is checked against the blob's size. Built
 * into mvm-init and, for the unit tests, into the host test library. */
#ifndef MVM_INIT_CONFIG_READER_H
#define MVM_INIT_CONFIG_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INIT_RLIMIT_COUNT 16 /* RLIM_NLIMITS on Linux */

struct init_rlimit {
	uint32_t resource; /* < INIT_RLIMIT_COUNT */
	uint64_t soft;     /* <= hard */
	uint64_t hard;
};

struct init_mount {
	char *tag;  /* virtio-fs tag */
	char *path; /* absolute guest path */
};

struct init_file {
	char *path; /* absolute guest path */
	uint8_t *data;
	size_t len;
	uint32_t mode;
	bool readonly;
};

struct init_net {
	uint32_t addr; /* network byte order, as in the blob */
	uint32_t prefix_len;
	uint32_t gateway;
	uint32_t dns;
};

/* The longest MVM_CFG_USER_NAME accepted. */
#define INIT_USER_NAME_MAX 256

struct init_tmpfs {
	char *path;
	uint32_t flags; /* MVM_TMPFS_* */
	char *data;
};

struct init_config {
	char *exec_path; /* NULL: run /bin/sh */
	char **args;     /* argv[1..]; NULL-terminated, n_args entries */
	size_t n_args;
	char **env; /* "KEY=VALUE"; NULL-terminated, n_env entries */
	size_t n_env;
	char *workdir; /* NULL: "/" */
	struct init_rlimit *rlimits;
	size_t n_rlimits;
	struct init_mount *mounts;
	size_t n_mounts;
	bool has_net; /* a NET record was present */
	struct init_net net;
	uint32_t log_level; /* mvm_log_level; 0 when absent */
	uint32_t n_layers;  /* 0: the root share; else an image of that many layers */
	bool tmpfs_upper;   /* its writable layer is a tmpfs, not the rw share */
	bool has_user;	    /* run the program as uid:gid */
	uint32_t uid, gid;
	char *user_name;    /* "USER[:GROUP]" to resolve at start; NULL: none */
	char *hostname;	    /* NULL: the kernel's */
	char **sysctls;	    /* "KEY=VALUE", n_sysctls of them */
	size_t n_sysctls;
	struct init_file *files;
	size_t n_files;
	bool has_tty;	    /* the program gets a terminal of tty_rows x tty_cols */
	bool publish;	    /* report listening ports on hvc2 (MVM_CFG_PUBLISH) */
	bool hold;	    /* wait for MVM_CTRL_GO before the program starts */
	uint32_t *groups;   /* supplementary groups, n_groups of them */
	size_t n_groups;
	struct init_tmpfs *tmpfs;
	size_t n_tmpfs;
	char **read_only; /* guest paths of shares to remount read-only */
	size_t n_read_only;
	uint16_t tty_rows, tty_cols;
};

/* Returns 0 and fills *out, or -1 with a message in errbuf (which names
 * the offending record and rule) and *out left empty. On success release
 * *out with init_config_free(). Allocation failure is an error too. */
int init_config_parse(const void *blob, size_t len, struct init_config *out, char *errbuf,
		      size_t errbuf_len);
void init_config_free(struct init_config *c);

#endif
