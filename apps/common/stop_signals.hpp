// SIGINT and SIGTERM for the commands that run until stopped (serve --http, collector, proxy, the
// interactive demo, the benchmark servers). Call block_stop_signals() on the main thread before
// any thread starts: every thread inherits the mask, so the signals reach only the thread that
// calls wait_for_stop_signal(), synchronously, and no handler runs in async-signal context.
#pragma once

#include <pthread.h>

#include <csignal>

namespace glassbox::apps {

inline sigset_t block_stop_signals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

// Blocks until one of `stop_signals` arrives; returns its number.
inline int wait_for_stop_signal(const sigset_t& stop_signals) {
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  return signal_number;
}

}  // namespace glassbox::apps
