/* SPDX-License-Identifier: Apache-2.0 */
/* The allow-lists, one table for all thread kinds: each row names a system
 * call, the kinds that may make it, an optional condition on its
 * arguments, and why. docs/seccomp.md shows the same table by kind (a
 * unit test keeps the two in step). Everything not listed raises
 * SIGSYS in the thread that tried. What the threads do before their filter
 * loads (glibc's and the sanitizers' thread set-up: rseq,
 * set_robust_list, sigaltstack, sched_getaffinity) needs no row. */
#include "seccomp/policy.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#define K(k) (1u << (k))
#define VCPU K(SANDBOX_VCPU)
#define LOOP K(SANDBOX_LOOP)
#define FS K(SANDBOX_FS)
#define NET K(SANDBOX_NET)
#define CONS K(SANDBOX_CONSOLE)
#define ALL (VCPU | LOOP | FS | NET | CONS)

#define ANY(sys, kinds, why) {SCMP_SYS(sys), #sys, (kinds), 0, {{0}}, "", (why), false}
#define IF1(sys, kinds, a, cond, why) {SCMP_SYS(sys), #sys, (kinds), 1, {a}, (cond), (why), false}
#define ARG(i, cmp, a, b) {.arg = (i), .op = (cmp), .datum_a = (a), .datum_b = (b)}
#define EQ(i, v) ARG(i, SCMP_CMP_EQ, (scmp_datum_t)(v), 0)
#define NONE_OF(i, bits) ARG(i, SCMP_CMP_MASKED_EQ, (scmp_datum_t)(bits), 0)

