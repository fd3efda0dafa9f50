/* SPDX-License-Identifier: Apache-2.0 */
/* Layer unpacking (src/image/layer_unpack.c): what a layer holds arrives
 * in the virtual-ownership format, the real file server shows it to the
 * guest as the layer meant it, whiteouts take overlayfs's form, and no
 * crafted archive writes outside its directory. Archives are written here
 * with libarchive, as an image builder would. */
#include "test_fuse_harness.h"

#include "image/layer_unpack.h"
#include "util/override_stat.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

struct ent {
	const char *path;
	mode_t type;
	mode_t perm;
	int64_t uid, gid;
	const char *data;
	const char *symlink;
	const char *hardlink;
	unsigned maj, min;
	const char *xname;
	const char *xval;
	size_t xlen;
	int64_t mtime;
};

struct tarball {
	unsigned char *buf;
	size_t len;
};

static struct tarball make_tar(const struct ent *ents, size_t n, int filter)
{
	struct tarball t = {.buf = malloc(8 << 20)};
	assert_non_null(t.buf);
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
	if (filter)
		assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, t.buf, 8 << 20, &t.len), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		const struct ent *e = &ents[i];
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, e->path);
		archive_entry_set_uid(ae, e->uid);
		archive_entry_set_gid(ae, e->gid);
		archive_entry_set_mtime(ae, e->mtime ? e->mtime : 1700000000, 0);
		if (e->hardlink) {
			archive_entry_set_hardlink(ae, e->hardlink);
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_size(ae, 0);
		} else {
			archive_entry_set_filetype(ae, e->type ? e->type : AE_IFREG);
			archive_entry_set_perm(ae, e->perm ? e->perm : 0644);
		}
		if (e->symlink)
			archive_entry_set_symlink(ae, e->symlink);
		if (e->type == AE_IFCHR || e->type == AE_IFBLK) {
			archive_entry_set_rdevmajor(ae, e->maj);
			archive_entry_set_rdevminor(ae, e->min);
		}
		if (e->xname)
			archive_entry_xattr_add_entry(ae, e->xname, e->xval,
						      e->xlen ? e->xlen : strlen(e->xval));
		size_t dlen = e->data ? strlen(e->data) : 0;
		if (!e->hardlink && (e->type == 0 || e->type == AE_IFREG)) {
			archive_entry_set_size(ae, (int64_t)dlen);
		}
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (dlen)
			assert_int_equal(archive_write_data(a, e->data, dlen), (la_ssize_t)dlen);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return t;
}

/* Unpacks into f->root/sub (made here); returns the result and keeps the
 * error message, "" on success. */
static char msg[512];
static int unpack_into(struct fx *f, const char *sub, const struct tarball *t,
		       struct layer_unpack_stats *st)
{
	char p[256];
	fx_path(f, sub, p, sizeof(p));
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		fail_msg("mkdir %s", p);
	int dir = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dir >= 0);
	mvm_error *err = NULL;
	int rc = layer_unpack_mem(t->buf, t->len, dir, st, &err);
	close(dir);
	snprintf(msg, sizeof(msg), "%s", err ? mvm_error_get_message(err) : "");
	mvm_error_free(err);
	assert_true(rc == 0 || msg[0] != '\0');
	return rc;
}

static void override_of(struct fx *f, const char *rel, char *buf, size_t len)
{
	char p[256];
	fx_path(f, rel, p, sizeof(p));
	ssize_t n = lgetxattr(p, OVERRIDE_STAT_XATTR, buf, len - 1);
	buf[n < 0 ? 0 : n] = 0;
}

#define ASSERT_OVERRIDE(f, rel, want)                                                      \
	do {                                                                               \
		char _b[OVERRIDE_STAT_MAX + 1];                                            \
		override_of(f, rel, _b, sizeof(_b));                                       \
		if (strcmp(_b, want) != 0)                                                 \
			fail_msg("%s: override `%s`, want `%s`", rel, _b, want);           \
	} while (0)

static const char CAP[] = "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
			  "\x00\x00\x00\x00";

