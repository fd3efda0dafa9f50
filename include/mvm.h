/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libmvm: run one program in a Linux microVM under KVM.
 *
 * Usage pattern (see examples/):
 *
 *   mvm_error *err = NULL;
 *   mvm_builder *b = mvm_builder_new();
 *   mvm_builder_root_path(b, "/srv/rootfs", &err);
 *   mvm_builder_ram_mib(b, 512, &err);
 *   mvm_vm *vm = mvm_builder_build(b, &err);   // validates everything
 *   ...
 *
 * Conventions:
 * - Every fallible function takes `mvm_error **err` as its last argument,
 *   returns a negative value (or NULL) on failure and stores a newly
 *   allocated error in *err. The caller frees it with mvm_error_free().
 *   If *err already holds an error, the new problem is appended to it, so
 *   a caller may run several setters and report everything at the end.
 * - The library never exits, aborts or prints. Log lines go to the
 *   callback set with mvm_builder_log_callback(), filtered by log level.
 * - There is no global mutable state: separate builders and VMs may be
 *   used from separate threads. One object must not be used from two
 *   threads at once unless its documentation says so. The exceptions are
 *   the process's file descriptor table and RLIMIT_NOFILE, which are
 *   process-wide by nature: the first VM to start raises the soft
 *   RLIMIT_NOFILE to the hard limit (never lowers it), and the virtio-fs
 *   servers of all VMs share an fd budget derived from it, so that no
 *   guest can exhaust the process's fds (docs/fuse.md, "File descriptor
 *   limits"). fds may then be numbered above FD_SETSIZE (1024): an
 *   application that uses select() must not use it on fds opened while
 *   VMs run, or lower the limit itself after the first VM started.
 */
#ifndef MVM_H
#define MVM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define MVM_VERSION "0.1.0"

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

typedef enum mvm_error_code {
	MVM_OK = 0,
	MVM_ERR_INVALID = 1,     /* a setting or argument breaks a rule */
	MVM_ERR_NOMEM = 2,       /* allocation failed */
	MVM_ERR_IO = 3,          /* a host system call failed (see errno) */
	MVM_ERR_KVM = 4,         /* KVM is missing or cannot run a guest */
	MVM_ERR_GUEST = 5,       /* the guest misbehaved or crashed */
	MVM_ERR_STATE = 6,       /* the object is in the wrong state */
	MVM_ERR_UNSUPPORTED = 7, /* not supported on this host */
} mvm_error_code;

typedef struct mvm_error mvm_error;

/* Code of the first problem recorded. */
mvm_error_code mvm_error_get_code(const mvm_error *err);
/* errno of the first problem, 0 if none was involved. */
int mvm_error_get_errno(const mvm_error *err);
/* Message of the first problem. Never NULL for a non-NULL err. */
const char *mvm_error_get_message(const mvm_error *err);
/* Number of problems recorded (build() reports all of them at once). */
size_t mvm_error_count(const mvm_error *err);
/* Message of problem i, 0 <= i < mvm_error_count(); NULL if out of range. */
const char *mvm_error_message_at(const mvm_error *err, size_t i);
mvm_error_code mvm_error_code_at(const mvm_error *err, size_t i);
void mvm_error_free(mvm_error *err);

/* ------------------------------------------------------------------ */
/* Logging                                                             */
/* ------------------------------------------------------------------ */

typedef enum mvm_log_level {
	MVM_LOG_OFF = 0, /* default */
	MVM_LOG_ERROR = 1,
	MVM_LOG_WARN = 2,
	MVM_LOG_INFO = 3,
	MVM_LOG_DEBUG = 4,
	MVM_LOG_TRACE = 5,
} mvm_log_level;

/* Called for every log line at or below the configured level. `msg` has no
 * trailing newline. May be called from VMM threads. */
typedef void (*mvm_log_fn)(void *userdata, mvm_log_level level, const char *msg);

/* "off", "error", "warn", "info", "debug", "trace" (case-insensitive). */
int mvm_log_level_parse(const char *s, mvm_log_level *out, mvm_error **err);
const char *mvm_log_level_name(mvm_log_level level);

/* ------------------------------------------------------------------ */
/* Typed forms of the list settings                                     */
/* ------------------------------------------------------------------ */

typedef struct mvm_path_pair {
	char *host;  /* as given; made absolute by build() */
	char *guest; /* absolute guest path */
} mvm_path_pair;

typedef struct mvm_port_pair {
	uint16_t host;
	uint16_t guest;
	uint32_t bind_ip; /* host address to listen on, host byte order (the setters
			   * default it to 127.0.0.1; 0 is 0.0.0.0, every address) */
	bool udp;         /* false: TCP */
} mvm_port_pair;

