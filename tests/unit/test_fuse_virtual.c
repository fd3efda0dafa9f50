/* SPDX-License-Identifier: Apache-2.0 */
/* The virtual-ownership share mode: what the guest sets about a file lives
 * in user.containers.override_stat, never in the host's own ownership,
 * mode bits or file types; the guest's xattrs stay out of the host's
 * namespaces. Requests go through the real server on a real directory. */
#include "test_fuse_harness.h"

#include "util/override_stat.h"

#include <dirent.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

static int setup_virtual(void **state)
{
	return fx_setup_mode(state, false, true, MVM_SHARE_VIRTUAL);
}

/* The host's override of rel, "" when there is none. */
static void host_override(const struct fx *f, const char *rel, char *buf, size_t len)
{
	char p[256];
	fx_path(f, rel, p, sizeof(p));
	ssize_t n = lgetxattr(p, OVERRIDE_STAT_XATTR, buf, len - 1);
	buf[n < 0 ? 0 : n] = 0;
}

static void host_set_override(const struct fx *f, const char *rel, const char *value)
{
	char p[256];
	fx_path(f, rel, p, sizeof(p));
	assert_int_equal(lsetxattr(p, OVERRIDE_STAT_XATTR, value, strlen(value), 0), 0);
}

static int mknod_as(struct fx *f, uint64_t parent, const char *name, uint32_t mode, uint32_t rdev,
		    uint32_t uid, uint32_t gid, struct fuse_entry_out *e)
{
	struct fuse_mknod_in in = {.mode = mode, .rdev = rdev};
	struct part p[2] = {{&in, sizeof(in)}, PART_STR(name)};
	fx_call_cap(f, FUSE_MKNOD, parent, uid, gid, p, 2, REPLY_CAP, &fx_r);
	if (fx_r.oh.error == 0 && e)
		memcpy(e, fx_r.body, sizeof(*e));
	return fx_r.oh.error;
}

static int mkdir_as(struct fx *f, uint64_t parent, const char *name, uint32_t mode, uint32_t uid,
		    uint32_t gid, struct fuse_entry_out *e)
{
	struct fuse_mkdir_in in = {.mode = mode};
	struct part p[2] = {{&in, sizeof(in)}, PART_STR(name)};
	fx_call_cap(f, FUSE_MKDIR, parent, uid, gid, p, 2, REPLY_CAP, &fx_r);
	if (fx_r.oh.error == 0 && e)
		memcpy(e, fx_r.body, sizeof(*e));
	return fx_r.oh.error;
}

/* Creates and closes a file as uid:gid; returns its nodeid. */
static uint64_t new_file(struct fx *f, const char *name, uint32_t mode, uint32_t uid, uint32_t gid)
{
	struct fuse_entry_out e;
	uint64_t fh;
	assert_int_equal(fx_create_as(f, FUSE_ROOT_ID, name, O_RDWR, mode, uid, gid, &e, &fh), 0);
	assert_int_equal(fx_release(f, FUSE_RELEASE, e.nodeid, fh), 0);
	return e.nodeid;
}

