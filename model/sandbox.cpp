#include "sandbox.h"

#include "domaincompare.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "projectionrunner.h"
#include "readstore.h"
#include "timetravel.h"

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QUrl>
#include <QUuid>

#include <map>

Q_LOGGING_CATEGORY(lcSandbox, "eventscope.sandbox", QtInfoMsg)

using namespace Qt::StringLiterals;

namespace es {

namespace {

QAtomicInteger<quint64> s_forkCounter;
QAtomicInteger<quint64> s_connectionCounter;

constexpr qint64 CopyChunk = 16384;

const QString kEventColumns = u"position, stream, version, type, event_id, data, metadata, recorded_ms, "
                              "schema_version, correlation_id, actor, hash"_s;

// A plain connection of this thread to an in-memory store or a file, closed and
// removed with the object.
class Connection {
public:
    Connection(const QString &database, const QString &options)
        : m_name(u"eventscope-sandbox-%1"_s.arg(s_connectionCounter.fetchAndAddRelaxed(1)))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_name);
        db.setDatabaseName(database);
        db.setConnectOptions(options);
        db.open();
    }
    ~Connection()
    {
        {
            QSqlDatabase db = QSqlDatabase::database(m_name, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_name);
    }
    QSqlDatabase db() const { return QSqlDatabase::database(m_name, false); }

private:
    QString m_name;
};

Error sqlFailure(const QString &what, const QSqlQuery &q)
{
    return Error::make(ErrorCode::Io, u"sandbox: cannot %1: %2"_s.arg(what, q.lastError().text()));
}

} // namespace

struct Sandbox::Job {
    quint64 id = 0;
    std::shared_ptr<std::atomic_bool> cancel = std::make_shared<std::atomic_bool>(false);
    std::unique_ptr<EventStore> pending; // the new fork, schema created here, filled by the worker
    qint64 position = 0;
    QSet<qint64> skipped;
    bool projections = false;
};

Sandbox::Sandbox(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<es::CommandResult>();
    qRegisterMetaType<es::ProjectionComparison>();
}

Sandbox::~Sandbox()
{
    if (m_job)
        m_job->cancel->store(true);
    // The workers stop at their next chunk; their connections must close before ours.
    for (QThread *t : m_threads)
        t->wait();
    m_pipeline.reset();
    m_fork.reset();
}

QString Sandbox::newForkName()
{
    return u"eventscope-fork-%1-%2"_s.arg(QCoreApplication::applicationPid()).arg(s_forkCounter.fetchAndAddRelaxed(1));
}

QString Sandbox::sourceFilePath() const
{
    if (!m_source)
        return {};
    const QString path = m_source->path();
    if (path == u":memory:"_s || EventStore::isMemoryUri(path) || !QFileInfo(path).isFile())
        return {};
    return QFileInfo(path).absoluteFilePath();
}

Status Sandbox::setSource(EventStore *source, const QString &packPath)
{
    cancel();
    discard();
    m_source = source;
    m_packPath = packPath;
    m_domain.reset();
    if (!source || packPath.isEmpty())
        return {};
    auto domain = JsDomain::load(packPath);
    if (!domain)
        return domain.error();
    m_domain = std::move(*domain);
    return {};
}

void Sandbox::discard()
{
    if (m_job && !m_job->projections) {
        m_job->cancel->store(true);
        m_job.reset();
        setBusy(false);
    }
    m_pipeline.reset();
    m_fork.reset();
    m_forkUri.clear();
    m_commands.clear();
    m_skipped.clear();
    m_position = 0;
}

void Sandbox::cancel()
{
    if (!m_job)
        return;
    m_job->cancel->store(true);
    m_job.reset(); // its result, when it comes, is stale
    setBusy(false);
}

void Sandbox::setBusy(bool busy)
{
    if (busy == m_busy)
        return;
    m_busy = busy;
    Q_EMIT busyChanged(busy);
}

void Sandbox::forkAt(qint64 position)
{
    m_commands.clear();
    start(position, {});
}