typedef struct mvm_rlimit {
	int resource; /* Linux RLIMIT_* id, 0..15 */
	uint64_t soft;
	uint64_t hard;
} mvm_rlimit;

typedef struct mvm_env_pair {
	char *key;
	char *value;
} mvm_env_pair;

/* Parsers with the reference's rules (and mvm's stricter ones). On success
 * the out-structure owns newly allocated strings; free them with the
 * matching *_clear function. */
int mvm_path_pair_parse(const char *s, mvm_path_pair *out, mvm_error **err);
void mvm_path_pair_clear(mvm_path_pair *p);
int mvm_port_pair_parse(const char *s, mvm_port_pair *out, mvm_error **err);
int mvm_env_pair_parse(const char *s, mvm_env_pair *out, mvm_error **err);
void mvm_env_pair_clear(mvm_env_pair *p);
int mvm_rlimit_parse(const char *s, mvm_rlimit *out, mvm_error **err);
/* "RLIMIT_NOFILE" for 7; NULL for an unknown id. */
const char *mvm_rlimit_name(int resource);

/* ------------------------------------------------------------------ */
/* Host check                                                          */
/* ------------------------------------------------------------------ */

/* Checks that /dev/kvm exists and can really run a Linux guest, by running
 * a tiny test guest. Returns 0, or -1 with an MVM_ERR_KVM error whose
 * message says in one sentence what is missing. */
int mvm_kvm_probe(mvm_error **err);

/* ------------------------------------------------------------------ */
/* Builder                                                             */
/* ------------------------------------------------------------------ */

typedef struct mvm_builder mvm_builder;
typedef struct mvm_vm mvm_vm;

/* NULL only when out of memory. */
mvm_builder *mvm_builder_new(void);
void mvm_builder_free(mvm_builder *b);

int mvm_builder_log_level(mvm_builder *b, mvm_log_level level, mvm_error **err);
/* The callback receives the log lines of build() and of the VM. Without
 * one, nothing is logged. */
int mvm_builder_log_callback(mvm_builder *b, mvm_log_fn fn, void *userdata, mvm_error **err);

/* Required, or an image below. A host directory, shared as the guest's /
 * over virtio-fs. */
int mvm_builder_root_path(mvm_builder *b, const char *path, mvm_error **err);
/* Instead of a root path: the image ref names in the store at store_dir
 * (NULL: the default store, see mvm_store_open()). build() resolves ref as
 * mvm_image_resolve() does and keeps the image's layers from garbage
 * collection until the VM is freed. The guest's / is then the image's
 * read-only layers under a writable layer of the run (overlayfs in the
 * guest, docs/images.md), so the image never changes. The image's config
 * applies as in docker: Entrypoint, then the exec path and arguments when
 * set or else Cmd; Env under the env set here; WorkingDir and User unless
 * set here. */
int mvm_builder_image(mvm_builder *b, const char *store_dir, const char *ref, mvm_error **err);
/* Replaces the image's Entrypoint (argc 0: none, as `--entrypoint ""`).
 * Then the image's Cmd is not used either: the exec path and arguments
 * follow the entrypoint. */
int mvm_builder_entrypoint(mvm_builder *b, const char *const *argv, size_t argc, mvm_error **err);
/* Where the writable layer of an image run lives: a directory that is
 * created if missing and kept after the run, so a later run with the same
 * dir starts from what this one left (it then holds upper/ and work/).
 * Unset: a fresh layer under the store's runs/, removed when the VM is
 * freed. */
int mvm_builder_upper_dir(mvm_builder *b, const char *dir, mvm_error **err);
/* Where a run's fresh writable layer lives when no upper dir is set: true
 * (the default) a tmpfs in the guest, false a host directory under the
 * store's runs/, removed when the VM is freed. The tmpfs boots faster (no
 * file-system round trips to set it up or to write; docs/images.md,
 * "Running an image"), but what the program writes takes guest RAM, at
 * most half of it; a host layer is bounded by the host's disk. true with
 * an upper dir is an error. */
int mvm_builder_upper_tmpfs(mvm_builder *b, bool tmpfs, mvm_error **err);
/* The user the program runs as: "uid", "uid:gid", "name" or "name:group",
 * names resolved in the guest root's /etc/passwd and /etc/group (the
 * image's or the root path's) at build(). A uid alone takes the primary
 * group that /etc/passwd gives it, else 0. Unset: root, or the image's
 * User. */
int mvm_builder_user(mvm_builder *b, const char *user, mvm_error **err);
/* Default 1; build() requires 1..255. */
int mvm_builder_num_vcpus(mvm_builder *b, unsigned int n, mvm_error **err);
/* Required; build() requires > 0. */
int mvm_builder_ram_mib(mvm_builder *b, uint32_t mib, mvm_error **err);
/* The size in MiB of each share's DAX window: guest physical address
 * space through which the guest maps large host files directly instead
 * of copying them (virtio-fs DAX; docs/fuse.md, "The DAX window"). 0
 * disables DAX; otherwise build() requires an even number (the guest maps
 * 2 MiB chunks) from 2 to 65536 (64 GiB). Default 0: measure before
 * turning it on (docs/fuse.md has the figures). The guest spends
 * 1/64 of the size of its own RAM on page structures (4 MiB for 256); the
 * host spends nothing until files are mapped. */
