/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The contract between the VMM (src/) and mvm-init (guest/init/), the
 * guest's PID 1. Both sides include this header; nothing else is shared.
 *
 * Boot: the VMM packs an initramfs (cpio "newc") that holds
 *   /init             mvm-init (static)
 *   /mvm/config       the config blob below
 * and passes no program settings on the kernel command line, so there are
 * no quoting, length or count limits.
 */
#ifndef MVM_GUEST_PROTOCOL_H
#define MVM_GUEST_PROTOCOL_H

#include <stdint.h>

/* ---- Config blob ---------------------------------------------------- */
/* Layout, all integers little-endian:
 *   header: char magic[8] = MVM_CFG_MAGIC; u32 version; u32 total_len
 *           (total_len counts the header too)
 *   then records until total_len: u16 type; u16 flags (0); u32 len;
 *           u8 payload[len]; zero padding to the next multiple of 4.
 * Strings are raw bytes without NUL (they may not contain NUL).
 * The reader must treat the blob as untrusted input: check every length
 * against total_len with overflow-safe arithmetic and reject unknown
 * versions. Unknown record types are ignored (forward compatibility). */
#define MVM_CFG_MAGIC "MVMCFG\0\0"
#define MVM_CFG_VERSION 1u
#define MVM_CFG_PATH "/mvm/config"

enum mvm_cfg_record {
	MVM_CFG_EXEC = 1,    /* string: program path, absolute or a bare name
			      * that mvm-init looks up in the program's PATH */
	MVM_CFG_ARG = 2,     /* string: one of argv[1..], in order */
	MVM_CFG_ENV = 3,     /* string: "KEY=VALUE", in order */
	MVM_CFG_WORKDIR = 4, /* string: absolute guest path */
	MVM_CFG_RLIMIT = 5,  /* u32 resource; u32 pad; u64 soft; u64 hard (24 bytes) */
	MVM_CFG_MOUNT = 6,   /* virtio-fs share: tag bytes, NUL, guest path bytes */
	MVM_CFG_NET = 7,     /* u32 addr; u32 prefix_len; u32 gateway; u32 dns
			      * (addresses in network byte order) - networking issue */
	MVM_CFG_LOGLEVEL = 8, /* u32: mvm_log_level; init is verbose at >= debug */
	MVM_CFG_LAYERS = 9,   /* u32 n; u32 flags: the root is an image of n
			       * layers (1..MVM_MAX_LAYERS), see MVM_LAYERS_TAG;
			       * flag MVM_LAYERS_TMPFS_UPPER: its writable layer
			       * is a tmpfs in the guest, there is no rw share */
	MVM_CFG_USER = 10,    /* u32 uid; u32 gid: the program's ids (no
			       * supplementary groups); absent: 0:0 */
	MVM_CFG_TTY = 11,     /* u16 rows; u16 cols: the program gets a
			       * terminal (a pty) of that size, relayed over
			       * hvc0; absent: stdin a pipe, stdout hvc0 */
	MVM_CFG_USER_NAME = 12, /* string "USER[:GROUP]", each a name or a
				 * number, resolved in the guest's /etc/passwd
				 * and /etc/group when the program starts (the
				 * agent's EXEC; a VM's own program gets USER
				 * from the host); not with MVM_CFG_USER */
	MVM_CFG_HOSTNAME = 13, /* string: the guest's host name (1..64 of
				* [A-Za-z0-9.-]); at most once */
	MVM_CFG_SYSCTL = 14,   /* string "KEY=VALUE": written to
				* /proc/sys/KEY (dots as slashes) before the
				* program starts */
	MVM_CFG_FILE = 15,     /* u32 mode (07777); u32 flags
				* (MVM_FILE_READONLY); absolute guest path,
				* NUL, content: a file placed in the root
				* before the program starts (a bind of a file
				* from the initramfs, so the root itself keeps
				* its own) */
	MVM_CFG_PUBLISH = 16,  /* u32 flags (0): report the ports the guest
				* listens on over hvc2 (MVM_CTRL_PORT); at
				* most once */
	MVM_CFG_GROUPS = 17,   /* u32 gid[n], 1..MVM_MAX_GROUPS: the program's
				* supplementary groups (else none); at most
				* once */
	MVM_CFG_TMPFS = 18,    /* u32 flags (MVM_TMPFS_*); absolute guest
				* path, NUL, mount data of [a-z0-9=,%_]
				* (may be empty): a tmpfs mounted there in the
				* new root before files are placed */
	MVM_CFG_HOLD = 20,     /* u32 flags (0): set the guest up, then hold
				* the program until MVM_CTRL_GO; at most
				* once */
	MVM_CFG_READONLY = 19, /* string: the guest path of a share ("/" for
				* the root) that mvm-init remounts read-only
				* once the guest is set up; the host's file
				* server refuses changes to it anyway */
};
#define MVM_MAX_GROUPS 64
#define MVM_MAX_TMPFS 16
#define MVM_TMPFS_NOSUID 0x1u
#define MVM_TMPFS_NODEV 0x2u
#define MVM_TMPFS_NOEXEC 0x4u
#define MVM_TMPFS_RDONLY 0x8u
#define MVM_TMPFS_NOATIME 0x10u
#define MVM_TMPFS_STRICTATIME 0x20u
#define MVM_TMPFS_RELATIME 0x40u
#define MVM_TMPFS_NODIRATIME 0x80u
#define MVM_TMPFS_FLAGS 0xffu
#define MVM_FILE_READONLY 1u
/* What a config may carry of MVM_CFG_FILE. */
#define MVM_MAX_GUEST_FILES 64
#define MVM_MAX_GUEST_FILE_SIZE (256u * 1024)
#define MVM_HOSTNAME_MAX 64

