# OCI images (src/image/): libarchive reads layer tars and their
# compression (gzip, zstd, xz, bzip2).
ARCHIVE_LIBS := $(shell pkg-config --libs libarchive 2>/dev/null || echo -larchive)
LDLIBS_EXTRA += $(ARCHIVE_LIBS)
