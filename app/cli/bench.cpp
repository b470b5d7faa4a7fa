// eventscope-cli bench: the engine measured against raw SQLite C API baselines
// taken in the same run, on the same schema and pragmas.
//
//   1. batched append (1,000 events per transaction, WAL + synchronous=NORMAL)
//   2. durable single-event commands through the whole pipeline (WAL + FULL)
//   3. aggregate load of a 10,000-event stream, with and without snapshots
//   4. global log scan
//   5. peak memory
//   6. rebuild of a JavaScript table projection (shop Orders)
//   7. live lag of the read side at 1,000 events/s

#include "benchsupport.h"
#include "cli.h"

#include "commandpipeline.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "projectionrunner.h"
#include "repository.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QEventLoop>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QLoggingCategory>
#include <QTemporaryDir>
#include <QTimer>

#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>
#include <cmath>
#include <functional>
#include <iterator>
#include <memory>
#include <random>
#include <vector>

using namespace Qt::StringLiterals;
using namespace es;

using namespace benchsupport;

namespace {

constexpr int LoadStreamEvents = 10000;
constexpr double AppendTarget = 0.5;
constexpr double CommandTarget = 0.8;
constexpr double ScanTarget = 0.25;

const char *const EventTypes[] = {"Deposited", "Withdrawn", "Noted", "Tagged"};
constexpr int EventTypeCount = int(std::size(EventTypes));

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// --- raw SQLite ------------------------------------------------------------

class RawDb {
public:
    RawDb() = default;
    RawDb(const RawDb &) = delete;
    RawDb &operator=(const RawDb &) = delete;
    ~RawDb()
    {
        for (sqlite3_stmt *s : m_statements)
            sqlite3_finalize(s);
        if (m_db)
            sqlite3_close_v2(m_db);
    }

    Status open(const QString &path, bool readOnly)
    {
        m_path = path;
        const int flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
        if (sqlite3_open_v2(QFile::encodeName(path).constData(), &m_db, flags, nullptr) != SQLITE_OK)
            return error(u"open (raw sqlite3)"_s);
        sqlite3_busy_timeout(m_db, 10000);
        return {};
    }

    Status exec(const char *sql)
    {
        char *msg = nullptr;
        if (sqlite3_exec(m_db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
            const QString why = QString::fromUtf8(msg ? msg : sqlite3_errmsg(m_db));
            sqlite3_free(msg);
            return Error::make(ErrorCode::Io, u"%1: raw sqlite3 cannot run `%2`: %3"_s.arg(m_path,
                                                                                           QString::fromUtf8(sql), why));
        }
        return {};
    }

    sqlite3_stmt *prepare(const char *sql, Status *status)
    {
        sqlite3_stmt *s = nullptr;
        if (sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
            *status = error(u"prepare `%1`"_s.arg(QString::fromUtf8(sql)));
            return nullptr;
        }
        m_statements.push_back(s);
        return s;
    }

    // Steps a statement that returns no rows, then resets it.
    Status run(sqlite3_stmt *s, const QString &what)
    {
        const int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) {
            const Error e = error(what);
            sqlite3_reset(s);
            return e;
        }
        sqlite3_reset(s);
        return {};
    }

    Error error(const QString &what) const
    {
        const QString why = m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : u"out of memory"_s;
        return Error::make(ErrorCode::Io, u"%1: cannot %2: %3"_s.arg(m_path, what, why));
    }

    // The same pragmas EventStore sets.
    Status applyPragmas(EventStore::Durability durability)
    {
        if (auto st = exec("PRAGMA journal_mode=WAL"); !st)
            return st;
        if (auto st = exec(durability == EventStore::Durability::Full ? "PRAGMA synchronous=FULL"
                                                                       : "PRAGMA synchronous=NORMAL");
            !st)
            return st;
        return exec("PRAGMA cache_size=-65536");
    }

private:
    sqlite3 *m_db = nullptr;
    QString m_path;
    std::vector<sqlite3_stmt *> m_statements;
};

const char *const RawInsertSql = "INSERT INTO events(position, stream, version, type, event_id, data, metadata, "
                                 "recorded_ms, schema_version, correlation_id, actor, hash) "
                                 "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";
const char *const RawStreamSql = "INSERT INTO streams(stream, type, version, first_ms, last_ms) VALUES (?,?,?,?,?) "
                                 "ON CONFLICT(stream) DO UPDATE SET version = excluded.version, "
                                 "last_ms = excluded.last_ms";

void bindText(sqlite3_stmt *s, int i, const QByteArray &bytes)
{
    sqlite3_bind_text(s, i, bytes.constData(), int(bytes.size()), SQLITE_STATIC);
}

// Removes a store file and its WAL companions (only our own bench files).
void removeStoreFiles(const QString &path)
{
    for (const QString &suffix : {QString(), u"-wal"_s, u"-shm"_s, u"-journal"_s})
        QFile::remove(path + suffix);
}

// Creates the engine's schema in a fresh file so a raw baseline writes into
// identical tables, indexes and triggers.
Status createSchema(const QString &path)
{
    removeStoreFiles(path);
    EventStore::Options o;
    o.mode = EventStore::Mode::Create;
    auto store = EventStore::open(path, o);
    if (!store)
        return store.error();
    return {};
}

// --- payloads (benchPayload and benchMetadata are in benchsupport.h) ---------

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// --- figures ---------------------------------------------------------------

struct AppendFigure {
    qint64 events = 0;
    double engineSec = 0;
    double rawSec = 0;
    qint64 payloadBytes = 0;
};

struct CommandFigure {
    qint64 commands = 0;
    double engineSec = 0;
    double rawSec = 0;
    double p50Ms = 0, p99Ms = 0, rawP50Ms = 0, rawP99Ms = 0;
};

struct LoadFigure {
    qint64 events = 0;
    double snapshotMs = 0;
    double replayMs = 0;
    qint64 snapshotVersion = 0;
    qint64 eventsAppliedWithSnapshot = 0;
    int repetitions = 0;
    bool statesMatch = true;
};

struct ScanFigure {
    qint64 rows = 0;
    double engineSec = 0;
    double rawSec = 0;
};

struct Context {
    QString dir;
    qint64 events = 0;
    qint64 commands = 0;
    JsDomain *domain = nullptr;
    std::unique_ptr<EventStore> appendStore; // the store of figure 1, scanned by figure 4
};

QString storePath(const Context &c, const QString &name)
{
    return QDir(c.dir).filePath(name);
}

// 1. Batched append -----------------------------------------------------------
//
// The engine and the raw baseline run interleaved, a chunk of batches each in
// turn, so that load from other processes on a shared machine hits both
// sides alike; both stores grow at the same pace.

constexpr int AppendChunkBatches = 10;

class EngineAppender {
public:
    Status open(const QString &path)
    {
        removeStoreFiles(path);
        EventStore::Options o;
        o.mode = EventStore::Mode::Create;
        o.durability = EventStore::Durability::Normal;
        auto store = EventStore::open(path, o);
        if (!store)
            return store.error();
        m_store = std::move(*store);
        for (const char *t : EventTypes)
            m_types << QString::fromLatin1(t);
        return {};
    }

