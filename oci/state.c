/* SPDX-License-Identifier: Apache-2.0 */
#include "oci/state.h"

#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int oci_root_dir(const char *flag, char *buf, size_t len, mvm_error **err)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	int n = flag && *flag		    ? snprintf(buf, len, "%s", flag)
		: geteuid() != 0 && x && *x ? snprintf(buf, len, "%s/mvm-runtime", x)
					    : snprintf(buf, len, "/run/mvm-runtime");
	if (n < 0 || (size_t)n >= len)
		return mvm_err(err, MVM_ERR_INVALID, 0, "--root `%s`: too long", flag ? flag : x);
	return 0;
}

bool oci_valid_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > OCI_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

void oci_state_path(const struct oci_state *s, const char *file, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", s->dir, file) >= len)
		buf[0] = '\0';
}

static void copy_str(char *dst, size_t len, json_t *v)
{
	snprintf(dst, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

int oci_state_find(const char *root, const char *id, struct oci_state *s, mvm_error **err)
{
	*s = (struct oci_state){0};
	if (!oci_valid_id(id))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "container id `%s`: 1 to %d of letters, digits, _+-.", id,
			       OCI_ID_MAX);
	snprintf(s->id, sizeof(s->id), "%s", id);
	if ((size_t)snprintf(s->dir, sizeof(s->dir), "%s/%s", root, id) >= sizeof(s->dir) - 32)
		return mvm_err(err, MVM_ERR_INVALID, 0, "container %s: state path too long", id);
	char path[PATH_MAX];
	oci_state_path(s, "state.json", path, sizeof(path));
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);
	if (j == NULL) {
		struct stat st;
		if (stat(s->dir, &st) < 0)
			return mvm_err(err, MVM_ERR_STATE, 0, "container %s does not exist", id);
		return mvm_err(err, MVM_ERR_IO, 0, "container %s: %s: %s", id, path, jerr.text);
	}
	copy_str(s->bundle, sizeof(s->bundle), json_object_get(j, "bundle"));
	copy_str(s->rootfs, sizeof(s->rootfs), json_object_get(j, "rootfs"));
	copy_str(s->created, sizeof(s->created), json_object_get(j, "created"));
	s->pid = (long)json_integer_value(json_object_get(j, "pid"));
	s->start_time = (unsigned long long)json_integer_value(json_object_get(j, "mvmStartTime"));
	json_t *ann = json_object_get(j, "annotations");
	if (json_is_object(ann))
		s->annotations = json_dumps(ann, JSON_COMPACT);
	json_decref(j);
	return 0;
}

int oci_state_save(const struct oci_state *s, mvm_error **err)
{
	json_t *j =
	    json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "ociVersion", "1.0.2", "id", s->id,
		      "pid", (json_int_t)s->pid, "bundle", s->bundle, "rootfs", s->rootfs,
		      "created", s->created, "mvmStartTime", (json_int_t)s->start_time);
	if (j && s->annotations) {
		json_t *ann = json_loads(s->annotations, 0, NULL);
		if (ann)
			json_object_set_new(j, "annotations", ann);
	}
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	oci_state_path(s, "state.json", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int rc = j ? json_dump_file(j, tmp, JSON_COMPACT) : -1;
	json_decref(j);
	if (rc < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return mvm_err(err, MVM_ERR_IO, errno, "container %s: cannot write %s", s->id,
			       path);
	}
	return 0;
}

void oci_state_clear(struct oci_state *s)
{
	free(s->annotations);
	s->annotations = NULL;
}

unsigned long long oci_pid_start_time(long pid)
{
	if (pid <= 0)
		return 0;
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The name may hold spaces and parentheses: fields start after the
	 * last ')'. Then state (3), and start time is field 22. */
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return 0;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return 0;
	unsigned long long start = 0;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p == NULL || sscanf(p, "%llu", &start) != 1)
		return 0;
	return start;
}

const char *oci_status(const struct oci_state *s)
{
	unsigned long long t = oci_pid_start_time(s->pid);
	if (t == 0 || t != s->start_time)
		return "stopped";
	char path[PATH_MAX];
	oci_state_path(s, "started", path, sizeof(path));
	return access(path, F_OK) == 0 ? "running" : "created";
}

/* Digits alone, no newline: go-runc parses it with Atoi. */
int oci_write_pid_file(const char *path, long pid, mvm_error **err)
{
	char tmp[PATH_MAX + 8], buf[32];
	snprintf(tmp, sizeof(tmp), "%s.mvm-tmp", path);
	int n = snprintf(buf, sizeof(buf), "%ld", pid);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = fd >= 0 && write(fd, buf, (size_t)n) == n;
	if (fd >= 0)
		close(fd);
	if (!ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return mvm_err_sys(err, "--pid-file `%s`", path);
	}
	return 0;
}
