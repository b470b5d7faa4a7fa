#include "backgroundjob.h"

#include <QThread>

namespace es {

bool JobControl::progress(qint64 done, qint64 total, const QString &stage)
{
    if (isCancelled())
        return false;
    const bool stageChanged = stage != m_lastStage;
    if (!m_clock.isValid() || stageChanged || (done != m_lastDone && m_clock.elapsed() >= 100)) {
        m_clock.restart();
        m_lastDone = done;
        m_lastStage = stage;
        if (m_report)
            m_report(done, total, stage);
    }
    return true;
}

BackgroundJob::BackgroundJob(QObject *parent)
    : QObject(parent)
{
}

BackgroundJob::~BackgroundJob()
{
    cancel();
    // The work polls the flag between small steps (and scripts run under a
    // watchdog), so this wait is short; no thread may outlive the application.
    for (const QPointer<QThread> &thread : std::as_const(m_threads)) {
        if (thread) {
            thread->wait();
            delete thread.data();
        }
    }
}

void BackgroundJob::cancel()
{
    if (m_cancelled)
        m_cancelled->store(true);
}

void BackgroundJob::start(Work work, Done done, bool runInline)
{
    cancel();
    const quint64 generation = ++m_generation;
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    m_cancelled = cancelled;
    if (!m_running) {
        m_running = true;
        Q_EMIT runningChanged(true);
    }
    QPointer<BackgroundJob> self(this);
    auto control = std::make_shared<JobControl>();
    control->m_cancelled = cancelled;
    control->m_report = [self, generation](qint64 d, qint64 t, const QString &stage) {
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, d, t, stage] {
                if (self && self->m_generation == generation)
                    Q_EMIT self->progress(d, t, stage);
            },
            Qt::QueuedConnection);
    };
    if (runInline) {
        work(*control);
        finish(generation, cancelled->load(), done);
        return;
    }
    QThread *thread = QThread::create([work = std::move(work), control] { work(*control); });
    connect(thread, &QThread::finished, this, [this, thread, generation, cancelled, done = std::move(done)] {
        m_threads.removeAll(thread);
        thread->deleteLater();
        finish(generation, cancelled->load(), done);
    });
    m_threads.removeAll(nullptr);
    m_threads.append(thread);
    thread->start(QThread::LowPriority);
}

void BackgroundJob::finish(quint64 generation, bool cancelled, const Done &done)
{
    if (generation != m_generation)
        return; // superseded: its result is stale
    m_running = false;
    Q_EMIT runningChanged(false);
    if (done)
        done(cancelled);
}

} // namespace es