    // Appends batch `batch` holding events first+1 .. first+count; returns the nanoseconds of append().
    Status run(qint64 batch, qint64 first, int count, qint64 *ns)
    {
        AppendRequest req;
        req.stream = u"bench-%1"_s.arg(batch);
        req.streamType = u"Bench"_s;
        req.expected = ExpectedVersion::noStream();
        req.events.reserve(count);
        const QJsonObject metadata = benchMetadata(batch);
        for (int i = 0; i < count; ++i) {
            NewEvent e;
            e.type = m_types.at(int((first + i) % EventTypeCount));
            e.data = benchPayload(first + i);
            e.metadata = metadata;
            req.events.append(std::move(e));
        }
        QElapsedTimer t;
        t.start();
        auto r = m_store->append(req);
        *ns += t.nsecsElapsed();
        if (!r)
            return Error::make(r.error().code, u"batched append failed at batch %1: %2"_s.arg(batch).arg(
                                                   r.error().message));
        return {};
    }

    std::unique_ptr<EventStore> take() { return std::move(m_store); }

private:
    std::unique_ptr<EventStore> m_store;
    QList<QString> m_types;
};

class RawAppender {
public:
    Status open(const QString &path)
    {
        if (auto st = createSchema(path); !st)
            return st;
        if (auto st = m_db.open(path, false); !st)
            return st;
        if (auto st = m_db.applyPragmas(EventStore::Durability::Normal); !st)
            return st;
        Status st;
        m_begin = m_db.prepare("BEGIN IMMEDIATE", &st);
        m_commit = m_begin ? m_db.prepare("COMMIT", &st) : nullptr;
        m_insert = m_commit ? m_db.prepare(RawInsertSql, &st) : nullptr;
        m_upsert = m_insert ? m_db.prepare(RawStreamSql, &st) : nullptr;
        m_payloads.resize(BatchSize);
        return st;
    }

