// eventscope-cli bench --postgres URL: the PostgreSQL figures, each beside a
// raw libpq baseline measured in the same run on the same server and schema.
//
//   1. batched append: 1,000 events per transaction through EventStore::append,
//      against libpq COPY of the same pre-serialised rows (plus the streams row)
//   2. durable single-event commands through the whole pipeline (bank pack,
//      synchronous_commit = on), against one-row INSERT transactions by libpq
//
// Engine and baseline run interleaved, a chunk each in turn, in two scratch
// databases (es_bench_engine, es_bench_raw) created on the server and dropped
// at the end; the URL's user needs CREATEDB. libpq is linked for the baseline
// only: it is what QPSQL itself drives, so it is the ceiling of any Qt client.
#include "benchsupport.h"
#include "cli.h"

#include "commandpipeline.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "storeaddress.h"
#include "types.h"

#include <QCommandLineParser>
#include <QCryptographicHash>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUuid>

#include <libpq-fe.h>

#include <algorithm>
#include <vector>

using namespace Qt::StringLiterals;
using namespace es;
using namespace benchsupport;

namespace {

constexpr int ChunkBatches = 10;
constexpr int CommandChunk = 100;

// A libpq connection for the baseline.
class RawPg {
public:
    ~RawPg()
    {
        if (m_conn)
            PQfinish(m_conn);
    }
    Status open(const StoreAddress &a, const QString &database)
    {
        QString info = u"port=%1 dbname='%2' application_name=eventscope-bench"_s.arg(a.port()).arg(database);
        info += u" host='%1'"_s.arg(a.socketDirectory().isEmpty() ? a.host() : a.socketDirectory());
        if (!a.user().isEmpty())
            info += u" user='%1'"_s.arg(a.user());
        m_conn = PQconnectdb(info.toUtf8().constData()); // password: PGPASSWORD or ~/.pgpass, as for QPSQL
        if (PQstatus(m_conn) != CONNECTION_OK)
            return Error::make(ErrorCode::Io,
                               u"libpq: cannot connect: %1"_s.arg(QString::fromUtf8(PQerrorMessage(m_conn))));
        return {};
    }
    Status exec(const char *sql)
    {
        PGresult *r = PQexec(m_conn, sql);
        const ExecStatusType s = PQresultStatus(r);
        PQclear(r);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_COPY_IN)
            return error(sql);
        return {};
    }
    Status error(const char *what) const
    {
        return Error::make(ErrorCode::Io,
                           u"libpq: %1: %2"_s.arg(QString::fromUtf8(what), QString::fromUtf8(PQerrorMessage(m_conn))));
    }
    PGconn *get() const { return m_conn; }

private:
    PGconn *m_conn = nullptr;
};

// COPY text format: backslash, tab, newline and carriage return are escaped.
void appendCopyField(QByteArray &row, const QByteArray &value)
{
    for (char ch : value) {
        switch (ch) {
        case '\\':
            row += "\\\\";
            break;
        case '\t':
            row += "\\t";
            break;
        case '\n':
            row += "\\n";
            break;
        case '\r':
            row += "\\r";
            break;
        default:
            row += ch;
        }
    }
}

struct Figures {
    qint64 events = 0;
    double appendEngineSec = 0;
    double appendRawSec = 0;
    qint64 commands = 0;
    double commandEngineSec = 0;
    double commandRawSec = 0;
    double p50 = 0, p99 = 0, rawP50 = 0, rawP99 = 0;
};

Result<QString> recreateDatabase(const StoreAddress &a, const QString &name)
{
    const QString conn = u"bench-admin-"_s + name;
    Status st;
    {
        auto db = a.openPostgres(conn, false);
        if (!db)
            return db.error();
        QSqlQuery q(*db);
        if (!q.exec(u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(name)) ||
            !q.exec(u"CREATE DATABASE %1"_s.arg(name)))
            st = Error::make(ErrorCode::Io,
                             u"%1: cannot create the scratch database %2 (the user needs CREATEDB): %3"_s.arg(
                                 a.displayName(), name, q.lastError().text()));
        db->close();
    }
    QSqlDatabase::removeDatabase(conn);
    if (!st)
        return st.error();
    QUrl url(a.text());
    url.setPath(u"/"_s + name);
    return url.toString();
}

