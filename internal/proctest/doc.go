// Package proctest runs the real botd binary as child processes against the
// Open API simulator (internal/feishusim) and a Redis that outlives them, and
// checks from the simulator's record that every effect happens exactly once
// through crashes (SIGKILL at random moments), platform faults, rate limits
// and two replicas sharing one Redis.
//
// The tests build ./cmd/botd once (TestMain) and are skipped with -short.
// With BOTD_TEST_REDIS_URL set they use a fresh database of that server;
// otherwise a miniredis in the test process, which the child processes reach
// over loopback. Everything listens on 127.0.0.1 only.
package proctest
