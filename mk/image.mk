# OCI images (src/image/): libarchive reads layer tars and their
# compression (gzip, zstd, xz, bzip2) and image archives; jansson reads
# manifests and writes the store's index; libcrypto hashes blobs (sha256);
# libcurl speaks to registries.
IMAGE_LIBS := $(shell pkg-config --libs libarchive jansson libcrypto libcurl 2>/dev/null || \
	echo -larchive -ljansson -lcrypto -lcurl)
LDLIBS_EXTRA += $(IMAGE_LIBS)

# A TCP proxy that cuts registry answers short, for tests/cli/pull.sh.
FLAKYPROXY := $(BUILD)/tests/flakyproxy
$(FLAKYPROXY): tests/cli/flakyproxy.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $<