static void test_parse(void **state)
{
	(void)state;
	struct override_stat o;
	assert_int_equal(override_stat_parse("1000:100:0755", 13, &o), 0);
	assert_int_equal(o.uid, 1000);
	assert_int_equal(o.gid, 100);
	assert_int_equal(o.mode, 0755);
	assert_false(o.has_type);
	/* What containers/storage writes, with its NUL. */
	assert_int_equal(override_stat_parse("0:0:04755", 10, &o), 0);
	assert_int_equal(o.mode, 04755);
	/* libkrun's form: the type in the mode. */
	assert_int_equal(override_stat_parse("0:0:0100644", 11, &o), 0);
	assert_true(o.has_type);
	assert_int_equal(o.mode, S_IFREG | 0644);
	assert_int_equal(override_stat_parse("5:6:0620:char-4-64", 18, &o), 0);
	assert_int_equal(o.mode, S_IFCHR | 0620);
	assert_int_equal(major(o.rdev), 4);
	assert_int_equal(minor(o.rdev), 64);
	assert_int_equal(override_stat_parse("0:0:0660:block-4095-1048575", 27, &o), 0);
	assert_int_equal(o.mode, S_IFBLK | 0660);
	assert_int_equal(major(o.rdev), 4095);
	assert_int_equal(minor(o.rdev), 1048575);
	const char *types[] = {"file", "dir", "symlink", "pipe", "socket"};
	const mode_t want[] = {S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK};
	for (int i = 0; i < 5; i++) {
		char buf[64];
		int n = snprintf(buf, sizeof(buf), "1:2:0640:%s", types[i]);
		assert_int_equal(override_stat_parse(buf, (size_t)n, &o), 0);
		assert_int_equal(o.mode, want[i] | 0640);
	}
	/* Malformed: each must be refused, none may half-apply. */
	const char *bad[] = {
	    "",
	    "1:2",
	    "1:2:",
	    ":2:0755",
	    "1::0755",
	    "a:2:0755",
	    "1:2:0758",		     /* not octal */
	    "1:2:0755:",	     /* empty type */
	    "1:2:0755:files",	     /* unknown type */
	    "1:2:0755:char-1",	     /* no minor */
	    "1:2:0755:char-4096-0",  /* major too big */
	    "1:2:0755:char-1-1048576", /* minor too big */
	    "1:2:0755:char--1-1",
	    "1:2:0755:dir:x",
	    "-1:2:0755",
	    "+1:2:0755",
	    " 1:2:0755",
	    "1:2:0755 ",
	    "4294967295:0:0755",     /* (uid_t)-1 */
	    "99999999999:0:0755",
	    "0:0:0200000",	     /* beyond 0177777 */
	    "0:0:0170755",	     /* S_IFMT bits that are no type */
	    "0:0:0100644:dir",	     /* two different types */
	    "0:0:0755\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.uid = 77;
		if (override_stat_parse(bad[i], strlen(bad[i]), &o) == 0)
			fail_msg("accepted `%s`", bad[i]);
		assert_int_equal(o.uid, 77);
	}
	/* An embedded NUL, and a value as long as the buffer. */
	assert_int_equal(override_stat_parse("0:0\0:0755", 9, &o), -1);
	char longv[OVERRIDE_STAT_MAX + 8];
	memset(longv, '0', sizeof(longv));
	assert_int_equal(override_stat_parse(longv, sizeof(longv), &o), -1);
}

static void test_format_round_trip(void **state)
{
	(void)state;
	const struct override_stat cases[] = {
	    {.uid = 0, .gid = 0, .mode = 04755},
	    {.uid = 4294967294u, .gid = 4294967294u, .mode = 07777},
	    {.uid = 1, .gid = 2, .mode = S_IFCHR | 0666, .has_type = true, .rdev = makedev(1, 3)},
	    {.uid = 1, .gid = 2, .mode = S_IFBLK | 0600, .has_type = true,
	     .rdev = makedev(4095, 1048575)},
	    {.uid = 3, .gid = 4, .mode = S_IFIFO | 0644, .has_type = true},
	    {.uid = 3, .gid = 4, .mode = S_IFSOCK | 0755, .has_type = true},
	    {.uid = 3, .gid = 4, .mode = S_IFDIR | 01777, .has_type = true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[OVERRIDE_STAT_MAX];
		size_t n = override_stat_format(&cases[i], buf);
		assert_int_equal(n, strlen(buf));
		struct override_stat o;
		if (override_stat_parse(buf, n, &o) != 0)
			fail_msg("cannot parse our own `%s`", buf);
		assert_int_equal(o.uid, cases[i].uid);
		assert_int_equal(o.gid, cases[i].gid);
		assert_int_equal(o.mode, cases[i].mode);
		assert_int_equal(o.has_type, cases[i].has_type);
		assert_int_equal(o.rdev, cases[i].rdev);
	}
	char buf[OVERRIDE_STAT_MAX];
	struct override_stat plain = {.uid = 1000, .gid = 100, .mode = 0755};
	override_stat_format(&plain, buf);
	assert_string_equal(buf, "1000:100:0755");
}

/* A file the guest's user 1234 creates setuid: the guest sees it so, the
 * host sees a plain file of ours. */
static void test_create_setuid(void **state)
{
	struct fx *f = *state;
	struct fuse_entry_out e;
	uint64_t fh;
	assert_int_equal(fx_create_as(f, FUSE_ROOT_ID, "suid", O_RDWR, 04755, 1234, 5678, &e, &fh),
			 0);
	assert_int_equal(e.attr.uid, 1234);
	assert_int_equal(e.attr.gid, 5678);
	assert_int_equal(e.attr.mode, S_IFREG | 04755);
	struct stat st;
	fx_host_stat(f, "suid", &st);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_gid, getegid());
	assert_int_equal(st.st_mode & 07000, 0);
	assert_int_equal(st.st_mode & 0700, 0700);
	char v[64];
	host_override(f, "suid", v, sizeof(v));
	assert_string_equal(v, "1234:5678:04755");
	/* Writes go through the VMM's own access to the host file. */
	assert_int_equal(fx_write(f, e.nodeid, fh, 0, "x", 1, NULL), 0);
	assert_int_equal(fx_release(f, FUSE_RELEASE, e.nodeid, fh), 0);
	struct fuse_attr a;
	assert_int_equal(fx_getattr(f, e.nodeid, &a), 0);
	assert_int_equal(a.uid, 1234);
	assert_int_equal(a.mode, S_IFREG | 04755);
	assert_int_equal(a.size, 1);
}

