#pragma once

#include "result.h"
#include "types.h"

#include <QMutex>
#include <QObject>
#include <QStringList>
#include <QWaitCondition>

#include <atomic>
#include <functional>

class QThread;

namespace es {

class EventStore;

// What a browser of the global log filters on. Unset fields are ignored; set
// fields must all match.
struct SearchFilter {
    QString stream;
    QStringList types; // any of
    QString actor;
    QString correlationId;
    qint64 fromMs = -1; // recorded time, inclusive
    qint64 toMs = -1;   // inclusive
    QString text;       // full text over the event data (terms, each a prefix)

    bool isEmpty() const;
    friend bool operator==(const SearchFilter &, const SearchFilter &) = default;
};

// One event as a log browser shows it: no hash, and only the start of the data.
struct EventSummary {
    qint64 position = 0;
    qint64 recordedMs = 0;
    qint64 version = 0;
    QString stream;
    QString type;
    QString actor;
    QString correlationId;
    QString dataPrefix; // the first DataPrefixChars characters of the stored JSON
};
using EventSummaryList = QList<EventSummary>;

// One keyset page: the matching events whose positions lie in [low, high],
// the first `limit` of them in ascending order, or the last ones in
// descending order with `backward`.
struct SummaryQuery {
    SearchFilter filter;
    qint64 low = 1;
    qint64 high = -1; // -1: no upper bound
    bool backward = false;
    int limit = 200;
};

// The full-text index over event data, and the filtered keyset reads of the
// log that use it.
//
// The index (an FTS5 table, `events_fts`, external content over `events`) is
// not maintained on the append path: an EventSearch object runs a catch-up
// indexer in a worker thread with its own connection, which indexes the
// events after the stored checkpoint in short transactions and then waits to
// be woken (or polls). Searches use the index up to the checkpoint and match
// the not-yet-indexed tail by substring, so a result never misses an event
// because the indexer is behind (the tail differs slightly: a term can match
// inside a word there).
//
// On PostgreSQL there is no index (FTS5 is SQLite's): start() does nothing and
// every text search is the substring scan of the tail, in keyset pages.
//
// The static functions run on the caller's connection: one per thread.
class EventSearch : public QObject {
    Q_OBJECT
public:
    static constexpr int DataPrefixChars = 240;

    explicit EventSearch(QObject *parent = nullptr);
    ~EventSearch() override;

    // Starts indexing the store at `storePath` (a file; the indexer opens it
    // read-write). Stops a previous run first.
    void start(const QString &storePath);
    // Stops the worker; returns once its connection is closed.
    void stop();
    // New events were appended: index them now rather than at the next poll.
    void wake();
    bool isRunning() const;
    // The checkpoint and head as last seen by the worker.
    qint64 indexedPosition() const { return m_indexed.load(); }
    qint64 headPosition() const { return m_head.load(); }

    // Indexes up to maxEvents events after the checkpoint in one write
    // transaction; returns how many it indexed.
    struct Step {
        qint64 indexed = 0;
        qint64 checkpoint = 0;
        qint64 head = 0;
    };
    static Result<Step> indexNext(EventStore &store, int maxEvents);
    // Every event at or below this position is in the index.
    static qint64 checkpoint(EventStore &store);

    // A page of matching events. `cancelled` is polled while SQLite works;
    // when it returns true the query stops with ErrorCode::Cancelled.
    static Result<EventSummaryList> summaries(EventStore &store, const SummaryQuery &query,
                                              const std::function<bool()> &cancelled = {});
    // The first event recorded at or after ms (0: none) and the last one at or
    // before ms (0: none), through the time index: O(log n) wherever ms falls.
    static qint64 firstPositionAtOrAfter(EventStore &store, qint64 ms);
    static qint64 lastPositionAtOrBefore(EventStore &store, qint64 ms);
    // The distinct event types, by index skip-scan (one seek per type).
    static Result<QStringList> eventTypes(EventStore &store, int limit = 1000);

    // The FTS5 query for what a user typed: each term a quoted prefix, all required.
    static QString matchExpression(const QString &text);
    // The lower-cased terms of what a user typed, as matched on the unindexed tail.
    static QStringList terms(const QString &text);

Q_SIGNALS:
    // Throttled: at most a few per second, and once on catching up.
    void progress(qint64 indexed, qint64 head);
    void failed(const QString &message);

private:
    void run(const QString &path);
    bool waitForWork(int timeoutMs); // false when stopping

    QThread *m_thread = nullptr;
    mutable QMutex m_mutex;
    QWaitCondition m_wakeUp;
    bool m_stopping = false;
    bool m_woken = false;
    std::atomic<qint64> m_indexed{0};
    std::atomic<qint64> m_head{0};
};

} // namespace es

Q_DECLARE_METATYPE(es::SearchFilter)
Q_DECLARE_METATYPE(es::EventSummary)
