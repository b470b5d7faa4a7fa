#pragma once

#include <QJSEngine>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace es {

// Interrupts the engine when a call into the script outlives its budget. One
// thread per domain, parked on a condition variable: arming is a mutex round
// trip, and the thread is only woken when it was idle, since a re-armed
// deadline is always later than the one it is already waiting for.
class ScriptWatchdog {
public:
    ScriptWatchdog(QJSEngine *engine, int timeoutMs)
        : m_engine(engine)
        , m_timeout(timeoutMs)
        , m_thread([this] { run(); })
    {
    }
    ~ScriptWatchdog()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_one();
        m_thread.join();
    }
    ScriptWatchdog(const ScriptWatchdog &) = delete;
    ScriptWatchdog &operator=(const ScriptWatchdog &) = delete;

    void arm()
    {
        bool wake = false;
        {
            std::lock_guard lock(m_mutex);
            m_armed = true;
            m_fired = false;
            m_deadline = std::chrono::steady_clock::now() + m_timeout;
            wake = m_idle;
        }
        if (wake) {
            m_cv.notify_one();
        }
    }
    // True when the call was interrupted. Clears the interruption so that the
    // next call runs.
    bool disarm()
    {
        bool fired = false;
        {
            std::lock_guard lock(m_mutex);
            m_armed = false;
            fired = m_fired;
            m_fired = false;
        }
        if (fired) {
            m_engine->setInterrupted(false);
        }
        return fired;
    }
    int timeoutMs() const { return int(m_timeout.count()); }

private:
    void run()
    {
        std::unique_lock lock(m_mutex);
        while (!m_stop) {
            if (!m_armed) {
                m_idle = true;
                m_cv.wait(lock);
                m_idle = false;
            } else if (std::chrono::steady_clock::now() >= m_deadline) {
                m_engine->setInterrupted(true); // thread-safe by contract
                m_fired = true;
                m_armed = false;
            } else {
                m_cv.wait_until(lock, m_deadline);
            }
        }
    }

    QJSEngine *m_engine;
    const std::chrono::milliseconds m_timeout;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_armed = false;
    bool m_fired = false;
    bool m_idle = false;
    bool m_stop = false;
    std::chrono::steady_clock::time_point m_deadline;
    std::thread m_thread; // last: starts after the members it reads
};

} // namespace es
