/* SPDX-License-Identifier: Apache-2.0 */
/* sha256 through OpenSSL's libcrypto (EVP), and the digest string rules. */
#include "image/digest.h"
#include "util/error.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct digest_ctx {
	EVP_MD_CTX *md;
};

int digest_parse(const char *s, struct digest *d, mvm_error **err)
{
	size_t n = strlen(s);
	if (strncmp(s, "sha256:", 7) != 0)
		return mvm_err(err, MVM_ERR_INVALID, 0, "digest `%.80s`: only sha256 is supported",
			       s);
	if (n != DIGEST_STR_LEN - 1)
		return mvm_err(err, MVM_ERR_INVALID, 0, "digest `%.80s`: want 64 hex digits", s);
	for (size_t i = 7; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "digest `%.80s`: want lowercase hex digits", s);
	memcpy(d->str, s, DIGEST_STR_LEN);
	return 0;
}

struct digest_ctx *digest_begin(mvm_error **err)
{
	struct digest_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	c->md = EVP_MD_CTX_new();
	if (c->md == NULL || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
		digest_abort(c);
		mvm_err(err, MVM_ERR_NOMEM, 0, "sha256: cannot start a digest");
		return NULL;
	}
	return c;
}

int digest_update(struct digest_ctx *c, const void *buf, size_t len, mvm_error **err)
{
	if (EVP_DigestUpdate(c->md, buf, len) != 1)
		return mvm_err(err, MVM_ERR_IO, 0, "sha256: update failed");
	return 0;
}

int digest_end(struct digest_ctx *c, struct digest *out, mvm_error **err)
{
	if (c == NULL)
		return -1;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int ok = EVP_DigestFinal_ex(c->md, md, &n) == 1 && n == 32;
	digest_abort(c);
	if (!ok)
		return mvm_err(err, MVM_ERR_IO, 0, "sha256: final failed");
	memcpy(out->str, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out->str + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

void digest_abort(struct digest_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

int digest_of(const void *buf, size_t len, struct digest *out, mvm_error **err)
{
	struct digest_ctx *c = digest_begin(err);
	if (c == NULL)
		return -1;
	if (digest_update(c, buf, len, err) < 0) {
		digest_abort(c);
		return -1;
	}
	return digest_end(c, out, err);
}
