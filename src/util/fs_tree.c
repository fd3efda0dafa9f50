/* SPDX-License-Identifier: Apache-2.0 */
#include "util/fs_tree.h"

#include "util/error.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static DIR *open_subdir(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (d == NULL)
		close(fd);
	return d;
}

static bool is_dot(const char *n)
{
	return strcmp(n, ".") == 0 || strcmp(n, "..") == 0;
}

int fs_remove_tree(int dir_fd, const char *name)
{
	if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	DIR *d = open_subdir(dir_fd, name);
	if (d == NULL)
		return -1;
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;)
		if (!is_dot(e->d_name))
			rc = fs_remove_tree(dirfd(d), e->d_name);
	closedir(d);
	if (rc == 0 && unlinkat(dir_fd, name, AT_REMOVEDIR) < 0)
		rc = -1;
	return rc;
}

uint64_t fs_disk_use(int dir_fd, const char *path)
{
	struct stat st;
	if (fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	uint64_t n = (uint64_t)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode))
		return n;
	DIR *d = open_subdir(dir_fd, path);
	if (d == NULL)
		return n;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (!is_dot(e->d_name))
			n += fs_disk_use(dirfd(d), e->d_name);
	closedir(d);
	return n;
}

int fs_mkdir_p(const char *path, mvm_error **err)
{
	char buf[PATH_MAX];
	int n = snprintf(buf, sizeof(buf), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return mvm_err(err, MVM_ERR_INVALID, 0, "path `%.80s...` is too long", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return mvm_err_sys(err, "mkdir `%s`", buf);
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}