void Sandbox::skip(qint64 position)
{
    QSet<qint64> s = m_skipped;
    s.insert(position);
    setSkipped(s);
}

void Sandbox::restore(qint64 position)
{
    QSet<qint64> s = m_skipped;
    s.remove(position);
    setSkipped(s);
}

void Sandbox::setSkipped(const QSet<qint64> &skipped)
{
    if (!isReady() && !m_job) {
        Q_EMIT failed(tr("Fork the store first."));
        return;
    }
    const qint64 position = m_job && !m_job->projections ? m_job->position : m_position;
    start(position, skipped);
}

void Sandbox::start(qint64 position, const QSet<qint64> &skipped)
{
    if (!m_source || !m_domain) {
        Q_EMIT failed(tr("Open a store and a domain pack to use the sandbox."));
        return;
    }
    cancel();
    const qint64 head = m_source->headPosition();
    position = qBound<qint64>(0, position, head);
    auto job = std::make_unique<Job>();
    job->id = ++m_jobId;
    job->position = position;
    job->skipped = skipped;
    const QString name = newForkName();
    auto pending = EventStore::openInMemory(name);
    if (!pending) {
        Q_EMIT failed(pending.error().message);
        return;
    }
    job->pending = std::move(*pending);
    const QString file = sourceFilePath();
    if (file.isEmpty()) {
        // Not a file: only this thread's connection can read it.
        Status st = copyFromStore(m_source, job->pending.get(), position, skipped,
                                  [this](qint64 done, qint64 total) {
                                      Q_EMIT progress(tr("Copying events"), done, total);
                                      return true;
                                  });
        if (!st) {
            Q_EMIT failed(st.error().message);
            return;
        }
        if (auto ok = install(std::move(job->pending), position, skipped); !ok)
            Q_EMIT failed(ok.error().message);
        return;
    }
    const quint64 id = job->id;
    const auto cancelFlag = job->cancel;
    const QString uri = job->pending->path();
    m_job = std::move(job);
    setBusy(true);
    Q_EMIT progress(tr("Copying events"), 0, position);
    QThread *thread = QThread::create([this, id, cancelFlag, file, uri, position, skipped] {
        const Status st = copyFromFile(file, uri, position, skipped, [this, cancelFlag](qint64 done, qint64 total) {
            if (cancelFlag->load())
                return false;
            QMetaObject::invokeMethod(
                this, [this, done, total] { Q_EMIT progress(tr("Copying events"), done, total); },
                Qt::QueuedConnection);
            return true;
        });
        QMetaObject::invokeMethod(this, [this, id, st] { finishJob(id, st); }, Qt::QueuedConnection);
    });
    m_threads.push_back(thread);
    connect(thread, &QThread::finished, this, [this, thread] {
        std::erase(m_threads, thread);
        thread->deleteLater();
    });
    thread->start();
}

void Sandbox::finishJob(quint64 id, const Status &status)
{
    if (!m_job || m_job->id != id)
        return; // superseded or cancelled
    std::unique_ptr<Job> job = std::move(m_job);
    setBusy(false);
    if (!status) {
        if (status.error().code != ErrorCode::Cancelled)
            Q_EMIT failed(status.error().message);
        return;
    }
    if (auto st = install(std::move(job->pending), job->position, job->skipped); !st)
        Q_EMIT failed(st.error().message);
}

Status Sandbox::forkNow(qint64 position, const QSet<qint64> &skipped)
{
    if (!m_source || !m_domain)
        return Error::make(ErrorCode::Invalid, u"open a store and a domain pack to use the sandbox"_s);
    cancel();
    position = qBound<qint64>(0, position, m_source->headPosition());
    auto pending = EventStore::openInMemory(newForkName());
    if (!pending)
        return pending.error();
    const QString file = sourceFilePath();
    Status st = file.isEmpty() ? copyFromStore(m_source, pending->get(), position, skipped)
                               : copyFromFile(file, (*pending)->path(), position, skipped);
    if (!st)
        return st;
    return install(std::move(*pending), position, skipped);
}

