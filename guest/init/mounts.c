/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/mounts.h"

#include "guest/init/msg.h"
#include "guest/protocol.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>


int init_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(buf)) {
		errno = len ? ENAMETOOLONG : ENOENT;
		return -1;
	}
	memcpy(buf, path, len + 1);
	/* Create each prefix ending before a '/', then the whole path. */
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0) {
			int e = errno;
			struct stat st;
			/* EEXIST, or EROFS/EACCES on a dir that is already there. */
			if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode)) {
				errno = (e == EEXIST) ? ENOTDIR : e;
				return -1;
			}
		}
		buf[i] = saved;
	}
	return 0;
}

/* A mount point that the root must provide or let us create. */
static int ensure_mount_point(const char *path)
{
	if (init_mkdir_p(path, 0755) == 0)
		return 0;
	if (errno == EROFS)
		init_err("mount point %s is missing and the root is read-only: create %s in the root directory",
			 path, path);
	else
		init_err("mount point %s: %s", path, strerror(errno));
	return -1;
}

static int do_mount(const char *source, const char *target, const char *fstype, unsigned long flags,
		    const char *data)
{
	if (ensure_mount_point(target) < 0)
		return -1;
	init_debug("mount %s on %s type %s (%s)", source, target, fstype, data ? data : "");
	if (mount(source, target, fstype, flags, data) < 0) {
		init_err("mount %s on %s (%s): %s", source, target, fstype, strerror(errno));
		return -1;
	}
	return 0;
}

int init_mount_devtmpfs(const char *path)
{
	mkdir(path, 0755); /* the initramfs has it; mount reports a real problem */
	if (mount("devtmpfs", path, "devtmpfs", MS_NOSUID, "mode=0755") < 0 && errno != EBUSY)
		return -1;
	return 0;
}

/* Devices of the image shares, whose read-ahead is widened once sysfs is
 * there (they stay mounted in the hidden initramfs, under the overlay). */
static dev_t image_devs[2];
static size_t n_image_devs;

static void remember_dev(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0 && n_image_devs < 2)
		image_devs[n_image_devs++] = st.st_dev;
}

/* The image's layers (read-only, "0" the bottom) under the run's writable
 * layer, as overlayfs on INIT_NEWROOT. The guest kernel does the merging:
 * no copy of the image per run, and lookups the dcache answers never
 * reach the host. */
static int mount_image_root(uint32_t n_layers, bool tmpfs_upper)
{
	if (n_layers < 1 || n_layers > MVM_MAX_LAYERS)
		return -1;
	if (do_mount(MVM_LAYERS_TAG, INIT_LAYERS_DIR, "virtiofs", MS_RDONLY, NULL) < 0)
		return -1;
	remember_dev(INIT_LAYERS_DIR);
	if (tmpfs_upper) {
		if (do_mount("tmpfs", INIT_RW_DIR, "tmpfs", 0, "mode=0755") < 0 ||
		    mkdir(INIT_RW_DIR "/upper", 0755) < 0 || mkdir(INIT_RW_DIR "/work", 0755) < 0) {
			init_err("tmpfs writable layer: %s", strerror(errno));
			return -1;
		}
	} else {
		if (do_mount(MVM_RW_TAG, INIT_RW_DIR, "virtiofs", 0, NULL) < 0)
			return -1;
		remember_dev(INIT_RW_DIR);
	}
	/* 128 layers of "/mvm/l/NNN:" and the rest fit in a page. */
	char opts[4096];
	size_t used = (size_t)snprintf(opts, sizeof(opts), "lowerdir=");
	for (uint32_t i = n_layers; i-- > 0;)
		used += (size_t)snprintf(opts + used, sizeof(opts) - used, "%s/%u%s", INIT_LAYERS_DIR,
					 i, i ? ":" : "");
	/* OCI layers hold no redirects: not following them saves a
	 * GETXATTR round trip per directory and layer; new renames of
	 * directories copy up instead (EXDEV), as under docker. */
	snprintf(opts + used, sizeof(opts) - used,
		 ",upperdir=%s/upper,workdir=%s/work,redirect_dir=nofollow", INIT_RW_DIR, INIT_RW_DIR);
	return do_mount("overlay", INIT_NEWROOT, "overlay", 0, opts);
}

