#pragma once

#include "projectiontypes.h"
#include "types.h"

#include <QHash>
#include <QObject>
#include <QTimer>

#include <memory>

namespace es {

class EventStore;
class JsDomain;
class ProjectionRunner;

// The thread side of ProjectionHost: owns a ProjectionRunner, its store
// connection and its own JsDomain, all created in (and used from) the thread
// this object lives in. The host talks to it only through queued calls of its
// slots; it answers with signals carrying plain values.
class ProjectionWorker : public QObject {
    Q_OBJECT
public:
    struct Config {
        QString storePath;
        QString packPath;
        // Set for an in-memory store: the runner shares the session's
        // connection, so this worker must live in the session's thread.
        EventStore *sharedStore = nullptr;
        int snapshotIntervalMs = 1000; // a full status list this often (the throughput history)
        int rebuildPollMs = 100;       // rebuild progress this often
    };

    explicit ProjectionWorker(const Config &config);
    ~ProjectionWorker() override;

public Q_SLOTS:
    void startup();
    // Destroys the runner and the domain in this thread, then hands the object
    // back to `home` so the host can delete it once the thread has stopped.
    void shutdown(QThread *home);
    void reloadPack();
    void notifyAppended(const es::EventList &events);

    void pause(const QString &name);
    void resume(const QString &name);
    void skip(const QString &name, const QString &reason, const QString &actor);
    void setDelay(const QString &name, int delayMs);
    void startRebuild(const QString &name);
    void cancelRebuild(const QString &name);
    void swapRebuild(const QString &name);

Q_SIGNALS:
    void started(const QList<es::ProjectionSchema> &schemas, const QList<es::ProjectionStatus> &statuses);
    void startFailed(const QString &message);
    void statusChanged(const es::ProjectionStatus &status);
    void snapshot(const QList<es::ProjectionStatus> &statuses);
    void rowsChanged(const QString &projection, const QStringList &keys);
    void projectionReset(const QString &projection);
    void pagesInvalidated(const QString &projection, const QStringList &paths, qint64 position);
    void rebuildProgress(const QString &projection, qint64 done, qint64 total);
    void rebuildReady(const QString &projection, const es::ProjectionDiff &diff);
    void rebuildFinished(const QString &projection, bool swapped, const QString &error);
    void operationFailed(const QString &projection, const QString &message);
    void packReloaded(const QList<es::ProjectionSchema> &schemas);

private:
    struct Rebuild {
        qint64 lastDone = -1;
        bool diffSent = false;
    };
    QList<ProjectionSchema> schemas() const;
    void pollRebuilds();
    void emitSnapshot();
    bool check(const QString &name, const QString &what, bool ok, const QString &message);

    Config m_config;
    std::unique_ptr<JsDomain> m_domain;
    std::unique_ptr<ProjectionRunner> m_runner;
    QTimer m_snapshotTimer;
    QTimer m_rebuildTimer;
    QHash<QString, Rebuild> m_rebuilds;
};

} // namespace es