Status Sandbox::install(std::unique_ptr<EventStore> fork, qint64 position, const QSet<qint64> &skipped)
{
    m_pipeline.reset();
    m_fork = std::move(fork);
    m_forkUri = m_fork->path();
    m_position = position;
    m_skipped = skipped;
    m_pipeline = std::make_unique<CommandPipeline>(m_fork.get(), m_domain.get());
    // The commands issued so far run again against the new history.
    const QList<ForkCommand> previous = m_commands;
    m_commands.clear();
    for (const ForkCommand &c : previous)
        execute(c.command);
    qCDebug(lcSandbox) << "fork at" << position << "skipping" << skipped.size() << "replayed" << previous.size();
    Q_EMIT forked(position);
    return {};
}

CommandResult Sandbox::execute(const Command &command)
{
    if (!m_pipeline || m_busy) {
        CommandResult r;
        r.command = command;
        r.record.type = command.type;
        r.record.stream = command.stream;
        r.record.outcome = CommandOutcome::Failed;
        r.record.reason = m_busy ? tr("the sandbox is busy: wait for the fork to be ready")
                                 : tr("there is no fork: fork the store first");
        r.record.recordedMs = QDateTime::currentMSecsSinceEpoch();
        r.error = Error::make(ErrorCode::Invalid, r.record.reason);
        return r;
    }
    ForkCommand fc;
    fc.command = command;
    if (fc.command.commandId.isEmpty())
        fc.command.commandId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    if (const auto info = m_fork->streamInfo(command.stream))
        fc.versionBefore = info->version;
    fc.result = m_pipeline->execute(fc.command);
    fc.aggregate = fc.result.record.aggregate;
    if (fc.aggregate.isEmpty())
        if (const CommandSpec *spec = m_domain->info().command(command.type))
            fc.aggregate = spec->aggregate;
    m_commands.append(fc);
    Q_EMIT commandExecuted(fc.result);
    return fc.result;
}

// --- copying ---

Status Sandbox::copyFromFile(const QString &sourcePath, const QString &forkUri, qint64 position,
                             const QSet<qint64> &skipped, const std::function<bool(qint64, qint64)> &progress)
{
    Connection conn(forkUri, u"QSQLITE_OPEN_URI;QSQLITE_BUSY_TIMEOUT=10000"_s);
    QSqlDatabase db = conn.db();
    if (!db.isOpen())
        return Error::make(ErrorCode::Io, u"sandbox: cannot open the fork %1: %2"_s.arg(forkUri, db.lastError().text()));
    QSqlQuery q(db);
    // Read-only at the SQLite level: the original cannot be written through this
    // connection, and closing it never checkpoints the original's WAL.
    const QString source = QUrl::fromLocalFile(sourcePath).toString(QUrl::FullyEncoded) + u"?mode=ro"_s;
    q.prepare(u"ATTACH DATABASE ? AS src"_s);
    q.addBindValue(source);
    if (!q.exec())
        return Error::make(ErrorCode::Io,
                           u"sandbox: cannot read %1: %2"_s.arg(sourcePath, q.lastError().text()));
    struct Detach {
        QSqlDatabase db;
        ~Detach()
        {
            QSqlQuery d(db);
            d.exec(u"DETACH DATABASE src"_s);
        }
    } detach{db};

    auto fail = [&q, &db](const QString &what) -> Status {
        const Error e = sqlFailure(what, q);
        QSqlQuery r(db);
        r.exec(u"ROLLBACK"_s);
        return e;
    };
    if (!q.exec(u"BEGIN IMMEDIATE"_s))
        return sqlFailure(u"start the copy"_s, q);
    if (!q.exec(u"CREATE TEMP TABLE IF NOT EXISTS es_skip(position INTEGER PRIMARY KEY)"_s) ||
        !q.exec(u"DELETE FROM temp.es_skip"_s))
        return fail(u"prepare the skipped events"_s);
    if (!skipped.isEmpty()) {
        q.prepare(u"INSERT OR IGNORE INTO temp.es_skip(position) VALUES (?)"_s);
        for (qint64 p : skipped) {
            q.bindValue(0, p);
            if (!q.exec())
                return fail(u"prepare the skipped events"_s);
        }
    }
    q.prepare(u"INSERT INTO main.events("_s + kEventColumns + u") SELECT "_s + kEventColumns +
              u" FROM src.events WHERE position BETWEEN ? AND ? "
              "AND position NOT IN (SELECT position FROM temp.es_skip) ORDER BY position"_s);
    for (qint64 from = 1; from <= position; from += CopyChunk) {
        const qint64 to = qMin(position, from + CopyChunk - 1);
        q.bindValue(0, from);
        q.bindValue(1, to);
        if (!q.exec())
            return fail(u"copy events %1..%2"_s.arg(from).arg(to));
        if (progress && !progress(to, position)) {
            QSqlQuery r(db);
            r.exec(u"ROLLBACK"_s);
            return Error::make(ErrorCode::Cancelled, u"the fork was cancelled"_s);
        }
    }
    if (!q.exec(u"INSERT INTO main.streams(stream, type, version, first_ms, last_ms) "
                "SELECT e.stream, s.type, max(e.version), min(e.recorded_ms), max(e.recorded_ms) "
                "FROM main.events e JOIN src.streams s ON s.stream = e.stream GROUP BY e.stream"_s))
        return fail(u"list the streams"_s);
    if (!q.exec(u"COMMIT"_s))
        return fail(u"commit the copy"_s);
    return {};
}

