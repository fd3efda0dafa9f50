# libseccomp compiles the per-thread allow-lists (src/seccomp/).
SECCOMP_LIBS := $(shell pkg-config --libs libseccomp 2>/dev/null || echo -lseccomp)
LDLIBS_EXTRA += $(SECCOMP_LIBS)