    Status run(qint64 batch, qint64 first, int count, qint64 *ns)
    {
        // Pre-serialised payloads, outside the timer: the raw side gets text ready to bind.
        for (int i = 0; i < count; ++i)
            m_payloads[size_t(i)] = compact(benchPayload(first + i));
        const QByteArray metadata = compact(benchMetadata(batch));
        const QByteArray correlation = "bench-corr-" + QByteArray::number(batch);
        const QByteArray stream = "bench-" + QByteArray::number(batch);

        QElapsedTimer t;
        t.start();
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (auto st = m_db.run(m_begin, u"begin"_s); !st)
            return st;
        for (int i = 0; i < count; ++i) {
            const qint64 position = first + i + 1;
            sqlite3_bind_int64(m_insert, 1, position);
            bindText(m_insert, 2, stream);
            sqlite3_bind_int64(m_insert, 3, i + 1);
            sqlite3_bind_text(m_insert, 4, EventTypes[(position - 1) % EventTypeCount], -1, SQLITE_STATIC);
            sqlite3_bind_text(m_insert, 5, m_uuid.next(), 36, SQLITE_STATIC);
            bindText(m_insert, 6, m_payloads[size_t(i)]);
            bindText(m_insert, 7, metadata);
            sqlite3_bind_int64(m_insert, 8, now);
            sqlite3_bind_int(m_insert, 9, 1);
            bindText(m_insert, 10, correlation);
            bindText(m_insert, 11, m_actor);
            bindText(m_insert, 12, m_hash);
            if (auto st = m_db.run(m_insert, u"insert event %1"_s.arg(position)); !st)
                return st;
        }
        bindText(m_upsert, 1, stream);
        bindText(m_upsert, 2, m_streamType);
        sqlite3_bind_int64(m_upsert, 3, count);
        sqlite3_bind_int64(m_upsert, 4, now);
        sqlite3_bind_int64(m_upsert, 5, now);
        if (auto st = m_db.run(m_upsert, u"upsert stream"_s); !st)
            return st;
        if (auto st = m_db.run(m_commit, u"commit"_s); !st)
            return st;
        *ns += t.nsecsElapsed();
        return {};
    }

private:
    RawDb m_db;
    sqlite3_stmt *m_begin = nullptr;
    sqlite3_stmt *m_commit = nullptr;
    sqlite3_stmt *m_insert = nullptr;
    sqlite3_stmt *m_upsert = nullptr;
    std::vector<QByteArray> m_payloads;
    FastUuid m_uuid;
    const QByteArray m_hash = QCryptographicHash::hash("eventscope bench", QCryptographicHash::Sha256).toHex();
    const QByteArray m_actor = "bench";
    const QByteArray m_streamType = "Bench";
};

Status benchAppend(Context &c, AppendFigure &f)
{
    const QString rawPath = storePath(c, u"append-raw.es"_s);
    progress(u"[1/4] batched append: %1 events in transactions of %2, eventscope and raw sqlite3 interleaved "
             "every %3 events"_s.arg(c.events)
                 .arg(BatchSize)
                 .arg(AppendChunkBatches * BatchSize));
    EngineAppender engine;
    if (auto st = engine.open(storePath(c, u"append-engine.es"_s)); !st)
        return st;
    {
        RawAppender raw;
        if (auto st = raw.open(rawPath); !st)
            return st;
        qint64 engineNs = 0, rawNs = 0;
        qint64 done = 0;
        qint64 batch = 0;
        qint64 nextReport = c.events / 4;
        for (int chunk = 0; done < c.events; ++chunk) {
            const qint64 chunkFirstBatch = batch;
            const qint64 chunkFirst = done;
            // Alternate which side goes first.
            for (int side = 0; side < 2; ++side) {
                const bool engineTurn = (side == 0) == (chunk % 2 == 0);
                qint64 b = chunkFirstBatch, first = chunkFirst;
                for (int k = 0; k < AppendChunkBatches && first < c.events; ++k, ++b) {
                    const int count = int(qMin<qint64>(BatchSize, c.events - first));
                    if (auto st = engineTurn ? engine.run(b, first, count, &engineNs) : raw.run(b, first, count, &rawNs);
                        !st)
                        return st;
                    first += count;
                }
                batch = b;
                done = first;
            }
            if (done >= nextReport && done < c.events) {
                progress(u"      %1 / %2 events: eventscope %3 events/s, raw %4 events/s so far"_s.arg(done)
                             .arg(c.events)
                             .arg(qint64(double(done) / seconds(engineNs)))
                             .arg(qint64(double(done) / seconds(rawNs))));
                nextReport += c.events / 4;
            }
        }
        f.events = done;
        f.engineSec = seconds(engineNs);
        f.rawSec = seconds(rawNs);
    }
    removeStoreFiles(rawPath); // not needed any more: free the disk early
    f.payloadBytes = compact(benchPayload(0)).size();
    c.appendStore = engine.take();
    return {};
}

// 2. Durable commands ----------------------------------------------------------

constexpr int CommandChunk = 100;

Status benchCommands(Context &c, CommandFigure &f)
{
    const QString path = storePath(c, u"commands-engine.es"_s);
    removeStoreFiles(path);
    EventStore::Options o;
    o.mode = EventStore::Mode::Create;
    o.durability = EventStore::Durability::Full;
    auto store = EventStore::open(path, o);
    if (!store)
        return store.error();
    CommandPipeline pipeline(store->get(), c.domain);

    progress(u"[2/4] durable commands: opening %1 accounts (not timed)"_s.arg(Accounts));
    auto check = [](const CommandResult &r, const QString &what) -> Status {
        if (r.accepted())
            return {};
        const QString why = r.error.code != ErrorCode::None ? r.error.message : r.record.reason;
        return Error::make(ErrorCode::Script, u"%1 was not accepted (%2): %3"_s.arg(what, outcomeName(r.record.outcome),
                                                                                   why));
    };
    for (int a = 0; a < Accounts; ++a) {
        Command cmd;
        cmd.type = u"OpenAccount"_s;
        cmd.stream = u"account-%1"_s.arg(a);
        cmd.payload = QJsonObject{{u"owner"_s, u"Owner %1"_s.arg(a)}, {u"currency"_s, u"EUR"_s}};
        cmd.metadata.insert(meta::Actor, u"bench"_s);
        if (auto st = check(pipeline.execute(cmd), u"OpenAccount on %1"_s.arg(cmd.stream)); !st)
            return st;
    }

    const QString rawPath = storePath(c, u"commands-raw.es"_s);
    if (auto st = createSchema(rawPath); !st)
        return st;
    RawDb db;
    if (auto st = db.open(rawPath, false); !st)
        return st;
    if (auto st = db.applyPragmas(EventStore::Durability::Full); !st)
        return st;
    Status st;
    sqlite3_stmt *begin = db.prepare("BEGIN IMMEDIATE", &st);
    sqlite3_stmt *commit = begin ? db.prepare("COMMIT", &st) : nullptr;
    sqlite3_stmt *ins = commit ? db.prepare(RawInsertSql, &st) : nullptr;
    if (!ins)
        return st;
    const QByteArray hash = QCryptographicHash::hash("eventscope bench", QCryptographicHash::Sha256).toHex();
    const QByteArray actor = "bench";
    std::vector<QByteArray> streams;
    for (int a = 0; a < Accounts; ++a)
        streams.push_back("account-" + QByteArray::number(a));
    FastUuid uuid;
    // The raw rows carry what the engine's first Deposit event carried.
    QByteArray sampleType, sampleData, sampleMetadata;

    progress(u"[2/4] durable commands: %1 Deposit commands through the pipeline vs %1 single-insert raw sqlite3 "
             "transactions (WAL, synchronous=FULL), interleaved every %2"_s.arg(c.commands)
                 .arg(CommandChunk));
    std::vector<qint64> latencies, rawLatencies;
    latencies.reserve(size_t(c.commands));
    rawLatencies.reserve(size_t(c.commands));
    QElapsedTimer t;
    qint64 total = 0, rawTotal = 0;
    for (qint64 chunkFirst = 0; chunkFirst < c.commands; chunkFirst += CommandChunk) {
        const qint64 chunkEnd = qMin<qint64>(chunkFirst + CommandChunk, c.commands);
        for (qint64 i = chunkFirst; i < chunkEnd; ++i) {
            Command cmd;
            cmd.type = u"Deposit"_s;
            cmd.stream = u"account-%1"_s.arg(i % Accounts);
            cmd.payload = QJsonObject{{u"amount"_s, double(1 + i % 50)}};
            cmd.metadata.insert(meta::Actor, u"bench"_s);
            t.start();
            const CommandResult r = pipeline.execute(cmd);
            const qint64 ns = t.nsecsElapsed();
            if (auto s = check(r, u"Deposit %1 on %2"_s.arg(i + 1).arg(cmd.stream)); !s)
                return s;
            total += ns;
            latencies.push_back(ns);
            if (sampleData.isEmpty() && !r.events.isEmpty()) {
                sampleType = r.events.constFirst().type.toUtf8();
                sampleData = r.events.constFirst().data;
                sampleMetadata = r.events.constFirst().metadata;
            }
        }
        for (qint64 i = chunkFirst; i < chunkEnd; ++i) {
            t.start();
            if (auto s = db.run(begin, u"begin"_s); !s)
                return s;
            const char *id = uuid.next();
            sqlite3_bind_int64(ins, 1, i + 1);
            bindText(ins, 2, streams[size_t(i % Accounts)]);
            sqlite3_bind_int64(ins, 3, i / Accounts + 1);
            bindText(ins, 4, sampleType);
            sqlite3_bind_text(ins, 5, id, 36, SQLITE_STATIC);
            bindText(ins, 6, sampleData);
            bindText(ins, 7, sampleMetadata);
            sqlite3_bind_int64(ins, 8, QDateTime::currentMSecsSinceEpoch());
            sqlite3_bind_int(ins, 9, 1);
            sqlite3_bind_text(ins, 10, id, 36, SQLITE_STATIC);
            bindText(ins, 11, actor);
            bindText(ins, 12, hash);
            if (auto s = db.run(ins, u"insert event %1"_s.arg(i + 1)); !s)
                return s;
            if (auto s = db.run(commit, u"commit"_s); !s)
                return s;
            const qint64 ns = t.nsecsElapsed();
            rawTotal += ns;
            rawLatencies.push_back(ns);
        }
    }
    f.commands = c.commands;
    f.engineSec = seconds(total);
    f.rawSec = seconds(rawTotal);
    f.p50Ms = percentileMs(latencies, 0.50);
    f.p99Ms = percentileMs(latencies, 0.99);
    f.rawP50Ms = percentileMs(rawLatencies, 0.50);
    f.rawP99Ms = percentileMs(rawLatencies, 0.99);
    return {};
}

// 3. Aggregate load ------------------------------------------------------------

Status benchLoad(Context &c, LoadFigure &f)
{
    const QString path = storePath(c, u"load.es"_s);
    removeStoreFiles(path);
    EventStore::Options o;
    o.mode = EventStore::Mode::Create;
    o.durability = EventStore::Durability::Normal; // building it is not what is measured
    auto store = EventStore::open(path, o);
    if (!store)
        return store.error();
    CommandPipeline::Options po;
    po.snapshotEvery = 100;
    const QString stream = u"account-load"_s;
    {
        progress(u"[3/4] aggregate load: building one Account stream of %1 events through the pipeline "
                 "(snapshot every %2)"_s.arg(LoadStreamEvents)
                     .arg(po.snapshotEvery));
        CommandPipeline pipeline(store->get(), c.domain, po);
        for (int i = 0; i < LoadStreamEvents; ++i) {
            Command cmd;
            cmd.stream = stream;
            cmd.metadata.insert(meta::Actor, u"bench"_s);
            if (i == 0) {
                cmd.type = u"OpenAccount"_s;
                cmd.payload = QJsonObject{{u"owner"_s, u"Load Test"_s}, {u"currency"_s, u"EUR"_s}};
            } else {
                cmd.type = u"Deposit"_s;
                cmd.payload = QJsonObject{{u"amount"_s, double(1 + i % 50)}};
            }
            const CommandResult r = pipeline.execute(cmd);
            if (!r.accepted())
                return Error::make(ErrorCode::Script, u"building the load stream: %1 %2 was not accepted: %3"_s.arg(
                                                          cmd.type)
                                                          .arg(i + 1)
                                                          .arg(r.error.code != ErrorCode::None ? r.error.message
                                                                                               : r.record.reason));
            if (r.events.size() != 1)
                return Error::make(ErrorCode::Invalid,
                                   u"building the load stream: %1 wrote %2 events, the benchmark expects one"_s.arg(
                                       cmd.type)
                                       .arg(r.events.size()));
        }
    }
    const auto info = (*store)->streamInfo(stream);
    f.events = info ? info->version : 0;

    Repository repo(store->get(), c.domain);
    repo.setCacheEnabled(false);
    f.repetitions = 7;
    progress(u"[3/4] aggregate load: Repository::load x%1 with snapshots, x%1 without"_s.arg(f.repetitions));
    QJsonObject withSnapshot, withoutSnapshot;
    std::vector<double> snapMs, replayMs;
    QElapsedTimer t;
    // Alternate so that any drift (cache warmth, CPU frequency) hits both.
    for (int rep = 0; rep < f.repetitions; ++rep) {
        for (const bool useSnapshots : {true, false}) {
            repo.setUseSnapshots(useSnapshots);
            t.start();
            auto loaded = repo.load(u"Account"_s, stream);
            const double ms = double(t.nsecsElapsed()) / 1e6;
            if (!loaded)
                return Error::make(loaded.error().code, u"Repository::load (%1 snapshots): %2"_s.arg(
                                                            useSnapshots ? u"with"_s : u"without"_s,
                                                            loaded.error().message));
            if (useSnapshots) {
                snapMs.push_back(ms);
                withSnapshot = loaded->state;
                f.snapshotVersion = loaded->snapshotVersion;
                f.eventsAppliedWithSnapshot = loaded->eventsApplied;
            } else {
                replayMs.push_back(ms);
                withoutSnapshot = loaded->state;
            }
        }
    }
    f.snapshotMs = median(snapMs);
    f.replayMs = median(replayMs);
    f.statesMatch = withSnapshot == withoutSnapshot;
    return {};
}

// 4. Global scan -----------------------------------------------------------------

Status benchScan(Context &c, ScanFigure &f)
{
    EventStore *store = c.appendStore.get();
    if (!store) // --only without append: there is nothing to scan
        return Error::make(ErrorCode::Invalid, u"the scan reads the batched append's store: run it with --only append,scan"_s);
    const QString path = store->path();
    RawDb db;
    if (auto st = db.open(path, true); !st)
        return st;
    if (auto st = db.exec("PRAGMA cache_size=-65536"); !st)
        return st;
    Status st;
    sqlite3_stmt *sel = db.prepare("SELECT position, stream, version, type, event_id, data, metadata, recorded_ms, "
                                   "schema_version, hash FROM events ORDER BY position",
                                   &st);
    if (!sel)
        return st;

    auto rawPass = [&](qint64 *rows, qint64 *checksum) -> Status {
        qint64 n = 0, sum = 0;
        int rc;
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
            sum += sqlite3_column_int64(sel, 0);
            for (int col : {1, 3, 4, 5, 6, 9}) {
                const unsigned char *text = sqlite3_column_text(sel, col);
                sum += sqlite3_column_bytes(sel, col) + (text ? text[0] : 0);
            }
            sum += sqlite3_column_int64(sel, 2) + sqlite3_column_int64(sel, 7) + sqlite3_column_int(sel, 8);
            ++n;
        }
        const bool ok = rc == SQLITE_DONE;
        sqlite3_reset(sel);
        if (!ok)
            return db.error(u"scan events (raw sqlite3)"_s);
        *rows = n;
        *checksum = sum;
        return {};
    };
    auto enginePass = [&](qint64 *rows, qint64 *checksum) -> Status {
        qint64 n = 0, sum = 0;
        auto s = store->scan(1, [&](const RecordedEvent &e) {
            sum += e.position + e.stream.size() + e.version + e.type.size() + e.eventId.size() + e.data.size() +
                e.metadata.size() + e.recordedMs + e.schemaVersion + e.hash.size();
            ++n;
            return true;
        });
        *rows = n;
        *checksum = sum;
        return s;
    };