/* The virtio-fs tag of the root filesystem (as in libkrun). Mapped dirs use
 * tags "mvmfs0", "mvmfs1", ... carried in MVM_CFG_MOUNT records. */
#define MVM_ROOT_TAG "/dev/root"
/* An image run has no root share but these two (docs/images.md): the
 * image's layers, read-only, as directories "0" (bottom) to "N-1" (top)
 * of one share, and the run's writable layer with upper/ and work/.
 * mvm-init stacks them with overlayfs as the new root. */
#define MVM_LAYERS_TAG "mvmlayers"
#define MVM_RW_TAG "mvmrw"

/* overlayfs stacks at most 500 lower layers; the mount options must fit
 * in a page ("/mvm/l/NNN:" each). */
#define MVM_MAX_LAYERS 128
#define MVM_LAYERS_TMPFS_UPPER 1u

/* ---- Consoles ------------------------------------------------------- */
/* Three virtio-console devices, in this order of their MMIO slots:
 *   /dev/hvc0  program stdin and stdout
 *   /dev/hvc1  program stderr; also mvm-init's own messages
 *   /dev/hvc2  control channel, host -> guest, one byte per command */
#define MVM_HVC_STDOUT "/dev/hvc0"
#define MVM_HVC_STDERR "/dev/hvc1"
#define MVM_HVC_CONTROL "/dev/hvc2"
#define MVM_CTRL_SIGINT 'I'  /* forward SIGINT to the program */
#define MVM_CTRL_SIGTERM 'T' /* forward SIGTERM to the program */
#define MVM_CTRL_SIGKILL 'K' /* forward SIGKILL to the program */
/* Shut the guest down, as a system's init does: SIGTERM to every process
 * (the program, what the agent started, their children). The VM ends,
 * synced, when the program has; the host kills it if that takes too long. */
#define MVM_CTRL_STOP 'S'
/* Host stdin reached EOF. The one command with a payload: 'E', the number of
 * stdin bytes the host delivered on hvc0 in ASCII decimal, '\n' (e.g.
 * "E12\n"). A console cannot signal EOF itself, and hvc0 and hvc2 are
 * separate devices whose input may arrive in any order, so mvm-init closes
 * the write end of the program's stdin pipe only once it has forwarded
 * that many bytes from hvc0. Both consoles must be in raw mode in the
 * guest (no echo, no line editing) for the count to match. */