static const struct ent good[] = {
    {.path = "./", .type = AE_IFDIR, .perm = 0755},
    {.path = "etc/", .type = AE_IFDIR, .perm = 0755, .mtime = 1000},
    {.path = "etc/passwd", .data = "root:x:0:0::/root:/bin/sh\n", .mtime = 12345},
    {.path = "bin/su", .perm = 04755, .data = "su"},
    {.path = "bin/busybox", .perm = 0755, .data = "bb"},
    {.path = "bin/sh", .type = AE_IFLNK, .perm = 0777, .symlink = "busybox"},
    {.path = "bin/ash", .hardlink = "bin/busybox"},
    {.path = "dev/null", .type = AE_IFCHR, .perm = 0666, .maj = 1, .min = 3},
    {.path = "dev/sda", .type = AE_IFBLK, .perm = 0660, .gid = 6, .maj = 8, .min = 0},
    {.path = "run/fifo", .type = AE_IFIFO, .perm = 0600, .uid = 1000, .gid = 1000},
    {.path = "usr/bin/ping",
     .perm = 0755,
     .data = "ping",
     .xname = "security.capability",
     .xval = CAP,
     .xlen = sizeof(CAP) - 1},
    {.path = "home/alice/", .type = AE_IFDIR, .perm = 0700, .uid = 1234, .gid = 1234},
    {.path = "home/alice/.profile",
     .perm = 0600,
     .uid = 1234,
     .gid = 1234,
     .data = "PS1=$ ",
     .xname = "user.note",
     .xval = "hi"},
    {.path = "/abs/file", .data = "absolute paths are the layer's own"},
};

static void test_good_layer(void **state)
{
	struct fx *f = *state;
	struct tarball t = make_tar(good, sizeof(good) / sizeof(good[0]), 0);
	struct layer_unpack_stats st;
	assert_int_equal(unpack_into(f, ".", &t, &st), 0);
	free(t.buf);
	assert_int_equal(st.entries, sizeof(good) / sizeof(good[0]));

	/* The host side: all ours, nothing setuid, no special file. */
	static const char *all[] = {"etc",	    "etc/passwd", "bin",	 "bin/su",
				    "bin/busybox",  "bin/sh",	  "bin/ash",	 "dev/null",
				    "dev/sda",	    "run/fifo",	  "usr/bin/ping", "home/alice",
				    "home/alice/.profile", "abs/file"};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct stat hs;
		fx_host_stat(f, all[i], &hs);
		if (hs.st_uid != geteuid() || (hs.st_mode & 07000) ||
		    !(S_ISREG(hs.st_mode) || S_ISDIR(hs.st_mode)) || !(hs.st_mode & S_IRUSR))
			fail_msg("%s: host mode 0%o uid %u", all[i], (unsigned)hs.st_mode,
				 (unsigned)hs.st_uid);
	}
	/* The guest's view, in the xattr. */
	ASSERT_OVERRIDE(f, ".", "0:0:0755");
	ASSERT_OVERRIDE(f, "etc/passwd", "0:0:0644");
	ASSERT_OVERRIDE(f, "bin", "0:0:0755"); /* implicit parent */
	ASSERT_OVERRIDE(f, "bin/su", "0:0:04755");
	ASSERT_OVERRIDE(f, "bin/sh", "0:0:0777:symlink");
	ASSERT_OVERRIDE(f, "dev/null", "0:0:0666:char-1-3");
	ASSERT_OVERRIDE(f, "dev/sda", "0:6:0660:block-8-0");
	ASSERT_OVERRIDE(f, "run/fifo", "1000:1000:0600:pipe");
	ASSERT_OVERRIDE(f, "home/alice", "1234:1234:0700");
	struct stat a, b;
	fx_host_stat(f, "bin/ash", &a);
	fx_host_stat(f, "bin/busybox", &b);
	assert_int_equal(a.st_ino, b.st_ino);
	fx_host_stat(f, "etc/passwd", &a);
	assert_int_equal(a.st_mtim.tv_sec, 12345);
	assert_int_equal(a.st_size, strlen(good[2].data));
	fx_host_stat(f, "etc", &a);
	assert_int_equal(a.st_mtim.tv_sec, 1000); /* set after its children */
	char p[256], buf[64];
	fx_path(f, "usr/bin/ping", p, sizeof(p));
	assert_int_equal(getxattr(p, "user.mvm.security.capability", buf, sizeof(buf)),
			 sizeof(CAP) - 1);
	assert_memory_equal(buf, CAP, sizeof(CAP) - 1);
	assert_true(getxattr(p, "security.capability", buf, sizeof(buf)) < 0);
	fx_path(f, "home/alice/.profile", p, sizeof(p));
	assert_int_equal(getxattr(p, "user.note", buf, sizeof(buf)), 2);

	/* The guest's side, through the real server in the virtual mode. */
	struct fuse_entry_out bin, e;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "bin", &bin), 0);
	assert_int_equal(fx_lookup(f, bin.nodeid, "sh", &e), 0);
	assert_int_equal(e.attr.mode, S_IFLNK | 0777);
	fx_call(f, FUSE_READLINK, e.nodeid, NULL, 0, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);
	assert_int_equal(fx_r.body_len, strlen("busybox"));
	assert_memory_equal(fx_r.body, "busybox", fx_r.body_len);
	assert_int_equal(fx_lookup(f, bin.nodeid, "su", &e), 0);
	assert_int_equal(e.attr.mode, S_IFREG | 04755);
	assert_int_equal(e.attr.uid, 0);
	struct fuse_entry_out dev;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "dev", &dev), 0);
	assert_int_equal(fx_lookup(f, dev.nodeid, "null", &e), 0);
	assert_int_equal(e.attr.mode, S_IFCHR | 0666);
	assert_int_equal(e.attr.rdev, (1u << 8) | 3u);
	assert_int_equal(fx_lookup(f, dev.nodeid, "sda", &e), 0);
	assert_int_equal(e.attr.mode, S_IFBLK | 0660);
	assert_int_equal(e.attr.gid, 6);
}

