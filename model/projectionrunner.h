#pragma once

#include "domain.h"
#include "projectiontypes.h"
#include "readstore.h"
#include "result.h"
#include "types.h"

#include <QElapsedTimer>
#include <QObject>
#include <QSqlQuery>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

namespace es {

class EventStore;
class EventRangeReader;
class StoreWatcher;

// Runs a domain's projections: catches each one up from its checkpoint over
// the global log in batches, then follows the log live. Each batch's
// read-model writes and its checkpoint commit in one transaction, so every
// event is applied exactly once, across restarts and crashes.
//
// A handler error stops that projection only (state Failed, with the error
// and the event); resume() retries the event (after the pack was fixed and
// reloaded with setDomain), skip() passes over it and leaves an audit record.
//
// Rebuilds write shadow tables from position 0 while the live tables stay
// readable, offer a diff, then swap in one transaction. buildAsOf() projects
// the log up to a position into a scratch in-memory store.
//
// Live following: the store's eventsAppended signal (same process), and a
// StoreWatcher for appends by other connections or processes (a cheap poll of
// PRAGMA data_version; on PostgreSQL LISTEN and a safety poll). When the
// server drops a connection the runner opened itself (open()), the watcher
// reopens it with back-off; meanwhile the statuses say so (no projection is
// paused or failed for it), and then each projection catches up from its
// committed checkpoint: a batch the drop interrupted was rolled back with its
// checkpoint, so it is applied once, again. Work runs in batches on this object's thread's event loop; the
// synchronous catchUp()/rebuild() are for the CLI and tests.
//
// Threading: a runner, its EventStore connection, its ReadStore and the
// Domain all belong to one thread. A runner given a store must be destroyed
// before that store. To run projections off the GUI thread,
// create the runner with open() (its own connection) and its own Domain
// instance in the worker thread.
class ProjectionRunner : public QObject {
    Q_OBJECT
public:
    struct BatchInfo {
        QString projection;
        qint64 position = 0;  // the checkpoint the batch commits
        qint64 batches = 0;   // live batches committed so far (all projections)
        bool committed = false;
    };
    struct Options {
        // Empty: the read tables live in the event store's own file (and connection).
        QString readStorePath;
        int batchSize = 1000;     // events per transaction
        int pollIntervalMs = 50;  // SQLite: data_version poll for other writers; 0: none
        int safetyPollMs = 1000;  // PostgreSQL: head check and connection probe (NOTIFY wakes it first)
        int statusIntervalMs = 100; // statusChanged at most this often per projection while busy
        QStringList projections;  // the projections to run; empty: all the pack declares
        // Called before each live batch's commit (committed = false) and after
        // it (true): lets tests and the CLI's crash switch stop the process at a
        // precise point, and the bench time the read side.
        std::function<void(const BatchInfo &)> batchHook;
    };

    // Runs on a given store (its connection and thread).
    static Result<std::unique_ptr<ProjectionRunner>> create(EventStore *store, Domain *domain,
                                                            const Options &options);
    static Result<std::unique_ptr<ProjectionRunner>> create(EventStore *store, Domain *domain);
    // Opens its own connection to the store file (for a worker thread or another process).
    static Result<std::unique_ptr<ProjectionRunner>> open(const QString &storePath, Domain *domain,
                                                          const Options &options);
    ~ProjectionRunner() override;

    EventStore *store() const { return m_store; }
    ReadStore *readStore() const { return m_readStore.get(); }
    Domain *domain() const { return m_domain; }
    QStringList projections() const;
    const ProjectionSchema *schema(const QString &name) const;

    // --- running ---
    void start(); // catch up in event-loop batches, then follow live
    void stop();
    bool isStarted() const { return m_started; }
    // Catches every running projection (and rebuild) up to the head as of now, synchronously.
    // Returns the number of events applied.
    Result<qint64> catchUp();

    QList<ProjectionStatus> statuses();
    Result<ProjectionStatus> status(const QString &name);

    // --- control ---
    Status pause(const QString &name);
    // From Paused or Failed: retries the failed event with the current handlers.
    Status resume(const QString &name);
    // From Failed at an event: passes over it in this projection, with an audit record.
    Status skip(const QString &name, const QString &reason = {}, const QString &actor = {});
    // The artificial delay (a trainer's eventual consistency); -1 restores the pack's default.
    Status setDelay(const QString &name, int delayMs);
    // A reloaded pack: new handlers and schemas. Rebuilds in progress are cancelled;
    // failed projections stay failed until resumed.
    Status setDomain(Domain *domain);