static void test_chown_chmod(void **state)
{
	struct fx *f = *state;
	struct fuse_entry_out e = {.nodeid = new_file(f, "file", 0644, 0, 0)};
	struct fuse_setattr_in in = {
	    .valid = FATTR_UID | FATTR_GID | FATTR_MODE, .uid = 0, .gid = 42, .mode = 06711};
	struct fuse_attr a;
	assert_int_equal(fx_setattr(f, e.nodeid, &in, &a), 0);
	assert_int_equal(a.uid, 0);
	assert_int_equal(a.gid, 42);
	assert_int_equal(a.mode, S_IFREG | 06711);
	struct stat st;
	fx_host_stat(f, "file", &st);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_mode & 07000, 0);
	/* The host keeps what the VMM needs to read and write it. */
	assert_int_equal(st.st_mode & 0600, 0600);
	char v[64];
	host_override(f, "file", v, sizeof(v));
	assert_string_equal(v, "0:42:06711");
	/* chown alone keeps the mode; chmod alone keeps the owner. */
	in = (struct fuse_setattr_in){.valid = FATTR_UID, .uid = 7};
	assert_int_equal(fx_setattr(f, e.nodeid, &in, &a), 0);
	assert_int_equal(a.uid, 7);
	assert_int_equal(a.gid, 42);
	assert_int_equal(a.mode, S_IFREG | 06711);
	in = (struct fuse_setattr_in){.valid = FATTR_MODE, .mode = 0};
	assert_int_equal(fx_setattr(f, e.nodeid, &in, &a), 0);
	assert_int_equal(a.uid, 7);
	assert_int_equal(a.mode, S_IFREG);
	fx_host_stat(f, "file", &st);
	assert_int_equal(st.st_mode & 0600, 0600);
	/* (uid_t)-1 is "no change" in chown(2), never an owner. */
	in = (struct fuse_setattr_in){.valid = FATTR_UID, .uid = UINT32_MAX};
	assert_int_equal(fx_setattr(f, e.nodeid, &in, NULL), -EINVAL);
}

/* Devices, FIFOs and sockets are regular host files; the guest sees the
 * type and device number it asked for. */
static void test_special_files(void **state)
{
	struct fx *f = *state;
	const struct {
		const char *name;
		uint32_t mode;
		uint32_t rdev; /* new_encode_dev() */
		const char *xattr;
	} cases[] = {
	    {"null", S_IFCHR | 0666, (1 << 8) | 3, "0:0:0666:char-1-3"},
	    {"sda", S_IFBLK | 0660, (8 << 8) | 0, "0:6:0660:block-8-0"},
	    /* minor 300 needs the split encoding: (300 & 0xff) | ((300 & ~0xff) << 12) */
	    {"big", S_IFCHR | 0600, (4 << 8) | (300 & 0xff) | ((300 & ~0xffu) << 12),
	     "0:6:0600:char-4-300"},
	    {"fifo", S_IFIFO | 0644, 0, "0:6:0644:pipe"},
	    {"sock", S_IFSOCK | 0755, 0, "0:6:0755:socket"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fuse_entry_out e;
		uint32_t gid = i == 0 ? 0 : 6;
		assert_int_equal(mknod_as(f, FUSE_ROOT_ID, cases[i].name, cases[i].mode,
					  cases[i].rdev, 0, gid, &e),
				 0);
		assert_int_equal(e.attr.mode, cases[i].mode);
		assert_int_equal(e.attr.rdev, cases[i].rdev);
		assert_int_equal(e.attr.gid, gid);
		struct stat st;
		fx_host_stat(f, cases[i].name, &st);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_rdev, 0);
		assert_int_equal(st.st_uid, geteuid());
		char v[64];
		host_override(f, cases[i].name, v, sizeof(v));
		assert_string_equal(v, cases[i].xattr);
		struct fuse_attr a;
		assert_int_equal(fx_getattr(f, e.nodeid, &a), 0);
		assert_int_equal(a.mode, cases[i].mode);
		assert_int_equal(a.rdev, cases[i].rdev);
	}
}