Status Sandbox::copyFromStore(EventStore *source, EventStore *fork, qint64 position, const QSet<qint64> &skipped,
                              const std::function<bool(qint64, qint64)> &progress)
{
    QSqlDatabase db = fork->database();
    QSqlQuery q(db);
    if (!q.exec(u"BEGIN IMMEDIATE"_s))
        return sqlFailure(u"start the copy"_s, q);
    QSqlQuery ins(db);
    ins.prepare(EventStore::insertEventSql());
    struct Range {
        qint64 version = 0;
        qint64 firstMs = 0;
        qint64 lastMs = 0;
    };
    std::map<QString, Range> streams;
    Status failure;
    qint64 done = 0;
    const Status scanned = source->scan(1, [&](const RecordedEvent &e) {
        if (e.position > position)
            return false;
        ++done;
        if (skipped.contains(e.position))
            return true;
        const QJsonObject md = e.metadataObject();
        const QString correlation = md.value(meta::CorrelationId).toString();
        const QString actor = md.value(meta::Actor).toString();
        EventStore::bindEventRow(ins, e, correlation, actor);
        if (!ins.exec()) {
            failure = sqlFailure(u"copy event %1"_s.arg(e.position), ins);
            return false;
        }
        Range &r = streams[e.stream];
        r.version = qMax(r.version, e.version);
        if (!r.firstMs)
            r.firstMs = e.recordedMs;
        r.lastMs = e.recordedMs;
        if (progress && (done % CopyChunk) == 0 && !progress(done, position)) {
            failure = Error::make(ErrorCode::Cancelled, u"the fork was cancelled"_s);
            return false;
        }
        return true;
    });
    auto rollback = [&db] {
        QSqlQuery r(db);
        r.exec(u"ROLLBACK"_s);
    };
    if (!scanned) {
        rollback();
        return scanned;
    }
    if (!failure) {
        rollback();
        return failure;
    }
    QSqlQuery up(db);
    up.prepare(u"INSERT INTO streams(stream, type, version, first_ms, last_ms) VALUES (?,?,?,?,?)"_s);
    for (const auto &[stream, range] : streams) {
        up.bindValue(0, stream);
        up.bindValue(1, source->streamInfo(stream).value_or(StreamInfo{}).type);
        up.bindValue(2, range.version);
        up.bindValue(3, range.firstMs);
        up.bindValue(4, range.lastMs);
        if (!up.exec()) {
            const Error e = sqlFailure(u"list the streams"_s, up);
            rollback();
            return e;
        }
    }
    if (!q.exec(u"COMMIT"_s)) {
        const Error e = sqlFailure(u"commit the copy"_s, q);
        rollback();
        return e;
    }
    if (progress)
        progress(position, position);
    return {};
}

