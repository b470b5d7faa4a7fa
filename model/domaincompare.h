#pragma once

#include "result.h"
#include "types.h"

#include <QJsonObject>
#include <QObject>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>

class QThread;

namespace es {

class Domain;
class EventStore;

// How one stream replays under two versions of a pack.
struct StreamDivergence {
    enum class Status { Equal, Differs, Error };
    QString stream;
    QString aggregate;
    Status status = Status::Equal;
    qint64 events = 0; // events replayed
    // The first event after which the states differ (Differs), or the one that failed (Error).
    qint64 version = 0;
    qint64 position = 0;
    QString eventType;
    QStringList paths;  // where the states differ right after that event
    QJsonObject before; // the state both versions agreed on just before it
    QJsonObject stateA; // after it, under A and under B
    QJsonObject stateB;
    QString error; // which pack failed, and why
    static QString statusName(Status status);
};

// Replays streams under two versions of a domain pack (A: the current one,
// B: another file) event by event and reports, per stream, whether the states
// agree and where they first part.
class DomainCompare : public QObject {
    Q_OBJECT
public:
    enum class Filter { All, Prefix, Selected };
    struct Options {
        QString storePath;
        QString packA;
        QString packB;
        Filter filter = Filter::All;
        QString prefix;       // Filter::Prefix
        QStringList streams;  // Filter::Selected
    };
    struct Summary {
        qint64 equal = 0;
        qint64 differs = 0;
        qint64 errors = 0;
    };

    explicit DomainCompare(QObject *parent = nullptr);
    ~DomainCompare() override;

    // Runs in a worker (its own store connection and its own two pack instances):
    // progress, then finished or failed. A newer start supersedes an older one.
    void start(const Options &options);
    void cancel();
    bool isRunning() const { return m_running; }

    // The engine, synchronous, in the calling thread. progress(done, total) returns false to cancel.
    static Result<QList<StreamDivergence>> run(EventStore *store, Domain *a, Domain *b, const Options &options,
                                               const std::function<bool(qint64, qint64)> &progress = {});
    // Opens the store and both packs itself (for a worker thread).
    static Result<QList<StreamDivergence>> run(const Options &options,
                                               const std::function<bool(qint64, qint64)> &progress = {});
    static StreamDivergence compareStream(EventStore *store, Domain *a, Domain *b, const StreamInfo &stream);
    static Summary summarise(const QList<StreamDivergence> &results);

    // Paths ("balance", "items[2].sku", "refunded.t-1") where two JSON values differ:
    // the leaves that changed, or a whole member that exists on one side only.
    static QStringList differingPaths(const QJsonValue &a, const QJsonValue &b, const QString &prefix = {});

Q_SIGNALS:
    void progress(qint64 done, qint64 total);
    void finished(const QList<es::StreamDivergence> &results);
    void failed(const QString &message);
    void runningChanged(bool running);

private:
    void setRunning(bool running);

    bool m_running = false;
    quint64 m_jobId = 0;
    std::shared_ptr<std::atomic_bool> m_cancel;
    std::vector<QThread *> m_threads;
};

} // namespace es

Q_DECLARE_METATYPE(es::StreamDivergence)