    // Two passes each, alternating; the best of each side counts.
    double bestRaw = 0, bestEngine = 0;
    qint64 rawRows = 0, engineRows = 0, checksum = 0;
    QElapsedTimer t;
    for (int pass = 1; pass <= 2; ++pass) {
        progress(u"[4/4] global scan: raw sqlite3, pass %1 of 2"_s.arg(pass));
        t.start();
        if (auto s = rawPass(&rawRows, &checksum); !s)
            return s;
        double sec = seconds(t.nsecsElapsed());
        bestRaw = pass == 1 ? sec : qMin(bestRaw, sec);
        progress(u"[4/4] global scan: eventscope EventStore::scan, pass %1 of 2"_s.arg(pass));
        t.start();
        if (auto s = enginePass(&engineRows, &checksum); !s)
            return s;
        sec = seconds(t.nsecsElapsed());
        bestEngine = pass == 1 ? sec : qMin(bestEngine, sec);
    }
    if (rawRows != engineRows)
        return Error::make(ErrorCode::Invalid,
                           u"the scans disagree: raw sqlite3 read %1 rows, EventStore::scan %2"_s.arg(rawRows).arg(
                               engineRows));
    f.rows = rawRows;
    f.rawSec = bestRaw;
    f.engineSec = bestEngine;
    return {};
}

// --- reporting -------------------------------------------------------------

QString cpuModel()
{
    QFile f(u"/proc/cpuinfo"_s);
    if (!f.open(QIODevice::ReadOnly))
        return u"unknown"_s;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("model name")) {
            const qsizetype colon = line.indexOf(':');
            if (colon >= 0)
                return QString::fromUtf8(line.mid(colon + 1).trimmed());
        }
    }
    return u"unknown"_s;
}

double peakRssMb()
{
    rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_maxrss) / 1024.0; // Linux: kilobytes
}

QString grouped(double v)
{
    static const QLocale en(QLocale::English, QLocale::UnitedStates);
    return en.toString(qint64(std::llround(v)));
}

QString fixed(double v, int decimals = 2)
{
    return QString::number(v, 'f', decimals);
}

double ratioOf(double a, double b)
{
    return b > 0 ? a / b : 0;
}

struct Row {
    QString figure, engine, raw, ratio, target, status;
};

void printTable(const QList<Row> &rows)
{
    const Row header{u"figure"_s, u"eventscope"_s, u"raw baseline"_s, u"ratio"_s, u"target"_s, u"result"_s};
    qsizetype w[6] = {};
    auto widen = [&w](const Row &r) {
        const QString *cells[6] = {&r.figure, &r.engine, &r.raw, &r.ratio, &r.target, &r.status};
        for (int i = 0; i < 6; ++i)
            w[i] = qMax(w[i], cells[i]->size());
    };
    widen(header);
    for (const Row &r : rows)
        widen(r);
    auto line = [&w](const Row &r) {
        const QString *cells[6] = {&r.figure, &r.engine, &r.raw, &r.ratio, &r.target, &r.status};
        QString s;
        for (int i = 0; i < 6; ++i) {
            // Text left, numbers right.
            s += i == 0 || i == 5 ? cells[i]->leftJustified(w[i]) : cells[i]->rightJustified(w[i]);
            if (i < 5)
                s += u"  "_s;
        }
        while (s.endsWith(u' '))
            s.chop(1);
        out() << s << '\n';
    };
    line(header);
    qsizetype total = 10;
    for (qsizetype x : w)
        total += x;
    out() << QString(total, u'-') << '\n';
    for (const Row &r : rows)
        line(r);
}

QString findBankPack(const QString &given, QStringList *tried)
{
    if (!given.isEmpty()) {
        *tried << given;
        return QFileInfo::exists(given) ? given : QString();
    }
    const QString exeDir = QCoreApplication::applicationDirPath();
    QStringList candidates{
        exeDir + u"/../../resources/domains/bank.js"_s,
        exeDir + u"/../resources/domains/bank.js"_s,
        exeDir + u"/../../../resources/domains/bank.js"_s, // build/<preset>/app/
        u"./resources/domains/bank.js"_s,
    };
    // The source tree this binary was built from (absolute __FILE__ under Ninja/Make).
    const QFileInfo self(QString::fromUtf8(__FILE__));
    if (self.isAbsolute())
        candidates << self.absolutePath() + u"/../../resources/domains/bank.js"_s;
    for (const QString &c : std::as_const(candidates)) {
        *tried << QDir::cleanPath(c);
        if (QFileInfo(c).isFile())
            return QDir::cleanPath(QFileInfo(c).absoluteFilePath());
    }
    return {};
}