const struct sandbox_rule sandbox_rules[] = {
    /* ---- every kind ---------------------------------------------------- */
    ANY(futex, ALL, "mutexes, condition variables and semaphores"),
    ANY(read, ALL, "eventfd wake-ups; the data of files, pipes and sockets below"),
    ANY(write, ALL,
	"eventfd and irqfd signals; log lines, which the application's callback may write "
	"(the CLI writes stderr); file and console data"),
    IF1(mmap, ALL, NONE_OF(2, PROT_EXEC), "prot without PROT_EXEC",
	"memory for malloc and the sanitizer runtimes; files mapped into a DAX window "
	"(fs workers) and anonymous memory put back there; never executable"),
    IF1(mprotect, ALL, NONE_OF(2, PROT_EXEC), "prot without PROT_EXEC",
	"malloc's arenas grow by mprotect; never to executable"),
    ANY(munmap, ALL, "malloc gives memory back"),
    ANY(mremap, ALL, "realloc of large blocks"),
    ANY(madvise, ALL, "malloc and the sanitizers give pages back; glibc frees an ended "
		      "thread's stack"),
    ANY(brk, ALL, "malloc's main arena"),
    ANY(clock_gettime, ALL, "time stamps and deadlines, when the vDSO falls back"),
    ANY(gettimeofday, ALL, "the same, for older callers"),
    ANY(clock_nanosleep, ALL, "short back-off sleeps"),
    ANY(nanosleep, ALL, "the same"),
    ANY(sched_yield, ALL, "spinning locks in the allocator and the sanitizers"),
    ANY(getpid, ALL, "log lines, and glibc's raise() path"),
    ANY(gettid, ALL, "log lines and the sanitizers' thread registry"),
    ANY(rt_sigprocmask, ALL, "pthread_sigmask around waits; glibc blocks signals while a "
			     "thread ends"),
    ANY(rt_sigreturn, ALL, "returning from a signal handler (the vCPU kick's)"),
    ANY(sigaltstack, ALL, "the sanitizers drop their signal stack when a thread ends"),
    ANY(restart_syscall, ALL, "a sleep interrupted by a signal resumes"),
    ANY(close, ALL, "fds of finished requests, sockets, eventfds of reset queues"),
    ANY(exit, ALL, "the thread ends"),
    ANY(exit_group, ALL, "the process ends; an application's SIGSYS handler calls _exit"),
    /* The kick signal is SIGRTMIN + 5, known only at run time: policy.c
     * puts it into this row's condition. */
    {SCMP_SYS(tgkill), "tgkill", ALL, 1, {EQ(2, 0)}, "sig is the vCPU kick signal",
     "whichever thread ends the VM kicks every vCPU out of KVM_RUN", true},

    /* ---- vCPU ---------------------------------------------------------- */
    IF1(ioctl, VCPU, EQ(1, KVM_RUN), "request KVM_RUN", "run the guest"),
    IF1(ioctl, VCPU, EQ(1, KVM_GET_REGS), "request KVM_GET_REGS",
	"the guest's RIP in the message of a failed run"),
    IF1(ioctl, VCPU, EQ(1, KVM_IOEVENTFD), "request KVM_IOEVENTFD",
	"a guest marks a virtqueue ready or resets a device: its notify eventfd is "
	"(un)registered with KVM"),
    ANY(eventfd2, VCPU, "the notify eventfd of a queue the guest makes ready"),
    ANY(newfstatat, VCPU | LOOP,
	"the DAX windows' repair (after a KVM_RUN that faulted, and every 500 ms): is a file "
	"mapped there shorter now? (glibc's fstat)"),
    ANY(fstat, VCPU | LOOP, "the same, as older libcs call it"),
    ANY(epoll_ctl, VCPU | LOOP,
	"queue eventfds and console input join or leave the event loop when the guest "
	"activates or resets a device"),

    /* ---- event loop ---------------------------------------------------- */
    ANY(epoll_wait, LOOP, "the loop's wait"),
    ANY(epoll_pwait, LOOP, "the same, as some libcs call it"),
    ANY(readv, LOOP, "console input from the program's stdin"),
    ANY(writev, LOOP | CONS, "console output"),
    IF1(sendmsg, LOOP | CONS, EQ(2, MSG_DONTWAIT | MSG_NOSIGNAL),
	"flags MSG_DONTWAIT|MSG_NOSIGNAL", "console output to a socket; vsock: guest bytes to a host socket"),
    ANY(rt_sigpending, LOOP | CONS,
	"after a console write to a closed pipe: is a SIGPIPE of ours pending?"),
    ANY(rt_sigtimedwait, LOOP | CONS, "... then take it, so it never reaches the application"),
    ANY(getrandom, LOOP, "virtio-rng: the guest's entropy"),
    ANY(timerfd_settime, LOOP, "the boot watchdog; vsock's connect timeouts"),
    /* ---- event loop: virtio-vsock's host sockets (docs/vsock.md) -------- */
    IF1(socket, LOOP, EQ(0, AF_UNIX), "domain AF_UNIX",
	"vsock: a guest connection to host port P goes to the Unix socket PATH_P"),
    ANY(connect, LOOP, "vsock: ... connected there"),
    ANY(accept4, LOOP, "vsock: a client of the VM's Unix socket"),
    IF1(recvfrom, LOOP, EQ(3, MSG_PEEK | MSG_DONTWAIT), "flags MSG_PEEK|MSG_DONTWAIT",
	"vsock: look at a client's CONNECT line without taking what follows it"),
    IF1(recvfrom, LOOP, EQ(3, MSG_DONTWAIT), "flags MSG_DONTWAIT",
	"vsock: ... then take the line"),
    IF1(sendto, LOOP, EQ(3, MSG_DONTWAIT | MSG_NOSIGNAL), "flags MSG_DONTWAIT|MSG_NOSIGNAL",
	"vsock: the OK line to a client"),
    IF1(recvmsg, LOOP, EQ(2, MSG_DONTWAIT), "flags MSG_DONTWAIT",
	"vsock: host bytes for the guest, read into its buffers"),
    ANY(shutdown, LOOP, "vsock: the guest shut its sending side"),

    /* ---- console output ------------------------------------------------ */
    ANY(poll, CONS | NET,
	"console: wait until the reader of a blocking pipe takes more, or a stop; "
	"network: libslirp's wait"),

    /* ---- file-system workers ------------------------------------------- */
    ANY(openat, FS, "open a file the guest named, below its share (names are checked first)"),
    ANY(openat2, FS, "look a name up with RESOLVE_BENEATH, the second line behind the checks"),
    ANY(newfstatat, FS, "attributes (GETATTR, LOOKUP)"),
    ANY(fstat, FS, "attributes of an open file"),
    ANY(statx, FS, "the same, as newer libcs call it"),
    ANY(fstatfs, FS, "STATFS"),
    ANY(getdents64, FS, "READDIR"),
    ANY(lseek, FS, "READDIR's offsets"),
    ANY(pread64, FS, "READ"),
    ANY(preadv, FS, "READ into the guest's buffers"),
    ANY(pwrite64, FS, "WRITE"),
    ANY(pwritev, FS, "WRITE from the guest's buffers"),
    ANY(ftruncate, FS, "SETATTR size"),
    ANY(fallocate, FS, "FALLOCATE"),
    ANY(fsync, FS, "FSYNC, FSYNCDIR"),
    ANY(fdatasync, FS, "FSYNC with datasync"),
    ANY(mkdirat, FS, "MKDIR"),
    ANY(mknodat, FS, "MKNOD (a FIFO, socket or regular file; devices only as regular files "
		     "of the virtual mode)"),
    ANY(unlinkat, FS, "UNLINK, RMDIR"),
    ANY(renameat, FS, "RENAME"),
    ANY(renameat2, FS, "RENAME2 with flags"),
    ANY(linkat, FS, "LINK"),
    ANY(symlinkat, FS, "SYMLINK"),
    ANY(readlinkat, FS, "READLINK"),
    ANY(fchmod, FS, "SETATTR mode"),
    ANY(fchmodat, FS, "SETATTR mode by name"),
    ANY(fchown, FS, "SETATTR owner (passthrough)"),
    ANY(fchownat, FS, "SETATTR owner by name (passthrough)"),
    ANY(utimensat, FS, "SETATTR times"),
    ANY(faccessat, FS, "ACCESS"),
    ANY(faccessat2, FS, "ACCESS with AT_EACCESS"),
    ANY(getxattr, FS, "GETXATTR, and the virtual mode's override, through /proc/self/fd"),
    ANY(setxattr, FS, "SETXATTR, and the virtual mode's override"),
    ANY(listxattr, FS, "LISTXATTR"),
    ANY(removexattr, FS, "REMOVEXATTR"),
    ANY(fgetxattr, FS, "the override of an open file"),
    ANY(fsetxattr, FS, "the same"),
    ANY(fcntl, FS | NET, "fs: O_NONBLOCK, lock queries and F_DUPFD_CLOEXEC of an image layer (a graft); network: libslirp makes sockets "
			 "non-blocking"),
    ANY(setfsuid, FS, "passthrough as root: create files as the guest's caller"),
    ANY(setfsgid, FS, "the same"),

    /* ---- network (libslirp) -------------------------------------------- */
    IF1(socket, NET, EQ(0, AF_INET), "domain AF_INET",
	"the host side of the guest's connections; no AF_UNIX, AF_NETLINK or AF_PACKET"),
    IF1(socket, NET, EQ(0, AF_INET6), "domain AF_INET6", "the same, over IPv6"),
    ANY(connect, NET, "the guest's outgoing TCP and UDP"),
    ANY(bind, NET, "port maps, and UDP sockets"),
    ANY(listen, NET, "port maps"),
    ANY(accept, NET, "a client of a port map"),
    ANY(accept4, NET, "the same"),
    ANY(sendto, NET, "data of the guest's connections"),
    ANY(recvfrom, NET, "the same"),
    ANY(sendmsg, NET, "the same"),
    ANY(recvmsg, NET, "the same"),
    ANY(setsockopt, NET, "SO_REUSEADDR, TCP_NODELAY, buffer sizes"),
    ANY(getsockopt, NET, "SO_ERROR of a connect"),
    ANY(getsockname, NET, "the local address of a connection"),
    ANY(getpeername, NET, "the peer of an accepted connection"),
    ANY(shutdown, NET, "half-close, as the guest's TCP does"),
    IF1(ioctl, NET, EQ(1, FIONBIO), "request FIONBIO", "libslirp makes sockets non-blocking"),
    /* libslirp looks up the host's DNS server itself, on this thread, when
     * the guest first asks 10.0.2.3 and again (stat) each second after:
     * it has no API to be told. Read-only, and in the jail the only file
     * there is a copy of resolv.conf. */
    IF1(openat, NET, NONE_OF(2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | O_PATH | __O_TMPFILE),
	"flags open for reading only",
	"libslirp reads /etc/resolv.conf for the host's DNS server"),
    ANY(newfstatat, NET, "... and stats it to see whether it changed"),
    ANY(fstat, NET, "... and stdio sizes its buffer"),
    IF1(ioctl, NET, EQ(1, FIONREAD), "request FIONREAD", "libslirp sizes a read"),
};

const size_t sandbox_n_rules = sizeof(sandbox_rules) / sizeof(sandbox_rules[0]);