int mvm_builder_dax_window_mib(mvm_builder *b, uint32_t mib, mvm_error **err);

/* "host:guest" or "path" (same on both sides). Repeatable. */
int mvm_builder_mapped_dir(mvm_builder *b, const char *spec, mvm_error **err);
int mvm_builder_mapped_dir_pair(mvm_builder *b, const char *host, const char *guest, mvm_error **err);

/* "host:guest" or "port". Repeatable. */
/* Also docker's full form "[IP:]HOST:GUEST[/tcp|/udp]": the host address
 * to listen on (default 127.0.0.1) and the protocol (default tcp). */
int mvm_builder_port_map(mvm_builder *b, const char *spec, mvm_error **err);
int mvm_builder_port_pair(mvm_builder *b, uint16_t host, uint16_t guest, mvm_error **err);

/* "RLIMIT_NOFILE=1024:1024" or "7=1024:1024". Repeatable. */
int mvm_builder_rlimit(mvm_builder *b, const char *spec, mvm_error **err);
int mvm_builder_rlimit_value(mvm_builder *b, int resource, uint64_t soft, uint64_t hard, mvm_error **err);

int mvm_builder_workdir_path(mvm_builder *b, const char *path, mvm_error **err);
int mvm_builder_exec_path(mvm_builder *b, const char *path, mvm_error **err);
/* Appends one argument (argv[1..]); any bytes but NUL. */
int mvm_builder_arg(mvm_builder *b, const char *arg, mvm_error **err);
/* Replaces all arguments with argv[0..argc-1]. */
int mvm_builder_args(mvm_builder *b, const char *const *argv, size_t argc, mvm_error **err);

/* "KEY=VALUE". Repeatable. */
int mvm_builder_env(mvm_builder *b, const char *spec, mvm_error **err);
int mvm_builder_env_pair(mvm_builder *b, const char *key, const char *value, mvm_error **err);

int mvm_builder_console_output(mvm_builder *b, const char *path, mvm_error **err);
/* The guest's host name: 1 to 64 of [A-Za-z0-9.-]. */
int mvm_builder_hostname(mvm_builder *b, const char *name, mvm_error **err);
/* "KEY=VALUE" written to the guest's /proc/sys/KEY (dots or slashes
 * between KEY's parts of [A-Za-z0-9_-]) before the program starts; a
 * write that fails stops the start (status 125). Repeatable. */
int mvm_builder_sysctl(mvm_builder *b, const char *spec, mvm_error **err);
/* A file of len bytes (at most 256 KiB; 64 files) placed at guest_path,
 * an absolute path, before the program starts: mode (07777), read-only
 * when asked. It covers what the root has there without changing it (a
 * bind from memory; a missing file and its directories are created in
 * the root to bind onto). An OCI runtime's /etc/hosts and friends. */
int mvm_builder_guest_file(mvm_builder *b, const char *guest_path, uint32_t mode, bool readonly,
			   const void *data, size_t len, mvm_error **err);
/* A tmpfs mounted at guest_path (absolute) before the program starts, its
 * mount point made in the root if missing. options as mount(8) writes
 * them ("nosuid,nodev,mode=755,size=64m"; NULL or ""): nosuid, nodev,
 * noexec, ro, noatime, strictatime, relatime, nodiratime (and their
 * defaults), mode=, size=, nr_inodes=, uid=, gid=; anything else is
 * refused by name. At most 16. Mounted before the guest files, so a file
 * can be placed in one. */
int mvm_builder_tmpfs(mvm_builder *b, const char *guest_path, const char *options,
		      mvm_error **err);
/* The share mounted at guest_path ("/" for the root, else a mapped dir's
 * guest path) is read-only: its file server refuses every change with
 * EROFS, and mvm-init mounts it read-only once it has set the guest up
 * (docker's `--read-only` and `-v SRC:DST:ro`). Not for an image's root
 * (its layers are read-only already; its writable layer is the point). */
int mvm_builder_read_only(mvm_builder *b, const char *guest_path, mvm_error **err);
/* The VM boots and sets the guest up at start, then holds the program
 * until mvm_vm_release(): an OCI runtime's create (boot) and start (run).
 * Meanwhile input and size changes wait for it, and a stop, a signal or
 * a kill ends the VM with 128+signal without running it. Default off. */