/* READDIRPLUS gives the guest's type; plain READDIR does not know it
 * without a lookup and says so (DT_UNKNOWN) rather than DT_REG. */
static void test_readdir_types(void **state)
{
	struct fx *f = *state;
	assert_int_equal(mknod_as(f, FUSE_ROOT_ID, "dev", S_IFCHR | 0600, (1 << 8) | 5, 0, 0, NULL),
			 0);
	assert_int_equal(mkdir_as(f, FUSE_ROOT_ID, "dir", 0755, 0, 0, NULL), 0);
	for (int plus = 0; plus < 2; plus++) {
		uint64_t fh;
		assert_int_equal(fx_open(f, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &fh), 0);
		long n = fx_read(f, plus ? FUSE_READDIRPLUS : FUSE_READDIR, FUSE_ROOT_ID, fh, 0,
				 4096);
		assert_true(n > 0);
		int seen = 0;
		for (size_t pos = 0; pos < (size_t)n;) {
			if (plus)
				pos += sizeof(struct fuse_entry_out);
			struct fuse_dirent d;
			memcpy(&d, fx_r.body + pos, sizeof(d));
			char name[NAME_MAX + 1];
			memcpy(name, fx_r.body + pos + FUSE_NAME_OFFSET, d.namelen);
			name[d.namelen] = 0;
			if (strcmp(name, "dev") == 0) {
				assert_int_equal(d.type, plus ? DT_CHR : DT_UNKNOWN);
				seen++;
			} else if (strcmp(name, "dir") == 0) {
				assert_int_equal(d.type, DT_DIR);
				seen++;
			}
			pos += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + d.namelen);
		}
		assert_int_equal(seen, 2);
		assert_int_equal(fx_release(f, FUSE_RELEASEDIR, FUSE_ROOT_ID, fh), 0);
	}
}

/* A setgid directory hands on its group, and its bit to subdirectories. */
static void test_setgid_dir(void **state)
{
	struct fx *f = *state;
	struct fuse_entry_out d, sub, file;
	assert_int_equal(mkdir_as(f, FUSE_ROOT_ID, "shared", 02775, 1000, 1000, &d), 0);
	assert_int_equal(d.attr.mode, S_IFDIR | 02775);
	assert_int_equal(mkdir_as(f, d.nodeid, "sub", 0755, 2000, 3000, &sub), 0);
	assert_int_equal(sub.attr.uid, 2000);
	assert_int_equal(sub.attr.gid, 1000);
	assert_int_equal(sub.attr.mode, S_IFDIR | 02755);
	uint64_t fh;
	assert_int_equal(fx_create_as(f, d.nodeid, "f", O_RDWR, 0644, 2000, 3000, &file, &fh), 0);
	assert_int_equal(file.attr.gid, 1000);
	assert_int_equal(file.attr.mode, S_IFREG | 0644);
	assert_int_equal(fx_release(f, FUSE_RELEASE, file.nodeid, fh), 0);
	struct stat st;
	fx_host_stat(f, "shared/sub", &st);
	assert_int_equal(st.st_mode & 07000, 0);
}

/* Files made on the host show their real owner; a malformed override is
 * ignored rather than half-applied; a type never turns a host directory
 * into something else. */
static void test_host_files(void **state)
{
	struct fx *f = *state;
	fx_write_host(f, "plain", "x");
	struct fuse_entry_out e;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "plain", &e), 0);
	assert_int_equal(e.attr.uid, geteuid());
	assert_int_equal(e.attr.mode & 07777, 0644);
	fx_write_host(f, "bad", "x");
	host_set_override(f, "bad", "0:0:04755:char-x");
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "bad", &e), 0);
	assert_int_equal(e.attr.uid, geteuid());
	assert_int_equal(e.attr.mode, S_IFREG | 0644);
	char p[256];
	fx_path(f, "hostdir", p, sizeof(p));
	assert_int_equal(mkdir(p, 0700), 0);
	host_set_override(f, "hostdir", "5:5:0755:char-1-3");
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "hostdir", &e), 0);
	assert_int_equal(e.attr.mode, S_IFDIR | 0755);
	assert_int_equal(e.attr.uid, 5);
	/* podman's three-field form is read as it is. */
	fx_write_host(f, "podman", "x");
	host_set_override(f, "podman", "0:0:0755");
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "podman", &e), 0);
	assert_int_equal(e.attr.uid, 0);
	assert_int_equal(e.attr.mode, S_IFREG | 0755);
}

