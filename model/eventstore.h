#pragma once

#include "result.h"
#include "types.h"

#include <QHash>
#include <QObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <functional>
#include <memory>
#include <optional>

namespace es {

class StoreAddress;

// Which events a query returns. Unset filters are ignored. Results are in
// global order (ascending, or descending with `backward`), paged by position
// (keyset paging: never OFFSET).
struct EventQuery {
    QString stream;
    QStringList types;
    QString correlationId;
    QString actor;
    qint64 fromMs = -1; // recorded time, inclusive
    qint64 toMs = -1;   // inclusive
    qint64 fromVersion = -1; // with stream
    qint64 toVersion = -1;
    qint64 fromPosition = 0; // inclusive; with backward, the upper bound (0: from the head)
    qint64 toPosition = -1;  // inclusive
    int limit = 1000;
    bool backward = false;
};

// All that one append writes, in one transaction.
struct AppendRequest {
    QString stream;
    QString streamType; // the aggregate type; recorded on the stream's first append
    QList<NewEvent> events;
    ExpectedVersion expected;
    std::optional<Snapshot> snapshot;      // written with the events (taken by the pipeline)
    std::optional<CommandRecord> command;  // the command log row; positions are filled in
    bool publish = true; // emit eventsAppended after commit; the pipeline publishes itself to time it
};

struct VerifyReport {
    bool intact = true;
    qint64 checked = 0;
    qint64 firstBadPosition = 0;
    QString problem; // what differs, for the first bad position
};

// An event read from an export file, with its provenance for error messages.
struct ImportedEvent {
    RecordedEvent event;
    QString streamType;
    int line = 0;
};

// The event store over one SQLite file (WAL), or one PostgreSQL database
// (a postgresql:// URL, see StoreAddress). One instance = one connection:
// use it from the thread that opened it, and open another instance per thread.
class EventStore : public QObject {
    Q_OBJECT
public:
    enum class Mode {
        ReadWrite,  // the store must exist
        Create,     // create the file (and schema) when missing
        ReadOnly,   // opened read-only by SQLite itself: no write can succeed
    };
    enum class Durability { Normal, Full };

    struct Options {
        Mode mode = Mode::ReadWrite;
        Durability durability = Durability::Full;
        int busyTimeoutMs = 10000;
    };

    static constexpr int SchemaVersion = 2;

    static Result<std::unique_ptr<EventStore>> open(const QString &path, const Options &options);
    static Result<std::unique_ptr<EventStore>> open(const QString &path, Mode mode = Mode::ReadWrite);
    ~EventStore() override;

    QString path() const { return m_path; }
    // The path, or the PostgreSQL URL without its password: for titles and messages.
    QString displayName() const { return m_label; }
    bool isPostgres() const { return m_pg; }
    // The PostgreSQL channel every commit notifies (a wake-up: readers catch up from where they are).
    static QString notificationChannel();
    bool isReadOnly() const { return m_readOnly; }
    // Why the store is read-only when nobody asked for it (empty otherwise): the
    // file cannot be written (permissions, a read-only mount, immutable), or the
    // store is damaged. In the user's terms, for the status bar and the banner.
    QString readOnlyReason() const { return m_readOnlyReason; }
    // Opened as a snapshot (SQLite's immutable mode): the file cannot be written
    // here and no other process had it open, so no -wal/-shm were created and
    // appends other processes make later are not seen.
    bool isSnapshot() const { return m_snapshot; }
    // The damage SQLite reported on this connection (code Damaged), or none.
    // Once seen, every write is refused: nothing more goes into a damaged file.
    const Error &damage() const { return m_damage; }
    // Refuses every write from now on (SQLite's query_only as well), saying why:
    // a check found the store damaged after it was opened read-write.
    void switchToReadOnly(const QString &reason);
    QSqlDatabase database() const { return m_db; }
    // PostgreSQL: drops this connection and opens it again with the same
    // address and session settings (after the server or the network dropped
    // it). Prepared statements and LISTEN subscriptions are gone: subscribe
    // again. Queries made with database() keep working. No-op on SQLite.
    Status reconnect();

