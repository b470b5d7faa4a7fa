#include "eventsearch.h"

#include "eventstore.h"
#include "sqliteerror.h"
#include "storeaddress.h"

#include <QElapsedTimer>
#include <QHash>
#include <QLoggingCategory>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

#include <sqlite3.h>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <limits>

Q_LOGGING_CATEGORY(lcSearch, "eventscope.search", QtInfoMsg)

using namespace Qt::StringLiterals;

namespace es {

namespace {

// Batches aim at this: long enough to amortise a commit, short enough that an
// append waiting for the write lock hardly notices.
constexpr qint64 TargetBatchMs = 25;
constexpr int MinBatch = 64;
constexpr int MaxBatch = 20000;

const QString SummaryColumns = u"e.position, e.recorded_ms, e.stream, e.version, e.type, e.actor, "
                               "e.correlation_id, substr(e.data, 1, %1)"_s.arg(EventSearch::DataPrefixChars);

sqlite3 *handleOf(const QSqlDatabase &db)
{
    const QVariant v = db.driver() ? db.driver()->handle() : QVariant();
    if (v.isValid() && qstrcmp(v.typeName(), "sqlite3*") == 0)
        return *static_cast<sqlite3 *const *>(v.constData());
    return nullptr;
}

int onProgress(void *context)
{
    const auto *cancelled = static_cast<const std::function<bool()> *>(context);
    return (*cancelled)() ? 1 : 0;
}

// Lets a superseded query stop inside SQLite instead of running to its end.
class ProgressGuard {
public:
    ProgressGuard(const QSqlDatabase &db, const std::function<bool()> &cancelled)
        : m_db(cancelled ? handleOf(db) : nullptr)
        , m_cancelled(cancelled)
    {
        if (m_db)
            sqlite3_progress_handler(m_db, 4000, &onProgress, &m_cancelled);
    }
    ~ProgressGuard()
    {
        if (m_db)
            sqlite3_progress_handler(m_db, 0, nullptr, nullptr);
    }
    ProgressGuard(const ProgressGuard &) = delete;
    ProgressGuard &operator=(const ProgressGuard &) = delete;
    bool cancelled() const { return m_cancelled && m_cancelled(); }

private:
    sqlite3 *m_db;
    std::function<bool()> m_cancelled;
};

struct Clause {
    QString sql;
    QVariantList binds;