bool parseCount(const QCommandLineParser &p, const QString &name, qint64 *value, qint64 min)
{
    if (!p.isSet(name))
        return true;
    bool ok = false;
    const qint64 v = p.value(name).toLongLong(&ok);
    if (!ok || v < min) {
        err() << "eventscope-cli bench: --" << name << " must be an integer >= " << min << " (got '" << p.value(name)
              << "')" << Qt::endl;
        return false;
    }
    *value = v;
    return true;
}

int failWith(const Error &e)
{
    err() << "eventscope-cli bench: " << e.message << Qt::endl;
    return exitcode::Usage;
}

// 6-7. Projections ----------------------------------------------------------------
//
// 6. Rebuild of the shop pack's Orders table projection (JavaScript handlers)
//    over a synthetic order history: placed, paid, shipped; every event goes
//    through key() and a handler. Timed: shadow build from position 0, diff
//    against the live model, swap. The live catch-up of the same projection is
//    shown too, and the raw EventStore::scan of the same events as the ceiling.
// 7. Live lag: a writer thread appends one event per millisecond (1,000
//    events/s, one transaction each, WAL + synchronous=NORMAL: a durable
//    writer, one fsync per event, reaches only 250-650 events/s on this
//    project's disk, so the schedule would not be kept) through its own
//    connection; the runner follows on this
//    thread with its own connection and every shop projection. The lag of an
//    event runs from its append's commit to the commit of the last projection
//    batch that applies it (the whole read side caught up). Measured once
//    with the in-process notification (eventsAppended) and once with only
//    the data_version poll that serves other processes.

constexpr double RebuildTarget = 100000; // events/s
constexpr double LiveLagTargetMs = 100;  // p99
constexpr int LivePollMs = 50;

struct ProjectionFigure {
    QString skipped; // why the figures were not taken
    qint64 events = 0;
    double rebuildSec = 0; // shadow build + diff + swap
    double catchUpSec = 0; // live catch-up from position 0
    // CPU time of this thread: the figures above per CPU second, which other
    // processes on a busy machine disturb far less than wall time.
    double rebuildCpuSec = 0;
    double scanCpuSec = 0;
    double scanSec = 0;
    qint64 rows = 0;
    qint64 liveEvents = 0;
    double liveSec = 0;
    double lagP50Ms = 0, lagP99Ms = 0, lagMaxMs = 0;
    double pollLagP50Ms = 0, pollLagP99Ms = 0;
};

QJsonObject shopOrderEvent(qint64 i, QString *type)
{
    static const QStringList customers{u"ann"_s, u"bob"_s, u"cyd"_s, u"dee"_s, u"eve"_s, u"fay"_s, u"gus"_s};
    static const QStringList skus{u"MUG-RED"_s, u"MUG-BLUE"_s, u"TEAPOT"_s, u"CUP-SET"_s};
    const qint64 order = i / 3;
    const QString orderId = u"ord-%1"_s.arg(order, 8, 10, QChar(u'0'));
    const QString customer = customers.at(int(order % customers.size()));
    const QString at = u"2026-11-25T10:00:00.000Z"_s;
    switch (i % 3) {
    case 0: {
        *type = u"OrderPlaced"_s;
        const int quantity = int(order % 4) + 1;
        const double price = 4.5 + double(order % 10);
        return QJsonObject{{u"orderId"_s, orderId},
                           {u"customer"_s, customer},
                           {u"items"_s, QJsonArray{QJsonObject{{u"sku"_s, skus.at(int(order % skus.size()))},
                                                               {u"quantity"_s, quantity},
                                                               {u"unitPrice"_s, price}}}},
                           {u"total"_s, quantity * price},
                           {u"placedAt"_s, at}};
    }
    case 1:
        *type = u"OrderPaid"_s;
        return QJsonObject{{u"orderId"_s, orderId}, {u"customer"_s, customer}, {u"amount"_s, 10.5},
                           {u"method"_s, u"card"_s}, {u"paidAt"_s, at}};
    default:
        *type = u"OrderShipped"_s;
        return QJsonObject{{u"orderId"_s, orderId}, {u"customer"_s, customer}, {u"carrier"_s, u"DHL"_s},
                           {u"trackingNumber"_s, u"TRK-%1"_s.arg(order)}, {u"shippedAt"_s, at}};
    }
}

Status fillOrderHistory(EventStore *store, qint64 events)
{
    constexpr int PerAppend = 999; // whole orders per transaction
    for (qint64 first = 0, batch = 0; first < events; first += PerAppend, ++batch) {
        AppendRequest req;
        req.stream = u"orders-%1"_s.arg(batch);
        req.streamType = u"Order"_s;
        req.publish = false;
        const qint64 n = qMin<qint64>(PerAppend, events - first);
        for (qint64 i = first; i < first + n; ++i) {
            NewEvent e;
            e.data = shopOrderEvent(i, &e.type);
            req.events.append(std::move(e));
        }
        if (auto r = store->append(req); !r)
            return r.error();
    }
    return {};
}

// One live run: returns the lag (ns) of each event.
Status measureLiveLag(const QString &path, const QString &shopPack, qint64 events, bool notify,
                      std::vector<qint64> *lags, double *writerSeconds)
{
    using Clock = std::chrono::steady_clock;
    removeStoreFiles(path);
    if (auto st = createSchema(path); !st)
        return st;
    auto domain = JsDomain::load(shopPack);
    if (!domain)
        return domain.error();
    std::vector<std::atomic<qint64>> appendedAt(size_t(events + 1));
    for (auto &a : appendedAt)
        a.store(0);
    qint64 reached = 0; // every projection has applied up to here
    QHash<QString, qint64> positions;
    lags->assign(size_t(events + 1), -1);
    ProjectionRunner::Options o;
    o.pollIntervalMs = notify ? 0 : LivePollMs;
    o.batchHook = [&](const ProjectionRunner::BatchInfo &b) {
        if (!b.committed)
            return;
        positions[b.projection] = b.position;
        qint64 all = std::numeric_limits<qint64>::max();
        for (qint64 p : std::as_const(positions))
            all = qMin(all, p);
        if (positions.size() < 4)
            return;
        const qint64 now = Clock::now().time_since_epoch().count();
        for (qint64 p = reached + 1; p <= qMin(all, events); ++p) {
            const qint64 t = appendedAt[size_t(p)].load();
            if (t > 0)
                (*lags)[size_t(p)] = now - t;
        }
        reached = qMax(reached, all);
    };
    auto runner = ProjectionRunner::open(path, domain->get(), o);
    if (!runner)
        return runner.error();
    ProjectionRunner *r = runner->get();
    if (r->projections().size() != 4)
        return Error::make(ErrorCode::Invalid, u"the shop pack was expected to declare 4 projections, it has %1"_s.arg(
                                                   r->projections().size()));
    r->start();

    std::atomic<bool> done{false};
    Status writerStatus;
    std::thread writer([&] {
        EventStore::Options so; // one event per transaction, WAL + NORMAL: the rate is the schedule, not fsync
        so.durability = EventStore::Durability::Normal;
        auto store = EventStore::open(path, so);
        if (!store) {
            writerStatus = store.error();
            done = true;
            return;
        }
        const auto start = Clock::now();
        for (qint64 i = 0; i < events; ++i) {
            std::this_thread::sleep_until(start + std::chrono::milliseconds(i));
            AppendRequest req;
            req.stream = u"live-%1"_s.arg(i / 3);
            req.streamType = u"Order"_s;
            NewEvent e;
            e.data = shopOrderEvent(i, &e.type);
            req.events.append(std::move(e));
            auto a = (*store)->append(req);
            if (!a) {
                writerStatus = a.error();
                break;
            }
            appendedAt[size_t(a->lastPosition())].store(Clock::now().time_since_epoch().count());
            if (notify) {
                const EventList appended = a->events;
                QMetaObject::invokeMethod(r, [r, appended] { r->notifyAppended(appended); }, Qt::QueuedConnection);
            }
        }
        *writerSeconds = std::chrono::duration<double>(Clock::now() - start).count();
        done = true;
    });
    QEventLoop loop;
    QTimer check;
    QElapsedTimer waited;
    waited.start();
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if ((done && reached >= events) || waited.elapsed() > events + 60000)
            loop.quit();
    });
    check.start(5);
    loop.exec();
    writer.join();
    r->stop();
    if (!writerStatus)
        return writerStatus;
    if (reached < events)
        return Error::make(ErrorCode::Io, u"the projections did not catch up with the live writer (at %1 of %2)"_s.arg(
                                              reached)
                                              .arg(events));
    lags->erase(lags->begin()); // position 0
    return {};
}

double threadCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

Status benchProjections(Context &c, const QString &shopPack, ProjectionFigure &f)
{
    if (!QFileInfo::exists(shopPack)) {
        f.skipped = u"no shop pack at %1"_s.arg(shopPack);
        return {};
    }
    auto domain = JsDomain::load(shopPack);
    if (!domain)
        return Error::make(domain.error().code, u"%1: %2"_s.arg(shopPack, domain.error().message));

    // 6. Rebuild.
    f.events = qMin<qint64>(c.events, 300000);
    const QString path = storePath(c, u"projections.es"_s);
    removeStoreFiles(path);
    EventStore::Options so;
    so.mode = EventStore::Mode::Create;
    so.durability = EventStore::Durability::Normal;
    auto store = EventStore::open(path, so);
    if (!store)
        return store.error();
    progress(u"[6/7] projections: appending %1 order events"_s.arg(f.events));
    if (auto st = fillOrderHistory(store->get(), f.events); !st)
        return st;
    ProjectionRunner::Options o;
    o.projections = {u"Orders"_s};
    auto runner = ProjectionRunner::create(store->get(), domain->get(), o);
    if (!runner)
        return runner.error();
    QElapsedTimer t;
    progress(u"[6/7] projections: live catch-up of Orders from position 0"_s);
    t.start();
    auto applied = (*runner)->catchUp();
    if (!applied)
        return applied.error();
    f.catchUpSec = seconds(t.nsecsElapsed());
    progress(u"[6/7] projections: rebuild of Orders (shadow, diff, swap)"_s);
    t.start();
    double cpu = threadCpuSeconds();
    auto diff = (*runner)->rebuild(u"Orders"_s);
    if (!diff)
        return diff.error();
    f.rebuildSec = seconds(t.nsecsElapsed());
    f.rebuildCpuSec = threadCpuSeconds() - cpu;
    if (!diff->isEmpty())
        return Error::make(ErrorCode::Invalid, u"the rebuild of Orders differs from its live catch-up: %1"_s.arg(
                                                   QString::fromUtf8(QJsonDocument(diff->toJson()).toJson())));
    f.rows = diff->unchanged;
    t.start();
    cpu = threadCpuSeconds();
    qint64 scanned = 0;
    if (auto st = (*store)->scan(1, [&scanned](const RecordedEvent &) { return ++scanned > 0; }); !st)
        return st;
    f.scanSec = seconds(t.nsecsElapsed());
    f.scanCpuSec = threadCpuSeconds() - cpu;
    runner->reset();
    store->reset();

    // 7. Live lag at 1,000 events/s.
    const qint64 liveSeconds = c.events >= 1000000 ? 5 : 3;
    f.liveEvents = liveSeconds * 1000;
    std::vector<qint64> lags;
    progress(u"[7/7] projections: live lag, %1 s at 1,000 events/s (in-process notification)"_s.arg(liveSeconds));
    if (auto st = measureLiveLag(storePath(c, u"live.es"_s), shopPack, f.liveEvents, true, &lags, &f.liveSec); !st)
        return st;
    f.lagP50Ms = percentileMs(lags, 0.50);
    f.lagP99Ms = percentileMs(lags, 0.99);
    f.lagMaxMs = percentileMs(lags, 1.0);
    progress(u"[7/7] projections: live lag, %1 s at 1,000 events/s (data_version poll every %2 ms)"_s.arg(liveSeconds)
                 .arg(LivePollMs));
    double pollSeconds = 0;
    if (auto st = measureLiveLag(storePath(c, u"live-poll.es"_s), shopPack, f.liveEvents, false, &lags, &pollSeconds);
        !st)
        return st;
    f.pollLagP50Ms = percentileMs(lags, 0.50);
    f.pollLagP99Ms = percentileMs(lags, 0.99);
    return {};
}

QJsonObject projectionJson(const ProjectionFigure &f)
{
    if (!f.skipped.isEmpty())
        return QJsonObject{{u"skipped"_s, f.skipped}};
    const double rebuildRate = ratioOf(double(f.events), f.rebuildSec);
    return QJsonObject{
        {u"rebuild"_s, QJsonObject{{u"eventscope"_s, rebuildRate},
                                   {u"unit"_s, u"events/s"_s},
                                   {u"target"_s, RebuildTarget},
                                   {u"pass"_s, rebuildRate >= RebuildTarget},
                                   {u"events"_s, f.events},
                                   {u"rows"_s, f.rows},
                                   {u"seconds"_s, f.rebuildSec},
                                   {u"catchUpEventsPerSecond"_s, ratioOf(double(f.events), f.catchUpSec)},
                                   {u"rawScanEventsPerSecond"_s, ratioOf(double(f.events), f.scanSec)},
                                   {u"eventsPerCpuSecond"_s, ratioOf(double(f.events), f.rebuildCpuSec)},
                                   {u"rawScanEventsPerCpuSecond"_s, ratioOf(double(f.events), f.scanCpuSec)}}},
        {u"liveLag"_s, QJsonObject{{u"p50Ms"_s, f.lagP50Ms},
                                   {u"p99Ms"_s, f.lagP99Ms},
                                   {u"maxMs"_s, f.lagMaxMs},
                                   {u"targetP99Ms"_s, LiveLagTargetMs},
                                   {u"pass"_s, f.lagP99Ms <= LiveLagTargetMs},
                                   {u"eventsPerSecond"_s, 1000},
                                   {u"achievedAppendsPerSecond"_s, ratioOf(double(f.liveEvents), f.liveSec)},
                                   {u"events"_s, f.liveEvents},
                                   {u"pollP50Ms"_s, f.pollLagP50Ms},
                                   {u"pollP99Ms"_s, f.pollLagP99Ms},
                                   {u"pollIntervalMs"_s, LivePollMs}}},
    };
}