static void test_whiteouts(void **state)
{
	struct fx *f = *state;
	static const struct ent lower_then_upper[] = {
	    {.path = "a/", .type = AE_IFDIR, .perm = 0755},
	    {.path = "a/.wh..wh..opq", .data = ""},
	    {.path = ".wh.gone", .data = ""},
	    {.path = "f", .data = "replaced by its whiteout"},
	    {.path = ".wh.f", .data = ""},
	    {.path = "d/", .type = AE_IFDIR, .perm = 0755},
	    {.path = "d/child", .data = "x"},
	    {.path = "d", .data = "a file where a directory was"},
	    {.path = ".wh..wh.plnk/", .type = AE_IFDIR, .perm = 0700},
	};
	struct tarball t = make_tar(lower_then_upper, sizeof(lower_then_upper) / sizeof(lower_then_upper[0]), 0);
	assert_int_equal(unpack_into(f, ".", &t, NULL), 0);
	free(t.buf);
	char p[256], buf[8];
	fx_path(f, "a", p, sizeof(p));
	assert_int_equal(getxattr(p, "user.mvm.trusted.overlay.opaque", buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'y');
	ASSERT_OVERRIDE(f, "gone", "0:0:00:char-0-0");
	ASSERT_OVERRIDE(f, "f", "0:0:00:char-0-0");
	assert_false(fx_host_exists(f, ".wh.gone"));
	assert_false(fx_host_exists(f, "a/.wh..wh..opq"));
	assert_false(fx_host_exists(f, ".wh..wh.plnk"));
	struct stat st;
	fx_host_stat(f, "d", &st);
	assert_true(S_ISREG(st.st_mode));
	/* What the guest's overlayfs checks: a 0:0 character device, and the
	 * opaque xattr in its trusted namespace. */
	struct fuse_entry_out e;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "gone", &e), 0);
	assert_int_equal(e.attr.mode & S_IFMT, S_IFCHR);
	assert_int_equal(e.attr.rdev, 0);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "a", &e), 0);
	struct fuse_getxattr_in in = {.size = 16};
	struct part parts[2] = {{&in, sizeof(in)}, PART_STR("trusted.overlay.opaque")};
	fx_call(f, FUSE_GETXATTR, e.nodeid, parts, 2, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);
	assert_int_equal(fx_r.body_len, 1);
	assert_int_equal(fx_r.body[0], 'y');
}

