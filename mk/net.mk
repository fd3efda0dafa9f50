# libslirp for user-mode networking (src/net/slirp_backend.c). Debian's
# slirp.pc requires glib-2.0.pc, which is absent without libglib2.0-dev;
# libslirp itself needs no glib headers, so fall back to plain -lslirp.
SLIRP_LIBS := $(shell pkg-config --libs slirp 2>/dev/null || echo -lslirp)
LDLIBS_EXTRA += $(SLIRP_LIBS)