QList<Row> projectionRows(const ProjectionFigure &f)
{
    if (!f.skipped.isEmpty())
        return {Row{u"6-7. projections"_s, u"-"_s, u"-"_s, u"-"_s, u"-"_s, u"skipped: "_s + f.skipped}};
    const double rebuildRate = ratioOf(double(f.events), f.rebuildSec);
    const double scanRate = ratioOf(double(f.events), f.scanSec);
    return {
        Row{u"6. rebuild Orders (JS table projection), %1 events (events/s)"_s.arg(grouped(double(f.events))),
            grouped(rebuildRate), grouped(scanRate) + u" scan"_s, fixed(ratioOf(rebuildRate, scanRate)) + u"x"_s,
            u">= %1"_s.arg(grouped(RebuildTarget)), rebuildRate >= RebuildTarget ? u"PASS"_s : u"MISS"_s},
        Row{u"   same, per CPU second of the bench thread (events/s)"_s,
            grouped(ratioOf(double(f.events), f.rebuildCpuSec)),
            grouped(ratioOf(double(f.events), f.scanCpuSec)) + u" scan"_s,
            fixed(ratioOf(ratioOf(double(f.events), f.rebuildCpuSec), ratioOf(double(f.events), f.scanCpuSec))) +
                u"x"_s,
            u"-"_s, u"info"_s},
        Row{u"   live catch-up of the same (events/s)"_s, grouped(ratioOf(double(f.events), f.catchUpSec)), u"-"_s,
            u"-"_s, u"-"_s, u"info"_s},
        Row{u"7. live lag at 1,000 events/s (achieved %1), 4 projections, p50 / p99 (ms)"_s.arg(
                grouped(ratioOf(double(f.liveEvents), f.liveSec))),
            fixed(f.lagP50Ms, 1) + u" / "_s + fixed(f.lagP99Ms, 1), u"-"_s, u"-"_s,
            u"p99 <= %1"_s.arg(fixed(LiveLagTargetMs, 0)), f.lagP99Ms <= LiveLagTargetMs ? u"PASS"_s : u"MISS"_s},
        Row{u"   same, other process (poll every %1 ms), p50 / p99 (ms)"_s.arg(LivePollMs),
            fixed(f.pollLagP50Ms, 1) + u" / "_s + fixed(f.pollLagP99Ms, 1), u"-"_s, u"-"_s, u"-"_s, u"info"_s},
    };
}


} // namespace

