#include "server/worker_pool.hpp"

#include <algorithm>
#include <cerrno>

#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace scopegate::server {

WorkerPool::WorkerPool(int threads, std::size_t queue_capacity, int niceness)
    : m_workers(static_cast<std::size_t>(threads)), m_capacity(queue_capacity) {
  for (int i = 0; i < threads; ++i) {
    m_threads.emplace_back([this, niceness] {
#ifdef __linux__
      // On Linux a thread's nice value is its own (not the process's), and a new thread
      // starts with its creator's: `niceness` more than that, at most 19. Raising it needs
      // no privilege; a failure leaves the worker at its creator's priority.
      if (niceness > 0) {
        errno = 0;
        const int base = getpriority(PRIO_PROCESS, 0);
        if (errno == 0) {
          setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), std::min(base + niceness, 19));
        }
      }
#endif
      work();
    });
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  for (auto& thread : m_threads) thread.join();
}

bool WorkerPool::try_submit(std::function<void()> job) {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping || m_running + m_queue.size() >= m_workers + m_capacity) return false;
    m_queue.push_back(std::move(job));
  }
  m_wake.notify_one();
  return true;
}

std::size_t WorkerPool::pending() const {
  std::lock_guard lock(m_mutex);
  return m_queue.size() + m_running;
}

void WorkerPool::work() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
    if (m_queue.empty()) return;  // stopping, and every accepted job has run
    auto job = std::move(m_queue.front());
    m_queue.pop_front();
    ++m_running;
    lock.unlock();
    job();
    lock.lock();
    --m_running;
  }
}

}  // namespace scopegate::server