// --- compare ---

Result<StateComparison> Sandbox::compareAggregate(const QString &stream)
{
    if (!m_fork)
        return Error::make(ErrorCode::Invalid, u"there is no fork: fork the store first"_s);
    if (stream.isEmpty())
        return Error::make(ErrorCode::Invalid, u"name a stream to compare"_s);
    StateComparison out;
    out.stream = stream;
    const auto inFork = m_fork->streamInfo(stream);
    const auto inSource = m_source->streamInfo(stream);
    out.aggregate = inFork ? inFork->type : inSource ? inSource->type : QString();
    if (out.aggregate.isEmpty())
        return Error::make(ErrorCode::NotFound, u"no stream %1 in the original or in the fork"_s.arg(stream));
    auto initial = m_domain->initialState(out.aggregate);
    if (!initial)
        return initial.error();
    out.original = *initial;
    out.fork = *initial;
    if (inSource) {
        TimeTravel tt(m_source, m_domain.get());
        auto at = tt.atPosition(stream, m_position);
        if (!at)
            return at.error();
        out.inOriginal = at->version > 0;
        out.originalVersion = at->version;
        out.original = at->state;
    }
    if (inFork) {
        Repository repo(m_fork.get(), m_domain.get());
        repo.setCacheEnabled(false);
        auto now = repo.load({}, stream);
        if (!now)
            return now.error();
        out.inFork = true;
        out.forkVersion = now->version;
        out.fork = now->state;
    }
    out.paths = DomainCompare::differingPaths(out.original, out.fork);
    return out;
}

Result<QList<ProjectionComparison>> Sandbox::compareProjections(EventStore *original, qint64 originalPosition,
                                                                EventStore *fork, Domain *domain,
                                                                const QStringList &projections,
                                                                const std::function<bool(const QString &)> &stage)
{
    auto cancelled = [] { return Error::make(ErrorCode::Cancelled, u"the comparison was cancelled"_s); };
    if (stage && !stage(QCoreApplication::translate("es::Sandbox", "Building the original read models")))
        return cancelled();
    auto before = ProjectionRunner::buildAsOf(original, domain, originalPosition, projections);
    if (!before)
        return before.error();
    if (stage && !stage(QCoreApplication::translate("es::Sandbox", "Building the fork's read models")))
        return cancelled();
    auto after = ProjectionRunner::buildAsOf(fork, domain, fork->headPosition(), projections);
    if (!after)
        return after.error();
    if (stage && !stage(QCoreApplication::translate("es::Sandbox", "Comparing rows")))
        return cancelled();
    QList<ProjectionComparison> out;
    for (const ProjectionSpec &spec : domain->info().projections) {
        if (!projections.isEmpty() && !projections.contains(spec.name))
            continue;
        auto a = (*before)->dump(spec.name);
        if (!a)
            return a.error();
        auto b = (*after)->dump(spec.name);
        if (!b)
            return b.error();
        ProjectionComparison pc;
        pc.projection = spec.name;
        // A row absent on one side stays undefined there (a stored row may hold null).
        struct Sides {
            QJsonValue original{QJsonValue::Undefined};
            QJsonValue fork{QJsonValue::Undefined};
        };
        std::map<QString, Sides> rows;
        for (const QJsonValue &row : std::as_const(*a))
            rows[row[u"key"_s].toString()].original = row[u"value"_s];
        for (const QJsonValue &row : std::as_const(*b))
            rows[row[u"key"_s].toString()].fork = row[u"value"_s];
        for (const auto &[key, values] : rows) {
            RowComparison rc;
            rc.key = key;
            rc.original = values.original;
            rc.fork = values.fork;
            if (rc.original.isUndefined()) {
                rc.kind = RowComparison::Kind::Added;
                ++pc.added;
            } else if (rc.fork.isUndefined()) {
                rc.kind = RowComparison::Kind::Removed;
                ++pc.removed;
            } else if (rc.original != rc.fork) {
                rc.kind = RowComparison::Kind::Changed;
                ++pc.changed;
            } else {
                ++pc.same;
            }
            pc.rows.append(rc);
        }
        out.append(pc);
    }
    return out;
}