/* Each crafted layer alone, in a directory of its own: it fails (or, for
 * an absolute path, stays inside), and nothing appears outside. */
static void test_hostile(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *why;
		struct ent ents[2];
		size_t n;
		const char *error; /* NULL: must succeed */
	} cases[] = {
	    {"dot-dot", {{.path = "../outside/pwned", .data = "x"}}, 1, "`..`"},
	    {"deep dot-dot", {{.path = "a/b/../../../outside/pwned", .data = "x"}}, 1, "`..`"},
	    {"symlink then a file through it",
	     {{.path = "link", .type = AE_IFLNK, .perm = 0777, .symlink = "../../outside"},
	      {.path = "link/pwned", .data = "x"}},
	     2,
	     "not a directory"},
	    {"symlink to / then a file through it",
	     {{.path = "root", .type = AE_IFLNK, .perm = 0777, .symlink = "/"},
	      {.path = "root/tmp/pwned", .data = "x"}},
	     2,
	     "not a directory"},
	    {"hard link out", {{.path = "h", .hardlink = "../outside/secret"}}, 1, "`..`"},
	    {"hard link to an absolute path", {{.path = "h", .hardlink = "/etc/passwd"}}, 1,
	     "No such file"},
	    {"hard link through a symlink",
	     {{.path = "l", .type = AE_IFLNK, .perm = 0777, .symlink = "/etc"},
	      {.path = "h", .hardlink = "l/passwd"}},
	     2,
	     "not a directory"},
	    {"hard link to a directory",
	     {{.path = "d/", .type = AE_IFDIR, .perm = 0755}, {.path = "h", .hardlink = "d"}},
	     2,
	     "not a file"},
	    {"owner out of range", {{.path = "f", .uid = 1ll << 32, .data = "x"}}, 1,
	     "out of range"},
	    {"device number out of range",
	     {{.path = "c", .type = AE_IFCHR, .perm = 0600, .maj = 5000, .min = 1}},
	     1,
	     "out of range"},
	    {"a whiteout of dot-dot", {{.path = "a/.wh...", .data = ""}}, 1, "whiteout of nothing"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char sub[32];
		snprintf(sub, sizeof(sub), "case%zu", i);
		struct tarball t = make_tar(cases[i].ents, cases[i].n, 0);
		int rc = unpack_into(f, sub, &t, NULL);
		free(t.buf);
		if (cases[i].error == NULL ? rc != 0 : (rc == 0 || !strstr(msg, cases[i].error)))
			fail_msg("%s: rc %d, message `%s`, want `%s`", cases[i].why, rc, msg,
				 cases[i].error ? cases[i].error : "success");
		char p[256];
		snprintf(p, sizeof(p), "%s/pwned", f->outside);
		if (access(p, F_OK) == 0)
			fail_msg("%s: wrote %s", cases[i].why, p);
		fx_assert_secret_intact(f);
	}
	/* A symlink someone planted in the layer's directory is never
	 * followed, and the entry fails. */
	char p[256];
	assert_int_equal(mkdir(strcat(strcpy(p, f->root), "/planted"), 0700), 0);
	strcat(p, "/link");
	assert_int_equal(symlink(f->outside, p), 0);
	static const struct ent through_planted[] = {{.path = "link/pwned", .data = "x"}};
	struct tarball t = make_tar(through_planted, 1, 0);
	assert_int_not_equal(unpack_into(f, "planted", &t, NULL), 0);
	free(t.buf);
	snprintf(p, sizeof(p), "%s/pwned", f->outside);
	assert_int_not_equal(access(p, F_OK), 0);
}