static int xattr_call(struct fx *f, uint32_t opcode, uint64_t nodeid, const char *name,
		      const char *value)
{
	if (opcode == FUSE_SETXATTR) {
		struct fuse_setxattr_in in = {.size = (uint32_t)strlen(value)};
		struct part p[3] = {{&in, FUSE_COMPAT_SETXATTR_IN_SIZE}, PART_STR(name),
				    {value, strlen(value)}};
		fx_call(f, opcode, nodeid, p, 3, &fx_r);
	} else if (opcode == FUSE_GETXATTR) {
		struct fuse_getxattr_in in = {.size = 1024};
		struct part p[2] = {{&in, sizeof(in)}, PART_STR(name)};
		fx_call(f, opcode, nodeid, p, 2, &fx_r);
	} else if (opcode == FUSE_LISTXATTR) {
		struct fuse_getxattr_in in = {.size = 4096};
		struct part p = {&in, sizeof(in)};
		fx_call(f, opcode, nodeid, &p, 1, &fx_r);
	} else {
		struct part p = PART_STR(name);
		fx_call(f, opcode, nodeid, &p, 1, &fx_r);
	}
	return fx_r.oh.error;
}

static bool listed(const char *name)
{
	for (size_t pos = 0; pos < fx_r.body_len; pos += strlen((char *)fx_r.body + pos) + 1)
		if (strcmp((char *)fx_r.body + pos, name) == 0)
			return true;
	return false;
}

static void test_xattr_namespaces(void **state)
{
	struct fx *f = *state;
	struct fuse_entry_out e = {.nodeid = new_file(f, "bin", 0755, 0, 0)};
	char p[256], v[64];
	fx_path(f, "bin", p, sizeof(p));
	/* A file capability reaches the host only under our prefix. */
	assert_int_equal(xattr_call(f, FUSE_SETXATTR, e.nodeid, "security.capability", "CAP"), 0);
	assert_int_equal(lgetxattr(p, "security.capability", v, sizeof(v)), -1);
	ssize_t n = lgetxattr(p, "user.mvm.security.capability", v, sizeof(v));
	assert_int_equal(n, 3);
	assert_int_equal(xattr_call(f, FUSE_GETXATTR, e.nodeid, "security.capability", NULL), 0);
	assert_int_equal(fx_r.body_len, 3);
	assert_memory_equal(fx_r.body, "CAP", 3);
	assert_int_equal(xattr_call(f, FUSE_SETXATTR, e.nodeid, "trusted.x", "T"), 0);
	assert_true(lgetxattr(p, "user.mvm.trusted.x", v, sizeof(v)) == 1);
	/* The guest cannot forge its own ownership through the override... */
	assert_int_equal(
	    xattr_call(f, FUSE_SETXATTR, e.nodeid, "user.containers.override_stat", "0:0:04777"), 0);
	struct fuse_attr a;
	assert_int_equal(fx_getattr(f, e.nodeid, &a), 0);
	assert_int_equal(a.mode, S_IFREG | 0755);
	host_override(f, "bin", v, sizeof(v));
	assert_string_equal(v, "0:0:0755");
	/* ...but gets back what it stored under that name. */
	assert_int_equal(
	    xattr_call(f, FUSE_GETXATTR, e.nodeid, "user.containers.override_stat", NULL), 0);
	assert_int_equal(fx_r.body_len, 9);
	assert_memory_equal(fx_r.body, "0:0:04777", 9);
	assert_int_equal(xattr_call(f, FUSE_SETXATTR, e.nodeid, "user.plain", "u"), 0);
	assert_true(lgetxattr(p, "user.plain", v, sizeof(v)) == 1);
	/* The list is the guest's: its names, not ours, not the host's. */
	assert_int_equal(xattr_call(f, FUSE_LISTXATTR, e.nodeid, NULL, NULL), 0);
	assert_true(listed("security.capability"));
	assert_true(listed("trusted.x"));
	assert_true(listed("user.plain"));
	assert_true(listed("user.containers.override_stat"));
	assert_false(listed("user.mvm.security.capability"));
	size_t overrides = 0;
	for (size_t pos = 0; pos < fx_r.body_len; pos += strlen((char *)fx_r.body + pos) + 1)
		overrides += strcmp((char *)fx_r.body + pos, "user.containers.override_stat") == 0;
	assert_int_equal(overrides, 1); /* the guest's, not the real one */
	assert_int_equal(xattr_call(f, FUSE_REMOVEXATTR, e.nodeid, "security.capability", NULL),
			 0);
	assert_int_equal(lgetxattr(p, "user.mvm.security.capability", v, sizeof(v)), -1);
	/* POSIX ACLs would be the host's: refused. */
	assert_int_equal(xattr_call(f, FUSE_SETXATTR, e.nodeid, "system.posix_acl_access", "A"),
			 -EOPNOTSUPP);
}

