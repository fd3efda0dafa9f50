/* SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

void usage_main(FILE *out)
{
	fputs("Usage: mvm COMMAND [OPTIONS]\n"
	      "\n"
	      "Run one program in a Linux microVM whose root filesystem is a host directory.\n"
	      "\n"
	      "Commands:\n"
	      "  run        build a VM from the options and run a program in it\n"
	      "  exec       run another program in a running VM or sandbox\n"
	      "  create     save a run as a named sandbox; start, stop, rm, ps, logs, cp\n"
	      "  stats      CPU, memory, network and file-system figures of running sandboxes\n"
	      "  pull       fetch an image from a registry into the store\n"
	      "  load       load images from an OCI layout or a docker/OCI archive\n"
	      "  images     list the images in the store\n"
	      "  inspect    show an image's config and layers as JSON\n"
	      "  rmi        remove images from the store\n"
	      "  image      image commands: ls, inspect, rm, prune, load\n"
	      "  kvm-probe  check that this host's KVM can run Linux guests\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help     show this help\n"
	      "  -V, --version  show the version\n"
	      "\n"
	      "See `mvm run --help` for the options of run.\n",
	      out);
}

void usage_exec(FILE *out)
{
	fputs("Usage: mvm exec [OPTIONS] SOCKET COMMAND [ARG...]\n"
	      "\n"
	      "Runs COMMAND in the VM whose vsock socket is SOCKET (`mvm run --vsock SOCKET`),\n"
	      "beside its program, as `docker exec` does: its stdout and stderr come here, and\n"
	      "mvm exits with its status. SIGINT, SIGTERM and SIGHUP sent to mvm go to it.\n"
	      "COMMAND may be a name looked up in PATH.\n"
	      "\n"
	      "Options:\n"
	      "  -i, --interactive          pass stdin on (else the program reads end of file)\n"
	      "  -t, --tty                  give it a terminal of our size (stderr joins stdout);\n"
	      "                             with -i on a terminal, ours goes raw for the run\n"
	      "  -e, --env KEY=VALUE        environment variable (repeatable); PATH and HOME\n"
	      "                             get defaults\n"
	      "  -w, --workdir DIR          working directory in the guest (default /)\n"
	      "  -u, --user USER[:GROUP]    run as that user and group, names or numbers looked\n"
	      "                             up in the guest's /etc/passwd and /etc/group as the\n"
	      "                             program starts (a uid alone takes its passwd group,\n"
	      "                             else 0; default root)\n"
	      "      --timeout SECS         while the VM still boots, keep trying this long\n"
	      "                             (default 0: once)\n"
	      "  -h, --help                 show this help\n"
	      "\n"
	      "Exit status: the program's (128 + N for signal N); 126 and 127 when COMMAND\n"
	      "cannot be executed or is not found; 125 when mvm fails.\n",
	      out);
}

void usage_create(FILE *out)
{
	fputs("Usage: mvm create --name NAME [RUN OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	      "       mvm create --name NAME [RUN OPTIONS] --root DIR [--] [EXEC [ARG...]]\n"
	      "\n"
	      "Saves a `mvm run` command line as the sandbox NAME (checked now, as run would),\n"
	      "without starting it. `mvm start NAME` runs it in the background with a vsock\n"
	      "socket, `mvm exec NAME CMD` runs more programs in it. An image sandbox keeps\n"
	      "its writable layer across stop and start. -t, --vsock and --dry-run do not\n"
	      "apply. See `mvm run --help` for the options and docs/sandbox.md.\n",
	      out);
}

void usage_cp(FILE *out)
{
	fputs("Usage: mvm cp SRC NAME:DEST\n"
	      "       mvm cp NAME:SRC DEST\n"
	      "\n"
	      "Copies a file or a tree into or out of the running sandbox NAME, as docker cp:\n"
	      "into DEST when it is a directory, else as DEST. The guest's `tar` packs and\n"
	      "unpacks (the image must have one; busybox's will do). Out of the guest, every\n"
	      "entry must lie under SRC, and device nodes, setuid/setgid bits and owners are\n"
	      "refused or dropped; into it, files belong to root. Guest paths are absolute.\n",
	      out);
}

void usage_sandbox(FILE *out)
{
	fputs("Usage: mvm start NAME\n"
	      "       mvm stop [--time SECS] NAME...\n"
	      "       mvm rm [-f] NAME...\n"
	      "       mvm ps [-a] [--format json]\n"
	      "       mvm logs [-f] NAME\n"
	      "       mvm stats [--format json] [NAME...]\n"
	      "       mvm exec [OPTIONS] NAME COMMAND [ARG...]\n"
	      "\n"
	      "Named sandboxes (`mvm create --help`):\n"
	      "  start  runs the sandbox in a process of its own, which outlives this one;\n"
	      "         returns once its VM listens on its vsock socket\n"
	      "  stop   the guest's init sends SIGTERM to every guest process and the VM ends\n"
	      "         when the program has; SIGKILL to its VM after SECS (default 10)\n"
	      "  rm     deletes a sandbox that does not run (-f: stops it first)\n"
	      "  ps     every sandbox: NAME, STATUS (created, running, exited (N), dead: its VM\n"
	      "         process ended without a status), PID, CREATED, COMMAND\n"
	      "  logs   what its program and mvm wrote, every start appended (-f: follow)\n"
	      "  stats  see `mvm stats --help`\n",
	      out);
}

void usage_stats(FILE *out)
{
	fputs("Usage: mvm stats [--format json] [NAME...]\n"
	      "\n"
	      "What running sandboxes (all of them without NAME) cost and move, as counted by\n"
	      "their VMM processes since they started:\n"
	      "  CPU %              the VMM process's CPU use over half a second (guest and\n"
	      "                     devices; 100% is one host CPU)\n"
	      "  CPU TIME           its CPU time since the start\n"
	      "  MEM (RSS / RAM)    its resident memory, guest pages included, and the guest's\n"
	      "                     RAM size\n"
	      "  NET (RX / TX)      bytes of frames to and from the guest\n"
	      "  FS (READ / WRITE)  bytes the guest read and wrote through its shares (DAX\n"
	      "                     mappings not counted)\n"
	      "  UPTIME             seconds since the VM started\n"
	      "--format json prints every counter (docs/sandbox.md lists them).\n"
	      "\n"
	      "Exit status: 0, or 125 if a sandbox does not exist or does not run.\n",
	      out);
}

void usage_run(FILE *out)
{
	fputs("Usage: mvm run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	      "       mvm run [OPTIONS] --root DIR [--] [EXEC [ARG...]]\n"
	      "\n"
	      "Boots a microVM and runs a program in it. With IMAGE (from `mvm images`; pull\n"
	      "or load it first) the guest's / is the image under a fresh writable layer,\n"
	      "removed when the run ends, so the image never changes; the program is the\n"
	      "image's Entrypoint followed by COMMAND, or by the image's Cmd, and the image's\n"
	      "Env, WorkingDir and User apply unless given here. With --root the guest's / is\n"
	      "DIR and EXEC (default /bin/sh) runs. EXEC may be a name looked up in PATH.\n"
	      "\n"
	      "Options:\n"
	      "      --root DIR             host directory used as the guest's / (no IMAGE)\n"
	      "      --entrypoint PROG      replaces the image's Entrypoint (\"\": none); the\n"
	      "                             image's Cmd is then dropped too\n"
	      "  -u, --user USER[:GROUP]    run as a name or uid (and group or gid) of the\n"
	      "                             guest's /etc/passwd and /etc/group\n"
	      "      --upper DIR            keep the run's writable layer in DIR (created if\n"
	      "                             missing); a later run with DIR continues from it\n"
	      "      --rm                   remove the writable layer at the end (the default)\n"
	      "      --upper-on-disk        the writable layer in a host directory under the\n"
	      "                             store, removed at the end, instead of a tmpfs in\n"
	      "                             guest RAM (the default: faster to boot, but it\n"
	      "                             holds at most half the RAM; docs/images.md)\n"
	      "      --cpus N               number of vCPUs, 1..255 (default 1)\n"
	      "      --memory MIB           guest RAM in MiB (default 512)\n"
	      "      --dax-window MIB       size of each share's DAX window in MiB (even, 0\n"
	      "                             disables, the default): large files are mapped\n"
	      "                             into the guest instead of copied; pays where the\n"
	      "                             host keeps them in huge pages (tmpfs huge=always)\n"
	      "  -v, --volume HOST:GUEST    share a host directory at GUEST (repeatable)\n"
	      "  -p, --publish [IP:]HOST:GUEST[/udp]\n"
	      "                             forward host port HOST (on IP, default 127.0.0.1)\n"
	      "                             to guest port GUEST, TCP or UDP (repeatable)\n"
	      "      --rlimit RES=SOFT:HARD resource limit, e.g. RLIMIT_NOFILE=1024:1024 "
	      "(repeatable)\n"
	      "  -t, --tty                  give the program a terminal, as docker run -t:\n"
	      "                             ours goes raw (Ctrl-C reaches the program),\n"
	      "                             its size follows ours; stderr joins stdout\n"
	      "  -i, --interactive          accepted: stdin always reaches the program\n"
	      "  -w, --workdir DIR          working directory of EXEC in the guest\n"
	      "  --hostname NAME            the guest's host name (1 to 64 of [A-Za-z0-9.-])\n"
	      "  --sysctl KEY=VALUE         set the guest kernel's /proc/sys/KEY before the\n"
	      "                             program starts, e.g. net.ipv4.ping_group_range=0 0\n"
	      "                             (repeatable)\n"
	      "  -e, --env KEY=VALUE        environment variable of EXEC (repeatable)\n"
	      "      --console-output FILE  write the guest console to FILE\n"
	      "      --vsock PATH           a vsock device whose host end is the Unix socket\n"
	      "                             PATH: write \"CONNECT <port>\\n\" to reach a guest\n"
	      "                             port; guest connections to host port P go to PATH_P\n"
	      "      --ip A.B.C.D           IPv4 address of the guest\n"
	      "      --local-only true|false  restrict networking to local connections (default "
	      "true)\n"
	      "      --share-mode [GUEST=]MODE\n"
	      "                             how shares show ownership: virtual (owners, modes\n"
	      "                             and device nodes kept in xattrs, nothing setuid\n"
	      "                             on the host), passthrough (the host's owners), or\n"
	      "                             auto (virtual unless run as root; default); with\n"
	      "                             GUEST= only for the share at GUEST (`/`: the root;\n"
	      "                             or a -v guest path), repeatable\n"
	      "      --no-seccomp           run mvm's threads without their system-call\n"
	      "                             allow-lists (docs/seccomp.md); for debugging\n"
	      "      --no-jail              let mvm's threads keep the caller's capabilities\n"
	      "                             and mount namespace (docs/security.md)\n"
	      "      --jail-user UID:GID    as root: the VM's threads run as UID:GID, with\n"
	      "                             no capability and no supplementary group\n"
	      "      --log-level LEVEL      off, error, warn, info, debug or trace (default off)\n"
	      "      --kernel FILE          guest kernel (vmlinux); default: $MVM_KERNEL, then\n"
	      "                             the installed kernel, then the `make kernel` cache\n"
	      "      --dry-run              print the configuration as JSON and exit\n"
	      "  -h, --help                 show this help\n"
	      "\n"
	      "Exit status: 125 if mvm fails, 126 if EXEC cannot be executed, 127 if it is\n"
	      "not found, else the exit status of EXEC.\n",
	      out);
}

void usage_load(FILE *out)
{
	fputs("Usage: mvm load [OPTIONS] [PATH]\n"
	      "\n"
	      "Loads the images of PATH into the image store: an OCI image layout directory,\n"
	      "an OCI archive (podman save --format oci-archive) or a docker archive\n"
	      "(docker save, podman save), plain or compressed. Every blob is checked against\n"
	      "its digest and every layer unpacked once; the store is under $MVM_HOME, else\n"
	      "$XDG_DATA_HOME/mvm, else ~/.local/share/mvm. Prints `Loaded image: NAME` for\n"
	      "each image, and one line per step on stderr. Without PATH, or with `-`, an\n"
	      "archive is read from stdin (`docker save IMAGE | mvm load`).\n"
	      "\n"
	      "Options:\n"
	      "  -i, --input PATH  the layout or archive (or give it as the argument)\n"
	      "      --name NAME   store the image under NAME instead of the names it carries\n"
	      "  -q, --quiet       no progress lines\n"
	      "  -h, --help        show this help\n"
	      "\n"
	      "An image without a full name is stored as localhost/BASENAME:TAG. See\n"
	      "docs/images.md.\n",
	      out);
}

void usage_images(FILE *out)
{
	fputs("Usage: mvm images [OPTIONS]\n"
	      "\n"
	      "Lists the images in the store: repository, tag, image ID (the config's digest),\n"
	      "creation time, the size of its layers as stored and the disk its unpacked\n"
	      "layers take (shared layers count for each image that has them).\n"
	      "\n"
	      "Options:\n"
	      "      --format FORMAT  table (default) or json\n"
	      "  -q, --quiet          image IDs only\n"
	      "  -h, --help           show this help\n",
	      out);
}

void usage_inspect(FILE *out)
{
	fputs("Usage: mvm inspect IMAGE...\n"
	      "\n"
	      "Prints a JSON array with one object per IMAGE: its name, ID, manifest digest,\n"
	      "creation time, its config as stored (Entrypoint, Cmd, Env, ...) and its layers\n"
	      "(digest, size, unpacked directory, disk use). IMAGE is a name (short names as\n"
	      "in `mvm load`) or a unique prefix of an ID (4 hex digits at least).\n",
	      out);
}

void usage_rmi(FILE *out)
{
	fputs("Usage: mvm rmi IMAGE...\n"
	      "\n"
	      "Removes each IMAGE's name from the store, then the blobs and unpacked layers\n"
	      "that no image uses any more. While a `mvm load` runs, that second step is left\n"
	      "for `mvm image prune`.\n",
	      out);
}

void usage_image(FILE *out)
{
	fputs("Usage: mvm image COMMAND\n"
	      "\n"
	      "Commands:\n"
	      "  ls       list the images (as `mvm images`)\n"
	      "  inspect  as `mvm inspect`\n"
	      "  rm       as `mvm rmi`\n"
	      "  load     as `mvm load`\n"
	      "  prune    remove the blobs and layers no image uses, and what interrupted\n"
	      "           loads left behind (waits for running loads)\n",
	      out);
}

void usage_pull(FILE *out)
{
	fputs("Usage: mvm pull [OPTIONS] IMAGE\n"
	      "\n"
	      "Fetches IMAGE (NAME[:TAG] or NAME@sha256:DIGEST; `alpine` is\n"
	      "docker.io/library/alpine:latest) from its registry into the image store, the\n"
	      "linux/amd64 image of a multi-platform one unless --platform says otherwise.\n"
	      "Layers are fetched three at a time and unpacked as they arrive; every blob\n"
	      "is checked against its digest; blobs the store has are not fetched again. A\n"
	      "download that breaks off is continued where it stopped, also by the next\n"
	      "pull after a failed or interrupted one. Prints the full name on stdout; on a\n"
	      "terminal, a line per blob and a total on stderr, elsewhere one line per\n"
	      "step.\n"
	      "\n"
	      "Options:\n"
	      "      --platform OS/ARCH[/VARIANT]\n"
	      "                          the image of that platform from a multi-platform\n"
	      "                          image (linux/arm64/v8); a single-platform image of\n"
	      "                          another platform is refused\n"
	      "      --tls-verify=false  do not verify the registry's certificate, and allow\n"
	      "                          plain HTTP (a registry on this machine)\n"
	      "  -q, --quiet             no progress on stderr\n"
	      "  -h, --help              show this help\n"
	      "\n"
	      "Credentials come from the auth files podman and docker write\n"
	      "($REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,\n"
	      "~/.docker/config.json), or the credential helpers they name\n"
	      "(docker-credential-NAME in PATH); see docs/images.md.\n",
	      out);
}