/* One ustar header block for name, typeflag and size, checksum filled. */
static void ustar_header(unsigned char *h, const char *name, char type, size_t size)
{
	memset(h, 0, 512);
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011zo", size);
	snprintf((char *)h + 136, 12, "%011o", 1700000000);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

/* A pax record "LEN key=value\n", LEN counting itself. */
static size_t pax_record(char *out, const char *kv)
{
	size_t body = strlen(kv) + 2, len = body + 1;
	while (snprintf(NULL, 0, "%zu", len) + body != len)
		len++;
	return (size_t)sprintf(out, "%zu %s\n", len, kv);
}

/* A file of 1 TiB that holds 20 bytes at its end (GNU sparse 0.1 in pax,
 * written by hand: libarchive writes sparse entries only from a full
 * logical stream) stays sparse on the host. */
static void test_sparse(void **state)
{
	struct fx *f = *state;
	static const char data[] = "data at the very end";
	char recs[256];
	size_t n = pax_record(recs, "GNU.sparse.size=1099511627776");
	n += pax_record(recs + n, "GNU.sparse.numblocks=1");
	n += pax_record(recs + n, "GNU.sparse.map=1099511623680,20");
	struct tarball t = {.buf = calloc(1, 512 * 6)};
	assert_non_null(t.buf);
	ustar_header(t.buf, "PaxHeaders/huge", 'x', n);
	memcpy(t.buf + 512, recs, n);
	ustar_header(t.buf + 1024, "huge", '0', sizeof(data) - 1);
	memcpy(t.buf + 1536, data, sizeof(data) - 1);
	t.len = 512 * 6; /* and two zero blocks */
	int rc = unpack_into(f, "sparse", &t, NULL);
	free(t.buf);
	if (rc != 0)
		fail_msg("sparse: %s", msg);
	struct stat st;
	fx_host_stat(f, "sparse/huge", &st);
	assert_int_equal(st.st_size, 1ll << 40);
	assert_true(st.st_blocks * 512 < (1 << 20));
	char p[256], buf[32] = {0};
	fx_path(f, "sparse/huge", p, sizeof(p));
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, 20, (1ll << 40) - 4096), 20);
	assert_string_equal(buf, data);
	assert_int_equal(pread(fd, buf, 4, 4096), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	close(fd);
}

static void test_compressed(void **state)
{
	struct fx *f = *state;
	static const int filters[] = {ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_ZSTD, ARCHIVE_FILTER_XZ,
				      ARCHIVE_FILTER_BZIP2};
	static const struct ent small[] = {{.path = "etc/os-release", .data = "ID=mvm\n"}};
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		char sub[32], rel[64];
		snprintf(sub, sizeof(sub), "z%zu", i);
		struct tarball t = make_tar(small, 1, filters[i]);
		assert_int_equal(unpack_into(f, sub, &t, NULL), 0);
		free(t.buf);
		snprintf(rel, sizeof(rel), "%s/etc/os-release", sub);
		struct stat st;
		fx_host_stat(f, rel, &st);
		assert_int_equal(st.st_size, 7);
	}
}

/* Not a tar, a tar cut short, a gzip stream cut short: an error each. */
static void test_broken_archives(void **state)
{
	struct fx *f = *state;
	struct tarball junk = {.buf = (unsigned char *)strdup(
				   "this is not a tar archive, not even close to one......"),
			       .len = 54};
	assert_int_not_equal(unpack_into(f, "junk", &junk, NULL), 0);
	free(junk.buf);
	char big[20000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	const struct ent one[] = {{.path = "big", .data = big}};
	for (int filter = 0; filter <= ARCHIVE_FILTER_GZIP; filter += ARCHIVE_FILTER_GZIP) {
		struct tarball t = make_tar(one, 1, filter);
		t.len = filter ? t.len / 2 : 512 + 4096;
		char sub[32];
		snprintf(sub, sizeof(sub), "cut%d", filter);
		if (unpack_into(f, sub, &t, NULL) == 0)
			fail_msg("a layer cut at %zu bytes (filter %d) unpacked", t.len, filter);
		free(t.buf);
	}
}

static int setup(void **state)
{
	return fx_setup_mode(state, false, true, MVM_SHARE_VIRTUAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_good_layer, setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_whiteouts, setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_hostile, setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_sparse, setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_compressed, setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_broken_archives, setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
