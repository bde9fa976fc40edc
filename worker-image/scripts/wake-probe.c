/*
 * What a machine charges for the hand-offs a served request makes (not part of the build):
 *   gcc -O2 -o /tmp/wake-probe worker-image/scripts/wake-probe.c && /tmp/wake-probe
 * Prints the cost of a trivial syscall, of a round trip between two processes that are both running, and of the
 * same round trip when the partner has been idle for 5 ms (as a worker's event loop is while an inference runs).
 * Results for our development VM are in docs/benchmarks.md.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdlib.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
int main(){
  int N=200000; double t0=now(); for(int i=0;i<N;i++) syscall(SYS_getppid); printf("syscall: %.0f ns\n",(now()-t0)/N);
  int a[2],b[2]; pipe(a); pipe(b); char c='x'; int M=20000;
  if(fork()==0){ for(int i=0;i<M;i++){read(a[0],&c,1);write(b[1],&c,1);} _exit(0);} 
  t0=now(); for(int i=0;i<M;i++){write(a[1],&c,1);read(b[0],&c,1);} printf("pipe round trip between processes: %.1f us\n",(now()-t0)/M/1000); wait(NULL);
  /* 5 ms of work on this side first: the partner has been idle that long when it is woken */
  if(fork()==0){ for(int i=0;i<300;i++){read(a[0],&c,1);write(b[1],&c,1);} _exit(0);}
  double tot=0; for(int i=0;i<300;i++){ double s=now(); while(now()-s<5e6); double t1=now(); write(a[1],&c,1);read(b[0],&c,1); tot+=now()-t1;} printf("round trip after 5 ms gap: %.1f us\n",tot/300/1000); wait(NULL);
  return 0; }