#define MVM_CTRL_STDIN_EOF 'E'
/* The host's terminal changed size (only with MVM_CFG_TTY): 'W', rows and
 * columns in ASCII decimal separated by ';', '\n' (e.g. "W40;120\n").
 * mvm-init sets the pty's size, and the kernel sends SIGWINCH to the
 * program's foreground process group. */
#define MVM_CTRL_RESIZE 'W'
/* Start the held program (MVM_CFG_HOLD): the VM booted before its user
 * wanted the program to run (an OCI runtime's create, then start). Before
 * it, SIGINT, SIGTERM, SIGKILL or a stop end the VM with 128+signal and
 * the program never runs. */
#define MVM_CTRL_GO 'G'
/* Guest -> host on hvc2, once mvm-init has opened hvc0 and hvc2: the host
 * holds all console input until then, because the guest driver drops
 * input that arrives before a console's tty is attached. */
#define MVM_CTRL_READY 'R'
/* Guest -> host on hvc2, with MVM_CFG_PUBLISH: a port the guest listens on
 * appeared ('+') or went away ('-'), TCP ('T') or UDP ('U'), in ASCII
 * decimal 1..65535, '\n': "P+T8080\n". mvm-init reports each change once;
 * the host takes at most MVM_MAX_LEARNED_PORTS at a time and treats every
 * line as untrusted (docs/net.md, "Learned ports"). */
#define MVM_CTRL_PORT 'P'
#define MVM_MAX_LEARNED_PORTS 64

/* ---- Agent: programs started in a running guest (docs/agent.md) ------- */
/* mvm-init listens on this vsock port (below 1024: a guest program without
 * CAP_NET_BIND_SERVICE cannot take it) when the VM has a vsock device. A
 * host client connects through the VM's vsock socket (docs/vsock.md) and
 * the two exchange frames, both ways the same:
 *   u32 len; u16 type; u16 flags (0); u8 payload[len], len <= FRAME_MAX.
 * All integers little-endian. Both sides treat the other as untrusted: a
 * frame too long, of an unknown type or out of order ends the session. */
#define MVM_AGENT_PORT 1000u
#define MVM_AGENT_VERSION 1u
#define MVM_AGENT_FRAME_MAX 65536u
#define MVM_AGENT_HDR_SIZE 8u
enum mvm_agent_frame {
	/* client -> agent */
	MVM_AGENT_EXEC = 1,   /* first frame, once: u32 version, then config
			       * blob records (EXEC, ARG, ENV, WORKDIR, USER,
			       * TTY; RLIMIT too) without the blob header */
	MVM_AGENT_STDIN = 2,  /* bytes for the program's stdin */
	MVM_AGENT_STDIN_EOF = 3, /* no more stdin: its pipe is closed */
	MVM_AGENT_SIGNAL = 4, /* u32 signal number, sent to its process group */
	MVM_AGENT_RESIZE = 5, /* u16 rows; u16 cols (with a TTY record) */
	/* agent -> client */
	MVM_AGENT_STARTED = 0x81, /* u32 pid: the program runs */
	MVM_AGENT_STDOUT = 0x82,  /* bytes it wrote to stdout (and to stderr,
				   * with a terminal) */
	MVM_AGENT_STDERR = 0x83,
	MVM_AGENT_EXIT = 0x84,	  /* u32 status, as MVM_EXIT_* (128+signal for
				   * a signal); last frame, after all output */
	MVM_AGENT_ERROR = 0x85,	  /* u32 status; message: the program did not
				   * start (125, 126, 127); last frame */
};

/* ---- Exit status ---------------------------------------------------- */
/* mvm-init reports the program's exit status with one 32-bit port write
 * (`outl(status, MVM_EXIT_PORT)` after ioperm()), once all output is
 * flushed. The VMM stops the VM on that write: one VM exit, no ACPI.
 *   0..255  the status: the code, 128+signal, 125 set-up failed,
 *           126 cannot execute, 127 not found. */
#define MVM_EXIT_PORT 0x0501
#define MVM_EXIT_SETUP_FAILED 125
#define MVM_EXIT_CANNOT_EXECUTE 126
#define MVM_EXIT_NOT_FOUND 127

#endif
