/*
 * What a machine charges for the hand-offs a served request makes (not part of the build):
 *   gcc -O2 -o /tmp/wake-probe worker/scripts/wake-probe.c && /tmp/wake-probe
 * Prints the cost of a trivial syscall, of a round trip between two processes that are both running, and of the
 * same round trip when the partner has been idle for 5 ms (as a worker's event loop is while an inference runs).
 * Results for our development VM are in docs/benchmarks.md.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

/* Child: echo n bytes from `in` to `out`. */
static void echo_child(int in, int out, int n) {
  if (fork() == 0) {
    char c;
    for (int i = 0; i < n; i++) {
      if (read(in, &c, 1) != 1 || write(out, &c, 1) != 1) _exit(1);
    }
    _exit(0);
  }
}

static void round_trip(int to, int from) {
  char c = 'x';
  if (write(to, &c, 1) != 1 || read(from, &c, 1) != 1) {
    perror("round trip");
    exit(1);
  }
}

int main(void) {
  const int calls = 200000, trips = 20000, gapped = 300;
  double t0 = now_ns();
  for (int i = 0; i < calls; i++) syscall(SYS_getppid);
  printf("syscall: %.0f ns\n", (now_ns() - t0) / calls);

  int a[2], b[2];
  if (pipe(a) || pipe(b)) {
    perror("pipe");
    return 1;
  }
  echo_child(a[0], b[1], trips);
  t0 = now_ns();
  for (int i = 0; i < trips; i++) round_trip(a[1], b[0]);
  printf("pipe round trip between processes: %.1f us\n", (now_ns() - t0) / trips / 1000);
  wait(NULL);

  /* 5 ms of work on this side first: the partner has been idle that long when it is woken */
  echo_child(a[0], b[1], gapped);
  double total = 0;
  for (int i = 0; i < gapped; i++) {
    double busy = now_ns();
    while (now_ns() - busy < 5e6) {
    }
    t0 = now_ns();
    round_trip(a[1], b[0]);
    total += now_ns() - t0;
  }
  printf("round trip after 5 ms gap: %.1f us\n", total / gapped / 1000);
  wait(NULL);
  return 0;
}