Result<QList<ProjectionComparison>> Sandbox::compareProjections(const QStringList &projections)
{
    if (!m_fork)
        return Error::make(ErrorCode::Invalid, u"there is no fork: fork the store first"_s);
    return compareProjections(m_source, m_position, m_fork.get(), m_domain.get(), projections);
}

void Sandbox::startProjectionCompare(const QStringList &projections)
{
    if (!m_fork) {
        Q_EMIT failed(tr("There is no fork: fork the store first."));
        return;
    }
    if (m_busy) {
        Q_EMIT failed(tr("The sandbox is busy."));
        return;
    }
    const QString file = sourceFilePath();
    if (file.isEmpty()) {
        auto r = compareProjections(projections);
        if (!r)
            Q_EMIT failed(r.error().message);
        else
            Q_EMIT projectionsCompared(*r);
        return;
    }
    auto job = std::make_unique<Job>();
    job->id = ++m_jobId;
    job->projections = true;
    const quint64 id = job->id;
    const auto cancelFlag = job->cancel;
    m_job = std::move(job);
    setBusy(true);
    const QString uri = m_forkUri;
    const QString pack = m_packPath;
    const qint64 position = m_position;
    QThread *thread = QThread::create([this, id, cancelFlag, file, uri, pack, position, projections] {
        auto run = [&]() -> Result<QList<ProjectionComparison>> {
            auto domain = JsDomain::load(pack);
            if (!domain)
                return domain.error();
            EventStore::Options ro;
            ro.mode = EventStore::Mode::ReadOnly;
            auto original = EventStore::open(file, ro);
            if (!original)
                return original.error();
            auto fork = EventStore::open(uri, EventStore::Mode::ReadWrite);
            if (!fork)
                return fork.error();
            return compareProjections(original->get(), position, fork->get(), domain->get(), projections,
                                      [this, cancelFlag](const QString &stage) {
                                          if (cancelFlag->load())
                                              return false;
                                          QMetaObject::invokeMethod(
                                              this, [this, stage] { Q_EMIT progress(stage, 0, 0); },
                                              Qt::QueuedConnection);
                                          return true;
                                      });
        };
        auto result = run();
        QMetaObject::invokeMethod(
            this,
            [this, id, result] {
                if (!m_job || m_job->id != id)
                    return;
                m_job.reset();
                setBusy(false);
                if (!result) {
                    if (result.error().code != ErrorCode::Cancelled)
                        Q_EMIT failed(result.error().message);
                    return;
                }
                Q_EMIT projectionsCompared(*result);
            },
            Qt::QueuedConnection);
    });
    m_threads.push_back(thread);
    connect(thread, &QThread::finished, this, [this, thread] {
        std::erase(m_threads, thread);
        thread->deleteLater();
    });
    thread->start();
}

// --- fixtures ---

