/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-init's stdin relay and control-channel parser, on host pipes. */
#include "guest/init/stdin_relay.h"
#include "guest/init/tty.h"
#include "guest/protocol.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture {
	int src[2]; /* test writes src[1]; relay reads src[0] */
	int dst[2]; /* relay writes dst[1]; test reads dst[0] */
	struct stdin_relay r;
};

static int setup(void **state)
{
	static struct fixture f;
	assert_int_equal(pipe2(f.src, O_NONBLOCK), 0);
	assert_int_equal(pipe2(f.dst, O_NONBLOCK), 0);
	stdin_relay_init(&f.r, f.src[0], f.dst[1]);
	signal(SIGPIPE, SIG_IGN);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	close(f->src[0]);
	close(f->src[1]);
	close(f->dst[0]);
	if (f->r.dst >= 0)
		close(f->r.dst);
	return 0;
}

static void feed_control(struct control_parser *p, struct stdin_relay *r, const char *s)
{
	for (; *s; s++)
		assert_int_equal(control_parse(p, (unsigned char)*s, r), 0);
}

static void bytes_pass_then_eof_closes(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(write(f->src[1], "hello", 5), 5);
	assert_int_equal(stdin_relay_src_events(&f->r) != 0, 1);
	stdin_relay_read(&f->r);
	char buf[16] = {0};
	assert_int_equal(read(f->dst[0], buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	struct control_parser p = {0};
	feed_control(&p, &f->r, "E5\n");
	assert_int_equal(f->r.dst, -1);
	/* The program now reads EOF. */
	assert_int_equal(read(f->dst[0], buf, sizeof(buf)), 0);
}

static void eof_before_data_waits_for_the_count(void **state)
{
	struct fixture *f = *state;
	struct control_parser p = {0};
	feed_control(&p, &f->r, "E3\n");
	assert_int_not_equal(f->r.dst, -1);
	assert_int_equal(write(f->src[1], "abcXYZ", 6), 6);
	stdin_relay_read(&f->r);
	/* Only the announced 3 bytes are stdin's. */
	char buf[16] = {0};
	assert_int_equal(read(f->dst[0], buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(f->r.dst, -1);
	assert_int_equal(stdin_relay_src_events(&f->r), 0);
}

static void zero_length_stdin(void **state)
{
	struct fixture *f = *state;
	struct control_parser p = {0};
	feed_control(&p, &f->r, "E0\n");
	assert_int_equal(f->r.dst, -1);
}

static void signals_pass_through_split_messages(void **state)
{
	struct fixture *f = *state;
	struct control_parser p = {0};
	assert_int_equal(control_parse(&p, MVM_CTRL_SIGTERM, &f->r), MVM_CTRL_SIGTERM);
	assert_int_equal(control_parse(&p, 'E', &f->r), 0);
	assert_int_equal(control_parse(&p, '1', &f->r), 0);
	assert_int_not_equal(f->r.dst, -1);
	assert_int_equal(control_parse(&p, '\n', &f->r), 0);
	assert_int_equal(f->r.eof_known, 1);
	assert_int_equal(f->r.eof_at, 1);
	assert_int_equal(control_parse(&p, MVM_CTRL_SIGINT, &f->r), MVM_CTRL_SIGINT);
}

static void malformed_eof_messages_are_ignored(void **state)
{
	struct fixture *f = *state;
	struct control_parser p = {0};
	/* Overflowing count. */
	feed_control(&p, &f->r, "E99999999999999999999999\n");
	assert_int_equal(f->r.eof_known, 0);
	/* Garbage terminator: ignored, and the next byte is a command again. */
	assert_int_equal(control_parse(&p, 'E', &f->r), 0);
	assert_int_equal(control_parse(&p, '7', &f->r), 0);
	assert_int_equal(control_parse(&p, 'x', &f->r), 0);
	assert_int_equal(f->r.eof_known, 0);
	assert_int_equal(control_parse(&p, MVM_CTRL_SIGKILL, &f->r), MVM_CTRL_SIGKILL);
}

static void program_closing_stdin_drops_input(void **state)
{
	struct fixture *f = *state;
	close(f->dst[0]);
	f->dst[0] = open("/dev/null", O_RDONLY);
	assert_int_equal(write(f->src[1], "data", 4), 4);
	stdin_relay_read(&f->r);
	assert_int_equal(f->r.dst, -1);
	assert_int_equal(stdin_relay_dst_events(&f->r), 0);
}

static void full_pipe_keeps_bytes_until_writable(void **state)
{
	struct fixture *f = *state;
	/* Fill the program's pipe so that the relay must wait. */
	char big[4096];
	memset(big, 'x', sizeof(big));
	while (write(f->dst[1], big, sizeof(big)) > 0)
		;
	assert_int_equal(write(f->src[1], "tail", 4), 4);
	stdin_relay_read(&f->r);
	assert_int_equal(stdin_relay_dst_events(&f->r) != 0, 1);
	assert_int_equal(stdin_relay_src_events(&f->r), 0);
	/* Drain, then the relay finishes its write. */
	char sink[65536];
	while (read(f->dst[0], sink, sizeof(sink)) > 0)
		;
	stdin_relay_write(&f->r);
	assert_int_equal(stdin_relay_dst_events(&f->r), 0);
	char buf[8] = {0};
	assert_int_equal(read(f->dst[0], buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "tail", 4);
}

static void pty_size(int fd, unsigned short *rows, unsigned short *cols)
{
	struct winsize ws;
	assert_int_equal(ioctl(fd, TIOCGWINSZ, &ws), 0);
	*rows = ws.ws_row;
	*cols = ws.ws_col;
}

/* "W<rows>;<cols>\n" sizes the terminal; anything malformed leaves it,
 * and signal bytes around it still come through. */
static void resize_messages_size_the_pty(void **state)
{
	(void)state;
	int master, slave;
	assert_int_equal(init_tty_open(0, 0, &master, &slave), 0);
	unsigned short rows, cols;
	pty_size(master, &rows, &cols);
	assert_int_equal(rows, 24);
	assert_int_equal(cols, 80);
	struct control_parser p = {.tty_fd = master};
	assert_int_equal(control_parse(&p, 'I', NULL), 'I');
	feed_control(&p, NULL, "W40;120\n");
	pty_size(slave, &rows, &cols);
	assert_int_equal(rows, 40);
	assert_int_equal(cols, 120);
	assert_int_equal(control_parse(&p, 'T', NULL), 'T');
	/* Too large, a missing part, a stray byte: no change. */
	feed_control(&p, NULL, "W70000;1\n");
	feed_control(&p, NULL, "W41\n");
	feed_control(&p, NULL, "W41;x");
	/* A second ';' ends the message; what follows is read as commands. */
	feed_control(&p, NULL, "W1;2;");
	assert_int_equal(control_parse(&p, 'I', NULL), 'I');
	pty_size(master, &rows, &cols);
	assert_int_equal(rows, 40);
	assert_int_equal(cols, 120);
	/* Split over reads, after an end-of-input message. */
	feed_control(&p, NULL, "E0\nW2");
	feed_control(&p, NULL, "5;9");
	feed_control(&p, NULL, "0\n");
	pty_size(master, &rows, &cols);
	assert_int_equal(rows, 25);
	assert_int_equal(cols, 90);
	assert_int_equal(control_parse(&p, 'K', NULL), 'K');
	close(slave);
	close(master);
}

/* The program's output crosses the pty (its line discipline makes "\n"
 * "\r\n") to the console; once every slave is closed the pump says so. */
static void tty_output_reaches_the_console(void **state)
{
	(void)state;
	int master, slave, out[2];
	assert_int_equal(init_tty_open(30, 100, &master, &slave), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(write(slave, "hi\n", 3), 3);
	struct tty_out t = {.master = master, .out = out[1]};
	assert_true(tty_out_pump(&t));
	char buf[16] = {0};
	assert_int_equal(read(out[0], buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "hi\r\n", 4);
	assert_int_equal(write(slave, "bye", 3), 3);
	close(slave);
	assert_false(tty_out_pump(&t));
	assert_int_equal(read(out[0], buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "bye", 3);
	close(master);
	close(out[0]);
	close(out[1]);
}

/* At the end of input a pty is not closed: it still carries output. */
static void eof_keeps_a_pty_open(void **state)
{
	struct fixture *f = *state;
	f->r.keep_dst = true;
	struct control_parser p = {.tty_fd = -1};
	feed_control(&p, &f->r, "E0\n");
	assert_int_equal(f->r.dst, -1);
	assert_int_equal(stdin_relay_src_events(&f->r), 0);
	/* Not closed by the relay: the test's pipe end still writes. */
	assert_int_equal(write(f->dst[1], "x", 1), 1);
	close(f->dst[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bytes_pass_then_eof_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(eof_before_data_waits_for_the_count, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_length_stdin, setup, teardown),
		cmocka_unit_test_setup_teardown(signals_pass_through_split_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_eof_messages_are_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(program_closing_stdin_drops_input, setup, teardown),
		cmocka_unit_test_setup_teardown(full_pipe_keeps_bytes_until_writable, setup, teardown),
		cmocka_unit_test(resize_messages_size_the_pty),
		cmocka_unit_test(tty_output_reaches_the_console),
		cmocka_unit_test_setup_teardown(eof_keeps_a_pty_open, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
