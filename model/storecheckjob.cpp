#include "storecheckjob.h"

#include <QThread>

namespace es {

StoreCheckJob::StoreCheckJob(const QString &path, QObject *parent)
    : QObject(parent)
    , m_path(path)
{
}

StoreCheckJob::~StoreCheckJob()
{
    if (m_thread) {
        m_cancel = true;
        m_thread->wait();
        delete m_thread;
    }
}

void StoreCheckJob::start()
{
    if (m_thread)
        return;
    m_thread = QThread::create([this] { m_verdict = StoreCheck::run(m_path, &m_cancel); });
    m_thread->setObjectName(QStringLiteral("store check"));
    // Queued: QThread::finished is emitted in the checking thread.
    connect(m_thread, &QThread::finished, this, &StoreCheckJob::deliver, Qt::QueuedConnection);
    m_thread->start(QThread::LowPriority);
}

StoreVerdict StoreCheckJob::wait()
{
    if (!m_thread)
        start();
    m_thread->wait();
    deliver();
    return m_verdict;
}

void StoreCheckJob::deliver()
{
    if (m_delivered)
        return;
    m_delivered = true;
    Q_EMIT finished(m_verdict);
}

} // namespace es
