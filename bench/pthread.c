/* Native reference for npm run bench: pthread_mutex lock+unlock, uncontended and with 2 threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter = 0;
static volatile int stop = 0;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *hammer(void *arg) {
  long *ops = arg;
  while (!stop) {
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
    (*ops)++;
  }
  return NULL;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10000000;
  double ms = argc > 2 ? atof(argv[2]) : 500;
  double t0 = now();
  for (long i = 0; i < n; i++) {
    pthread_mutex_lock(&lock);
    pthread_mutex_unlock(&lock);
  }
  double ns = (now() - t0) * 1e9 / n;
  pthread_t a, b;
  long opsA = 0, opsB = 0;
  counter = 0;
  pthread_create(&a, NULL, hammer, &opsA);
  pthread_create(&b, NULL, hammer, &opsB);
  struct timespec pause = {(time_t)(ms / 1000), (long)((long)ms % 1000) * 1000000L};
  double t1 = now();
  nanosleep(&pause, NULL);
  stop = 1;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  double secs = now() - t1;
  printf("{\"ns\":%f,\"opsPerSec\":%f,\"exact\":%s}\n", ns, (opsA + opsB) / secs, counter == opsA + opsB ? "true" : "false");
  return 0;
}
