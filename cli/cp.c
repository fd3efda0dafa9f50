/* SPDX-License-Identifier: Apache-2.0 */
/* `mvm cp`: files and trees in and out of a running sandbox, as tar streams
 * through the agent (docs/sandbox.md, "Copying"): the guest's own `tar`
 * packs or unpacks, the host side is libarchive. What comes out of a guest
 * is hostile: every entry must lie under the copied name, `..`, absolute
 * paths and writes through symlinks are refused (libarchive's SECURE
 * flags), and nothing gets its owner. */
#include "cli.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "NAME:PATH" with a sandbox name before the colon: splits it. */
static bool guest_side(const char *arg, char *name, size_t name_len, const char **path)
{
	const char *colon = strchr(arg, ':');
	if (colon == NULL || colon == arg || memchr(arg, '/', (size_t)(colon - arg)) != NULL ||
	    (size_t)(colon - arg) >= name_len)
		return false;
	memcpy(name, arg, (size_t)(colon - arg));
	name[colon - arg] = '\0';
	*path = colon + 1;
	return true;
}

/* Runs argv in the sandbox with in_fd/out_fd as its stdin/stdout; its
 * stderr is ours. Returns its status, or 125 after printing why. */
static int guest_run(const char *sock, const char *const *argv, size_t argc, int in_fd, int out_fd)
{
	mvm_exec_spec spec = {.argv = argv, .argc = argc};
	mvm_error *err = NULL;
	int status = EXIT_MVM_ERROR;
	mvm_exec *x = mvm_exec_start(sock, &spec, &err);
	if (x == NULL || mvm_exec_wait(x, in_fd, out_fd, STDERR_FILENO, &status, &err) < 0)
		cli_print_errors(err);
	mvm_error_free(err);
	mvm_exec_free(x);
	return status;
}

struct guest_job {
	const char *sock;
	const char *const *argv;
	size_t argc;
	int in_fd, out_fd;
	int status;
};

static void *guest_job_main(void *arg)
{
	struct guest_job *j = arg;
	j->status = guest_run(j->sock, j->argv, j->argc, j->in_fd, j->out_fd);
	/* Our end of the pipe: its close is the other side's end of file. */
	if (j->in_fd >= 0)
		close(j->in_fd);
	if (j->out_fd >= 0)
		close(j->out_fd);
	return NULL;
}

/* Starts `tar` in the guest on a thread, fed from (guest_writes: into)
 * a pipe whose other end it returns, or -1 after printing why. */
static int start_guest_tar(struct guest_job *j, pthread_t *t, bool guest_writes)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		cli_error("cp: pipe: %s", strerror(errno));
		return -1;
	}
	j->in_fd = guest_writes ? -1 : p[0];
	j->out_fd = guest_writes ? p[1] : -1;
	if (pthread_create(t, NULL, guest_job_main, j) != 0) {
		close(p[0]);
		close(p[1]);
		cli_error("cp: thread: %s", strerror(errno));
		return -1;
	}
	return guest_writes ? p[0] : p[1];
}

/* Closes our end of the pipe (the guest's end of file, or EPIPE for a
 * guest still writing), waits for the guest's `tar`, and makes the exit
 * status of the copy: rc is ours. */
static int finish_guest_tar(struct guest_job *j, pthread_t t, int host_fd, int rc)
{
	close(host_fd);
	pthread_join(t, NULL);
	if (rc == 0 && j->status != 0) {
		cli_error("cp: `tar` in the guest ended with status %d", j->status);
		rc = -1;
	}
	return rc == 0 ? EXIT_SUCCESS : EXIT_MVM_ERROR;
}

/* dirname() and basename() of path, without touching it. */
static void split_path(const char *path, char dir[PATH_MAX], char base[PATH_MAX])
{
	char copy[PATH_MAX];
	snprintf(copy, PATH_MAX, "%s", path);
	snprintf(dir, PATH_MAX, "%s", dirname(copy));
	snprintf(copy, PATH_MAX, "%s", path);
	snprintf(base, PATH_MAX, "%s", basename(copy));
}