Result<QJsonObject> Sandbox::fixture(int commandIndex, const QString &name)
{
    if (!m_fork)
        return Error::make(ErrorCode::Invalid, u"there is no fork: fork the store first"_s);
    if (commandIndex < 0 || commandIndex >= m_commands.size())
        return Error::make(ErrorCode::NotFound, u"no command %1 in the fork"_s.arg(commandIndex + 1));
    const ForkCommand &fc = m_commands.at(commandIndex);
    const CommandRecord &rec = fc.result.record;
    if (rec.outcome == CommandOutcome::Failed || rec.outcome == CommandOutcome::Conflict)
        return Error::make(ErrorCode::Invalid,
                           u"the command %1 on %2 %3 in the fork: a fixture needs an accepted or rejected command"_s.arg(
                               fc.command.type, fc.command.stream, outcomeName(rec.outcome)));
    if (fc.aggregate.isEmpty())
        return Error::make(ErrorCode::NotFound, u"the pack has no command %1"_s.arg(fc.command.type));

    QJsonArray given;
    if (fc.versionBefore > 0) {
        auto history = m_fork->readStream(fc.command.stream, 1, fc.versionBefore);
        if (!history)
            return history.error();
        for (const RecordedEvent &e : std::as_const(*history)) {
            QJsonObject g{{u"type"_s, e.type}, {u"data"_s, e.dataObject()}};
            if (e.schemaVersion != 1)
                g.insert(u"schemaVersion"_s, e.schemaVersion);
            given.append(g);
        }
    }
    QJsonArray ids;
    if (!fc.result.events.isEmpty())
        ids = fc.result.events.constFirst().metadataObject().value(u"ids"_s).toArray();
    QJsonObject ctx{{u"nowMs"_s, rec.recordedMs}};
    if (const QString actor = fc.command.metadata.value(meta::Actor).toString(); !actor.isEmpty())
        ctx.insert(u"actor"_s, actor);
    if (!ids.isEmpty())
        ctx.insert(u"ids"_s, ids);
    const QString command = fc.aggregate + u'.' + (rec.type.isEmpty() ? fc.command.type.section(u'.', -1) : rec.type);
    QJsonObject out{
        {u"name"_s, name.isEmpty() ? u"%1 on %2 (what-if fork at position %3)"_s.arg(command, fc.command.stream)
                                         .arg(m_position)
                                   : name},
        {u"stream"_s, fc.command.stream},
        {u"given"_s, given},
        {u"when"_s, QJsonObject{{u"command"_s, command},
                                {u"data"_s, fc.command.payload},
                                {u"ctx"_s, ctx},
                                {u"commandId"_s, fc.command.commandId}}},
    };
    if (rec.outcome == CommandOutcome::Rejected) {
        // The harness looks for this text in the reason and the field errors.
        // A validation failure reads differently in the harness ("invalid command" and the
        // fields): expect the first field's message then.
        QString expected = rec.reason;
        if (!rec.fieldErrors.isEmpty() && rec.reason.startsWith(u"invalid command"_s))
            expected = rec.fieldErrors.constBegin().value().toString();
        out.insert(u"thenRejected"_s, expected);
        return out;
    }
    QJsonArray then;
    for (const RecordedEvent &e : fc.result.events) {
        if (e.stream == fc.command.stream)
            then.append(QJsonObject{{u"type"_s, e.type}, {u"data"_s, e.dataObject()}});
    }
    out.insert(u"then"_s, then);
    // The state right after the command, as the fork's pack computes it.
    Repository repo(m_fork.get(), m_domain.get());
    repo.setCacheEnabled(false);
    repo.setUseSnapshots(false);
    qint64 last = fc.versionBefore;
    for (const RecordedEvent &e : fc.result.events)
        if (e.stream == fc.command.stream)
            last = qMax(last, e.version);
    if (auto state = repo.load(fc.aggregate, fc.command.stream, last))
        out.insert(u"thenState"_s, state->state);
    return out;
}

Status Sandbox::writeFixtures(const QString &path, const QJsonArray &cases)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return Error::make(ErrorCode::Io, u"%1: cannot write: %2"_s.arg(path, f.errorString()));
    f.write(QJsonDocument(cases).toJson(QJsonDocument::Indented));
    if (!f.commit())
        return Error::make(ErrorCode::Io, u"%1: cannot write: %2"_s.arg(path, f.errorString()));
    return {};
}

} // namespace es