/* mkdir -p of path's parent directories. */
static int make_parents(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		int rc = mkdir(path, 0755);
		*p = '/';
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* MVM_CFG_FILE: each file's content goes into the initramfs, bound over
 * its path in the new root (made if missing), while both are in reach:
 * the move of the new root carries the binds along. */
static int place_files(const struct init_config *cfg)
{
	if (cfg->n_files == 0)
		return 0;
	if (mkdir(INIT_FILES_DIR, 0700) < 0 && errno != EEXIST) {
		init_err("%s: %s", INIT_FILES_DIR, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < cfg->n_files; i++) {
		const struct init_file *f = &cfg->files[i];
		char src[64], dst[PATH_MAX];
		snprintf(src, sizeof(src), "%s/%zu", INIT_FILES_DIR, i);
		if ((size_t)snprintf(dst, sizeof(dst), "%s%s", INIT_NEWROOT, f->path) >= sizeof(dst)) {
			init_err("file %s: path too long", f->path);
			return -1;
		}
		int fd = open(src, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		bool ok = fd >= 0 && write(fd, f->data, f->len) == (ssize_t)f->len &&
			  fchmod(fd, (mode_t)f->mode) == 0;
		if (fd >= 0)
			close(fd);
		/* An existing target is opened read-only: a read-only root
		 * (MVM_CFG_READONLY) refuses opening it for writing. */
		int target = ok ? open(dst, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY) : -1;
		if (ok && target < 0 && errno == ENOENT && make_parents(dst) == 0)
			target = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
		if (target >= 0)
			close(target);
		if (!ok || target < 0 || mount(src, dst, NULL, MS_BIND, NULL) < 0 ||
		    (f->readonly &&
		     mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)) {
			init_err("file %s: %s", f->path, strerror(errno));
			return -1;
		}
		init_debug("placed %s (%zu bytes)", f->path, f->len);
	}
	return 0;
}

/* MVM_CFG_TMPFS: mounted in the new root before the files, which may go
 * into one (a client's /run), and carried along by its move. */
static int mount_tmpfs(const struct init_config *cfg)
{
	static const struct {
		uint32_t mvm;
		unsigned long ms;
	} flags[] = {{MVM_TMPFS_NOSUID, MS_NOSUID},	  {MVM_TMPFS_NODEV, MS_NODEV},
		     {MVM_TMPFS_NOEXEC, MS_NOEXEC},	  {MVM_TMPFS_RDONLY, MS_RDONLY},
		     {MVM_TMPFS_NOATIME, MS_NOATIME},	  {MVM_TMPFS_STRICTATIME, MS_STRICTATIME},
		     {MVM_TMPFS_RELATIME, MS_RELATIME}, {MVM_TMPFS_NODIRATIME, MS_NODIRATIME}};
	for (size_t i = 0; i < cfg->n_tmpfs; i++) {
		const struct init_tmpfs *t = &cfg->tmpfs[i];
		char dst[PATH_MAX];
		if ((size_t)snprintf(dst, sizeof(dst), "%s%s", INIT_NEWROOT, t->path) >= sizeof(dst)) {
			init_err("tmpfs %s: path too long", t->path);
			return -1;
		}
		unsigned long ms = 0;
		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
			if (t->flags & flags[f].mvm)
				ms |= flags[f].ms;
		if (init_mkdir_p(dst, 0755) < 0 || mount("tmpfs", dst, "tmpfs", ms, t->data) < 0) {
			init_err("tmpfs on %s (%s): %s", t->path, t->data, strerror(errno));
			return -1;
		}
		init_debug("mount tmpfs on %s (%s)", t->path, t->data);
	}
	return 0;
}

int init_switch_root(const struct init_config *cfg)
{
	if (cfg->n_layers ? mount_image_root(cfg->n_layers, cfg->tmpfs_upper) < 0
			  : do_mount(MVM_ROOT_TAG, INIT_NEWROOT, "virtiofs", 0, NULL) < 0)
		return -1;
	if (mount_tmpfs(cfg) < 0 || place_files(cfg) < 0)
		return -1;
	/* The new root gets its own devtmpfs; init's console fds stay open. */
	if (umount2("/dev", MNT_DETACH) < 0)
		init_debug("umount initramfs /dev: %s", strerror(errno));
	if (chdir(INIT_NEWROOT) < 0 || mount(INIT_NEWROOT, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0) {
		init_err("switch root to %s: %s", INIT_NEWROOT, strerror(errno));
		return -1;
	}
	/* The initramfs files (init, config) stay in memory, hidden: about
	 * 100 KiB, not worth a recursive delete on every boot. */
	init_debug("switched root to %s", cfg->n_layers ? "the image's overlay" : MVM_ROOT_TAG);
	return 0;
}

/* True for a directory with at least one entry. */
static bool is_nonempty_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)))
		found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return found;
}

/* Links that devtmpfs lacks but programs expect (bash process
 * substitution, `cat /dev/stdin`). Best effort. */
