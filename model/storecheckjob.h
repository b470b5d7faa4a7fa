#pragma once

#include "storecheck.h"

#include <QObject>

#include <atomic>

class QThread;

namespace es {

// StoreCheck::run in a thread of its own (with its own read-only connection),
// for the workbench: the verdict arrives as finished() in this object's thread.
// wait() blocks until it is there (a first write waits for it); destroying the
// job stops the check and joins the thread.
class StoreCheckJob : public QObject {
    Q_OBJECT
public:
    explicit StoreCheckJob(const QString &path, QObject *parent = nullptr);
    ~StoreCheckJob() override;

    void start();
    bool isFinished() const { return m_delivered; }
    // Blocks until the check is done, delivers finished() if it was not yet, returns the verdict.
    StoreVerdict wait();

Q_SIGNALS:
    void finished(const es::StoreVerdict &verdict);

private:
    void deliver();

    QString m_path;
    QThread *m_thread = nullptr;
    std::atomic<bool> m_cancel{false};
    StoreVerdict m_verdict; // written by the thread, read after it finished
    bool m_delivered = false;
};

} // namespace es