int runBench(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        u"Benchmark the engine against raw SQLite C API baselines measured in the same run, on the same schema and "
        "pragmas.\n\nUsage: eventscope-cli bench [--events N] [--commands N] [--quick] [--json] [--domain PACK] "
        "[--dir DIR]"_s);
    p.addHelpOption();
    p.addOption({u"events"_s, u"Events for the batched append and the scan (default 1000000; --quick 100000)."_s,
                 u"N"_s});
    p.addOption({u"commands"_s, u"Durable Deposit commands (default 3000; --quick 1000)."_s, u"N"_s});
    p.addOption({u"quick"_s, u"Smaller runs (100000 events, 1000 commands)."_s});
    p.addOption({u"json"_s, u"Machine-readable JSON output."_s});
    p.addOption({u"only"_s, u"Run only these stages (comma-separated: append, commands, load, scan, projections); the "
                            "figures of the others show as zero."_s,
                 u"STAGES"_s});
    p.addOption({u"domain"_s, u"The bank domain pack (default: resources/domains/bank.js of the source tree)."_s,
                 u"PACK"_s});
    p.addOption({u"dir"_s, u"Work in DIR (kept; earlier bench stores there are replaced) instead of a temporary directory."_s, u"DIR"_s});
    QStringList argv = args;
    if (argv.isEmpty())
        argv << u"bench"_s;
    argv[0] = u"eventscope-cli bench"_s;
    if (!p.parse(argv)) {
        err() << "eventscope-cli bench: " << p.errorText() << " (see eventscope-cli bench --help)" << Qt::endl;
        return exitcode::Usage;
    }
    if (p.isSet(u"help"_s)) {
        out() << p.helpText() << Qt::flush;
        return exitcode::Ok;
    }
    if (!p.positionalArguments().isEmpty()) {
        err() << "eventscope-cli bench: unexpected argument '" << p.positionalArguments().constFirst()
              << "' (see eventscope-cli bench --help)" << Qt::endl;
        return exitcode::Usage;
    }

    // "store ... migrated" for each fresh bench store is noise here (QT_LOGGING_RULES still wins).
    QLoggingCategory::setFilterRules(u"eventscope.*.debug=false\neventscope.*.info=false"_s);

    const bool quick = p.isSet(u"quick"_s);
    const bool json = p.isSet(u"json"_s);
    Context c;
    c.events = quick ? 100000 : 1000000;
    c.commands = quick ? 1000 : 3000;
    if (!parseCount(p, u"events"_s, &c.events, 1) || !parseCount(p, u"commands"_s, &c.commands, 1))
        return exitcode::Usage;

    // The pack first: a missing pack should fail before minutes of appends.
    QStringList tried;
    const QString packPath = findBankPack(p.value(u"domain"_s), &tried);
    if (packPath.isEmpty()) {
        err() << "eventscope-cli bench: cannot find the bank domain pack (tried: " << tried.join(u", "_s)
              << "); pass --domain PACK" << Qt::endl;
        return exitcode::Usage;
    }
    auto domain = JsDomain::load(packPath);
    if (!domain)
        return failWith(Error::make(domain.error().code, u"%1: %2"_s.arg(packPath, domain.error().message)));
    c.domain = domain->get();

    QTemporaryDir tmp;
    if (p.isSet(u"dir"_s)) {
        c.dir = p.value(u"dir"_s);
        if (!QDir().mkpath(c.dir))
            return failWith(Error::make(ErrorCode::Io, u"cannot create the directory %1"_s.arg(c.dir)));
        c.dir = QFileInfo(c.dir).absoluteFilePath();
    } else {
        if (!tmp.isValid())
            return failWith(Error::make(ErrorCode::Io, u"cannot create a temporary directory: %1"_s.arg(
                                                           tmp.errorString())));
        c.dir = tmp.path();
    }

    const QString cpu = cpuModel();
    const long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    const QString sqliteVersion = QString::fromLatin1(sqlite3_libversion());
    const QString qtVersion = QString::fromLatin1(qVersion());
    progress(u"%1 vCPU, %2, SQLite %3, Qt %4; working in %5; pack %6"_s.arg(nproc).arg(cpu, sqliteVersion, qtVersion,
                                                                               c.dir, packPath));

    QElapsedTimer wall;
    wall.start();
    AppendFigure append;
    CommandFigure commands;
    LoadFigure load;
    ScanFigure scan;
    ProjectionFigure projections;

    // Each stage in turn, with its wall time on stderr.
    const struct {
        const char *name;
        std::function<Status()> run;
    } stages[] = {
        {"batched append", [&] { return benchAppend(c, append); }},
        {"durable commands", [&] { return benchCommands(c, commands); }},
        {"aggregate load", [&] { return benchLoad(c, load); }},
        {"global scan", [&] { return benchScan(c, scan); }},
        {"projections", [&] { return benchProjections(c, QFileInfo(packPath).dir().filePath(u"shop.js"_s), projections); }},
    };
    const QStringList only = p.value(u"only"_s).split(u',', Qt::SkipEmptyParts);
    for (const auto &stage : stages) {
        if (!only.isEmpty() && !only.contains(QString::fromLatin1(stage.name).section(u' ', -1)))
            continue;
        QElapsedTimer t;
        t.start();
        if (auto st = stage.run(); !st)
            return failWith(st.error());
        progress(u"%1: done in %2 s"_s.arg(QString::fromLatin1(stage.name), fixed(seconds(t.nsecsElapsed()), 1)));
    }
    c.appendStore.reset();
    const double rssMb = peakRssMb();
    progress(u"done in %1 s"_s.arg(fixed(seconds(wall.nsecsElapsed()), 1)));

    const double appendEngine = ratioOf(double(append.events), append.engineSec);
    const double appendRaw = ratioOf(double(append.events), append.rawSec);
    const double appendRatio = ratioOf(appendEngine, appendRaw);
    const double cmdEngine = ratioOf(double(commands.commands), commands.engineSec);
    const double cmdRaw = ratioOf(double(commands.commands), commands.rawSec);
    const double cmdRatio = ratioOf(cmdEngine, cmdRaw);
    const double speedup = ratioOf(load.replayMs, load.snapshotMs);
    const double scanEngine = ratioOf(double(scan.rows), scan.engineSec);
    const double scanRaw = ratioOf(double(scan.rows), scan.rawSec);
    const double scanRatio = ratioOf(scanEngine, scanRaw);

    if (json) {
        auto figure = [](double engine, double raw, double ratio, double target) {
            return QJsonObject{{u"eventscope"_s, engine},
                               {u"raw"_s, raw},
                               {u"ratio"_s, ratio},
                               {u"target"_s, target},
                               {u"pass"_s, ratio >= target}};
        };
        QJsonObject appendJ = figure(appendEngine, appendRaw, appendRatio, AppendTarget);
        appendJ.insert(u"unit"_s, u"events/s"_s);
        appendJ.insert(u"events"_s, append.events);
        appendJ.insert(u"batch"_s, BatchSize);
        appendJ.insert(u"payloadBytes"_s, append.payloadBytes);
        appendJ.insert(u"eventscopeSeconds"_s, append.engineSec);
        appendJ.insert(u"rawSeconds"_s, append.rawSec);
        QJsonObject cmdJ = figure(cmdEngine, cmdRaw, cmdRatio, CommandTarget);
        cmdJ.insert(u"unit"_s, u"commands/s vs tx/s"_s);
        cmdJ.insert(u"commands"_s, commands.commands);
        cmdJ.insert(u"accounts"_s, Accounts);
        cmdJ.insert(u"p50Ms"_s, commands.p50Ms);
        cmdJ.insert(u"p99Ms"_s, commands.p99Ms);
        cmdJ.insert(u"rawP50Ms"_s, commands.rawP50Ms);
        cmdJ.insert(u"rawP99Ms"_s, commands.rawP99Ms);
        QJsonObject scanJ = figure(scanEngine, scanRaw, scanRatio, ScanTarget);
        scanJ.insert(u"unit"_s, u"rows/s"_s);
        scanJ.insert(u"rows"_s, scan.rows);
        const QJsonObject loadJ{{u"events"_s, load.events},
                                {u"snapshotMs"_s, load.snapshotMs},
                                {u"replayMs"_s, load.replayMs},
                                {u"speedup"_s, speedup},
                                {u"snapshotVersion"_s, load.snapshotVersion},
                                {u"eventsAppliedAfterSnapshot"_s, load.eventsAppliedWithSnapshot},
                                {u"repetitions"_s, load.repetitions},
                                {u"statesMatch"_s, load.statesMatch}};
        const QJsonObject o{
            {u"machine"_s, QJsonObject{{u"nproc"_s, qint64(nproc)},
                                       {u"cpu"_s, cpu},
                                       {u"sqlite"_s, sqliteVersion},
                                       {u"qt"_s, qtVersion}}},
            {u"parameters"_s, QJsonObject{{u"events"_s, c.events},
                                          {u"commands"_s, c.commands},
                                          {u"quick"_s, quick},
                                          {u"domain"_s, packPath},
                                          {u"dir"_s, c.dir}}},
            {u"append"_s, appendJ},
            {u"commands"_s, cmdJ},
            {u"aggregateLoad"_s, loadJ},
            {u"scan"_s, scanJ},
            {u"projections"_s, projectionJson(projections)},
            {u"peakRssMb"_s, rssMb},
            {u"seconds"_s, seconds(wall.nsecsElapsed())},
        };
        out() << QJsonDocument(o).toJson(QJsonDocument::Indented) << Qt::flush;
        return exitcode::Ok;
    }

    auto verdict = [](double ratio, double target) { return ratio >= target ? u"PASS"_s : u"MISS"_s; };
    auto atLeast = [](double target) { return u">= %1x"_s.arg(fixed(target)); };
    out() << "Eventscope bench: " << nproc << " vCPU, " << cpu << ", SQLite " << sqliteVersion << ", Qt " << qtVersion
          << "\n\n";
    QList<Row> rows;
    rows << Row{u"1. batched append, %1 events, %2/tx (events/s)"_s.arg(grouped(double(append.events)))
                    .arg(BatchSize),
                grouped(appendEngine), grouped(appendRaw), fixed(appendRatio) + u"x"_s, atLeast(AppendTarget),
                verdict(appendRatio, AppendTarget)};
    rows << Row{u"2. durable commands, %1 (commands/s vs tx/s)"_s.arg(grouped(double(commands.commands))),
                grouped(cmdEngine), grouped(cmdRaw), fixed(cmdRatio) + u"x"_s, atLeast(CommandTarget),
                verdict(cmdRatio, CommandTarget)};
    rows << Row{u"   latency p50 / p99 (ms)"_s, fixed(commands.p50Ms, 3) + u" / "_s + fixed(commands.p99Ms, 3),
                fixed(commands.rawP50Ms, 3) + u" / "_s + fixed(commands.rawP99Ms, 3), u"-"_s, u"-"_s, u"info"_s};
    rows << Row{u"3. load %1-event aggregate, no cache (ms)"_s.arg(grouped(double(load.events))),
                fixed(load.snapshotMs) + u" snapshots"_s, fixed(load.replayMs) + u" full replay"_s,
                fixed(speedup, 1) + u"x faster"_s, u"-"_s, load.statesMatch ? u"info"_s : u"STATES DIFFER"_s};
    rows << Row{u"4. global scan, %1 events (rows/s)"_s.arg(grouped(double(scan.rows))), grouped(scanEngine),
                grouped(scanRaw), fixed(scanRatio) + u"x"_s, atLeast(ScanTarget), verdict(scanRatio, ScanTarget)};
    rows << Row{u"5. peak memory, ru_maxrss (MB)"_s, grouped(rssMb), u"-"_s, u"-"_s, u"-"_s, u"info"_s};
    rows << projectionRows(projections);
    printTable(rows);
    out() << "\nappend payloads ~" << append.payloadBytes << " bytes; aggregate load: median of "
          << load.repetitions << ", snapshot at version " << load.snapshotVersion << " then "
          << load.eventsAppliedWithSnapshot << " event(s) folded; scan: best of 2 passes.\n";
    if (load.snapshotVersion == 0)
        out() << "warning: Repository::load used no snapshot (none made by this pack version/hash?)\n";
    if (!load.statesMatch)
        out() << "warning: the state loaded from the snapshot differs from the full replay\n";
    out() << Qt::flush;
    return exitcode::Ok;
}