/* In passthrough the override and our prefix are out of the guest's
 * reach too: a later virtual-ownership run would believe them. */
static void test_passthrough_reserved_names(void **state)
{
	struct fx *f = *state;
	fx_write_host(f, "file", "x");
	host_set_override(f, "file", "0:0:0644");
	struct fuse_entry_out e;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "file", &e), 0);
	assert_int_equal(e.attr.uid, geteuid()); /* ignored in passthrough */
	assert_int_equal(
	    xattr_call(f, FUSE_SETXATTR, e.nodeid, "user.containers.override_stat", "0:0:04755"),
	    -EPERM);
	assert_int_equal(xattr_call(f, FUSE_SETXATTR, e.nodeid, "user.mvm.x", "1"), -EPERM);
	assert_int_equal(
	    xattr_call(f, FUSE_GETXATTR, e.nodeid, "user.containers.override_stat", NULL),
	    -ENODATA);
	assert_int_equal(
	    xattr_call(f, FUSE_REMOVEXATTR, e.nodeid, "user.containers.override_stat", NULL),
	    -EPERM);
	assert_int_equal(xattr_call(f, FUSE_SETXATTR, e.nodeid, "user.ok", "1"), 0);
	assert_int_equal(xattr_call(f, FUSE_LISTXATTR, e.nodeid, NULL, NULL), 0);
	assert_true(listed("user.ok"));
	assert_false(listed("user.containers.override_stat"));
	char v[64];
	host_override(f, "file", v, sizeof(v));
	assert_string_equal(v, "0:0:0644");
}

/* What the guest set survives a new server on the same directory (a
 * restart of the VM). */
static void test_survives_restart(void **state)
{
	struct fx *f = *state;
	assert_int_equal(mknod_as(f, FUSE_ROOT_ID, "tty", S_IFCHR | 0620, (4 << 8) | 1, 0, 5, NULL),
			 0);
	assert_int_equal(mkdir_as(f, FUSE_ROOT_ID, "home", 0700, 1000, 1000, NULL), 0);
	fuse_server_free(f->s);
	struct fuse_server_opts o = {.root_dir = f->root, .share_mode = MVM_SHARE_VIRTUAL};
	mvm_error *err = NULL;
	f->s = fuse_server_new(&o, &err);
	assert_non_null(f->s);
	fx_raw_init(f, 7, 38, FUSE_DO_READDIRPLUS, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);
	struct fuse_entry_out e;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "tty", &e), 0);
	assert_int_equal(e.attr.mode, S_IFCHR | 0620);
	assert_int_equal(e.attr.gid, 5);
	assert_int_equal(e.attr.rdev, (4 << 8) | 1);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "home", &e), 0);
	assert_int_equal(e.attr.uid, 1000);
	assert_int_equal(e.attr.mode, S_IFDIR | 0700);
}

/* A guest symlink is a regular host file holding the target, typed
 * "symlink" in its override: it has an owner the guest can change, and the
 * host gets no symlink. */