int mvm_builder_hold(mvm_builder *b, bool hold, mvm_error **err);
/* The program's supplementary groups (at most 64 ids); replaces earlier
 * ones; n 0: none (the default). */
int mvm_builder_groups(mvm_builder *b, const uint32_t *gids, size_t n, mvm_error **err);
/* Gives the guest a virtio-vsock device (guest CID 3) whose host end is
 * the Unix socket PATH, created at start and removed at the end: a host
 * program connects there and writes "CONNECT <guest port>\n"; once a
 * guest program listening on that vsock port accepts, it reads
 * "OK <host port>\n" and the socket is the stream (docs/vsock.md). A
 * guest connection to host port P goes to the Unix socket "PATH_P".
 * PATH must not exist, and its directory must be writable. NULL: no
 * vsock (the default). */
int mvm_builder_vsock(mvm_builder *b, const char *path, mvm_error **err);
/* "A.B.C.D" */
int mvm_builder_assigned_ip(mvm_builder *b, const char *ipv4, mvm_error **err);
/* Address in host byte order (0x0a00020f is 10.0.2.15). */
int mvm_builder_assigned_ipv4(mvm_builder *b, uint32_t addr, mvm_error **err);
/* Default true. */
int mvm_builder_local_only(mvm_builder *b, bool local_only, mvm_error **err);
/* Publishes every port the guest listens on, as the guest opens and closes
 * them: TCP listeners, and UDP sockets bound below the guest's ephemeral
 * range, on a wildcard or the guest's own address (not its loopback). Each
 * is forwarded from the same port of bind_ip ("A.B.C.D"; "0.0.0.0" is every
 * address) in the VMM's network namespace. mvm-init finds them in the
 * guest's /proc/net every 200 ms, so a port is reachable within about that
 * of the listen() (docs/net.md, "Learned ports"). An OCI runtime's answer
 * to ports published into the container's network namespace. NULL: off
 * (the default). */
int mvm_builder_publish_listening(mvm_builder *b, const char *bind_ip, mvm_error **err);
/* Gives the program a terminal, as `docker run -t`: in the guest its
 * stdin, stdout and stderr are a pty of rows x cols (0: 24 x 80), relayed
 * over the stdout console, so stderr arrives with stdout and the guest's
 * line discipline echoes input, turns Ctrl-C (0x03) into SIGINT and
 * a newline into CR LF. The caller puts its own terminal into raw mode and
 * passes size changes on with mvm_vm_resize(). Default off. */
int mvm_builder_tty(mvm_builder *b, bool tty, unsigned rows, unsigned cols, mvm_error **err);
/* How every share (the root and each mapped directory) shows ownership
 * to the guest (docs/fuse.md, "Share modes"). */
typedef enum mvm_share_mode {
	/* Default: virtual when the VMM does not run as root and the share's
	 * file system holds user xattrs, passthrough otherwise. */
	MVM_SHARE_AUTO = 0,
	/* Owner, group, mode bits and special files live in the
	 * user.containers.override_stat xattr of host files that belong to
	 * the VMM's user: the guest's root can chown, chmod 4755 and mknod,
	 * and on the host nothing is setuid and no device node exists. */
	MVM_SHARE_VIRTUAL = 1,
	/* The host's real ownership; as root the guest's root is host root
	 * inside the share. Device nodes are refused. */
	MVM_SHARE_PASSTHROUGH = 2,
} mvm_share_mode;
int mvm_builder_share_mode(mvm_builder *b, mvm_share_mode mode, mvm_error **err);
/* The mode of one share, named by its guest path: "/" for the root, or a
 * mapped dir's guest path. It overrides the mode above for that share
 * only; a later call for the same path replaces an earlier one. build()
 * refuses a path that names no share. */
int mvm_builder_share_mode_for(mvm_builder *b, const char *guest_path, mvm_share_mode mode,
			       mvm_error **err);
/* "auto", "virtual" or "passthrough". */
int mvm_share_mode_parse(const char *s, mvm_share_mode *mode, mvm_error **err);
const char *mvm_share_mode_name(mvm_share_mode mode);
/* Seccomp (docs/seccomp.md), on by default: every thread mvm starts for the
 * VM (vCPUs, event loop, file-system workers, network, console output)
 * runs under an allow-list of the system calls its kind needs, with
 * no_new_privs. The application's own threads are never filtered. A call
 * off the list raises SIGSYS in that thread: with SIGSYS's default
 * disposition the process ends ("Bad system call"); an application that
 * wants to say why installs a SA_SIGINFO handler for SIGSYS and calls
 * mvm_seccomp_describe(). false: no filters, for kernels without seccomp
 * or for debugging. */
