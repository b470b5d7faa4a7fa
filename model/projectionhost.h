#pragma once

#include "projectiontypes.h"
#include "types.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QPointer>
#include <QTimer>

#include <memory>
#include <optional>

class QThread;

namespace es {

class ProjectionWorker;
class ReadStore;
class Session;

// The workbench's projections: the GUI-thread face of a ProjectionRunner that
// runs in a worker thread with its own store connection and its own JsDomain
// (loaded from the session's pack file). Views read the cached statuses and
// the throughput history here, send control requests (forwarded, queued, to
// the worker), and read pages of read-model rows through readStore(), a
// separate read-only connection of the GUI thread.
//
// Modes:
//  - Running: a writable store and a pack that declares projections; the
//    runner catches up from the checkpoints, then follows appends live.
//  - Observing: a read-only session, or no pack: nothing is applied here; the
//    statuses come from the stored checkpoints, refreshed every second (so a
//    projector running in another process, `eventscope-cli project --follow`,
//    shows its progress), and the read models can still be browsed.
//  - Off: nothing to show (no projections in the store nor in the pack).
//
// An in-memory store (demos, tests) has no file a second connection could
// open: there the runner shares the session's connection and thread.
class ProjectionHost : public QObject {
    Q_OBJECT
public:
    enum class Mode { Off, Running, Observing };
    Q_ENUM(Mode)

    // One point of the throughput history, per projection, once a second.
    struct Sample {
        qint64 msSinceEpoch = 0;
        double eventsPerSecond = 0; // events of the log the checkpoint passed over, per second
        qint64 lagEvents = 0;
    };
    static constexpr int HistorySeconds = 300;

    explicit ProjectionHost(Session *session);
    ~ProjectionHost() override;

    Mode mode() const { return m_mode; }
    // Why projections are not running (or the last start error); empty when running.
    QString note() const { return m_note; }

    QStringList projections() const; // in the pack's (or the store's) order
    QList<ProjectionStatus> statuses() const;
    std::optional<ProjectionStatus> status(const QString &name) const;
    std::optional<ProjectionSchema> schema(const QString &name) const;
    QList<Sample> history(const QString &name) const;
    // Whether a rebuild of that projection is in progress or waiting for Swap/Discard.
    bool isRebuilding(const QString &name) const { return m_rebuilding.contains(name); }

    // A read-only connection for pages of rows, opened on first use (null when
    // the store has no read model yet). GUI thread only; never load whole tables.
    ReadStore *readStore();

    // (Re)starts after the store or pack changed; stop() joins the worker.
    void start();
    void stop();
    void reloadPack();

    // Control, forwarded to the worker. Failures come back as operationFailed.
    void pause(const QString &name);
    void resume(const QString &name);
    void skip(const QString &name, const QString &reason);
    void setDelay(const QString &name, int delayMs); // -1: the pack's default
    void startRebuild(const QString &name);
    void cancelRebuild(const QString &name); // also "discard" once the diff is shown
    void swapRebuild(const QString &name);

    // The sampling period of statuses and history (default 1 s); takes effect at the next start().
    void setSnapshotIntervalMs(int ms) { m_snapshotIntervalMs = ms; }

Q_SIGNALS:
    void modeChanged();
    void projectionsChanged(); // the list (or the schemas) changed: re-read everything
    void statusChanged(const es::ProjectionStatus &status);
    void historyAppended(); // a new sample for every projection
    void rowsChanged(const QString &projection, const QStringList &keys);
    void pagesInvalidated(const QString &projection, const QStringList &paths, qint64 position);
    void projectionReset(const QString &projection);
    void rebuildProgress(const QString &projection, qint64 done, qint64 total);
    void rebuildReady(const QString &projection, const es::ProjectionDiff &diff);
    void rebuildFinished(const QString &projection, bool swapped, const QString &error);
    void operationFailed(const QString &projection, const QString &message);

private:
    void setMode(Mode mode, const QString &note);
    void onStarted(const QList<es::ProjectionSchema> &schemas, const QList<es::ProjectionStatus> &statuses);
    void onStartFailed(const QString &message);
    void onStatus(const es::ProjectionStatus &status);
    void onSnapshot(const QList<es::ProjectionStatus> &statuses);
    void setSchemas(const QList<es::ProjectionSchema> &schemas);
    void observe();
    void record(const QList<ProjectionStatus> &statuses);

    QPointer<Session> m_session;
    Mode m_mode = Mode::Off;
    QString m_note;
    QThread *m_thread = nullptr;
    ProjectionWorker *m_worker = nullptr;
    std::unique_ptr<ReadStore> m_readStore;
    QStringList m_order;
    QHash<QString, ProjectionSchema> m_schemas;
    QHash<QString, ProjectionStatus> m_statuses;
    QHash<QString, QList<Sample>> m_history;
    QHash<QString, qint64> m_lastPosition; // for the history's rate
    qint64 m_lastSampleMs = 0;
    QSet<QString> m_rebuilding;
    QTimer m_observeTimer;
    int m_snapshotIntervalMs = 1000;
    int m_generation = 0; // drops signals still queued from a worker that was stopped
};

} // namespace es