    // --- rebuild ---
    // Starts a rebuild into shadow tables, run in event-loop batches beside live work.
    Status startRebuild(const QString &name, bool swapWhenReady = false);
    // Synchronous: builds the shadow up to the head. progress(done, head) returns false to cancel.
    Status buildShadow(const QString &name, const std::function<bool(qint64, qint64)> &progress = {});
    Result<ProjectionDiff> shadowDiff(const QString &name, int sampleLimit = 20);
    // Catches the shadow up to the head, then replaces the live tables in one transaction.
    Status swapShadow(const QString &name);
    Status cancelRebuild(const QString &name);
    // buildShadow + shadowDiff + swapShadow (unless dryRun): the diff is what the swap changed.
    Result<ProjectionDiff> rebuild(const QString &name, bool dryRun = false,
                                   const std::function<bool(qint64, qint64)> &progress = {});

    // --- as of a position ---
    // The projections (all, or those named) built from events 1..position into a
    // scratch in-memory read store; the live read store is not touched. Events a
    // user skipped in a projection are skipped again when they fail again.
    static Result<std::unique_ptr<ReadStore>> buildAsOf(EventStore *store, Domain *domain, qint64 position,
                                                        const QStringList &projections = {},
                                                        const QHash<QString, QSet<qint64>> &skipped = {});
    Result<std::unique_ptr<ReadStore>> asOf(qint64 position, const QStringList &projections = {});

public Q_SLOTS:
    // Connect any store's eventsAppended here (queued across threads): new events to follow.
    void notifyAppended(const es::EventList &events);

Q_SIGNALS:
    void statusChanged(const es::ProjectionStatus &status);
    // Pages written or deleted (by a batch or a swap), for a cache/CDN purge.
    void pagesInvalidated(const QString &projection, const QStringList &paths, qint64 position);
    // Rows or documents written or deleted by a batch.
    void rowsChanged(const QString &projection, const QStringList &keys);
    // The live tables were replaced by a rebuild: anything read before is stale.
    void projectionReset(const QString &projection);
    // PostgreSQL: the store's connection dropped (the runner is reconnecting) or came back.
    void connectionChanged(bool connected, const QString &message);

private:
    struct Slot;
    enum class Step { Idle, Progress, Waiting };

    ProjectionRunner(EventStore *store, Domain *domain, const Options &options);
    Status load();
    Status loadSlot(Slot &slot);
    Slot *find(const QString &name) const;
    Result<Slot *> require(const QString &name) const;
    const EventList *readBatch(qint64 from, qint64 head, int limit, Status *error);
    Step liveRound(qint64 head, qint64 *applied, Status *error);
    Step stepShadow(Slot &slot, qint64 head, qint64 *applied, Status *error);
    Status startShadow(Slot &slot);
    void failRebuild(Slot &slot, const QString &message);
    Status doSwap(Slot &slot);
    ProjectionStatus statusOf(const Slot &slot, qint64 head);
    void emitStatus(Slot &slot, bool force);
    void scheduleTick(int delayMs);
    void tick();
    qint64 head();
    static int effectiveDelay(const Slot &slot);
    void onConnectionLost(const QString &why);
    void onReconnected();

    EventStore *m_store = nullptr;
    std::unique_ptr<EventStore> m_ownedStore;
    std::unique_ptr<ReadStore> m_readStore;
    std::unique_ptr<EventRangeReader> m_reader; // the fast path for reading the log, when SQLite
    std::unique_ptr<StoreWatcher> m_watcher;    // PostgreSQL, while started
    bool m_connected = true;
    Domain *m_domain = nullptr;
    Options m_options;
    std::vector<std::unique_ptr<Slot>> m_slots;
    bool m_started = false;
    QTimer m_tickTimer;
    qint64 m_head = 0;
    qint64 m_batches = 0; // committed batches, for the batch hook
    QElapsedTimer m_clock;
    // The last batch read, shared by projections at the same checkpoint.
    qint64 m_batchFrom = -1;
    qint64 m_batchHead = -1;
    int m_batchLimit = 0;
    EventList m_batch;
};

} // namespace es