void dropDatabase(const StoreAddress &a, const QString &name)
{
    const QString conn = u"bench-drop-"_s + name;
    {
        auto db = a.openPostgres(conn, false);
        if (db) {
            QSqlQuery(*db).exec(u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(name));
            db->close();
        }
    }
    QSqlDatabase::removeDatabase(conn);
}

// A new store in a scratch database, durable (synchronous_commit = on).
Result<std::unique_ptr<EventStore>> openDurable(const QString &url)
{
    EventStore::Options o;
    o.mode = EventStore::Mode::Create;
    o.durability = EventStore::Durability::Full;
    return EventStore::open(url, o);
}

Status benchAppend(const StoreAddress &a, const QString &engineUrl, const QString &rawName, qint64 events, Figures &f)
{
    auto store = openDurable(engineUrl);
    if (!store)
        return store.error();
    // The raw side writes into the engine's own schema (same indexes and triggers).
    const QString rawUrl = QString(engineUrl).replace(u"/es_bench_engine"_s, u"/"_s + rawName);
    {
        auto schema = openDurable(rawUrl);
        if (!schema)
            return schema.error();
    }
    RawPg raw;
    if (auto st = raw.open(a, rawName); !st)
        return st;

    const QByteArray hash = QCryptographicHash::hash("eventscope bench", QCryptographicHash::Sha256).toHex();
    const qint64 batches = (events + BatchSize - 1) / BatchSize;
    progress(u"[pg 1/2] batched append: %1 events, %2 per transaction, EventStore::append vs libpq COPY, interleaved"_s
                 .arg(events)
                 .arg(BatchSize));
    qint64 engineNs = 0, rawNs = 0, rawPosition = 0;
    QElapsedTimer t;
    for (qint64 chunk = 0; chunk < batches; chunk += ChunkBatches) {
        const qint64 end = std::min(batches, chunk + ChunkBatches);
        for (qint64 b = chunk; b < end; ++b) {
            AppendRequest req;
            req.stream = u"bench-%1"_s.arg(b);
            req.streamType = u"Bench"_s;
            req.expected = ExpectedVersion::noStream();
            const int count = int(std::min<qint64>(BatchSize, events - b * BatchSize));
            const QJsonObject md = benchMetadata(b);
            for (int i = 0; i < count; ++i) {
                NewEvent e;
                e.type = u"Deposited"_s;
                e.data = benchPayload(b * BatchSize + i);
                e.metadata = md;
                req.events.append(std::move(e));
            }
            t.start();
            auto r = (*store)->append(req);
            engineNs += t.nsecsElapsed();
            if (!r)
                return r.error();
        }
        for (qint64 b = chunk; b < end; ++b) {
            // Rows ready as COPY text, outside the timer: the raw side only ships bytes.
            const int count = int(std::min<qint64>(BatchSize, events - b * BatchSize));
            const QByteArray stream = "bench-" + QByteArray::number(b);
            const QByteArray md = QJsonDocument(benchMetadata(b)).toJson(QJsonDocument::Compact);
            const QByteArray corr = "corr-" + QByteArray::number(b);
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            QByteArray rows;
            for (int i = 0; i < count; ++i) {
                const QByteArray id = QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
                rows += QByteArray::number(++rawPosition) + '\t' + stream + '\t' + QByteArray::number(i + 1) +
                        "\tDeposited\t" + id + '\t';
                appendCopyField(rows, QJsonDocument(benchPayload(b * BatchSize + i)).toJson(QJsonDocument::Compact));
                rows += '\t';
                appendCopyField(rows, md);
                rows += '\t' + QByteArray::number(now) + "\t1\t" + corr + "\tbench\t" + hash + '\n';
            }
            const QByteArray upsert = "INSERT INTO streams(stream, type, version, first_ms, last_ms) VALUES ('" +
                                      stream + "', 'Bench', " + QByteArray::number(count) + ", " +
                                      QByteArray::number(now) + ", " + QByteArray::number(now) +
                                      ") ON CONFLICT(stream) DO UPDATE SET version = excluded.version";
            t.start();
            if (auto st = raw.exec("BEGIN"); !st)
                return st;
            if (auto st = raw.exec("COPY events(position, stream, version, type, event_id, data, metadata, "
                                   "recorded_ms, schema_version, correlation_id, actor, hash) FROM STDIN");
                !st)
                return st;
            if (PQputCopyData(raw.get(), rows.constData(), int(rows.size())) != 1 ||
                PQputCopyEnd(raw.get(), nullptr) != 1)
                return raw.error("COPY");
            PGresult *res = PQgetResult(raw.get());
            const bool copied = PQresultStatus(res) == PGRES_COMMAND_OK;
            PQclear(res);
            while ((res = PQgetResult(raw.get())))
                PQclear(res);
            if (!copied)
                return raw.error("COPY events");
            if (auto st = raw.exec(upsert.constData()); !st)
                return st;
            if (auto st = raw.exec("COMMIT"); !st)
                return st;
            rawNs += t.nsecsElapsed();
        }
    }
    f.events = events;
    f.appendEngineSec = seconds(engineNs);
    f.appendRawSec = seconds(rawNs);
    return {};
}