static bool names_nothing(const char *base)
{
	return strcmp(base, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0;
}

/* ---- out of the guest ------------------------------------------------------ */

/* Entry `path` of the guest's archive of `base`, under `target` on the
 * host; false when it is not under base (a hostile guest). */
static bool map_path(const char *path, const char *base, const char *target, char *out, size_t len)
{
	if (strncmp(path, "./", 2) == 0)
		path += 2;
	size_t bl = strlen(base);
	if (strncmp(path, base, bl) != 0 || (path[bl] != '\0' && path[bl] != '/'))
		return false;
	int n = snprintf(out, len, "%s%s", target, path + bl);
	return n > 0 && (size_t)n < len;
}

static int extract(int fd, const char *base, const char *target)
{
	struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	archive_read_support_format_tar(in);
	archive_write_disk_set_options(
	    out, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		     ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	int rc = 0;
	size_t entries = 0;
	if (archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK) {
		cli_error("cp: the guest's archive: %s", archive_error_string(in));
		rc = -1;
	}
	struct archive_entry *e;
	while (rc == 0) {
		int r = archive_read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			cli_error("cp: the guest's archive: %s", archive_error_string(in));
			rc = -1;
			break;
		}
		char path[PATH_MAX], link[PATH_MAX];
		const char *name = archive_entry_pathname(e);
		const char *hard = archive_entry_hardlink(e);
		if (name == NULL || !map_path(name, base, target, path, sizeof(path)) ||
		    (hard && !map_path(hard, base, target, link, sizeof(link)))) {
			cli_error("cp: the guest's archive has `%s`, outside `%s`: refused",
				  name ? name : "(no name)", base);
			rc = -1;
			break;
		}
		/* Nothing of the guest's privileges lands on the host: no device
		 * nodes, no setuid, setgid or sticky bit, no owner. */
		mode_t type = archive_entry_filetype(e);
		if (type == AE_IFCHR || type == AE_IFBLK) {
			cli_error("cp: `%s` is a device node: refused", name);
			rc = -1;
			break;
		}
		archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
		archive_entry_set_pathname(e, path);
		if (hard)
			archive_entry_set_hardlink(e, link);
		if (archive_write_header(out, e) != ARCHIVE_OK) {
			cli_error("cp: %s: %s", path, archive_error_string(out));
			rc = -1;
			break;
		}
		entries++;
		const void *buf;
		size_t size;
		la_int64_t off;
		while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK) {
				r = ARCHIVE_FATAL;
				break;
			}
		if (r != ARCHIVE_EOF) {
			cli_error("cp: %s: %s", path, archive_error_string(out));
			rc = -1;
		}
	}
	if (archive_write_close(out) != ARCHIVE_OK && rc == 0) {
		cli_error("cp: %s", archive_error_string(out));
		rc = -1;
	}
	archive_write_free(out);
	archive_read_free(in);
	if (rc == 0 && entries == 0) {
		cli_error("cp: the guest sent nothing for `%s`", base);
		rc = -1;
	}
	return rc;
}

static int copy_out(const char *sock, const char *gpath, const char *dest)
{
	char gdir[PATH_MAX], base[PATH_MAX];
	split_path(gpath, gdir, base);
	if (names_nothing(base)) {
		cli_error("cp: `%s`: name a file or directory in the guest", gpath);
		return EXIT_MVM_ERROR;
	}
	/* Into DEST when it is a directory, else as DEST (docker cp's rule). */
	char target[PATH_MAX], member[PATH_MAX];
	struct stat st;
	bool into = stat(dest, &st) == 0 && S_ISDIR(st.st_mode);
	int tn =
	    snprintf(target, sizeof(target), "%s%s%s", dest, into ? "/" : "", into ? base : "");
	int mn = snprintf(member, sizeof(member), "./%s", base);
	if (tn < 0 || (size_t)tn >= sizeof(target) || mn < 0 || (size_t)mn >= sizeof(member)) {
		cli_error("cp: `%s`: path too long", dest);
		return EXIT_MVM_ERROR;
	}
	char tdir[PATH_MAX], tbase[PATH_MAX];
	split_path(target, tdir, tbase);
	if (stat(tdir, &st) < 0) {
		cli_error("cp: `%s`: %s", tdir, strerror(errno));
		return EXIT_MVM_ERROR;
	}
	const char *argv[] = {"tar", "-C", gdir, "-cf", "-", member};
	struct guest_job j = {.sock = sock, .argv = argv, .argc = 6};
	pthread_t t;
	int fd = start_guest_tar(&j, &t, true);
	if (fd < 0)
		return EXIT_MVM_ERROR;
	/* Relative names under the target's directory: libarchive's
	 * SECURE_NOABSOLUTEPATHS refuses absolute ones. */
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = -1;
	if (chdir(tdir) < 0)
		cli_error("cp: `%s`: %s", tdir, strerror(errno));
	else
		rc = extract(fd, member + 2, tbase);
	if (here >= 0) {
		if (fchdir(here) < 0)
			rc = -1;
		close(here);
	}
	return finish_guest_tar(&j, t, fd, rc);
}

/* ---- into the guest ---------------------------------------------------------- */

