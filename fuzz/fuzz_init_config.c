/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mvm-init's config-blob reader (guest/init/config_reader.c) on any bytes
 * as /mvm/config, and the round trip through the host's writer
 * (src/vmm/guest_config.c): whatever the reader accepts is turned back
 * into a struct mvm_config; when the writer accepts that, the reader must
 * accept the writer's blob and give back the same settings.
 */
#include "fuzz_common.h"
#include "config/config.h"
#include "guest/init/config_reader.h"
#include "vmm/guest_config.h"

#include <stdio.h>

static void check_parsed(const struct init_config *c)
{
	FZ_CHECK(c->args != NULL && c->args[c->n_args] == NULL);
	FZ_CHECK(c->env != NULL && c->env[c->n_env] == NULL);
	for (size_t i = 0; i < c->n_args; i++)
		FZ_CHECK(c->args[i] != NULL);
	for (size_t i = 0; i < c->n_env; i++)
		FZ_CHECK(strchr(c->env[i], '=') != NULL);
	for (size_t i = 0; i < c->n_rlimits; i++)
		FZ_CHECK(c->rlimits[i].resource < INIT_RLIMIT_COUNT &&
			 c->rlimits[i].soft <= c->rlimits[i].hard);
	for (size_t i = 0; i < c->n_mounts; i++)
		FZ_CHECK(c->mounts[i].tag[0] != '\0' && c->mounts[i].path != NULL);
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The writer's view of what the reader gave; strings borrowed from c. */
struct rebuilt {
	struct mvm_config cfg;
	mvm_env_pair env[64];
	mvm_rlimit rl[64];
	struct guest_mount mounts[16];
	size_t n_mounts;
	char env_copy[64][4096];
};

static bool rebuild(const struct init_config *c, struct rebuilt *r)
{
	if (c->n_env > 64 || c->n_rlimits > 64 || c->n_mounts > 16)
		return false;
	memset(&r->cfg, 0, sizeof(r->cfg));
	r->cfg.exec_path = c->exec_path;
	r->cfg.args = c->args;
	r->cfg.n_args = c->n_args;
	for (size_t i = 0; i < c->n_env; i++) {
		size_t len = strlen(c->env[i]);
		if (len >= sizeof(r->env_copy[i]))
			return false;
		memcpy(r->env_copy[i], c->env[i], len + 1);
		char *eq = strchr(r->env_copy[i], '=');
		*eq = '\0';
		r->env[i] = (mvm_env_pair){r->env_copy[i], eq + 1};
	}
	r->cfg.env = r->env;
	r->cfg.n_env = c->n_env;
	r->cfg.workdir_path = c->workdir;
	for (size_t i = 0; i < c->n_rlimits; i++)
		r->rl[i] = (mvm_rlimit){(int)c->rlimits[i].resource, c->rlimits[i].soft,
					c->rlimits[i].hard};
	r->cfg.rlimits = r->rl;
	r->cfg.n_rlimits = c->n_rlimits;
	for (size_t i = 0; i < c->n_mounts; i++) {
		if (strlen(c->mounts[i].tag) > GUEST_MOUNT_TAG_MAX)
			return false;
		snprintf(r->mounts[i].tag, sizeof(r->mounts[i].tag), "%s", c->mounts[i].tag);
		r->mounts[i].guest_path = c->mounts[i].path;
	}
	r->n_mounts = c->n_mounts;
	if (c->log_level > MVM_LOG_TRACE)
		return false;
	r->cfg.log.level = (mvm_log_level)c->log_level;
	return true;
}

static void round_trip(const struct init_config *c)
{
	static struct rebuilt r;
	if (!rebuild(c, &r))
		return;
	void *blob = NULL;
	size_t len = 0;
	mvm_error *err = NULL;
	if (guest_config_build(&r.cfg, r.mounts, r.n_mounts, &blob, &len, &err) < 0) {
		mvm_error_free(err);
		return;
	}
	struct init_config back;
	char why[256];
	FZ_CHECK(init_config_parse(blob, len, &back, why, sizeof(why)) == 0);
	free(blob);
	FZ_CHECK(same_str(back.exec_path, c->exec_path) && same_str(back.workdir, c->workdir));
	FZ_CHECK(back.n_args == c->n_args && back.n_env == c->n_env);
	for (size_t i = 0; i < c->n_args; i++)
		FZ_CHECK(strcmp(back.args[i], c->args[i]) == 0);
	for (size_t i = 0; i < c->n_env; i++)
		FZ_CHECK(strcmp(back.env[i], c->env[i]) == 0);
	FZ_CHECK(back.n_rlimits == c->n_rlimits && back.n_mounts == c->n_mounts);
	for (size_t i = 0; i < c->n_rlimits; i++)
		FZ_CHECK(memcmp(&back.rlimits[i], &c->rlimits[i], sizeof(back.rlimits[i])) == 0);
	for (size_t i = 0; i < c->n_mounts; i++)
		FZ_CHECK(strcmp(back.mounts[i].tag, c->mounts[i].tag) == 0 &&
			 strcmp(back.mounts[i].path, c->mounts[i].path) == 0);
	FZ_CHECK(back.log_level == c->log_level);
	init_config_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libFuzzer's buffer is exactly size bytes: ASan sees any read past
	 * the blob's end. */
	struct init_config c;
	char why[256];
	int rc = init_config_parse(data, size, &c, why, sizeof(why));
	if (rc == 0) {
		check_parsed(&c);
		round_trip(&c);
		init_config_free(&c);
	} else {
		FZ_CHECK(rc == -1 && memchr(why, '\0', sizeof(why)) != NULL);
	}
	return 0;
}
