// WorkerPool: a fixed set of threads that run submitted jobs, with a bounded queue, for
// work too slow for the threads that serve requests (password hashing). A job is
// accepted while a worker is free or fewer than `queue_capacity` jobs wait; try_submit()
// says no otherwise, so that a caller can refuse at once (503) instead of queueing
// without bound. Workers may run at a lower CPU priority than the threads that created
// the pool (`niceness` > 0, Linux: per-thread nice), so that their work takes only the CPU
// that requests leave.
// The destructor lets every accepted job finish, then joins the threads. A job must not
// throw (it would end the process): it reports its own failures.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace scopegate::server {

class WorkerPool {
 public:
  WorkerPool(int threads, std::size_t queue_capacity, int niceness = 0);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `job` on a worker; false (and `job` dropped, never run) when every worker is busy
  // and the queue is full.
  bool try_submit(std::function<void()> job);

  // Jobs accepted and not finished yet (running or waiting).
  std::size_t pending() const;

 private:
  void work();

  std::size_t m_workers;
  std::size_t m_capacity;
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<std::function<void()>> m_queue;
  std::size_t m_running = 0;
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

}  // namespace scopegate::server