Status benchCommands(const StoreAddress &a, const QString &engineUrl, const QString &rawName, JsDomain *bank,
                     qint64 commands, Figures &f)
{
    auto store = openDurable(engineUrl);
    if (!store)
        return store.error();
    CommandPipeline pipeline(store->get(), bank);
    auto check = [](const CommandResult &r, const QString &what) -> Status {
        if (r.accepted())
            return {};
        return Error::make(ErrorCode::Script,
                           u"%1 was not accepted: %2"_s.arg(what, r.error.code != ErrorCode::None ? r.error.message
                                                                                                  : r.record.reason));
    };
    for (int i = 0; i < Accounts; ++i) {
        Command cmd;
        cmd.type = u"OpenAccount"_s;
        cmd.stream = u"account-%1"_s.arg(i);
        cmd.payload = QJsonObject{{u"owner"_s, u"Owner %1"_s.arg(i)}, {u"currency"_s, u"EUR"_s}};
        cmd.metadata.insert(meta::Actor, u"bench"_s);
        if (auto st = check(pipeline.execute(cmd), cmd.stream); !st)
            return st;
    }
    RawPg raw;
    if (auto st = raw.open(a, rawName); !st)
        return st;
    if (auto st =
            raw.exec("CREATE TABLE single_events(position BIGINT PRIMARY KEY, stream TEXT NOT NULL, version BIGINT "
                     "NOT NULL, type TEXT NOT NULL, event_id TEXT NOT NULL UNIQUE, data TEXT NOT NULL, metadata "
                     "TEXT NOT NULL, recorded_ms BIGINT NOT NULL, hash TEXT NOT NULL, UNIQUE(stream, version))");
        !st)
        return st;
    {
        PGresult *r = PQprepare(raw.get(), "ins",
                                "INSERT INTO single_events VALUES ($1::bigint, $2, $3::bigint, $4, $5, $6, $7, "
                                "$8::bigint, $9)",
                                9, nullptr);
        const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok)
            return raw.error("prepare");
    }
    const QByteArray hash = QCryptographicHash::hash("eventscope bench", QCryptographicHash::Sha256).toHex();
    progress(u"[pg 2/2] durable commands: %1 Deposit commands through the pipeline vs %1 one-row libpq INSERT "
             "transactions (synchronous_commit = on), interleaved every %2"_s.arg(commands)
                 .arg(CommandChunk));
    std::vector<qint64> lat, rawLat;
    QByteArray sampleData = "{\"amount\":1}", sampleMeta = "{\"actor\":\"bench\"}";
    QElapsedTimer t;
    for (qint64 chunk = 0; chunk < commands; chunk += CommandChunk) {
        const qint64 end = std::min(commands, chunk + CommandChunk);
        for (qint64 i = chunk; i < end; ++i) {
            Command cmd;
            cmd.type = u"Deposit"_s;
            cmd.stream = u"account-%1"_s.arg(i % Accounts);
            cmd.payload = QJsonObject{{u"amount"_s, double(1 + i % 50)}};
            cmd.metadata.insert(meta::Actor, u"bench"_s);
            t.start();
            const CommandResult r = pipeline.execute(cmd);
            lat.push_back(t.nsecsElapsed());
            if (auto st = check(r, cmd.stream); !st)
                return st;
            if (i == 0 && !r.events.isEmpty()) {
                sampleData = r.events.constFirst().data;
                sampleMeta = r.events.constFirst().metadata;
            }
        }
        for (qint64 i = chunk; i < end; ++i) {
            const QByteArray values[9] = {QByteArray::number(i + 1),
                                          "account-" + QByteArray::number(i % Accounts),
                                          QByteArray::number(i / Accounts + 1),
                                          "Deposited",
                                          QUuid::createUuid().toByteArray(QUuid::WithoutBraces),
                                          sampleData,
                                          sampleMeta,
                                          QByteArray::number(QDateTime::currentMSecsSinceEpoch()),
                                          hash};
            const char *params[9];
            for (int k = 0; k < 9; ++k)
                params[k] = values[k].constData();
            t.start();
            if (auto st = raw.exec("BEGIN"); !st)
                return st;
            PGresult *r = PQexecPrepared(raw.get(), "ins", 9, params, nullptr, nullptr, 0);
            const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
            if (!ok)
                return raw.error("insert");
            if (auto st = raw.exec("COMMIT"); !st)
                return st;
            rawLat.push_back(t.nsecsElapsed());
        }
    }
    qint64 total = 0, rawTotal = 0;
    for (qint64 ns : lat)
        total += ns;
    for (qint64 ns : rawLat)
        rawTotal += ns;
    f.commands = commands;
    f.commandEngineSec = seconds(total);
    f.commandRawSec = seconds(rawTotal);
    f.p50 = percentileMs(lat, 0.5);
    f.p99 = percentileMs(lat, 0.99);
    f.rawP50 = percentileMs(rawLat, 0.5);
    f.rawP99 = percentileMs(rawLat, 0.99);
    return {};
}

