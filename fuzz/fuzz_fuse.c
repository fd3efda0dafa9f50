/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The FUSE server (src/fuse/) on a scratch share: each input is a short
 * session of requests as the guest's virtio-fs driver would send them, each
 * split over iovecs at a size the input chooses, with a reply space of a
 * size it chooses. Every input gets a new server (INITed, unless the input
 * asks otherwise) and a freshly populated share, so a crash reproduces from
 * its input alone and the state stays bounded.
 *
 * The scratch directory is made once per process under $TMPDIR (default
 * /tmp; scripts/run-fuzz uses /dev/shm, where rmdir is cheap) and holds the
 * share and, beside it, outside/secret: a file the guest must never reach.
 * After each input the secret must be intact, nothing may have appeared
 * outside the share, and the freed server must have closed all its fds. Files are capped at 1 MiB
 * (RLIMIT_FSIZE), so a WRITE or FALLOCATE at a huge offset cannot fill the host's disk.
 *
 * Input: records of u8 control, u16 length, then that many request bytes
 * (fuse_in_header and arguments). Control: bits 0-2 the iovec size,
 * bit 3 "set fuse_in_header.len to the real length", bits 4-5 the reply
 * space. The very first byte: bit 0 skips the INIT, bit 1 makes the share
 * read-only, bit 2 serves it with virtual ownership (xattrs, special files
 * as regular host files), bit 3 gives it a DAX window of 4 chunks (the INIT
 * then asks for per-file DAX). With a window, the server's repair runs
 * after the session and every page of every chunk still mapped from a
 * file must then be readable: a page past its file's end would raise
 * SIGBUS here, as it would fail KVM_RUN in a VM.
 */
#include "fuzz_common.h"
#include "fuse/fuse_internal.h"
#include "fuse/fuse_server.h"
#include "util/error.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdio.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_REQUESTS 64
#define MAX_IOVS 512
#define REPLY_MAX (sizeof(struct fuse_out_header) + 128 * 1024)
#define SECRET "TOPSECRET"

static char base[4096], share[4200], outside[4200], secret[4300];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* The guest may have left directories without write or search permission
 * (chmod 0 through SETATTR): an ordinary user cannot empty them until they
 * are its to change again. Symlinks are never followed. */
static void make_removable(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	chmod(path, 0700);
	DIR *d = opendir(path);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char child[4400];
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		make_removable(child);
	}
	closedir(d);
}

