#pragma once

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>

class QThread;

namespace es {

// What a piece of long work sees while it runs in a worker thread: a
// cancellation flag to poll, and a progress report that is throttled (at most
// every 100 ms, and only when the figures moved) before it crosses threads.
class JobControl {
public:
    bool isCancelled() const { return m_cancelled->load(); }
    // Reports done of total (total 0: unknown) under a stage name. Returns
    // false once cancelled, so it fits the engine's progress callbacks.
    bool progress(qint64 done, qint64 total, const QString &stage = {});

private:
    friend class BackgroundJob;
    std::shared_ptr<std::atomic<bool>> m_cancelled;
    std::function<void(qint64, qint64, const QString &)> m_report;
    QElapsedTimer m_clock;
    qint64 m_lastDone = -1;
    QString m_lastStage;
};

// One long operation at a time, off the GUI thread (hotspot's job tracker
// shape): starting a new one cancels and supersedes the running one, whose
// result is then dropped. The work runs in a thread of its own; `done` runs
// back in this object's thread, and only for the latest job.
//
// With `inline` set (an in-memory store cannot be opened by another thread),
// the work runs at once in the caller's thread: the same code path, no thread.
class BackgroundJob : public QObject {
    Q_OBJECT
public:
    using Work = std::function<void(JobControl &)>;
    using Done = std::function<void(bool cancelled)>;

    explicit BackgroundJob(QObject *parent = nullptr);
    ~BackgroundJob() override; // cancels and waits for the running work to stop

    void start(Work work, Done done, bool runInline = false);
    void cancel();
    bool isRunning() const { return m_running; }
    quint64 generation() const { return m_generation; }

Q_SIGNALS:
    void progress(qint64 done, qint64 total, const QString &stage);
    void runningChanged(bool running);

private:
    void finish(quint64 generation, bool cancelled, const Done &done);

    quint64 m_generation = 0;
    bool m_running = false;
    std::shared_ptr<std::atomic<bool>> m_cancelled;
    QList<QPointer<QThread>> m_threads; // the running one and superseded ones still stopping
};

} // namespace es