int mvm_builder_seccomp(mvm_builder *b, bool enabled, mvm_error **err);
/* The jail (docs/security.md, "The jail"), on by default: every thread mvm
 * starts for the VM keeps only the capabilities its kind needs (none,
 * except the file-system workers of a passthrough share), and, where the
 * process may make one (root), runs in a mount namespace whose root is an
 * empty read-only directory with a fresh /proc: the VM's threads reach
 * their shares and /dev/kvm only through fds opened before they start.
 * The application's own threads keep their view and their privileges.
 * false: neither. */
int mvm_builder_jail(mvm_builder *b, bool enabled, mvm_error **err);
/* With the jail: every thread of the VM also switches to uid:gid (no
 * supplementary groups) before it runs, as Firecracker's jailer does for
 * its process, and keeps no capability. Needs CAP_SETUID and CAP_SETGID
 * (root). The shares are then served as that user: `auto` picks virtual
 * ownership unless uid is 0, and the user must be able to reach the
 * shared directories. */
int mvm_builder_jail_user(mvm_builder *b, uint32_t uid, uint32_t gid, mvm_error **err);
/* From a SIGSYS handler (async-signal-safe): writes one NUL-terminated
 * sentence naming the thread's kind and the forbidden system call into
 * buf and returns its length; 0 if info is not a seccomp SIGSYS. */
size_t mvm_seccomp_describe(const siginfo_t *info, char *buf, size_t len);
/* Host path of the guest kernel to boot; must not be empty. Unset: mvm's
 * search order. */
int mvm_builder_kernel_path(mvm_builder *b, const char *path, mvm_error **err);
/* Host fds for the guest program's stdin, stdout and stderr; the default is
 * 0, 1, 2. in_fd -1 gives the program no input (it sees end of file). The
 * fds stay the caller's and must stay open while the VM runs. A console
 * output file, when set, replaces out_fd and err_fd. */
int mvm_builder_stdio(mvm_builder *b, int in_fd, int out_fd, int err_fd, mvm_error **err);

/* Checks every setting and reports ALL problems in one error. The builder
 * stays usable (and must still be freed). */
mvm_vm *mvm_builder_build(const mvm_builder *b, mvm_error **err);

/* ------------------------------------------------------------------ */
/* VM                                                                  */
/* ------------------------------------------------------------------ */

/* Frees the VM; a running VM is killed and waited for first. */
void mvm_vm_free(mvm_vm *vm);

/* Boots the VM, runs the program and returns when the VM has ended. On
 * success *exit_status is the program's status: its exit code, 128+N if
 * signal N killed it, 125 if mvm-init could not set up the guest, 126 if
 * the program cannot be executed, 127 if it was not found. Returns -1 with
 * err when the VM could not start or failed (KVM, kernel, guest crash).
 * Never exits the process. A VM runs once. */
int mvm_vm_start(mvm_vm *vm, int *exit_status, mvm_error **err);

/* Non-blocking start: boots the VM on its own threads and returns. Then
 * wait with mvm_vm_wait() (or poll mvm_vm_wait_fd() first). Several VMs
 * may run at once in one process. */
int mvm_vm_spawn(mvm_vm *vm, mvm_error **err);
/* Blocks until a spawned VM has ended; same results as mvm_vm_start(). */
int mvm_vm_wait(mvm_vm *vm, int *exit_status, mvm_error **err);
/* An fd that becomes readable when the VM has ended (for poll/epoll); -1
 * before spawn. Owned by the VM. */
int mvm_vm_wait_fd(const mvm_vm *vm);
/* Delivers SIGINT, SIGTERM or SIGKILL to the guest program (through
 * mvm-init). The VM ends when the program does. Thread-safe. */
int mvm_vm_signal(mvm_vm *vm, int sig, mvm_error **err);
/* Shuts the guest down as `mvm stop` does: mvm-init sends SIGTERM to
 * every guest process (the program, the agent's programs and all their
 * children) and the VM ends, synced, when the program has; the status is
 * the program's (143 if SIGTERM ended it). A program that ignores SIGTERM
 * keeps the VM running: follow with mvm_vm_kill() after a grace period.
 * Thread-safe. */
int mvm_vm_stop(mvm_vm *vm, mvm_error **err);
/* Starts the program of a VM built with mvm_builder_hold(). Thread-safe. */
int mvm_vm_release(mvm_vm *vm, mvm_error **err);
/* The terminal of a VM built with mvm_builder_tty() is now rows x cols
 * (1..65535 each); the guest program gets SIGWINCH. Before the start, it
 * is the size the program's terminal starts with (a client that sized
 * the terminal before its program ran). Thread-safe once running. */
int mvm_vm_resize(mvm_vm *vm, unsigned rows, unsigned cols, mvm_error **err);
/* Stops the VM at once, as pulling the plug; mvm_vm_wait() then reports
 * status 137. Thread-safe. */
int mvm_vm_kill(mvm_vm *vm, mvm_error **err);