static void test_symlinks(void **state)
{
	struct fx *f = *state;
	struct part p[2] = {PART_STR("link"), PART_STR("../etc/passwd")};
	fx_call_cap(f, FUSE_SYMLINK, FUSE_ROOT_ID, 1000, 100, p, 2, REPLY_CAP, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);
	struct fuse_entry_out e;
	memcpy(&e, fx_r.body, sizeof(e));
	assert_int_equal(e.attr.mode, S_IFLNK | 0777);
	assert_int_equal(e.attr.uid, 1000);
	assert_int_equal(e.attr.gid, 100);
	assert_int_equal(e.attr.size, strlen("../etc/passwd"));
	fx_call(f, FUSE_READLINK, e.nodeid, NULL, 0, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);
	assert_int_equal(fx_r.body_len, strlen("../etc/passwd"));
	assert_memory_equal(fx_r.body, "../etc/passwd", fx_r.body_len);
	/* On the host: a private regular file. */
	struct stat st;
	fx_host_stat(f, "link", &st);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	char v[OVERRIDE_STAT_MAX];
	host_override(f, "link", v, sizeof(v));
	assert_string_equal(v, "1000:100:0777:symlink");

	/* lchown changes the guest's owner and keeps the type. */
	struct fuse_setattr_in in = {.valid = FATTR_UID | FATTR_GID, .uid = 5, .gid = 6};
	assert_int_equal(fx_setattr(f, e.nodeid, &in, NULL), 0);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "link", &e), 0);
	assert_int_equal(e.attr.mode, S_IFLNK | 0777);
	assert_int_equal(e.attr.uid, 5);
	assert_int_equal(e.attr.gid, 6);
	fx_call(f, FUSE_READLINK, e.nodeid, NULL, 0, &fx_r);
	assert_int_equal(fx_r.body_len, strlen("../etc/passwd"));

	/* An existing name is not replaced, nor removed by the failure. */
	struct part again[2] = {PART_STR("link"), PART_STR("other")};
	fx_call_cap(f, FUSE_SYMLINK, FUSE_ROOT_ID, 1000, 100, again, 2, REPLY_CAP, &fx_r);
	assert_int_equal(fx_r.oh.error, -EEXIST);
	fx_call(f, FUSE_READLINK, e.nodeid, NULL, 0, &fx_r);
	assert_memory_equal(fx_r.body, "../etc/passwd", fx_r.body_len);

	/* A regular file is no symlink; one whose content is too long for a
	 * target is refused. */
	struct fuse_entry_out plain = {.nodeid = new_file(f, "plain", 0644, 0, 0)};
	fx_call(f, FUSE_READLINK, plain.nodeid, NULL, 0, &fx_r);
	assert_int_equal(fx_r.oh.error, -EINVAL);
	char big[PATH_MAX + 10];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	fx_write_host(f, "plain", big);
	host_set_override(f, "plain", "0:0:0777:symlink");
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "plain", &plain), 0);
	assert_int_equal(plain.attr.mode, S_IFLNK | 0777);
	fx_call(f, FUSE_READLINK, plain.nodeid, NULL, 0, &fx_r);
	assert_int_equal(fx_r.oh.error, -ENAMETOOLONG);

	/* A symlink made on the host cannot hold an override: it keeps the
	 * host's owner, and lchown succeeds without effect rather than
	 * failing tar or cp -a. */
	char hp[256];
	fx_path(f, "hostlink", hp, sizeof(hp));
	assert_int_equal(symlink("target", hp), 0);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "hostlink", &e), 0);
	assert_true(S_ISLNK(e.attr.mode));
	assert_int_equal(e.attr.uid, geteuid());
	assert_int_equal(fx_setattr(f, e.nodeid, &in, NULL), 0);
	fx_host_stat(f, "hostlink", &st);
	assert_int_equal(st.st_uid, geteuid());
	fx_call(f, FUSE_READLINK, e.nodeid, NULL, 0, &fx_r);
	assert_memory_equal(fx_r.body, "target", fx_r.body_len);
}

/* ACCESS follows the guest's view, not the host's. */
static void test_access(void **state)
{
	struct fx *f = *state;
	struct fuse_entry_out e = {.nodeid = new_file(f, "mine", 0640, 1000, 100)};
	const struct {
		uint32_t uid, gid, mask;
		int want;
	} cases[] = {
	    {1000, 1, R_OK | W_OK, 0}, {1000, 1, X_OK, -EACCES}, {2000, 100, R_OK, 0},
	    {2000, 100, W_OK, -EACCES}, {2000, 200, R_OK, -EACCES}, {0, 0, R_OK | W_OK, 0},
	    {0, 0, X_OK, -EACCES},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fuse_access_in in = {.mask = cases[i].mask};
		struct part p = {&in, sizeof(in)};
		fx_call_cap(f, FUSE_ACCESS, e.nodeid, cases[i].uid, cases[i].gid, &p, 1, REPLY_CAP,
			    &fx_r);
		if (fx_r.oh.error != cases[i].want)
			fail_msg("case %zu: uid %u gid %u mask %u: %d, want %d", i, cases[i].uid,
				 cases[i].gid, cases[i].mask, fx_r.oh.error, cases[i].want);
	}
}