static void make_dev_links(void)
{
	static const char *const links[][2] = {
		{"/proc/self/fd", "/dev/fd"},
		{"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"},
		{"/proc/self/fd/2", "/dev/stderr"},
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST)
			init_debug("symlink %s: %s", links[i][1], strerror(errno));
}

int init_mount_system(void)
{
	/* The root's own /tmp is used when it has content, as on a normal
	 * system. A missing /tmp gets a tmpfs (its mount point is created in
	 * the root). An empty /tmp gets one too: that is the mount point an
	 * earlier boot created, and treating it as the root's own would give
	 * the second boot a different /tmp than the first. A tmpfs over an
	 * empty directory hides nothing. */
	bool root_has_tmp = is_nonempty_dir("/tmp");
	if (do_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    do_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    do_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0 ||
	    do_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666,mode=0620,gid=5") < 0 ||
	    do_mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return -1;
	make_dev_links();
	if (!root_has_tmp && do_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return -1;
	/* What containers also expect; best effort: a kernel without POSIX
	 * message queues or cgroups still runs programs. */
	if (mkdir("/dev/mqueue", 0755) < 0 && errno != EEXIST)
		init_debug("mkdir /dev/mqueue: %s", strerror(errno));
	if (mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		init_debug("mount /dev/mqueue: %s", strerror(errno));
	if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		init_debug("mount /sys/fs/cgroup: %s", strerror(errno));
	return 0;
}

int init_apply_system(const struct init_config *cfg)
{
	if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0) {
		init_err("host name %s: %s", cfg->hostname, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < cfg->n_sysctls; i++) {
		const char *kv = cfg->sysctls[i], *eq = strchr(kv, '=');
		char path[PATH_MAX];
		int n = snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - kv), kv);
		if (n < 0 || (size_t)n >= sizeof(path))
			return -1;
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		size_t vlen = strlen(eq + 1);
		bool ok = fd >= 0 && write(fd, eq + 1, vlen) == (ssize_t)vlen;
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (!ok) {
			init_err("sysctl %.*s: %s", (int)(eq - kv), kv, strerror(e));
			return -1;
		}
	}
	return 0;
}

static int set_readahead_dev(const char *bdi_dir, dev_t dev, unsigned kib)
{
	char file[PATH_MAX];
	int n = snprintf(file, sizeof(file), "%s/%u:%u/read_ahead_kb", bdi_dir, major(dev),
			 minor(dev));
	if (n < 0 || (size_t)n >= sizeof(file)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	char val[16];
	n = snprintf(val, sizeof(val), "%u\n", kib);
	ssize_t w = write(fd, val, (size_t)n);
	int e = errno;
	close(fd);
	if (w != n) {
		errno = w < 0 ? e : EIO;
		return -1;
	}
	return 0;
}

int init_set_readahead(const char *bdi_dir, const char *path, unsigned kib)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	return set_readahead_dev(bdi_dir, st.st_dev, kib);
}

/* With the kernel's 128 KiB read-ahead a sequential read goes out as
 * 128 KiB requests, each paying a kick, an interrupt and two MMIO exits;
 * with 1 MiB (the VMM's max_pages) it takes an eighth of them: 64 MiB read
 * in 705 ms instead of 1685 in the QEMU-TCG harness (bench/fs.sh). Best
 * effort: a kernel without sysfs or bdi entries keeps its default. */
static void tune_readahead(const char *path)
{
	if (init_set_readahead(INIT_BDI_DIR, path, INIT_SHARE_READAHEAD_KIB) < 0)
		init_debug("read-ahead of %s: %s", path, strerror(errno));
}

int init_mount_shares(const struct init_config *cfg)
{
	if (n_image_devs == 0)
		tune_readahead("/");
	for (size_t i = 0; i < n_image_devs; i++)
		if (set_readahead_dev(INIT_BDI_DIR, image_devs[i], INIT_SHARE_READAHEAD_KIB) < 0)
			init_debug("read-ahead of an image share: %s", strerror(errno));
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		if (do_mount(cfg->mounts[i].tag, cfg->mounts[i].path, "virtiofs", 0, NULL) < 0)
			return -1;
		tune_readahead(cfg->mounts[i].path);
	}
	return 0;
}

int init_apply_read_only(const struct init_config *cfg)
{
	for (size_t i = 0; i < cfg->n_read_only; i++) {
		const char *p = cfg->read_only[i];
		if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
			init_err("remount %s read-only: %s", p, strerror(errno));
			return -1;
		}
		init_debug("%s is read-only", p);
	}
	return 0;
}