/* What a running VM costs and moves (`mvm stats`). Counters count from
 * the VM's start. */
typedef struct mvm_vm_stats {
	uint64_t uptime_ns;	     /* since mvm_vm_spawn() */
	uint64_t vcpu_cpu_ns;	     /* CPU time of the VM's vCPU threads */
	uint64_t process_cpu_ns;     /* of the whole process (all its VMs) */
	uint64_t ram_bytes;	     /* the guest's RAM, as configured */
	uint64_t ram_resident_bytes; /* of it, what the host holds now */
	uint64_t process_rss_bytes;  /* resident set of the whole process */
	uint64_t net_rx_frames, net_rx_bytes; /* delivered to the guest */
	uint64_t net_tx_frames, net_tx_bytes; /* sent by the guest */
	uint64_t net_dropped;		      /* both ways, for any reason */
	uint64_t fs_requests;		      /* virtio-fs, all shares */
	uint64_t fs_read_bytes, fs_write_bytes; /* READ and WRITE data (not DAX) */
	uint64_t vsock_connections;	      /* open now */
	uint64_t vsock_rx_bytes, vsock_tx_bytes; /* payload to / from the guest */
} mvm_vm_stats;
/* Fills *out for a running VM. Not concurrently with mvm_vm_wait() or
 * mvm_vm_free() of the same VM. */
int mvm_vm_get_stats(mvm_vm *vm, mvm_vm_stats *out, mvm_error **err);
/* The counters of s by name (the field's, as above), in the struct's
 * order, for printing them all: the i-th name, its value in *value, or
 * NULL past the last. */
const char *mvm_vm_stats_field(const mvm_vm_stats *s, size_t i, uint64_t *value);

/* ------------------------------------------------------------------ */
/* Detached VMs (docs/sandbox.md, "The library")                        */
/* ------------------------------------------------------------------ */

typedef struct mvm_detach_options {
	/* Required: a Unix socket path (< 108 bytes) that must not exist. The
	 * VM's process serves mvm_detached_stats() and mvm_detached_stop()
	 * there (mode 0600) and removes it when the VM ends. */
	const char *control_path;
	/* Optional: when the VM ends, its process writes the program's exit
	 * status there (a decimal line, then any error messages, one per
	 * line), through a temporary file and rename(). */
	const char *status_path;
	/* >= 0: the VM's process takes /dev/null as stdin and this fd as
	 * stdout and stderr, so the guest's output (the builder's default
	 * stdio) and the log callback's lines land in it and not on the
	 * caller's terminal. -1: it keeps the caller's. */
	int log_fd;
	/* The VM's process waits, before it starts the VM, until a byte
	 * arrives on start_fd (an OCI runtime's create and start): the call
	 * then returns at once, and a VM that cannot start says why in
	 * status_path (status 125). End of file on start_fd ends the process
	 * with status 0, nothing started (the process holds a copy of every
	 * fd of the caller: end a socket with shutdown(), not close()). */
	bool wait_for_start;
	int start_fd;
	/* With wait_for_start and a VM built with mvm_builder_hold(): the
	 * process starts the VM at once, and the call returns once it runs
	 * (or with the reason it cannot); the byte on start_fd then releases
	 * the held program (mvm_vm_release()), and end of file on it kills
	 * the VM. Boot at create, run at start. */
	bool boot_before_start;
	/* The VM's stdio is a terminal (terminal_fd, given to
	 * mvm_builder_stdio() with mvm_builder_tty()): the process makes it
	 * its controlling terminal and passes each size change
	 * (SIGWINCH) on with mvm_vm_resize(). */
	bool has_terminal;
	int terminal_fd;
} mvm_detach_options;

/* Runs a built, never started VM in a new process of its own (forked; a
 * session leader) that outlives the caller, and returns once the VM runs
 * (its vsock socket, if any, exists) with that process's id in *pid. The
 * process ends when the VM does, with the program's exit status, or 125
 * if the VM failed after it started; SIGTERM or SIGHUP to it act as
 * mvm_vm_stop(), SIGINT reaches the program, a second signal kills the VM,
 * SIGKILL ends it at once. If the VM cannot start, returns -1 with the
 * reason and no process is left. Either way this vm is spent: free it.
 * The process is a fork() of the caller's: call this before the
 * application starts threads that hold locks the child would need. It is
 * the caller's child: waitpid() gives its status (or ignore SIGCHLD); a
 * caller that exits leaves it running, adopted by init. */
int mvm_vm_spawn_detached(mvm_vm *vm, const mvm_detach_options *o, pid_t *pid,
			  mvm_error **err);
/* The counters of a detached VM, asked through its control socket. */
int mvm_detached_stats(const char *control_path, mvm_vm_stats *out, mvm_error **err);
/* Shuts a detached VM down as mvm_vm_stop() does and returns at once; the
 * process ends when the guest program has. Kill it after a grace period
 * if it must end regardless. */