    void add(const QString &condition, const QVariant &value)
    {
        sql += u" AND "_s + condition;
        binds << value;
    }
};

// The filters other than types, time and text (time becomes a position range,
// types and text shape the statement).
Clause commonConditions(const SearchFilter &f)
{
    Clause c;
    if (!f.stream.isEmpty())
        c.add(u"e.stream = ?"_s, f.stream);
    if (!f.correlationId.isEmpty())
        c.add(u"e.correlation_id = ?"_s, f.correlationId);
    if (!f.actor.isEmpty())
        c.add(u"e.actor = ?"_s, f.actor);
    return c;
}

QString typeList(const QStringList &types, QVariantList *binds)
{
    QString sql = u"("_s;
    for (int i = 0; i < types.size(); ++i) {
        sql += i ? u",?"_s : u"?"_s;
        *binds << types.at(i);
    }
    return sql + u")"_s;
}

// Runs a page statement and appends its rows. Strings that repeat across rows
// (types, actors) share one copy.
Status readPage(EventStore &store, const QString &sql, const QVariantList &binds, EventSummaryList *out,
                const ProgressGuard &guard)
{
    QSqlQuery q(store.database());
    q.setForwardOnly(true);
    if (!q.prepare(sql))
        return Error::make(ErrorCode::Io,
                           u"%1: cannot prepare a timeline query: %2"_s.arg(store.displayName(), q.lastError().text()));
    for (int i = 0; i < binds.size(); ++i)
        q.bindValue(i, binds.at(i));
    if (!q.exec()) {
        if (guard.cancelled())
            return Error::make(ErrorCode::Cancelled, u"superseded"_s);
        return Error::make(ErrorCode::Io, u"%1: cannot read events: %2"_s.arg(store.displayName(), q.lastError().text()));
    }
    QHash<QString, QString> shared;
    auto intern = [&shared](const QString &s) {
        auto it = shared.constFind(s);
        if (it != shared.cend())
            return *it;
        shared.insert(s, s);
        return s;
    };
    while (q.next()) {
        EventSummary s;
        s.position = q.value(0).toLongLong();
        s.recordedMs = q.value(1).toLongLong();
        s.stream = q.value(2).toString();
        s.version = q.value(3).toLongLong();
        s.type = intern(q.value(4).toString());
        s.actor = intern(q.value(5).toString());
        s.correlationId = q.value(6).toString();
        s.dataPrefix = q.value(7).toString();
        out->append(std::move(s));
    }
    if (q.lastError().isValid()) {
        if (guard.cancelled())
            return Error::make(ErrorCode::Cancelled, u"superseded"_s);
        return Error::make(ErrorCode::Io, u"%1: cannot read events: %2"_s.arg(store.displayName(), q.lastError().text()));
    }
    return {};
}

// A page without text search, in [low, high].
Status plainPage(EventStore &store, const SearchFilter &f, qint64 low, qint64 high, bool backward, int limit,
                 EventSummaryList *out, const ProgressGuard &guard)
{
    const QString order = backward ? u" ORDER BY e.position DESC"_s : u" ORDER BY e.position"_s;
    const Clause common = commonConditions(f);
    if (f.types.size() <= 1) {
        QString sql = u"SELECT "_s + SummaryColumns + u" FROM events e WHERE e.position >= ? AND e.position <= ?"_s;
        QVariantList binds{low, high};
        if (f.types.size() == 1) {
            sql += u" AND e.type = ?"_s;
            binds << f.types.constFirst();
        }
        sql += common.sql + order + u" LIMIT ?"_s;
        binds << common.binds << limit;
        return readPage(store, sql, binds, out, guard);
    }
    // `type IN (...) ORDER BY position` would sort every match past the key;
    // one ordered index range per type, each limited, then merged, stays a page.
    QString sql;
    QVariantList binds;
    for (const QString &type : f.types) {
        if (!sql.isEmpty())
            sql += u" UNION ALL "_s;
        sql += u"SELECT * FROM (SELECT "_s + SummaryColumns +
               u" FROM events e WHERE e.position >= ? AND e.position <= ? AND e.type = ?"_s + common.sql + order +
               u" LIMIT ?) AS by_type"_s;
        binds << low << high << type << common.binds << limit;
    }
    sql += backward ? u" ORDER BY 1 DESC LIMIT ?"_s : u" ORDER BY 1 LIMIT ?"_s;
    binds << limit;
    return readPage(store, sql, binds, out, guard);
}

// A page through the full-text index, in [low, high] (all indexed).
Status indexedPage(EventStore &store, const SearchFilter &f, const QString &match, qint64 low, qint64 high,
                   bool backward, int limit, EventSummaryList *out, const ProgressGuard &guard)
{
    QString sql = u"SELECT "_s + SummaryColumns +
                  u" FROM events_fts JOIN events e ON e.position = events_fts.rowid WHERE events_fts MATCH ? "
                  "AND events_fts.rowid >= ? AND events_fts.rowid <= ?"_s;
    QVariantList binds{match, low, high};
    if (!f.types.isEmpty())
        sql += u" AND e.type IN "_s + typeList(f.types, &binds);
    const Clause common = commonConditions(f);
    sql += common.sql;
    binds << common.binds;
    sql += backward ? u" ORDER BY events_fts.rowid DESC LIMIT ?"_s : u" ORDER BY events_fts.rowid LIMIT ?"_s;
    binds << limit;
    return readPage(store, sql, binds, out, guard);
}

// A page over events the index does not hold yet, matched by substring.
Status tailPage(EventStore &store, const SearchFilter &f, const QStringList &words, qint64 low, qint64 high,
                bool backward, int limit, EventSummaryList *out, const ProgressGuard &guard)
{
    QString sql = u"SELECT "_s + SummaryColumns + u" FROM events e WHERE e.position >= ? AND e.position <= ?"_s;
    QVariantList binds{low, high};
    const bool pg = store.isPostgres();
    // The unary + keeps SQLite's planner on the position order (a page stops
    // early) rather than sorting every match of a type index. PostgreSQL has
    // no unary + on text, and its planner walks the primary key for a LIMIT anyway.
    if (!f.types.isEmpty())
        sql += (pg ? u" AND e.type IN "_s : u" AND +e.type IN "_s) + typeList(f.types, &binds);
    const Clause common = commonConditions(f);
    sql += common.sql;
    binds << common.binds;
    for (const QString &w : words) {
        sql += pg ? u" AND strpos(lower(e.data), ?) > 0"_s : u" AND instr(lower(e.data), ?) > 0"_s;
        binds << w;
    }
    sql += backward ? u" ORDER BY e.position DESC LIMIT ?"_s : u" ORDER BY e.position LIMIT ?"_s;
    binds << limit;
    return readPage(store, sql, binds, out, guard);
}

qint64 singleInteger(EventStore &store, const QString &sql, const QVariantList &binds)
{
    QSqlQuery q(store.database());
    q.setForwardOnly(true);
    if (!q.prepare(sql))
        return 0;
    for (int i = 0; i < binds.size(); ++i)
        q.bindValue(i, binds.at(i));
    if (!q.exec() || !q.next())
        return 0;
    return q.value(0).toLongLong();
}

// The index's checkpoint for writing: a failed read is an error here, never
// position 0 (which would index every event a second time).
Result<qint64> checkedCheckpoint(EventStore &store)
{
    QSqlQuery q(store.database());
    q.setForwardOnly(true);
    if (q.exec(u"SELECT value FROM es_meta WHERE key = 'fts_checkpoint'"_s) && q.next())
        return q.value(0).toString().toLongLong();
    if (!q.isActive() || endedOnError(q))
        return storeError(store.displayName(), u"read the search index's checkpoint"_s, q.lastError());
    return qint64(0);
}

qint64 storeHead(EventStore &store)
{
    return singleInteger(store, u"SELECT max(position) FROM events"_s, {});
}

} // namespace

bool SearchFilter::isEmpty() const
{
    return stream.isEmpty() && types.isEmpty() && actor.isEmpty() && correlationId.isEmpty() && fromMs < 0 &&
           toMs < 0 && EventSearch::terms(text).isEmpty();
}

EventSearch::EventSearch(QObject *parent)
    : QObject(parent)
{
}

EventSearch::~EventSearch()
{
    stop();
}

void EventSearch::start(const QString &storePath)
{
    stop();
    // The index is SQLite's FTS5. On PostgreSQL nothing is indexed: the
    // checkpoint stays 0, so every search is the tail's substring scan, in
    // keyset pages like any other (slower on a big store, never wrong).
    if (StoreAddress::isPostgresUrl(storePath))
        return;
    {
        QMutexLocker lock(&m_mutex);
        m_stopping = false;
        m_woken = false;
    }
    m_indexed = 0;
    m_head = 0;
    m_thread = QThread::create([this, storePath] { run(storePath); });
    m_thread->setObjectName(u"eventscope-indexer"_s);
    m_thread->start();
}

void EventSearch::stop()
{
    if (!m_thread)
        return;
    {
        QMutexLocker lock(&m_mutex);
        m_stopping = true;
        m_wakeUp.wakeAll();
    }
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

void EventSearch::wake()
{
    QMutexLocker lock(&m_mutex);
    m_woken = true;
    m_wakeUp.wakeAll();
}

bool EventSearch::isRunning() const
{
    return m_thread && m_thread->isRunning();
}

bool EventSearch::waitForWork(int timeoutMs)
{
    QMutexLocker lock(&m_mutex);
    if (!m_stopping && !m_woken && timeoutMs > 0)
        m_wakeUp.wait(&m_mutex, timeoutMs);
    m_woken = false;
    return !m_stopping;
}

void EventSearch::run(const QString &path)
{
#ifdef Q_OS_LINUX
    // Catching up on millions of events is background work: a nice level
    // (per thread on Linux) leaves the CPU to the GUI thread and to writers.
    // Not SCHED_IDLE: a starved indexer holding the write lock would stall appends.
    setpriority(PRIO_PROCESS, pid_t(syscall(SYS_gettid)), 10);
#endif
    EventStore::Options o;
    o.mode = EventStore::Mode::ReadWrite;
    o.durability = EventStore::Durability::Normal; // derived data: a lost batch is indexed again
    o.busyTimeoutMs = 2000;
    auto opened = EventStore::open(path, o);
    if (!opened) {
        Q_EMIT failed(opened.error().message);
        return;
    }
    EventStore &store = **opened;
    {
        // The index grows at its right edge: a small page cache will do, and
        // it is memory the workbench would otherwise hold for nothing.
        QSqlQuery q(store.database());
        q.exec(u"PRAGMA cache_size=-8192"_s);
    }
    int batch = 1000;
    QElapsedTimer sinceReport;
    sinceReport.start();
    QString lastError;
    bool first = true;
    for (;;) {
        QElapsedTimer t;
        t.start();
        auto step = indexNext(store, batch);
        if (!step) {
            // Usually the write lock held by a long import: try again later.
            if (step.error().message != lastError) {
                lastError = step.error().message;
                qCWarning(lcSearch) << "indexing" << path << "failed:" << lastError;
                Q_EMIT failed(lastError);
            }
            if (!waitForWork(1000))
                break;
            continue;
        }
        lastError.clear();
        m_indexed = step->checkpoint;
        m_head = step->head;
        const bool caughtUp = step->checkpoint >= step->head;
        if (step->indexed > 0) {
            const qint64 ms = t.elapsed();
            if (ms < TargetBatchMs / 2 && step->indexed == batch)
                batch = qMin(MaxBatch, batch * 2);
            else if (ms > TargetBatchMs * 2)
                batch = qMax(MinBatch, batch / 2);
        }
        if (first || (step->indexed > 0 && (caughtUp || sinceReport.elapsed() >= 250))) {
            Q_EMIT progress(step->checkpoint, step->head);
            sinceReport.restart();
            first = false;
        }
        // Behind: a short pause lets writers take the lock between batches.
        if (!waitForWork(caughtUp ? 1000 : 2))
            break;
    }
}

Result<EventSearch::Step> EventSearch::indexNext(EventStore &store, int maxEvents)
{
    if (store.isPostgres())
        return Error::make(ErrorCode::Invalid, u"%1: the full-text index needs a SQLite store; on PostgreSQL the "
                                               "search scans event data instead"_s.arg(store.displayName()));
    Step step;
    auto indexed = checkedCheckpoint(store);
    if (!indexed)
        return indexed.error();
    step.checkpoint = *indexed;
    step.head = storeHead(store);
    if (step.head <= step.checkpoint || maxEvents <= 0)
        return step;

    QSqlDatabase db = store.database();
    QSqlQuery q(db);
    auto sqlFail = [&](const QString &what) {
        Error e = Error::make(ErrorCode::Io, u"%1: cannot %2: %3"_s.arg(store.displayName(), what, q.lastError().text()));
        QSqlQuery(db).exec(u"ROLLBACK"_s);
        return e;
    };
    if (!q.exec(u"BEGIN IMMEDIATE"_s))
        return Error::make(ErrorCode::Io, u"%1: cannot start indexing: %2"_s.arg(store.displayName(), q.lastError().text()));
    q.finish();
    // Read again under the write lock: another indexer may have moved it.
    const auto checkpointNow = checkedCheckpoint(store);
    if (!checkpointNow) {
        QSqlQuery(db).exec(u"ROLLBACK"_s);
        return checkpointNow.error();
    }
    const qint64 from = *checkpointNow;
    const qint64 upTo = singleInteger(store,
                                      u"SELECT max(position) FROM (SELECT position FROM events WHERE position > ? "
                                      "ORDER BY position LIMIT ?)"_s,
                                      {from, maxEvents});
    if (upTo > from) {
        if (!q.prepare(u"INSERT INTO events_fts(rowid, data) SELECT position, data FROM events "
                       "WHERE position > ? AND position <= ?"_s))
            return sqlFail(u"prepare the index insert"_s);
        q.bindValue(0, from);
        q.bindValue(1, upTo);
        if (!q.exec())
            return sqlFail(u"index events"_s);
        step.indexed = q.numRowsAffected();
        if (!q.prepare(u"INSERT OR REPLACE INTO es_meta(key, value) VALUES ('fts_checkpoint', ?)"_s))
            return sqlFail(u"prepare the checkpoint"_s);
        q.bindValue(0, QString::number(upTo));
        if (!q.exec())
            return sqlFail(u"store the index checkpoint"_s);
        q.finish();
    }
    if (!q.exec(u"COMMIT"_s))
        return sqlFail(u"commit the index"_s);
    step.checkpoint = qMax(from, upTo);
    return step;
}

qint64 EventSearch::checkpoint(EventStore &store)
{
    if (store.isPostgres())
        return 0; // no index: everything is "tail"
    QSqlQuery q(store.database());
    q.setForwardOnly(true);
    if (!q.exec(u"SELECT value FROM es_meta WHERE key = 'fts_checkpoint'"_s) || !q.next())
        return 0;
    return q.value(0).toString().toLongLong();
}

qint64 EventSearch::firstPositionAtOrAfter(EventStore &store, qint64 ms)
{
    // EventStore::positionAtTime's max(position) walks back from the head until
    // the time matches (seconds on 10M events for an early time); ordering by
    // the time index's own key is one seek.
    return singleInteger(
        store, u"SELECT position FROM events WHERE recorded_ms >= ? ORDER BY recorded_ms, position LIMIT 1"_s, {ms});
}

qint64 EventSearch::lastPositionAtOrBefore(EventStore &store, qint64 ms)
{
    return singleInteger(
        store, u"SELECT position FROM events WHERE recorded_ms <= ? ORDER BY recorded_ms DESC, position DESC LIMIT 1"_s,
        {ms});
}

Result<QStringList> EventSearch::eventTypes(EventStore &store, int limit)
{
    QSqlQuery q(store.database());
    q.setForwardOnly(true);
    if (!q.prepare(u"SELECT min(type) FROM events WHERE type > ?"_s))
        return Error::make(ErrorCode::Io, u"%1: cannot list event types: %2"_s.arg(store.displayName(), q.lastError().text()));
    QStringList out;
    QString after = u""_s;
    while (out.size() < limit) {
        q.bindValue(0, after);
        if (!q.exec())
            return Error::make(ErrorCode::Io,
                               u"%1: cannot list event types: %2"_s.arg(store.displayName(), q.lastError().text()));
        if (!q.next() || q.value(0).isNull()) {
            if (endedOnError(q))
                return storeError(store.displayName(), u"list event types"_s, q.lastError());
            break;
        }
        after = q.value(0).toString();
        q.finish();
        out << after;
    }
    return out;
}

QStringList EventSearch::terms(const QString &text)
{
    QStringList out;
    const QStringList parts = text.simplified().split(u' ', Qt::SkipEmptyParts);
    for (QString p : parts) {
        while (p.startsWith(u'"'))
            p.remove(0, 1);
        while (p.endsWith(u'"') || p.endsWith(u'*'))
            p.chop(1);
        const bool meaningful = std::any_of(p.cbegin(), p.cend(), [](QChar c) { return c.isLetterOrNumber(); });
        if (meaningful)
            out << p.toLower();
    }
    return out;
}

QString EventSearch::matchExpression(const QString &text)
{
    QStringList phrases;
    for (QString t : terms(text))
        phrases << u"\""_s + t.replace(u'"', u"\"\""_s) + u"\"*"_s;
    return phrases.join(u' ');
}

Result<EventSummaryList> EventSearch::summaries(EventStore &store, const SummaryQuery &query,
                                                const std::function<bool()> &cancelled)
{
    const SearchFilter &f = query.filter;
    EventSummaryList out;
    qint64 low = qMax<qint64>(1, query.low);
    qint64 high = query.high < 0 ? std::numeric_limits<qint64>::max() : query.high;
    // Positions and times grow together: a time range is a position range.
    if (f.fromMs >= 0) {
        const qint64 p = firstPositionAtOrAfter(store, f.fromMs);
        if (p == 0)
            return out;
        low = qMax(low, p);
    }
    if (f.toMs >= 0) {
        const qint64 p = lastPositionAtOrBefore(store, f.toMs);
        if (p == 0)
            return out;
        high = qMin(high, p);
    }
    if (low > high || query.limit <= 0)
        return out;

    const ProgressGuard guard(store.database(), cancelled);
    const QStringList words = terms(f.text);
    if (words.isEmpty()) {
        if (auto st = plainPage(store, f, low, high, query.backward, query.limit, &out, guard); !st)
            return st.error();
        return out;
    }

    const qint64 indexed = checkpoint(store);
    const QString match = matchExpression(f.text);
    auto fromIndex = [&]() -> Status {
        const qint64 hi = qMin(high, indexed);
        if (low > hi || out.size() >= query.limit)
            return {};
        return indexedPage(store, f, match, low, hi, query.backward, query.limit - int(out.size()), &out, guard);
    };
    auto fromTail = [&]() -> Status {
        const qint64 lo = qMax(low, indexed + 1);
        if (lo > high || out.size() >= query.limit)
            return {};
        return tailPage(store, f, words, lo, high, query.backward, query.limit - int(out.size()), &out, guard);
    };
    // In the page's order: the indexed range lies below the tail.
    Status st = query.backward ? fromTail() : fromIndex();
    if (st)
        st = query.backward ? fromIndex() : fromTail();
    if (!st)
        return st.error();
    return out;
}

} // namespace es