/* RENAME_WHITEOUT, as a guest overlayfs upper layer uses it: the old name
 * becomes a character device 0:0 in the guest's view and a plain file of
 * ours on the host; a failed rename leaves no whiteout behind. */
static void test_rename_whiteout(void **state)
{
	struct fx *f = *state;
	fx_write_host(f, "a", "A");
	struct fuse_rename2_in r2 = {.newdir = FUSE_ROOT_ID, .flags = RENAME_WHITEOUT};
	struct part q[3] = {{&r2, sizeof(r2)}, PART_STR("a"), PART_STR("b")};
	fx_call(f, FUSE_RENAME2, FUSE_ROOT_ID, q, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);
	struct fuse_entry_out e;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "a", &e), 0);
	assert_int_equal(e.attr.mode & S_IFMT, S_IFCHR);
	assert_int_equal(e.attr.rdev, 0);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "b", &e), 0);
	assert_int_equal(e.attr.mode & S_IFMT, S_IFREG);
	assert_int_equal(e.attr.size, 1);
	struct stat st;
	fx_host_stat(f, "a", &st);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 0);
	char buf[OVERRIDE_STAT_MAX + 1];
	host_override(f, "a", buf, sizeof(buf));
	assert_string_equal(buf, "0:0:00:char-0-0");
	/* Onto an existing name with NOREPLACE: refused, nothing left over. */
	fx_write_host(f, "c", "C");
	r2.flags = RENAME_WHITEOUT | RENAME_NOREPLACE;
	struct part q2[3] = {{&r2, sizeof(r2)}, PART_STR("c"), PART_STR("b")};
	fx_call(f, FUSE_RENAME2, FUSE_ROOT_ID, q2, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, -EEXIST);
	DIR *d = opendir(f->root);
	assert_non_null(d);
	int n = 0;
	for (struct dirent *de; (de = readdir(d)) != NULL;)
		n += de->d_name[0] != '.';
	closedir(d);
	assert_int_equal(n, 3); /* a, b, c: no temporary whiteout */
	/* EXCHANGE with WHITEOUT is no rename Linux knows. */
	r2.flags = RENAME_WHITEOUT | RENAME_EXCHANGE;
	fx_call(f, FUSE_RENAME2, FUSE_ROOT_ID, q2, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, -EINVAL);
}

/* Explicit virtual on a file system without user xattrs is an error that
 * names the directory; procfs is one. */
static void test_needs_user_xattrs(void **state)
{
	(void)state;
	struct fuse_server_opts o = {.root_dir = "/proc", .share_mode = MVM_SHARE_VIRTUAL};
	mvm_error *err = NULL;
	struct fuse_server *s = fuse_server_new(&o, &err);
	assert_null(s);
	assert_non_null(err);
	assert_non_null(strstr(mvm_error_get_message(err), "'/proc'"));
	assert_non_null(strstr(mvm_error_get_message(err), "user xattrs"));
	mvm_error_free(err);
	/* AUTO falls back to passthrough there instead of failing. */
	o.share_mode = MVM_SHARE_AUTO;
	err = NULL;
	s = fuse_server_new(&o, &err);
	assert_non_null(s);
	assert_false(fuse_server_virtual_owner(s));
	fuse_server_free(s);
	/* AUTO is virtual exactly when we are not root. */
	char dir[] = "/tmp/mvm-auto-XXXXXX";
	assert_non_null(mkdtemp(dir));
	o.root_dir = dir;
	s = fuse_server_new(&o, &err);
	assert_non_null(s);
	assert_int_equal(fuse_server_virtual_owner(s), geteuid() != 0);
	fuse_server_free(s);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_format_round_trip),
	    cmocka_unit_test_setup_teardown(test_create_setuid, setup_virtual, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_chown_chmod, setup_virtual, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_special_files, setup_virtual, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_readdir_types, setup_virtual, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_setgid_dir, setup_virtual, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_host_files, setup_virtual, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_xattr_namespaces, setup_virtual, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_passthrough_reserved_names, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_survives_restart, setup_virtual, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_symlinks, setup_virtual, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_access, setup_virtual, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_rename_whiteout, setup_virtual, fx_teardown),
	    cmocka_unit_test(test_needs_user_xattrs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