static void remove_tree(const char *path)
{
	make_removable(path);
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_scratch(void)
{
	remove_tree(base);
}

static void write_file(const char *dir, const char *name, const char *data, mode_t mode)
{
	char p[4400];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FZ_CHECK(fd >= 0);
	FZ_CHECK(write(fd, data, strlen(data)) == (ssize_t)strlen(data));
	close(fd);
}

static void make_scratch(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(base, sizeof(base), "%s/mvm-fuzz-fuse-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FZ_CHECK(mkdtemp(base) != NULL);
	snprintf(share, sizeof(share), "%s/share", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	snprintf(secret, sizeof(secret), "%s/secret", outside);
	FZ_CHECK(mkdir(outside, 0755) == 0);
	write_file(outside, "secret", SECRET, 0600);
	atexit(remove_scratch);
	struct rlimit fsize = {1 << 20, 1 << 20};
	FZ_CHECK(setrlimit(RLIMIT_FSIZE, &fsize) == 0);
	signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead */
}

/* A small tree with something of each kind, and symlinks that point out. */
static void populate_share(void)
{
	char p[4400];
	FZ_CHECK(mkdir(share, 0755) == 0);
	write_file(share, "f", "hello, world\n", 0644);
	snprintf(p, sizeof(p), "%s/d", share);
	FZ_CHECK(mkdir(p, 0755) == 0);
	write_file(p, "g", "g", 0600);
	snprintf(p, sizeof(p), "%s/up", share);
	FZ_CHECK(symlink("../outside/secret", p) == 0);
	snprintf(p, sizeof(p), "%s/abs", share);
	FZ_CHECK(symlink(secret, p) == 0);
}

static void check_outside_intact(void)
{
	char buf[32] = {0};
	int fd = open(secret, O_RDONLY | O_CLOEXEC);
	FZ_CHECK(fd >= 0);
	FZ_CHECK(read(fd, buf, sizeof(buf)) == (ssize_t)strlen(SECRET));
	close(fd);
	FZ_CHECK(strcmp(buf, SECRET) == 0);
	struct stat st;
	FZ_CHECK(lstat(secret, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 &&
		 st.st_nlink == 1 && st.st_uid == geteuid());
	/* The share is gone by now: base holds outside, outside holds secret,
	 * and nothing else. */
	const char *dirs[] = {base, outside};
	int want[] = {1, 1};
	for (int i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		FZ_CHECK(d != NULL);
		int n = 0;
		for (struct dirent *e; (e = readdir(d)) != NULL;)
			n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
		closedir(d);
		FZ_CHECK(n == want[i]);
	}
}

/* Open fds of the process: the server must close every fd it opened once
 * it is freed, whatever the guest did. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	FZ_CHECK(d != NULL);
	int n = 0;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Says which fds stayed open, for a leak the check below finds. */
static void list_fds(int before, int after)
{
	fprintf(stderr, "fuzz_fuse: %d fds open, %d before:\n", after, before);
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char path[300], target[4096];
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = 0;
		fprintf(stderr, "  %s -> %s\n", e->d_name, target);
	}
	if (d)
		closedir(d);
}

static unsigned char reply[REPLY_MAX];
/* MVM_FUZZ_VERBOSE=1: one line per reply, to see what a seed does. */
static bool verbose;

/* Sends one request; checks the reply against what the server promises. */
static void send_request(struct fuse_server *s, uint8_t ctl, uint8_t *req, size_t len)
{
	static const size_t chunks[] = {0, 1, 3, 8, 16, 40, 64, 4096};
	static const size_t caps[] = {REPLY_MAX, sizeof(struct fuse_out_header), 0, 100};
	struct fuse_in_header hdr = {0};
	if ((ctl & 8) && len >= sizeof(hdr)) {
		uint32_t l = (uint32_t)len;
		memcpy(req + offsetof(struct fuse_in_header, len), &l, sizeof(l));
	}
	if (len >= sizeof(hdr))
		memcpy(&hdr, req, sizeof(hdr));

	struct iovec in[MAX_IOVS];
	int n_in = 0;
	size_t chunk = chunks[ctl & 7] ? chunks[ctl & 7] : (len ? len : 1);
	for (size_t off = 0; off < len && n_in < MAX_IOVS; off += chunk)
		in[n_in++] = (struct iovec){req + off, len - off < chunk ? len - off : chunk};
	/* The reply space as a virtio-fs driver gives it: out header, rest. */
	size_t cap = caps[(ctl >> 4) & 3];
	struct iovec out[2];
	int n_out = 0;
	if (cap > 0) {
		size_t first = cap < 16 ? cap : 16;
		out[n_out++] = (struct iovec){reply, first};
		if (cap > first)
			out[n_out++] = (struct iovec){reply + first, cap - first};
	}
	ssize_t ret = fuse_server_handle(s, in, n_in, out, n_out);
	if (ret < 0) {
		FZ_CHECK(ret == -1 && cap < sizeof(struct fuse_out_header));
		return;
	}
	FZ_CHECK((size_t)ret <= cap);
	if (ret == 0)
		return;
	FZ_CHECK((size_t)ret >= sizeof(struct fuse_out_header));
	struct fuse_out_header oh;
	memcpy(&oh, reply, sizeof(oh));
	FZ_CHECK(oh.len == (uint32_t)ret);
	FZ_CHECK(oh.error <= 0 && oh.error > -4096);
	FZ_CHECK(oh.error == 0 || ret == sizeof(oh));
	FZ_CHECK(oh.unique == hdr.unique);
	if (verbose)
		fprintf(stderr, "fuzz_fuse: opcode %u nodeid %llu: error %d, %zd bytes\n",
			hdr.opcode, (unsigned long long)hdr.nodeid, oh.error, ret);
}

#define WINDOW (4 * FUSE_DAX_CHUNK)
static uint8_t *window;

/* Anonymous again, as the VMM makes it: a session's file mappings must not
 * outlive it in the next input. */
static void reset_window(void)
{
	void *p = mmap(window, WINDOW, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (window ? MAP_FIXED : 0), -1, 0);
	FZ_CHECK(p != MAP_FAILED);
	window = p;
}

static void check_window_readable(struct fuse_server *s)
{
	fuse_server_dax_repair(s);
	volatile uint8_t sum = 0;
	for (size_t i = 0; i < s->dax.n_chunks; i++) {
		if (s->dax.chunks[i].ino == NULL)
			continue;
		for (uint64_t off = 0; off < FUSE_DAX_CHUNK; off += 4096)
			sum += window[i * FUSE_DAX_CHUNK + off];
	}
	(void)sum;
}

static void send_init(struct fuse_server *s, bool dax)
{
	struct {
		struct fuse_in_header h;
		struct fuse_init_in in;
	} req = {.h = {.len = sizeof(req), .opcode = FUSE_INIT, .unique = 1},
		 .in = {.major = FUSE_KERNEL_VERSION,
			.minor = FUSE_KERNEL_MINOR_VERSION,
			.max_readahead = 65536,
			.flags = FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES}};
	if (dax) {
		req.in.flags |= FUSE_MAP_ALIGNMENT | FUSE_INIT_EXT;
		req.in.flags2 = (uint32_t)(FUSE_HAS_INODE_DAX >> 32);
	}
	send_request(s, 0, (uint8_t *)&req, sizeof(req));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (base[0] == '\0') {
		make_scratch();
		verbose = getenv("MVM_FUZZ_VERBOSE") != NULL;
	}
	populate_share();
	/* Counted for each input: between inputs libFuzzer may start the
	 * sanitizer's symbolizer (pipes to it) to print new coverage. */
	int fds_before = count_fds();
	struct fz f = {data, size};
	uint8_t flags = fz_u8(&f);
	bool dax = (flags & 8) != 0;
	if (dax)
		reset_window();
	struct fuse_server_opts o = {
	    .root_dir = share,
	    .read_only = (flags & 2) != 0,
	    .share_mode = (flags & 4) ? MVM_SHARE_VIRTUAL : MVM_SHARE_PASSTHROUGH,
	    .dax_window = dax ? window : NULL,
	    .dax_window_size = dax ? WINDOW : 0,
	};
	mvm_error *err = NULL;
	struct fuse_server *s = fuse_server_new(&o, &err);
	if (s == NULL && mvm_error_get_code(err) == MVM_ERR_UNSUPPORTED) {
		/* A scratch file system without user xattrs (tmpfs before
		 * Linux 6.6): the virtual mode cannot run there. */
		mvm_error_free(err);
		err = NULL;
		o.share_mode = MVM_SHARE_PASSTHROUGH;
		s = fuse_server_new(&o, &err);
	}
	FZ_CHECK(s != NULL);
	if (!(flags & 1))
		send_init(s, dax);
	static uint8_t req[65536];
	for (int i = 0; i < MAX_REQUESTS && !fz_empty(&f); i++) {
		uint8_t ctl = fz_u8(&f);
		size_t len;
		const uint8_t *p = fz_take(&f, fz_u16(&f), &len);
		memcpy(req, p, len); /* the server may not write into requests */
		send_request(s, ctl, req, len);
	}
	if (dax)
		check_window_readable(s);
	fuse_server_free(s);
	if (dax)
		reset_window();
	int fds_after = count_fds();
	if (fds_after != fds_before)
		list_fds(fds_before, fds_after);
	FZ_CHECK(fds_after == fds_before);
	/* Run as root, the server takes on the guest's ids per request; it
	 * must always give them back (setfsuid(-1) only reads). */
	FZ_CHECK(setfsuid((uid_t)-1) == (int)geteuid() && setfsgid((gid_t)-1) == (int)getegid());
	remove_tree(share);
	check_outside_intact();
	return 0;
}