int mvm_detached_stop(const char *control_path, mvm_error **err);

/* The validated configuration as one JSON object (the CLI's --dry-run).
 * The caller frees the string with free(). Strings may hold any byte but
 * NUL: `"` and `\` are escaped, control bytes become \u00XX, well-formed
 * UTF-8 passes through, and each byte that does not start a well-formed
 * UTF-8 sequence becomes \ufffd (U+FFFD), so the output is always valid
 * JSON in UTF-8. */
char *mvm_vm_config_json(const mvm_vm *vm, mvm_error **err);

/* ------------------------------------------------------------------ */
/* Images (docs/images.md)                                              */
/* ------------------------------------------------------------------ */

/* The image store: blobs, unpacked layers and image names under dir, or
 * under ${MVM_HOME:-${XDG_DATA_HOME:-~/.local/share}/mvm} when dir is NULL.
 * Several processes may use one store at once. */
typedef struct mvm_store mvm_store;
mvm_store *mvm_store_open(const char *dir, mvm_error **err);
void mvm_store_free(mvm_store *s);
/* The store's directory. */
const char *mvm_store_dir(const mvm_store *s);

/* Called with one line per step of long work ("Unpacked layer ..."). */
typedef void (*mvm_progress_fn)(void *userdata, const char *msg);

/* Loads the images of path: an OCI image layout directory, an OCI archive
 * or a docker archive (docker save, podman save); "-" reads an archive
 * from stdin. name, if not NULL, names
 * the image instead of the names the source gives. On success *names
 * holds the full names stored ("docker.io/library/alpine:latest"); free
 * each and the array. */
int mvm_image_load(mvm_store *s, const char *path, const char *name, mvm_progress_fn progress,
		   void *userdata, char ***names, size_t *n_names, mvm_error **err);

/* Pulls ref from its registry over the OCI distribution API. A short
 * name ("alpine") goes to the alias registries.conf gives it, else to each
 * of its unqualified-search-registries in turn until one has the image,
 * else to docker.io/library/ (docs/images.md, "Short names"). Pulls are
 * anonymous or with the Bearer token the registry asks for, or with the
 * credentials of podman's and docker's auth files, over HTTPS with the
 * system's CAs. MVM_PULL_INSECURE skips TLS
 * verification and allows plain HTTP (a local registry). For an index the
 * linux/amd64 image is taken. Every blob is checked against its digest;
 * blobs the store holds are not fetched again. *name (malloc'd): the full
 * name stored. */
#define MVM_PULL_INSECURE 1u
int mvm_image_pull(mvm_store *s, const char *ref, unsigned flags, mvm_progress_fn progress,
		   void *userdata, char **name, mvm_error **err);

/* Where one blob of a pull stands, for a progress display. */
typedef enum mvm_blob_state {
	MVM_BLOB_QUEUED,   /* to be fetched */
	MVM_BLOB_FETCHING, /* done: its bytes in the store so far */
	MVM_BLOB_FETCHED,  /* complete, its digest checked */
	MVM_BLOB_PRESENT,  /* the store had it: nothing fetched */
	MVM_BLOB_UNPACKED, /* a layer, unpacked (or found unpacked) */
} mvm_blob_state;

typedef struct mvm_blob_progress {
	const char *digest;    /* "sha256:..." */
	const char *kind;      /* "config", "layer" or "index" */
	unsigned index, count; /* a layer's place (from 1) among count; 0 otherwise */
	mvm_blob_state state;
	uint64_t done, total;  /* bytes; total is the size its descriptor gives */
	uint64_t resumed;      /* bytes an interrupted earlier pull had left */
} mvm_blob_progress;
typedef void (*mvm_blob_progress_fn)(void *userdata, const mvm_blob_progress *p);

typedef struct mvm_pull_options {
	unsigned flags;           /* MVM_PULL_INSECURE */
	/* "OS/ARCH[/VARIANT]" ("linux/arm64/v8") picked from an index; NULL:
	 * linux/amd64. A single-platform image of another one is refused. */
	const char *platform;
	unsigned jobs;            /* blobs fetched at once; 0: 3, at most 16 */
	mvm_progress_fn progress; /* one line per step, as mvm_image_pull */
	/* Each state change of a blob, and its bytes at most 10 times a
	 * second while it arrives. */
	mvm_blob_progress_fn blob_progress;
	void *userdata;           /* for both callbacks */
} mvm_pull_options;

/* mvm_image_pull with options (o may be NULL). Layers are fetched by
 * o->jobs threads while the pulling thread unpacks them in order; the
 * callbacks come from any of these threads, one call at a time. A
 * download that breaks off is continued where it stopped; one that fails
 * keeps its bytes in the store for the next pull (mvm image prune drops
 * them). */