    // Writes
    Result<AppendResult> append(const AppendRequest &request);
    Status logCommand(const CommandRecord &record); // a command that wrote no events
    // Persisted with the next write (or on close): the publish stage ends after commit.
    void recordPublishTiming(const QString &commandId, const StageTimings &timings);
    void publish(const EventList &events);
    Status saveSnapshot(const Snapshot &snapshot, const QString &streamType = {});
    // Imports exported events in one transaction: all or nothing.
    Result<qint64> importEvents(const QList<ImportedEvent> &events);

    // Reads
    qint64 headPosition();
    Result<EventList> query(const EventQuery &query);
    Result<EventList> readStream(const QString &stream, qint64 fromVersion = 1, qint64 toVersion = -1);
    Result<EventList> readForward(qint64 fromPosition, int limit);
    // Visits events in global order from a position without materialising a list.
    // The visitor returns false to stop.
    Status scan(qint64 fromPosition, const std::function<bool(const RecordedEvent &)> &visitor);
    std::optional<StreamInfo> streamInfo(const QString &stream);
    Result<QList<StreamInfo>> streams(const QString &prefix = {}, int limit = -1);
    std::optional<Snapshot> latestSnapshot(const QString &stream, qint64 maxVersion, const QString &domainVersion,
                                           const QString &domainHash);
    std::optional<CommandRecord> command(const QString &commandId);
    Result<QList<CommandRecord>> commands(qint64 afterSeq = 0, int limit = 1000);
    // The last position at or before a time (0 when none).
    qint64 positionAtTime(qint64 ms);

    // Recomputes the hash chain. progress(done, head) returns false to cancel.
    Result<VerifyReport> verify(const std::function<bool(qint64, qint64)> &progress = {});

    static QByteArray computeHash(const QByteArray &previousHash, const RecordedEvent &event);

    // The INSERT of one row of the events table (every column), and the binding
    // of an event to it: shared by append, import and the sandbox's copy.
    static QString insertEventSql();
    // The same INSERT for `rows` rows at once; row r binds from r * EventColumns.
    static QString insertEventsSql(int rows);
    static constexpr int EventColumns = 12;
    static void bindEventRow(QSqlQuery &insert, const RecordedEvent &event, const QString &correlationId,
                             const QString &actor, int first = 0);

    // --- In-memory scratch stores (the what-if sandbox) ---
    // A named in-memory store that other connections (in other threads) can open
    // too: "file:NAME?mode=memory&cache=shared". It lives while one connection is open.
    static QString memoryUri(const QString &name);
    static bool isMemoryUri(const QString &path);
    // Opens (creating the schema) the named in-memory store.
    static Result<std::unique_ptr<EventStore>> openInMemory(const QString &name);

Q_SIGNALS:
    // Emitted after commit, in this store's thread.
    void eventsAppended(const es::EventList &events);
    void commandLogged(const es::CommandRecord &record);
    // A statement found the file damaged (emitted once; see damage()).
    void damageDetected(const es::Error &error);

private:
    explicit EventStore(QObject *parent = nullptr);
    Status initialise(const QString &path, const Options &options);
    Status initialisePostgres(const StoreAddress &address, const Options &options);
    // Is the database ours, and of a schema this version reads? Returns the stored schema (0: empty).
    Result<int> checkOwnership(const QStringList &tables, const QString &whatItIs);
    Status createOrMigrate(int knownSchema);
    Status openSqlite(const QString &path, const Options &options);
    QSqlQuery &prepared(const QString &sql);
    // A failed statement as an error in the user's terms; damage is remembered (see damage()).
    Error sqlError(const QString &what, const QSqlQuery &q);
    Error sqlError(const QString &what, const QSqlError &error);
    // For reads that answer with a plain value: the failure is logged and damage remembered.
    void noteReadFailure(const QString &what, const QSqlQuery &q);
    Status refuseWrite(const QString &nothingDone) const;
    Status begin();
    Status commit();
    void rollback();
    Status flushPendingTimings(bool force = false);
    Status insertCommandRow(const CommandRecord &record);
    static RecordedEvent eventFromQuery(const QSqlQuery &q);

    QSqlDatabase m_db;
    QString m_connectionName;
    QString m_path;
    QString m_label;
    bool m_pg = false;
    bool m_pgFullDurability = false; // restored by reconnect()
    bool m_readOnly = false;
    bool m_memory = false;
    bool m_snapshot = false;
    QString m_readOnlyReason;
    Error m_damage;
    QHash<QString, QSqlQuery> m_statements;
    QHash<QString, StageTimings> m_pendingTimings;
};

} // namespace es