int failed(const Error &e)
{
    err() << "eventscope-cli bench: " << e.message << Qt::endl;
    return exitcode::Usage;
}

QString grouped(double v)
{
    return QLocale(QLocale::English).toString(qint64(v + 0.5));
}

} // namespace

int runPostgresBench(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(u"The PostgreSQL figures beside raw libpq baselines measured in the same run."_s);
    p.addHelpOption();
    p.addOption(
        {u"postgres"_s, u"The server, as postgresql://user@host:port/database (the user needs CREATEDB)."_s, u"URL"_s});
    p.addOption({u"events"_s, u"Events for the batched append (default 200000; --quick 50000)."_s, u"N"_s});
    p.addOption({u"commands"_s, u"Durable Deposit commands (default 2000; --quick 500)."_s, u"N"_s});
    p.addOption({u"quick"_s, u"Smaller runs."_s});
    p.addOption({u"json"_s, u"Machine-readable JSON output."_s});
    p.addOption(
        {u"domain"_s, u"The bank domain pack (default: resources/domains/bank.js of the source tree)."_s, u"PACK"_s});
    QStringList argv = args;
    argv[0] = u"eventscope-cli bench"_s;
    if (!p.parse(argv))
        return failed(Error::make(ErrorCode::Invalid, p.errorText()));
    if (p.isSet(u"help"_s)) {
        out() << p.helpText() << Qt::flush;
        return exitcode::Ok;
    }
    QLoggingCategory::setFilterRules(u"eventscope.*.debug=false\neventscope.*.info=false"_s);
    auto address = StoreAddress::parse(p.value(u"postgres"_s));
    if (!address || !address->isPostgres())
        return failed(address ? Error::make(ErrorCode::Invalid, u"--postgres needs a postgresql:// URL"_s)
                              : address.error());
    const bool quick = p.isSet(u"quick"_s);
    bool ok = true;
    const qint64 events = p.isSet(u"events"_s) ? p.value(u"events"_s).toLongLong(&ok) : (quick ? 50000 : 200000);
    bool ok2 = true;
    const qint64 commands = p.isSet(u"commands"_s) ? p.value(u"commands"_s).toLongLong(&ok2) : (quick ? 500 : 2000);
    if (!ok || !ok2 || events < 1 || commands < 1)
        return failed(Error::make(ErrorCode::Invalid, u"--events and --commands take positive numbers"_s));
    QString packPath = p.value(u"domain"_s);
    if (packPath.isEmpty())
        packPath = QStringLiteral(ES_SOURCE_DIR) + u"/resources/domains/bank.js"_s;
    auto bank = JsDomain::load(packPath);
    if (!bank)
        return failed(bank.error());

    Figures f;
    QString server;
    {
        auto db = address->openPostgres(u"bench-version"_s, true);
        if (!db)
            return failed(db.error());
        QSqlQuery q(*db);
        if (q.exec(u"SHOW server_version"_s) && q.next())
            server = q.value(0).toString();
        q.finish();
        db->close();
    }
    QSqlDatabase::removeDatabase(u"bench-version"_s);
    progress(u"PostgreSQL %1 at %2"_s.arg(server, address->displayName()));
    Status st;
    for (const char *stage : {"append", "commands"}) {
        auto engine = recreateDatabase(*address, u"es_bench_engine"_s);
        if (!engine)
            return failed(engine.error());
        auto rawDb = recreateDatabase(*address, u"es_bench_raw"_s);
        if (!rawDb)
            return failed(rawDb.error());
        st = qstrcmp(stage, "append") == 0
                 ? benchAppend(*address, *engine, u"es_bench_raw"_s, events, f)
                 : benchCommands(*address, *engine, u"es_bench_raw"_s, bank->get(), commands, f);
        if (!st)
            break;
    }
    dropDatabase(*address, u"es_bench_engine"_s);
    dropDatabase(*address, u"es_bench_raw"_s);
    if (!st)
        return failed(st.error());

    const double appendEngine = double(f.events) / f.appendEngineSec;
    const double appendRaw = double(f.events) / f.appendRawSec;
    const double cmdEngine = double(f.commands) / f.commandEngineSec;
    const double cmdRaw = double(f.commands) / f.commandRawSec;
    if (p.isSet(u"json"_s)) {
        out() << QJsonDocument(QJsonObject{{u"server"_s, server},
                                           {u"append"_s, QJsonObject{{u"events"_s, f.events},
                                                                     {u"batch"_s, BatchSize},
                                                                     {u"eventscope"_s, appendEngine},
                                                                     {u"raw"_s, appendRaw},
                                                                     {u"ratio"_s, appendEngine / appendRaw}}},
                                           {u"commands"_s, QJsonObject{{u"commands"_s, f.commands},
                                                                       {u"eventscope"_s, cmdEngine},
                                                                       {u"raw"_s, cmdRaw},
                                                                       {u"ratio"_s, cmdEngine / cmdRaw},
                                                                       {u"p50Ms"_s, f.p50},
                                                                       {u"p99Ms"_s, f.p99},
                                                                       {u"rawP50Ms"_s, f.rawP50},
                                                                       {u"rawP99Ms"_s, f.rawP99}}}})
                     .toJson()
              << Qt::flush;
        return exitcode::Ok;
    }
    out() << "Eventscope bench, PostgreSQL " << server << "\n\n";
    out() << "| figure | eventscope | raw libpq baseline | ratio |\n| --- | --- | --- | --- |\n";
    out() << "| batched append, " << grouped(double(f.events)) << " events, " << BatchSize << "/tx (events/s) | "
          << grouped(appendEngine) << " | " << grouped(appendRaw) << " (COPY) | "
          << QString::number(appendEngine / appendRaw, 'f', 2) << "x |\n";
    out() << "| durable commands, " << grouped(double(f.commands)) << " (commands/s vs tx/s) | " << grouped(cmdEngine)
          << " (p50 " << QString::number(f.p50, 'f', 2) << " ms, p99 " << QString::number(f.p99, 'f', 2) << " ms) | "
          << grouped(cmdRaw) << " (p50 " << QString::number(f.rawP50, 'f', 2) << " ms, p99 "
          << QString::number(f.rawP99, 'f', 2) << " ms) | " << QString::number(cmdEngine / cmdRaw, 'f', 2) << "x |\n"
          << Qt::flush;
    return exitcode::Ok;
}
