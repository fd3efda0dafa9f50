/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A guest-side helper for test_dax.sh, static like mvm-init: maps FILE,
 * touches every page and prints "mapped SUM", then waits until FLAG exists
 * (the host has truncated FILE meanwhile) and touches every page of the
 * old mapping again, printing "after SUM". Through a DAX window the second
 * pass faults inside KVM on pages the host no longer has.
 *   maptool FILE FLAG
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static unsigned long sum_pages(const volatile uint8_t *p, size_t len)
{
	unsigned long sum = 0;
	for (size_t off = 0; off < len; off += 4096)
		sum += p[off];
	return sum;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: maptool FILE FLAG\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		perror(argv[1]);
		return 1;
	}
	size_t len = (size_t)st.st_size;
	const uint8_t *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("mapped %lu\n", sum_pages(p, len));
	fflush(stdout);
	struct timespec tick = {0, 100 * 1000 * 1000};
	for (int i = 0; i < 1200 && access(argv[2], F_OK) != 0; i++)
		nanosleep(&tick, NULL);
	printf("flag %s\n", access(argv[2], F_OK) == 0 ? "seen" : "missing");
	fflush(stdout);
	/* A process whose file shrank gets SIGBUS past the new end in a
	 * normal page cache; through DAX the guest kernel still thinks the
	 * pages are there, so this pass must not end the VM. */
	printf("after %lu\n", sum_pages(p, len));
	return 0;
}