int mvm_image_pull_with(mvm_store *s, const char *ref, const mvm_pull_options *o, char **name,
			mvm_error **err);

typedef struct mvm_image_info {
	char *name;        /* "docker.io/library/alpine:latest" */
	char id[72];       /* the config's digest, docker's IMAGE ID */
	char manifest[72]; /* the manifest's digest */
	char created[64];  /* from the config (RFC 3339), "" if it has none */
	uint64_t size;     /* bytes of its layers as stored (compressed) */
	uint64_t disk;     /* bytes its unpacked layers take on disk */
	unsigned layers;
} mvm_image_info;

/* Finds an image by its full name, a short name (the first of the names
 * registries.conf makes of it that the store holds, then its docker.io
 * form: "alpine" is docker.io/library/alpine:latest) or a unique prefix of
 * its ID (at least 4 hex digits, with or without "sha256:"). *full
 * (malloc'd) is its name. */
int mvm_image_resolve(mvm_store *s, const char *ref, char **full, mvm_error **err);

/* The image as one JSON object: name, id, manifest, config (the image's
 * config as stored) and layers (digest, size, dir, disk). Free with free(). */
char *mvm_image_inspect(mvm_store *s, const char *ref, mvm_error **err);

/* Removes the name ref resolves to, then what no image uses any more
 * (unless a load is running: then mvm_image_prune() does it later). */
int mvm_image_remove(mvm_store *s, const char *ref, mvm_error **err);

/* Removes the blobs and layers no named image uses and what interrupted
 * loads left behind; waits for running loads. *freed: bytes of disk. */
int mvm_image_prune(mvm_store *s, uint64_t *freed, mvm_error **err);

/* The named images of the store, sorted by name. */
int mvm_image_list(mvm_store *s, mvm_image_info **list, size_t *n, mvm_error **err);
void mvm_image_list_free(mvm_image_info *list, size_t n);

/* ---- Programs in a running guest (docs/agent.md) ------------------------ */
/* A VM started with a vsock socket (mvm_builder_vsock()) runs an agent in
 * its mvm-init that starts more programs on request, as `docker exec`
 * does. These calls are its client: they connect through the VM's vsock
 * socket, so any process that may open that socket may use them. */

/* What to run. */
typedef struct mvm_exec_spec {
	const char *const *argv; /* argv[0]: absolute, or a name looked up in PATH */
	size_t argc;		 /* >= 1 */
	const char *const *env;	 /* "KEY=VALUE"; PATH and HOME get defaults */
	size_t n_env;
	const char *workdir; /* absolute guest path; NULL: / */
	bool has_user;	     /* run as uid:gid (no supplementary groups); else root */
	uint32_t uid, gid;
	/* Or "USER[:GROUP]", names or numbers, resolved in the guest's
	 * /etc/passwd and /etc/group as the program starts (a uid alone takes
	 * its passwd group, else 0); not together with has_user. */
	const char *user;
	const mvm_rlimit *rlimits; /* set before it starts */
	size_t n_rlimits;
	bool tty;	     /* a terminal of rows x cols (0: 24 x 80) as its stdio */
	unsigned rows, cols;
	/* While the agent does not answer yet (the VM still boots), try again
	 * for up to this long; 0: once. */
	unsigned connect_timeout_ms;
} mvm_exec_spec;

typedef struct mvm_exec mvm_exec;

/* Connects to the agent of the VM whose vsock socket is vsock_path and
 * asks it to start spec. The program's start is learned in
 * mvm_exec_wait(). */
mvm_exec *mvm_exec_start(const char *vsock_path, const mvm_exec_spec *spec, mvm_error **err);
/* Relays in_fd (or -1: none; its end closes the program's stdin) to the
 * program and its stdout and stderr to out_fd and err_fd (-1: dropped),
 * until it has exited and its output is out; *exit_status is then its
 * status (as in `docker exec`: the code, or 128 + signal). If the program
 * could not be started, returns -1 with the agent's reason in err and
 * *exit_status 125, 126 (not executable) or 127 (not found); on a lost
 * connection, -1 and 125. */
int mvm_exec_wait(mvm_exec *x, int in_fd, int out_fd, int err_fd, int *exit_status,
		  mvm_error **err);
/* Sends sig to the program's process group. Thread-safe, also while
 * another thread is in mvm_exec_wait(). */
int mvm_exec_signal(mvm_exec *x, int sig, mvm_error **err);
/* The terminal of a spec with tty is now rows x cols. Thread-safe. */
int mvm_exec_resize(mvm_exec *x, unsigned rows, unsigned cols, mvm_error **err);
/* Closes the connection (a program still running gets SIGHUP). */
void mvm_exec_free(mvm_exec *x);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* MVM_H */