/* Packs src as `name` (its tree with it) into fd. */
static int pack(int fd, const char *src, const char *name)
{
	struct archive *w = archive_write_new();
	archive_write_set_format_pax_restricted(w);
	struct archive *disk = archive_read_disk_new();
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_standard_lookup(disk);
	int rc = 0;
	if (archive_write_open_fd(w, fd) != ARCHIVE_OK ||
	    archive_read_disk_open(disk, src) != ARCHIVE_OK) {
		cli_error("cp: %s: %s", src, archive_error_string(disk));
		rc = -1;
	}
	size_t sl = strlen(src);
	for (;;) {
		if (rc < 0)
			break;
		struct archive_entry *e = archive_entry_new();
		int r = archive_read_next_header2(disk, e);
		if (r == ARCHIVE_EOF) {
			archive_entry_free(e);
			break;
		}
		if (r < ARCHIVE_WARN) {
			cli_error("cp: %s: %s", src, archive_error_string(disk));
			archive_entry_free(e);
			rc = -1;
			break;
		}
		archive_read_disk_descend(disk);
		const char *path = archive_entry_sourcepath(e);
		char name_in[PATH_MAX];
		snprintf(name_in, sizeof(name_in), "%s%s", name, path + sl);
		archive_entry_set_pathname(e, name_in);
		/* The guest's users are not the host's. */
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_uname(e, "root");
		archive_entry_set_gname(e, "root");
		if (archive_write_header(w, e) != ARCHIVE_OK) {
			cli_error("cp: %s: %s", path, archive_error_string(w));
			rc = -1;
		} else if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
			int in = open(path, O_RDONLY | O_CLOEXEC);
			char buf[65536];
			ssize_t n;
			while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
				if (archive_write_data(w, buf, (size_t)n) != n) {
					rc = -1;
					break;
				}
			if (in < 0) {
				cli_error("cp: %s: %s", path, strerror(errno));
				rc = -1;
			} else {
				close(in);
			}
		}
		archive_entry_free(e);
	}
	archive_read_close(disk);
	archive_read_free(disk);
	if (archive_write_close(w) != ARCHIVE_OK && rc == 0)
		rc = -1;
	archive_write_free(w);
	return rc;
}

static int copy_in(const char *sock, const char *src_arg, const char *gpath)
{
	/* "dir/" packs as "dir". */
	char src[PATH_MAX];
	snprintf(src, sizeof(src), "%s", src_arg);
	for (size_t l = strlen(src); l > 1 && src[l - 1] == '/'; l--)
		src[l - 1] = '\0';
	struct stat st;
	if (lstat(src, &st) < 0) {
		cli_error("cp: `%s`: %s", src, strerror(errno));
		return EXIT_MVM_ERROR;
	}
	/* Into the guest's directory when gpath is one, else as gpath. */
	const char *probe[] = {"test", "-d", gpath};
	bool into = guest_run(sock, probe, 3, -1, -1) == 0;
	char gdir[PATH_MAX], name[PATH_MAX], sdir[PATH_MAX];
	if (into) {
		snprintf(gdir, sizeof(gdir), "%s", gpath);
		split_path(src, sdir, name);
	} else {
		split_path(gpath, gdir, name);
	}
	if (names_nothing(name)) {
		cli_error("cp: `%s`: name a file or directory", into ? src : gpath);
		return EXIT_MVM_ERROR;
	}
	const char *argv[] = {"tar", "-C", gdir, "-xf", "-"};
	struct guest_job j = {.sock = sock, .argv = argv, .argc = 5};
	pthread_t t;
	int fd = start_guest_tar(&j, &t, false);
	if (fd < 0)
		return EXIT_MVM_ERROR;
	return finish_guest_tar(&j, t, fd, pack(fd, src, name));
}

int cmd_cp(int argc, char **argv)
{
	if (argc == 2 && cli_is_help(argv[1])) {
		usage_cp(stdout);
		return EXIT_SUCCESS;
	}
	if (argc != 3) {
		cli_error("cp takes a source and a destination, one of them NAME:PATH (see `mvm cp "
			  "--help`)");
		return EXIT_MVM_ERROR;
	}
	char name[64], other[64], sock[4096];
	const char *gpath, *unused;
	bool from_guest = guest_side(argv[1], name, sizeof(name), &gpath);
	bool to_guest = guest_side(argv[2], from_guest ? other : name, sizeof(name),
				   from_guest ? &unused : &gpath);
	if (from_guest == to_guest) {
		cli_error("cp: exactly one of `%s` and `%s` must be NAME:PATH", argv[1], argv[2]);
		return EXIT_MVM_ERROR;
	}
	if (gpath[0] != '/') {
		cli_error("cp: `%s`: the guest path must be absolute", gpath);
		return EXIT_MVM_ERROR;
	}
	if (sandbox_socket(name, sock, sizeof(sock)) < 0)
		return EXIT_MVM_ERROR;
	return from_guest ? copy_out(sock, gpath, argv[2]) : copy_in(sock, argv[1], gpath);
}
