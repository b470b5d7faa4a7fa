#include "eventstore.h"

#include "ids.h"
#include "sqliteerror.h"
#include "storeaddress.h"
#include "storefileaccess.h"

#include <QAtomicInteger>
#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSqlDriver>
#include <QSqlError>
#include <QUrl>

#include <sqlite3.h>

Q_LOGGING_CATEGORY(lcStore, "eventscope.store", QtInfoMsg)

using namespace Qt::StringLiterals;

namespace es {

namespace {

// "EVSC": lets `file(1)`-like checks and our open path recognise a store
// even before reading any table.
constexpr int ApplicationId = 0x45565343;

QAtomicInteger<quint64> s_connectionCounter;

QByteArray compactJson(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QJsonObject parseObject(const QByteArray &bytes)
{
    return QJsonDocument::fromJson(bytes).object();
}

// Schema steps; index i upgrades schema i to i+1. Never edit a shipped step:
// append a new one and bump SchemaVersion.
const QList<QStringList> &migrations()
{
    static const QList<QStringList> steps = {
        {
            u"CREATE TABLE es_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"_s,
            u"CREATE TABLE events("
            "position INTEGER PRIMARY KEY,"
            "stream TEXT NOT NULL,"
            "version INTEGER NOT NULL,"
            "type TEXT NOT NULL,"
            "event_id TEXT NOT NULL UNIQUE,"
            "data TEXT NOT NULL,"
            "metadata TEXT NOT NULL,"
            "recorded_ms INTEGER NOT NULL,"
            "schema_version INTEGER NOT NULL DEFAULT 1,"
            "correlation_id TEXT,"
            "actor TEXT,"
            "hash TEXT NOT NULL,"
            "UNIQUE(stream, version))"_s,
            u"CREATE INDEX events_by_type ON events(type, position)"_s,
            u"CREATE INDEX events_by_correlation ON events(correlation_id, position) WHERE correlation_id IS NOT NULL"_s,
            u"CREATE INDEX events_by_time ON events(recorded_ms)"_s,
            // Defence in depth: the engine never updates or deletes an event, and
            // neither may anything else that goes through SQLite without dropping these.
            u"CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
            "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"_s,
            u"CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events "
            "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"_s,
            u"CREATE TABLE streams("
            "stream TEXT PRIMARY KEY,"
            "type TEXT NOT NULL,"
            "version INTEGER NOT NULL,"
            "first_ms INTEGER NOT NULL,"
            "last_ms INTEGER NOT NULL) WITHOUT ROWID"_s,
            u"CREATE TABLE snapshots("
            "stream TEXT NOT NULL,"
            "version INTEGER NOT NULL,"
            "state TEXT NOT NULL,"
            "domain_version TEXT NOT NULL,"
            "domain_hash TEXT NOT NULL,"
            "created_ms INTEGER NOT NULL,"
            "PRIMARY KEY(stream, version)) WITHOUT ROWID"_s,
            u"CREATE TABLE command_log("
            "seq INTEGER PRIMARY KEY,"
            "command_id TEXT NOT NULL UNIQUE,"
            "type TEXT NOT NULL,"
            "aggregate TEXT NOT NULL,"
            "stream TEXT NOT NULL,"
            "payload TEXT NOT NULL,"
            "metadata TEXT NOT NULL,"
            "outcome TEXT NOT NULL,"
            "reason TEXT,"
            "field_errors TEXT,"
            "first_position INTEGER,"
            "last_position INTEGER,"
            "expected_version INTEGER,"
            "actual_version INTEGER,"
            "timings TEXT NOT NULL,"
            "recorded_ms INTEGER NOT NULL)"_s,
            u"CREATE INDEX command_log_by_stream ON command_log(stream, seq)"_s,
        },
        // 2: full-text index over event data, filled off the append path by a
        // catch-up indexer (EventSearch) from the fts_checkpoint position.
        {
            u"CREATE VIRTUAL TABLE events_fts USING fts5(data, content='events', content_rowid='position', "
            "tokenize='unicode61 remove_diacritics 2')"_s,
            u"INSERT INTO es_meta(key, value) VALUES ('fts_checkpoint', '0')"_s,
        },
    };
    return steps;
}

// The same schema on PostgreSQL. Positions are not a sequence: every write
// transaction takes one advisory lock (see EventStore::begin), and an append
// numbers its events from max(position) + 1 under it. Commits therefore happen
// in position order, so a reader that sees position N has seen every position
// below N: no gaps, no out-of-order commits for catch-up readers, and one hash
// chain in position order.
const QList<QStringList> &pgMigrations()
{
    static const QList<QStringList> steps = {
        {
            u"CREATE TABLE es_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"_s,
            u"CREATE TABLE events("
            "position BIGINT PRIMARY KEY,"
            "stream TEXT COLLATE \"C\" NOT NULL,"
            "version BIGINT NOT NULL,"
            "type TEXT COLLATE \"C\" NOT NULL,"
            "event_id TEXT NOT NULL UNIQUE,"
            "data TEXT NOT NULL,"
            "metadata TEXT NOT NULL,"
            "recorded_ms BIGINT NOT NULL,"
            "schema_version INTEGER NOT NULL DEFAULT 1,"
            "correlation_id TEXT,"
            "actor TEXT,"
            "hash TEXT NOT NULL,"
            "UNIQUE(stream, version))"_s,
            u"CREATE INDEX events_by_type ON events(type, position)"_s,
            u"CREATE INDEX events_by_correlation ON events(correlation_id, position) WHERE correlation_id IS NOT NULL"_s,
            u"CREATE INDEX events_by_time ON events(recorded_ms)"_s,
            // Defence in depth, as on SQLite: no UPDATE, DELETE or TRUNCATE of events.
            u"CREATE FUNCTION es_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "'BEGIN RAISE EXCEPTION ''events are append-only''; END'"_s,
            u"CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION es_events_append_only()"_s,
            u"CREATE TRIGGER events_append_only_truncate BEFORE TRUNCATE ON events "
            "FOR EACH STATEMENT EXECUTE FUNCTION es_events_append_only()"_s,
            u"CREATE TABLE streams("
            "stream TEXT COLLATE \"C\" PRIMARY KEY,"
            "type TEXT NOT NULL,"
            "version BIGINT NOT NULL,"
            "first_ms BIGINT NOT NULL,"
            "last_ms BIGINT NOT NULL)"_s,
            u"CREATE TABLE snapshots("
            "stream TEXT NOT NULL,"
            "version BIGINT NOT NULL,"
            "state TEXT NOT NULL,"
            "domain_version TEXT NOT NULL,"
            "domain_hash TEXT NOT NULL,"
            "created_ms BIGINT NOT NULL,"
            "PRIMARY KEY(stream, version))"_s,
            u"CREATE TABLE command_log("
            "seq BIGSERIAL PRIMARY KEY,"
            "command_id TEXT NOT NULL UNIQUE,"
            "type TEXT NOT NULL,"
            "aggregate TEXT NOT NULL,"
            "stream TEXT NOT NULL,"
            "payload TEXT NOT NULL,"
            "metadata TEXT NOT NULL,"
            "outcome TEXT NOT NULL,"
            "reason TEXT,"
            "field_errors TEXT,"
            "first_position BIGINT,"
            "last_position BIGINT,"
            "expected_version BIGINT,"
            "actual_version BIGINT,"
            "timings TEXT NOT NULL,"
            "recorded_ms BIGINT NOT NULL)"_s,
            u"CREATE INDEX command_log_by_stream ON command_log(stream, seq)"_s,
        },
        // 2: the timeline's full-text index is SQLite's FTS5; on PostgreSQL the
        // timeline searches event data without it (see EventSearch).
        {
            u"INSERT INTO es_meta(key, value) VALUES ('fts_checkpoint', '0')"_s,
        },
    };
    return steps;
}

// Every write transaction on PostgreSQL holds this advisory lock ("EVSC").
constexpr qint64 WriteLockKey = 0x45565343;

// One channel wakes every reader of a PostgreSQL store after a commit.
const QString NotifyChannel = u"eventscope_events"_s;

CommandOutcome outcomeFromName(const QString &s)
{
    if (s == u"accepted")
        return CommandOutcome::Accepted;
    if (s == u"rejected")
        return CommandOutcome::Rejected;
    if (s == u"conflict")
        return CommandOutcome::Conflict;
    return CommandOutcome::Failed;
}

// A unique violation, as SQLite names it ("events.stream, events.version") or
// as PostgreSQL names the constraint ("events_stream_version_key").
bool isConstraintOn(const QSqlError &e, QLatin1StringView sqliteName, QLatin1StringView pgName)
{
    const QString text = e.text();
    return text.contains(sqliteName) || text.contains(pgName);
}

} // namespace

EventStore::EventStore(QObject *parent)
    : QObject(parent)
{
}

EventStore::~EventStore()
{
    if (m_db.isOpen()) {
        if (!m_readOnly && m_damage.code == ErrorCode::None && !m_pendingTimings.isEmpty() && begin()) {
            if (flushPendingTimings(true))
                commit();
            else
                rollback();
        }
        m_statements.clear();
        m_db.close();
    }
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
}

Result<std::unique_ptr<EventStore>> EventStore::open(const QString &path, Mode mode)
{
    Options o;
    o.mode = mode;
    return open(path, o);
}

Result<std::unique_ptr<EventStore>> EventStore::open(const QString &path, const Options &options)
{
    std::unique_ptr<EventStore> store(new EventStore);
    if (auto st = store->initialise(path, options); !st)
        return st.error();
    return store;
}

Status EventStore::initialise(const QString &path, const Options &options)
{
    m_path = path;
    m_label = path;
    if (StoreAddress::isPostgresUrl(path)) {
        auto address = StoreAddress::parse(path);
        if (!address)
            return address.error();
        return initialisePostgres(*address, options);
    }
    m_memory = path == u":memory:" || isMemoryUri(path);
    m_readOnly = options.mode == Mode::ReadOnly;
    if (m_memory) {
        if (m_readOnly)
            return Error::make(ErrorCode::Invalid, u"an in-memory store cannot be opened read-only"_s);
        return openSqlite(path, options);
    }

    // stat(2) and access(2) only. The file itself is read by SQLite alone:
    // opening and closing any descriptor of it would drop the POSIX locks this
    // process's connections hold on it (see GROUND.md), and another process
    // would then checkpoint and delete the WAL under them.
    const StoreFileAccess access = StoreFileAccess::probe(path);
    if (!access.exists) {
        if (options.mode != Mode::Create)
            return Error::make(ErrorCode::NotFound,
                               u"%1: no such store (create one with `eventscope-cli init`)"_s.arg(path));
        if (!access.writable)
            return Error::make(ErrorCode::ReadOnly, u"cannot create %1: %2"_s.arg(path, access.whyNotWritable));
    } else if (access.isDirectory) {
        return Error::make(ErrorCode::NotAStore, u"%1 is a directory, not an Eventscope store"_s.arg(path));
    } else if (!access.writable) {
        // Read-only with the reason, rather than read-write failing at the first write.
        if (!m_readOnly)
            m_readOnlyReason = u"%1 cannot be written here: %2"_s.arg(path, access.whyNotWritable);
        m_readOnly = true;
        // SQLite would create -wal and -shm beside it with the file's own read-only
        // mode, which then stand in the way of its owner. With nothing in the log
        // (so no process has the store open), read the file alone, as immutable.
        m_snapshot = !access.walHasContent;
    }
    if (access.exists && access.size == 0 && m_readOnly)
        return Error::make(ErrorCode::NotAStore, u"%1 is an empty file, not an Eventscope store"_s.arg(path));
    return openSqlite(path, options);
}

Status EventStore::openSqlite(const QString &path, const Options &options)
{
    m_connectionName = u"eventscope-%1"_s.arg(s_connectionCounter.fetchAndAddRelaxed(1));
    m_db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connectionName);
    m_db.setDatabaseName(m_snapshot ? immutableSqliteUri(path) : path);
    QString connectOptions = u"QSQLITE_BUSY_TIMEOUT=%1"_s.arg(options.busyTimeoutMs);
    if (m_readOnly)
        connectOptions += u";QSQLITE_OPEN_READONLY"_s;
    if (isMemoryUri(path) || m_snapshot)
        connectOptions += u";QSQLITE_OPEN_URI"_s;
    m_db.setConnectOptions(connectOptions);
    if (!m_db.open()) {
        const SqlProblem p = classifySqlError(m_db.lastError());
        return Error::make(ErrorCode::Io, u"%1: cannot open: %2"_s.arg(path, p.detail));
    }

    // The first statement reads the header. Nothing is written before the
    // answer (not even a pragma that changes the header): SQLite's own verdict
    // says whether this is a database at all.
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    QStringList tables;
    bool read = q.exec(u"SELECT name FROM sqlite_master WHERE type = 'table'"_s);
    while (read && q.next())
        tables << q.value(0).toString();
    if (!read || endedOnError(q)) {
        const SqlProblem p = classifySqlError(q.lastError());
        if (p.kind == SqlFailure::NotADatabase)
            return Error::make(ErrorCode::NotAStore,
                               u"%1 is not an Eventscope store: it is not a SQLite database, or its first page is "
                               "damaged (SQLite reports: %2)"_s.arg(path, p.detail));
        return sqlError(u"read its list of tables"_s, q);
    }
    q.finish();

    auto schema = checkOwnership(tables, u"it is a SQLite database with other tables"_s);
    if (!schema)
        return schema.error();
    if (m_readOnly)
        return {};

    if (!m_memory && !q.exec(u"PRAGMA journal_mode=WAL"_s))
        return sqlError(u"enable WAL"_s, q);
    if (!q.exec(options.durability == Durability::Full ? u"PRAGMA synchronous=FULL"_s : u"PRAGMA synchronous=NORMAL"_s))
        return sqlError(u"set synchronous"_s, q);
    q.exec(u"PRAGMA cache_size=-65536"_s); // 64 MB: indexes of 10M-event stores outgrow the default
    return createOrMigrate(*schema);
}

Status EventStore::initialisePostgres(const StoreAddress &address, const Options &options)
{
    m_pg = true;
    m_label = address.displayName();
    m_readOnly = options.mode == Mode::ReadOnly;
    m_connectionName = u"eventscope-%1"_s.arg(s_connectionCounter.fetchAndAddRelaxed(1));
    auto db = address.openPostgres(m_connectionName, m_readOnly);
    if (!db)
        return db.error();
    m_db = *db;

    QSqlQuery q(m_db);
    if (!q.exec(u"SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"_s))
        return Error::make(ErrorCode::Io, u"%1: cannot read: %2"_s.arg(m_label, q.lastError().text()));
    QStringList tables;
    while (q.next())
        tables << q.value(0).toString();
    q.finish();
    if (tables.isEmpty() && options.mode != Mode::Create)
        return Error::make(ErrorCode::NotFound, u"%1 holds no Eventscope store yet (create one with `eventscope-cli "
                                                "init`)"_s.arg(m_label));
    tables.sort();
    auto schema = checkOwnership(tables, u"the database has other tables"_s);
    if (!schema)
        return schema.error();
    if (m_readOnly)
        return {};
    // Normal gives up the last commits on a server crash, never consistency (like SQLite's NORMAL under WAL).
    m_pgFullDurability = options.durability == Durability::Full;
    if (!q.exec(options.durability == Durability::Full ? u"SET synchronous_commit = on"_s
                                                       : u"SET synchronous_commit = off"_s))
        return sqlError(u"set synchronous_commit"_s, q);
    return createOrMigrate(*schema);
}

Result<int> EventStore::checkOwnership(const QStringList &tables, const QString &whatItIs)
{
    int schema = 0;
    QSqlQuery q(m_db);
    if (tables.contains(u"es_meta"_s)) {
        if (!q.exec(u"SELECT value FROM es_meta WHERE key = 'schema_version'"_s))
            return sqlError(u"read its schema version"_s, q);
        if (!q.next()) {
            // A damaged page is not a missing row: say which it is.
            if (endedOnError(q))
                return sqlError(u"read its schema version"_s, q);
            return Error::make(ErrorCode::NotAStore,
                               u"%1 is not an Eventscope store: its metadata has no schema version"_s.arg(m_label));
        }
        schema = q.value(0).toInt();
        if (schema > SchemaVersion)
            return Error::make(
                ErrorCode::NewerSchema,
                u"%1 was written by a newer Eventscope (store schema %2, this version reads up to %3)"_s.arg(m_label)
                    .arg(schema)
                    .arg(SchemaVersion));
    } else if (!tables.isEmpty()) {
        return Error::make(ErrorCode::NotAStore, u"%1 is not an Eventscope store: %2 (%3)"_s.arg(
                                                     m_label, whatItIs, tables.mid(0, 5).join(u", "_s)));
    }
    if (m_readOnly) {
        if (schema == 0)
            return Error::make(ErrorCode::NotAStore, u"%1 is not an Eventscope store: it is empty"_s.arg(m_label));
        if (schema < SchemaVersion)
            return Error::make(
                ErrorCode::Invalid,
                u"%1 uses store schema %2 and needs an upgrade to %3: open it read-write once"_s.arg(m_label)
                    .arg(schema)
                    .arg(SchemaVersion));
    }
    return schema;
}

Status EventStore::createOrMigrate(int knownSchema)
{
    // Current already (every open but the first): no write transaction, and on
    // PostgreSQL no NOTIFY that would wake every reader of the store.
    if (knownSchema == SchemaVersion)
        return {};
    QSqlQuery q(m_db);
    // Under the write lock, look again: another process may be migrating right now.
    if (auto st = begin(); !st)
        return st;
    int schema = 0;
    // On PostgreSQL a failed statement aborts the transaction: look before reading.
    bool hasMeta = true;
    if (m_pg) {
        if (!q.exec(u"SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = "
                    "'es_meta'"_s)) {
            const Error e = sqlError(u"look for the store's metadata"_s, q);
            rollback();
            return e;
        }
        hasMeta = q.next();
        q.finish();
    } else {
        if (!q.exec(u"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'es_meta'"_s)) {
            const Error e = sqlError(u"look for the store's metadata"_s, q);
            rollback();
            return e;
        }
        hasMeta = q.next();
        const bool failed = endedOnError(q);
        q.finish();
        if (failed) {
            const Error e = sqlError(u"look for the store's metadata"_s, q);
            rollback();
            return e;
        }
    }
    if (hasMeta) {
        // A read that fails is not an empty store: creating the schema over it
        // would only add noise ("table es_meta already exists").
        bool ok = q.exec(u"SELECT value FROM es_meta WHERE key = 'schema_version'"_s);
        if (ok && q.next())
            schema = q.value(0).toInt();
        else
            ok = ok && !endedOnError(q);
        if (!ok) {
            const Error e = sqlError(u"read its schema version"_s, q);
            rollback();
            return e;
        }
        if (schema == 0) {
            rollback();
            return Error::make(ErrorCode::NotAStore,
                               u"%1 is not an Eventscope store: its metadata has no schema version"_s.arg(m_label));
        }
    }
    q.finish();
    const auto &steps = m_pg ? pgMigrations() : migrations();
    for (int v = schema; v < SchemaVersion; ++v) {
        for (const QString &sql : steps.at(v)) {
            if (!q.exec(sql)) {
                const Error e = sqlError(u"migrate the schema to version %1"_s.arg(v + 1), q);
                rollback();
                return e;
            }
        }
    }
    if (schema < SchemaVersion) {
        q.prepare(u"INSERT INTO es_meta(key, value) VALUES ('schema_version', ?) "
                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value"_s);
        q.addBindValue(QString::number(SchemaVersion));
        bool ok = q.exec();
        ok = ok && q.exec(u"INSERT INTO es_meta(key, value) VALUES ('format', 'eventscope') ON CONFLICT DO NOTHING"_s);
        if (!m_pg)
            ok = ok && q.exec(u"PRAGMA application_id=%1"_s.arg(ApplicationId));
        if (!ok) {
            const Error e = sqlError(u"write the schema version"_s, q);
            rollback();
            return e;
        }
        qCDebug(lcStore) << "store" << m_path << "migrated from schema" << schema << "to" << SchemaVersion;
    }
    return commit();
}

QSqlQuery &EventStore::prepared(const QString &sql)
{
    auto it = m_statements.find(sql);
    if (it == m_statements.end()) {
        QSqlQuery q(m_db);
        q.setForwardOnly(true);
        if (!q.prepare(sql))
            qCWarning(lcStore) << "prepare failed" << sql << q.lastError().text();
        it = m_statements.insert(sql, q);
    }
    return it.value();
}

Error EventStore::sqlError(const QString &what, const QSqlQuery &q)
{
    return sqlError(what, q.lastError().isValid() ? q.lastError() : m_db.lastError());
}

Error EventStore::sqlError(const QString &what, const QSqlError &e)
{
    if (m_pg) {
        QString text = e.text();
        ErrorCode code = ErrorCode::Io;
        if (text.contains(u"readonly"_s) || text.contains(u"read-only"_s))
            code = ErrorCode::ReadOnly;
        if (text.contains(u"full"_s))
            text += u" (the disk is full: nothing was written)"_s;
        return Error::make(code, u"%1: cannot %2: %3"_s.arg(m_label, what, text));
    }
    const SqlProblem problem = classifySqlError(e);
    Error error = storeError(m_label, what, problem);
    if (error.code == ErrorCode::ReadOnly && !m_readOnlyReason.isEmpty())
        error.message += u" (%1)"_s.arg(m_readOnlyReason);
    if (error.code == ErrorCode::Damaged && m_damage.code == ErrorCode::None) {
        // Sticky: whatever read this, nothing more is written to the file.
        m_damage = error;
        m_damage.message = damagedStoreSentence(m_label, problem.detail);
        qCDebug(lcStore).noquote() << error.message; // the caller reports it
        Q_EMIT damageDetected(m_damage);
    }
    return error;
}

void EventStore::noteReadFailure(const QString &what, const QSqlQuery &q)
{
    const Error e = sqlError(what, q);
    qCWarning(lcStore).noquote() << e.message;
}

Status EventStore::refuseWrite(const QString &nothingDone) const
{
    if (m_damage.code != ErrorCode::None)
        return Error::make(ErrorCode::Damaged,
                           u"%1: %2. %3"_s.arg(m_damage.message, nothingDone, damagedStoreAdvice(m_label)));
    if (m_readOnly) {
        if (!m_readOnlyReason.isEmpty())
            return Error::make(ErrorCode::ReadOnly, u"%1: %2"_s.arg(m_readOnlyReason, nothingDone));
        return Error::make(ErrorCode::ReadOnly, u"%1 is open read-only: %2"_s.arg(m_label, nothingDone));
    }
    return {};
}

void EventStore::switchToReadOnly(const QString &reason)
{
    if (m_readOnly && !m_readOnlyReason.isEmpty())
        return;
    m_readOnly = true;
    m_readOnlyReason = reason;
    m_pendingTimings.clear();
    if (!m_pg && m_db.isOpen()) {
        // SQLite itself refuses writes on this connection from now on.
        QSqlQuery q(m_db);
        q.exec(u"PRAGMA query_only = ON"_s);
    }
}

Status EventStore::begin()
{
    if (m_pg) {
        // One writer at a time, as SQLite's BEGIN IMMEDIATE: positions and the
        // hash chain are assigned under this lock, so commits come in position
        // order. Both in one simple query: one round trip.
        QSqlQuery q(m_db);
        if (!q.exec(u"BEGIN; SELECT pg_advisory_xact_lock(%1)"_s.arg(WriteLockKey))) {
            const Error e = sqlError(u"start a write transaction (and take the store's write lock)"_s, q);
            m_db.rollback();
            return e;
        }
        return {};
    }
    QSqlQuery &q = prepared(u"BEGIN IMMEDIATE"_s);
    if (!q.exec())
        return sqlError(u"start a write transaction"_s, q);
    q.finish();
    return {};
}

Status EventStore::commit()
{
    if (m_pg) {
        // The notification is delivered to the listeners only if the transaction
        // commits: a wake-up, not data. Sent with the COMMIT, in one round trip.
        QSqlQuery q(m_db);
        if (!q.exec(u"NOTIFY "_s + NotifyChannel + u"; COMMIT"_s)) {
            const Error e = sqlError(u"commit"_s, q);
            rollback();
            return e;
        }
        return {};
    }
    QSqlQuery &q = prepared(u"COMMIT"_s);
    if (!q.exec()) {
        const Error e = sqlError(u"commit"_s, q);
        rollback();
        return e;
    }
    q.finish();
    return {};
}

void EventStore::rollback()
{
    if (m_pg) {
        m_db.rollback();
        return;
    }
    QSqlQuery &q = prepared(u"ROLLBACK"_s);
    q.exec();
    q.finish();
}

QString EventStore::notificationChannel()
{
    return NotifyChannel;
}

Status EventStore::reconnect()
{
    if (!m_pg)
        return {};
    // Server-side prepared statements died with the old session.
    m_statements.clear();
    m_db.close(); // also drops the driver's LISTEN subscriptions and their socket notifier
    if (!m_db.open()) {
        const QString why = m_db.lastError().text().trimmed();
        return Error::make(ErrorCode::Io, u"%1: cannot reconnect: %2"_s.arg(m_label, why));
    }
    // The session settings of StoreAddress::openPostgres and initialisePostgres.
    QSqlQuery q(m_db);
    q.exec(u"SET client_min_messages = warning"_s);
    if (m_readOnly)
        q.exec(u"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"_s);
    else
        q.exec(m_pgFullDurability ? u"SET synchronous_commit = on"_s : u"SET synchronous_commit = off"_s);
    return {};
}

QByteArray EventStore::computeHash(const QByteArray &previousHash, const RecordedEvent &e)
{
    // Every stored field is covered, each length-prefixed so that no two
    // different events can produce the same byte sequence.
    QCryptographicHash h(QCryptographicHash::Sha256);
    auto field = [&h](QByteArrayView bytes) {
        const QByteArray len = QByteArray::number(bytes.size());
        h.addData(len);
        h.addData(":");
        h.addData(bytes);
    };
    field(previousHash);
    field(QByteArray::number(e.position));
    field(e.stream.toUtf8());
    field(QByteArray::number(e.version));
    field(e.type.toUtf8());
    field(e.eventId.toUtf8());
    field(QByteArray::number(e.recordedMs));
    field(QByteArray::number(e.schemaVersion));
    field(e.data);
    field(e.metadata);
    return h.result().toHex();
}

Status EventStore::flushPendingTimings(bool force)
{
    // Written in batches: an UPDATE per command would add pages to every
    // durable commit. Until then command() and commands() answer from memory.
    if (m_pendingTimings.isEmpty() || (!force && m_pendingTimings.size() < 64))
        return {};
    QSqlQuery &q = prepared(u"UPDATE command_log SET timings = ? WHERE command_id = ?"_s);
    for (auto it = m_pendingTimings.cbegin(); it != m_pendingTimings.cend(); ++it) {
        q.bindValue(0, QString::fromUtf8(compactJson(it.value().toJson())));
        q.bindValue(1, it.key());
        if (!q.exec())
            return sqlError(u"record command timings"_s, q);
    }
    m_pendingTimings.clear();
    return {};
}

void EventStore::recordPublishTiming(const QString &commandId, const StageTimings &timings)
{
    if (!m_readOnly)
        m_pendingTimings.insert(commandId, timings);
}

void EventStore::publish(const EventList &events)
{
    if (!events.isEmpty())
        Q_EMIT eventsAppended(events);
}

Status EventStore::insertCommandRow(const CommandRecord &r)
{
    // Only a final outcome (accepted, rejected) stays a command id's outcome: a
    // conflict or a failure logged earlier under this id is overwritten by the
    // retry's outcome (one statement: no extra round trip on PostgreSQL).
    QSqlQuery &q = prepared(u"INSERT INTO command_log(command_id, type, aggregate, stream, payload, metadata, outcome, "
                            "reason, field_errors, first_position, last_position, expected_version, actual_version, "
                            "timings, recorded_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                            "ON CONFLICT(command_id) DO UPDATE SET type = excluded.type, aggregate = excluded.aggregate, "
                            "stream = excluded.stream, payload = excluded.payload, metadata = excluded.metadata, "
                            "outcome = excluded.outcome, reason = excluded.reason, field_errors = excluded.field_errors, "
                            "first_position = excluded.first_position, last_position = excluded.last_position, "
                            "expected_version = excluded.expected_version, actual_version = excluded.actual_version, "
                            "timings = excluded.timings, recorded_ms = excluded.recorded_ms "
                            "WHERE command_log.outcome IN ('conflict', 'failed')"_s);
    q.bindValue(0, r.commandId);
    q.bindValue(1, r.type);
    q.bindValue(2, r.aggregate);
    q.bindValue(3, r.stream);
    q.bindValue(4, QString::fromUtf8(compactJson(r.payload)));
    q.bindValue(5, QString::fromUtf8(compactJson(r.metadata)));
    q.bindValue(6, outcomeName(r.outcome));
    q.bindValue(7, r.reason.isEmpty() ? QVariant() : QVariant(r.reason));
    q.bindValue(8, r.fieldErrors.isEmpty() ? QVariant() : QVariant(QString::fromUtf8(compactJson(r.fieldErrors))));
    q.bindValue(9, r.firstPosition > 0 ? QVariant(r.firstPosition) : QVariant());
    q.bindValue(10, r.lastPosition > 0 ? QVariant(r.lastPosition) : QVariant());
    q.bindValue(11, r.expectedVersion >= 0 ? QVariant(r.expectedVersion) : QVariant());
    q.bindValue(12, r.actualVersion >= 0 ? QVariant(r.actualVersion) : QVariant());
    q.bindValue(13, QString::fromUtf8(compactJson(r.timings.toJson())));
    q.bindValue(14, r.recordedMs ? r.recordedMs : QDateTime::currentMSecsSinceEpoch());
    if (!q.exec()) {
        if (isConstraintOn(q.lastError(), "command_log.command_id"_L1, "command_log_command_id_key"_L1))
            return Error::make(ErrorCode::DuplicateId, u"command %1 is already in the command log"_s.arg(r.commandId));
        return sqlError(u"write the command log"_s, q);
    }
    if (q.numRowsAffected() == 0) // the id's logged outcome is final
        return Error::make(ErrorCode::DuplicateId, u"command %1 is already in the command log"_s.arg(r.commandId));
    return {};
}

Status EventStore::logCommand(const CommandRecord &record)
{
    if (auto refused = refuseWrite(u"the command was not logged"_s); !refused)
        return refused;
    if (auto st = begin(); !st)
        return st;
    Status st = flushPendingTimings();
    if (st)
        st = insertCommandRow(record);
    if (!st) {
        rollback();
        return st;
    }
    if (st = commit(); !st)
        return st;
    Q_EMIT commandLogged(record);
    return {};
}

Result<AppendResult> EventStore::append(const AppendRequest &request)
{
    if (auto refused = refuseWrite(u"nothing was written"_s); !refused)
        return refused.error();
    if (request.stream.isEmpty())
        return Error::make(ErrorCode::Invalid, u"an append needs a stream id"_s);

    // Serialise once; the same bytes are hashed, stored and compared.
    struct Prepared {
        QString id;
        QByteArray data;
        QByteArray metadata;
    };
    QList<Prepared> prepared_;
    prepared_.reserve(request.events.size());
    for (const NewEvent &e : request.events) {
        if (e.type.isEmpty())
            return Error::make(ErrorCode::Invalid, u"an event has no type"_s);
        prepared_.append({e.eventId.isEmpty() ? newId() : e.eventId, compactJson(e.data), compactJson(e.metadata)});
    }

    if (auto st = begin(); !st)
        return st.error();
    auto fail = [this](Error e) -> Result<AppendResult> {
        rollback();
        return e;
    };

    // Idempotency: the same event ids with the same content return the originals.
    AppendResult result;
    {
        QSqlQuery &q = prepared(u"SELECT position, stream, version, type, event_id, data, metadata, recorded_ms, "
                                "schema_version, hash FROM events WHERE event_id = ?"_s);
        int found = 0;
        for (int i = 0; i < prepared_.size(); ++i) {
            if (request.events[i].eventId.isEmpty())
                continue; // an id made just now cannot be stored yet
            q.bindValue(0, prepared_[i].id);
            if (!q.exec())
                return fail(sqlError(u"look up event ids"_s, q));
            const bool stored = q.next();
            if (!stored && endedOnError(q))
                return fail(sqlError(u"look up event ids"_s, q));
            if (stored) {
                RecordedEvent stored = eventFromQuery(q);
                q.finish();
                const NewEvent &wanted = request.events[i];
                if (stored.stream != request.stream || stored.type != wanted.type || stored.data != prepared_[i].data) {
                    return fail(Error::make(
                        ErrorCode::DuplicateId,
                        u"event %1 is already stored at position %2 with different content"_s.arg(prepared_[i].id)
                            .arg(stored.position)));
                }
                result.events.append(stored);
                ++found;
            }
            q.finish();
        }
        if (found > 0) {
            if (found != prepared_.size())
                return fail(Error::make(
                    ErrorCode::DuplicateId,
                    u"%1 of the %2 events are already stored: a batch is all new or all repeated"_s.arg(found).arg(
                        prepared_.size())));
            rollback();
            result.idempotent = true;
            result.streamVersion = streamInfo(request.stream).value_or(StreamInfo{}).version;
            if (m_damage.code != ErrorCode::None)
                return m_damage;
            return result;
        }
    }

    // Optimistic concurrency, under the write lock (BEGIN IMMEDIATE, or the
    // advisory lock on PostgreSQL). The stream's version and the head come in
    // one statement: one round trip to a server instead of two.
    qint64 current = 0;
    bool exists = false;
    QString existingType;
    qint64 head = 0;
    QByteArray prevHash;
    {
        QSqlQuery &q =
            prepared(u"SELECT s.version, s.type, h.position, h.hash FROM (SELECT 1 AS one) o "
                     "LEFT JOIN streams s ON s.stream = ? "
                     "LEFT JOIN (SELECT position, hash FROM events ORDER BY position DESC LIMIT 1) h ON 1 = 1"_s);
        q.bindValue(0, request.stream);
        if (!q.exec() || !q.next()) // this query always has one row: no row is a failure
            return fail(sqlError(u"read the stream version and the head"_s, q));
        exists = !q.value(0).isNull();
        current = q.value(0).toLongLong();
        existingType = q.value(1).toString();
        head = q.value(2).toLongLong();
        prevHash = q.value(3).toByteArray();
        q.finish();
    }
    const ExpectedVersion &ex = request.expected;
    if ((ex.kind == ExpectedVersion::NoStream && exists) ||
        (ex.kind == ExpectedVersion::Exact && ex.version != current)) {
        Error e = Error::make(ErrorCode::Conflict,
                              u"concurrency conflict on stream %1: expected %2, but the stream is at version %3"_s
                                  .arg(request.stream, ex.toString())
                                  .arg(current));
        e.expectedVersion = ex.kind == ExpectedVersion::Exact ? ex.version : 0;
        e.actualVersion = current;
        return fail(e);
    }
    if (exists && !request.streamType.isEmpty() && existingType != request.streamType)
        return fail(Error::make(ErrorCode::Invalid, u"stream %1 is a %2, not a %3"_s.arg(request.stream, existingType,
                                                                                         request.streamType)));

    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    result.events.reserve(prepared_.size());
    QStringList correlations, actors;
    for (int i = 0; i < prepared_.size(); ++i) {
        const NewEvent &src = request.events[i];
        RecordedEvent e;
        e.position = head + 1 + i;
        e.stream = request.stream;
        e.version = current + 1 + i;
        e.type = src.type;
        e.eventId = prepared_[i].id;
        e.data = prepared_[i].data;
        e.metadata = prepared_[i].metadata;
        e.recordedMs = src.recordedMs > 0 ? src.recordedMs : now;
        e.schemaVersion = src.schemaVersion;
        e.hash = computeHash(prevHash, e);
        prevHash = e.hash;
        correlations << src.metadata.value(meta::CorrelationId).toString();
        actors << src.metadata.value(meta::Actor).toString();
        result.events.append(std::move(e));
    }
    // SQLite inserts row by row (no round trips); PostgreSQL takes rows in
    // multi-row INSERTs of 64, 32, ... 1 (a few kept statements), one round trip each.
    for (int i = 0; i < result.events.size();) {
        int rows = 1;
        if (m_pg) {
            rows = 64;
            while (rows > result.events.size() - i)
                rows /= 2;
        }
        QSqlQuery &ins = prepared(rows == 1 ? insertEventSql() : insertEventsSql(rows));
        for (int r = 0; r < rows; ++r)
            bindEventRow(ins, result.events.at(i + r), correlations.at(i + r), actors.at(i + r), r * EventColumns);
        if (!ins.exec()) {
            const RecordedEvent &e = result.events.at(i);
            const QSqlError err = ins.lastError();
            if (isConstraintOn(err, "events.stream, events.version"_L1, "events_stream_version_key"_L1)) {
                Error c = Error::make(
                    ErrorCode::Conflict,
                    u"concurrency conflict on stream %1: version %2 was written concurrently"_s.arg(request.stream)
                        .arg(e.version));
                c.expectedVersion = current;
                c.actualVersion = e.version;
                return fail(c);
            }
            if (isConstraintOn(err, "events.event_id"_L1, "events_event_id_key"_L1))
                return fail(Error::make(ErrorCode::DuplicateId,
                                        rows == 1 ? u"event id %1 appears twice in the batch"_s.arg(e.eventId)
                                                  : u"an event id appears twice in the batch"_s));
            return fail(sqlError(u"append to stream %1"_s.arg(request.stream), ins));
        }
        i += rows;
    }
    result.streamVersion = current + prepared_.size();

    if (!prepared_.isEmpty()) {
        QSqlQuery &q =
            prepared(u"INSERT INTO streams(stream, type, version, first_ms, last_ms) VALUES (?,?,?,?,?) "
                     "ON CONFLICT(stream) DO UPDATE SET version = excluded.version, last_ms = excluded.last_ms"_s);
        q.bindValue(0, request.stream);
        q.bindValue(1, exists ? existingType : request.streamType);
        q.bindValue(2, result.streamVersion);
        q.bindValue(3, result.events.constFirst().recordedMs);
        q.bindValue(4, result.events.constLast().recordedMs);
        if (!q.exec())
            return fail(sqlError(u"update stream %1"_s.arg(request.stream), q));
    }

    if (request.snapshot) {
        Snapshot s = *request.snapshot;
        QSqlQuery &q = prepared(u"INSERT INTO snapshots(stream, version, state, domain_version, domain_hash, "
                                "created_ms) VALUES (?,?,?,?,?,?) ON CONFLICT(stream, version) DO UPDATE SET "
                                "state = excluded.state, domain_version = excluded.domain_version, "
                                "domain_hash = excluded.domain_hash, created_ms = excluded.created_ms"_s);
        q.bindValue(0, s.stream);
        q.bindValue(1, s.version);
        q.bindValue(2, QString::fromUtf8(compactJson(s.state)));
        q.bindValue(3, s.domainVersion);
        q.bindValue(4, s.domainHash);
        q.bindValue(5, now);
        if (!q.exec())
            return fail(sqlError(u"write a snapshot"_s, q));
    }

    if (auto st = flushPendingTimings(); !st)
        return fail(st.error());
    std::optional<CommandRecord> record = request.command;
    if (record) {
        record->firstPosition = result.firstPosition();
        record->lastPosition = result.lastPosition();
        if (auto st = insertCommandRow(*record); !st)
            return fail(st.error());
    }

    if (auto st = commit(); !st)
        return st.error();
    if (request.publish)
        publish(result.events);
    if (record)
        Q_EMIT commandLogged(*record);
    return result;
}

Status EventStore::saveSnapshot(const Snapshot &s, const QString &streamType)
{
    Q_UNUSED(streamType);
    if (auto refused = refuseWrite(u"the snapshot was not saved"_s); !refused)
        return refused;
    QSqlQuery &q = prepared(u"INSERT INTO snapshots(stream, version, state, domain_version, domain_hash, "
                            "created_ms) VALUES (?,?,?,?,?,?) ON CONFLICT(stream, version) DO UPDATE SET "
                            "state = excluded.state, domain_version = excluded.domain_version, "
                            "domain_hash = excluded.domain_hash, created_ms = excluded.created_ms"_s);
    q.bindValue(0, s.stream);
    q.bindValue(1, s.version);
    q.bindValue(2, QString::fromUtf8(compactJson(s.state)));
    q.bindValue(3, s.domainVersion);
    q.bindValue(4, s.domainHash);
    q.bindValue(5, QDateTime::currentMSecsSinceEpoch());
    if (!q.exec())
        return sqlError(u"write a snapshot"_s, q);
    return {};
}

Result<qint64> EventStore::importEvents(const QList<ImportedEvent> &events)
{
    if (auto refused = refuseWrite(u"nothing was imported"_s); !refused)
        return refused.error();
    if (auto st = begin(); !st)
        return st.error();
    auto fail = [this](Error e) -> Result<qint64> {
        rollback();
        return e;
    };

    qint64 head = 0;
    QByteArray prevHash;
    {
        QSqlQuery &q = prepared(u"SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"_s);
        if (!q.exec())
            return fail(sqlError(u"read the head"_s, q));
        if (q.next()) {
            head = q.value(0).toLongLong();
            prevHash = q.value(1).toByteArray();
        } else if (endedOnError(q)) {
            return fail(sqlError(u"read the head"_s, q));
        }
        q.finish();
    }
    const qint64 startHead = head;

    struct StreamState {
        QString type;
        qint64 version = 0;
        qint64 firstMs = 0;
        qint64 lastMs = 0;
        bool existed = false;
    };
    QHash<QString, StreamState> streamStates;
    QSqlQuery &byId = prepared(u"SELECT position, stream, version, type, event_id, data, metadata, recorded_ms, "
                               "schema_version, hash FROM events WHERE event_id = ?"_s);
    QSqlQuery &ins = prepared(insertEventSql());
    qint64 imported = 0;
    for (const ImportedEvent &ie : events) {
        const RecordedEvent &src = ie.event;
        const QString where = u"line %1"_s.arg(ie.line);
        byId.bindValue(0, src.eventId);
        if (!byId.exec())
            return fail(sqlError(u"look up event ids"_s, byId));
        const bool found = byId.next();
        if (!found && endedOnError(byId))
            return fail(sqlError(u"look up event ids"_s, byId));
        if (found) {
            const RecordedEvent stored = eventFromQuery(byId);
            byId.finish();
            if (stored.stream == src.stream && stored.version == src.version && stored.data == src.data &&
                stored.type == src.type)
                continue; // already there: importing twice is harmless
            return fail(Error::make(
                ErrorCode::DuplicateId,
                u"%1: event %2 is already stored at position %3 with different content"_s.arg(where, src.eventId)
                    .arg(stored.position)));
        }
        byId.finish();

        auto it = streamStates.find(src.stream);
        if (it == streamStates.end()) {
            StreamState s;
            if (auto info = streamInfo(src.stream)) {
                s = {info->type, info->version, info->firstMs, info->lastMs, true};
            } else {
                if (m_damage.code != ErrorCode::None) // not "no such stream": a read failed
                    return fail(m_damage);
                s.type = ie.streamType;
            }
            it = streamStates.insert(src.stream, s);
        }
        if (src.version != it->version + 1)
            return fail(
                Error::make(ErrorCode::Conflict,
                            u"%1: stream %2 version %3 does not follow the stored version %4"_s.arg(where, src.stream)
                                .arg(src.version)
                                .arg(it->version)));
        RecordedEvent e = src;
        e.position = ++head;
        e.hash = computeHash(prevHash, e);
        if (!src.hash.isEmpty() && src.position == e.position && src.hash != e.hash)
            return fail(
                Error::make(ErrorCode::Invalid,
                            u"%1: the hash of event %2 does not match its content: the export was altered"_s.arg(
                                where, src.eventId)));
        prevHash = e.hash;
        const QJsonObject md = parseObject(e.metadata);
        const QString correlation = md.value(meta::CorrelationId).toString();
        const QString actor = md.value(meta::Actor).toString();
        bindEventRow(ins, e, correlation, actor);
        if (!ins.exec())
            return fail(sqlError(u"import %1"_s.arg(where), ins));
        it->version = e.version;
        if (!it->firstMs)
            it->firstMs = e.recordedMs;
        it->lastMs = e.recordedMs;
        ++imported;
    }
    QSqlQuery &up =
        prepared(u"INSERT INTO streams(stream, type, version, first_ms, last_ms) VALUES (?,?,?,?,?) "
                 "ON CONFLICT(stream) DO UPDATE SET version = excluded.version, last_ms = excluded.last_ms"_s);
    for (auto it = streamStates.cbegin(); it != streamStates.cend(); ++it) {
        up.bindValue(0, it.key());
        up.bindValue(1, it->type.isEmpty() ? u"unknown"_s : it->type);
        up.bindValue(2, it->version);
        up.bindValue(3, it->firstMs);
        up.bindValue(4, it->lastMs);
        if (!up.exec())
            return fail(sqlError(u"update stream %1"_s.arg(it.key()), up));
    }
    if (auto st = commit(); !st)
        return st.error();
    if (imported > 0) {
        // Live followers learn of the import like of any append.
        auto r = readForward(startHead + 1, int(qMin<qint64>(imported, 10000)));
        if (r)
            publish(*r);
    }
    return imported;
}

qint64 EventStore::headPosition()
{
    QSqlQuery &q = prepared(u"SELECT max(position) FROM events"_s);
    qint64 head = 0;
    if (q.exec() && q.next())
        head = q.value(0).toLongLong();
    else
        noteReadFailure(u"read the head position"_s, q);
    q.finish();
    return head;
}

RecordedEvent EventStore::eventFromQuery(const QSqlQuery &q)
{
    RecordedEvent e;
    e.position = q.value(0).toLongLong();
    e.stream = q.value(1).toString();
    e.version = q.value(2).toLongLong();
    e.type = q.value(3).toString();
    e.eventId = q.value(4).toString();
    e.data = q.value(5).toByteArray();
    e.metadata = q.value(6).toByteArray();
    e.recordedMs = q.value(7).toLongLong();
    e.schemaVersion = q.value(8).toInt();
    e.hash = q.value(9).toByteArray();
    return e;
}

Result<EventList> EventStore::query(const EventQuery &eq)
{
    // The SQL text depends only on which filters are set, so the prepared
    // statement is reused across pages.
    QString sql = u"SELECT position, stream, version, type, event_id, data, metadata, recorded_ms, schema_version, "
                  "hash FROM events WHERE "_s;
    QVariantList binds;
    if (eq.backward) {
        sql += u"position <= ?"_s;
        binds << (eq.fromPosition > 0 ? eq.fromPosition : std::numeric_limits<qint64>::max());
    } else {
        sql += u"position >= ?"_s;
        binds << eq.fromPosition;
    }
    if (eq.toPosition >= 0) {
        sql += eq.backward ? u" AND position >= ?"_s : u" AND position <= ?"_s;
        binds << eq.toPosition;
    }
    if (!eq.stream.isEmpty()) {
        sql += u" AND stream = ?"_s;
        binds << eq.stream;
        if (eq.fromVersion >= 0) {
            sql += u" AND version >= ?"_s;
            binds << eq.fromVersion;
        }
        if (eq.toVersion >= 0) {
            sql += u" AND version <= ?"_s;
            binds << eq.toVersion;
        }
    }
    if (!eq.types.isEmpty()) {
        sql += u" AND type IN ("_s;
        for (int i = 0; i < eq.types.size(); ++i) {
            sql += i ? u",?"_s : u"?"_s;
            binds << eq.types[i];
        }
        sql += u")"_s;
    }
    if (!eq.correlationId.isEmpty()) {
        sql += u" AND correlation_id = ?"_s;
        binds << eq.correlationId;
    }
    if (!eq.actor.isEmpty()) {
        sql += u" AND actor = ?"_s;
        binds << eq.actor;
    }
    if (eq.fromMs >= 0) {
        sql += u" AND recorded_ms >= ?"_s;
        binds << eq.fromMs;
    }
    if (eq.toMs >= 0) {
        sql += u" AND recorded_ms <= ?"_s;
        binds << eq.toMs;
    }
    sql += eq.backward ? u" ORDER BY position DESC"_s : u" ORDER BY position"_s;
    if (eq.limit > 0) {
        sql += u" LIMIT ?"_s;
        binds << eq.limit;
    }
    QSqlQuery &q = prepared(sql);
    for (int i = 0; i < binds.size(); ++i)
        q.bindValue(i, binds[i]);
    if (!q.exec())
        return sqlError(u"read events"_s, q);
    EventList out;
    while (q.next())
        out.append(eventFromQuery(q));
    if (endedOnError(q)) // never a short page for a whole one
        return sqlError(u"read events"_s, q);
    q.finish();
    return out;
}

Result<EventList> EventStore::readStream(const QString &stream, qint64 fromVersion, qint64 toVersion)
{
    // The (stream, version) index serves this directly.
    const QString sql =
        toVersion >= 0
            ? u"SELECT position, stream, version, type, event_id, data, metadata, recorded_ms, schema_version, hash "
              "FROM events WHERE stream = ? AND version >= ? AND version <= ? ORDER BY version"_s
            : u"SELECT position, stream, version, type, event_id, data, metadata, recorded_ms, schema_version, hash "
              "FROM events WHERE stream = ? AND version >= ? ORDER BY version"_s;
    QSqlQuery &q = prepared(sql);
    q.bindValue(0, stream);
    q.bindValue(1, fromVersion);
    if (toVersion >= 0)
        q.bindValue(2, toVersion);
    if (!q.exec())
        return sqlError(u"read stream %1"_s.arg(stream), q);
    EventList out;
    while (q.next())
        out.append(eventFromQuery(q));
    if (endedOnError(q))
        return sqlError(u"read stream %1"_s.arg(stream), q);
    q.finish();
    return out;
}

Result<EventList> EventStore::readForward(qint64 fromPosition, int limit)
{
    EventQuery eq;
    eq.fromPosition = fromPosition;
    eq.limit = limit;
    return query(eq);
}

Status EventStore::scan(qint64 fromPosition, const std::function<bool(const RecordedEvent &)> &visitor)
{
    static const QString sql = u"SELECT position, stream, version, type, event_id, data, metadata, recorded_ms, "
                               "schema_version, hash FROM events WHERE position >= ? ORDER BY position"_s;
    // The scan is the hot path of verify, export and rebuilds. Through QtSql
    // each text column goes UTF-8 -> UTF-16 -> QVariant -> UTF-8; reading the
    // driver's own sqlite3 handle builds the byte arrays straight from SQLite
    // (same connection, same thread, same library as the QSQLITE plugin).
    const QVariant handle = m_db.driver()->handle();
    if (handle.isValid() && qstrcmp(handle.typeName(), "sqlite3*") == 0) {
        sqlite3 *db = *static_cast<sqlite3 *const *>(handle.constData());
        sqlite3_stmt *stmt = nullptr;
        const QByteArray utf8 = sql.toUtf8();
        if (db && sqlite3_prepare_v2(db, utf8.constData(), int(utf8.size()), &stmt, nullptr) == SQLITE_OK) {
            sqlite3_bind_int64(stmt, 1, fromPosition);
            auto bytes = [stmt](int col) {
                return QByteArray(reinterpret_cast<const char *>(sqlite3_column_text(stmt, col)),
                                  sqlite3_column_bytes(stmt, col));
            };
            auto text = [stmt](int col) {
                return QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, col)),
                                         sqlite3_column_bytes(stmt, col));
            };
            int rc = SQLITE_ROW;
            RecordedEvent e;
            while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                e.position = sqlite3_column_int64(stmt, 0);
                e.stream = text(1);
                e.version = sqlite3_column_int64(stmt, 2);
                e.type = text(3);
                e.eventId = text(4);
                e.data = bytes(5);
                e.metadata = bytes(6);
                e.recordedMs = sqlite3_column_int64(stmt, 7);
                e.schemaVersion = sqlite3_column_int(stmt, 8);
                e.hash = bytes(9);
                if (!visitor(e)) {
                    rc = SQLITE_DONE;
                    break;
                }
            }
            const QString why = QString::fromUtf8(sqlite3_errmsg(db));
            const int code = sqlite3_extended_errcode(db);
            sqlite3_finalize(stmt);
            if (rc != SQLITE_DONE) {
                // Through sqlError, so that damage is remembered like on any other read.
                return sqlError(u"read events"_s,
                                QSqlError(u"scan"_s, why, QSqlError::StatementError, QString::number(code)));
            }
            return {};
        }
        if (stmt)
            sqlite3_finalize(stmt);
    }
    if (m_pg) {
        // libpq would hold the whole result in memory: read it in keyset pages instead.
        qint64 from = fromPosition;
        for (;;) {
            auto page = readForward(from, 5000);
            if (!page)
                return page.error();
            if (page->isEmpty())
                return {};
            for (const RecordedEvent &e : std::as_const(*page)) {
                if (!visitor(e))
                    return {};
            }
            from = page->constLast().position + 1;
        }
    }
    QSqlQuery &q = prepared(sql);
    q.bindValue(0, fromPosition);
    if (!q.exec())
        return sqlError(u"scan events"_s, q);
    while (q.next()) {
        if (!visitor(eventFromQuery(q))) {
            q.finish();
            return {};
        }
    }
    if (endedOnError(q))
        return sqlError(u"scan events"_s, q);
    q.finish();
    return {};
}

std::optional<StreamInfo> EventStore::streamInfo(const QString &stream)
{
    QSqlQuery &q = prepared(u"SELECT stream, type, version, first_ms, last_ms FROM streams WHERE stream = ?"_s);
    q.bindValue(0, stream);
    std::optional<StreamInfo> out;
    if (q.exec() && q.next())
        out = StreamInfo{q.value(0).toString(), q.value(1).toString(), q.value(2).toLongLong(), q.value(3).toLongLong(),
                         q.value(4).toLongLong()};
    else if (!q.isActive() || endedOnError(q))
        noteReadFailure(u"read stream %1"_s.arg(stream), q);
    q.finish();
    return out;
}

Result<QList<StreamInfo>> EventStore::streams(const QString &prefix, int limit)
{
    QSqlQuery &q = prepared(u"SELECT stream, type, version, first_ms, last_ms FROM streams "
                            "WHERE stream >= ? AND substr(stream, 1, ?) = ? ORDER BY stream LIMIT ?"_s);
    const QString p = prefix.isNull() ? u""_s : prefix; // a null QString binds as NULL
    q.bindValue(0, p);
    q.bindValue(1, p.size());
    q.bindValue(2, p);
    q.bindValue(3, limit < 0 ? std::numeric_limits<qint64>::max() : qint64(limit)); // PostgreSQL has no LIMIT -1
    if (!q.exec())
        return sqlError(u"list streams"_s, q);
    QList<StreamInfo> out;
    while (q.next())
        out.append(StreamInfo{q.value(0).toString(), q.value(1).toString(), q.value(2).toLongLong(),
                              q.value(3).toLongLong(), q.value(4).toLongLong()});
    if (endedOnError(q))
        return sqlError(u"list streams"_s, q);
    q.finish();
    return out;
}

std::optional<Snapshot> EventStore::latestSnapshot(const QString &stream, qint64 maxVersion,
                                                   const QString &domainVersion, const QString &domainHash)
{
    // A snapshot made by another version of the pack may encode another state
    // shape: it is ignored, and the state is rebuilt from events.
    QSqlQuery &q = prepared(u"SELECT version, state FROM snapshots WHERE stream = ? AND version <= ? "
                            "AND domain_version = ? AND domain_hash = ? ORDER BY version DESC LIMIT 1"_s);
    q.bindValue(0, stream);
    q.bindValue(1, maxVersion < 0 ? std::numeric_limits<qint64>::max() : maxVersion);
    q.bindValue(2, domainVersion);
    q.bindValue(3, domainHash);
    std::optional<Snapshot> out;
    if (q.exec() && q.next())
        out =
            Snapshot{stream, q.value(0).toLongLong(), parseObject(q.value(1).toByteArray()), domainVersion, domainHash};
    else if (!q.isActive() || endedOnError(q))
        noteReadFailure(u"read a snapshot of %1"_s.arg(stream), q); // the state is rebuilt from events, which fail too
    q.finish();
    return out;
}

namespace {
CommandRecord commandFromQuery(const QSqlQuery &q)
{
    CommandRecord r;
    r.commandId = q.value(0).toString();
    r.type = q.value(1).toString();
    r.aggregate = q.value(2).toString();
    r.stream = q.value(3).toString();
    r.payload = parseObject(q.value(4).toByteArray());
    r.metadata = parseObject(q.value(5).toByteArray());
    r.outcome = outcomeFromName(q.value(6).toString());
    r.reason = q.value(7).toString();
    r.fieldErrors = parseObject(q.value(8).toByteArray());
    r.firstPosition = q.value(9).toLongLong();
    r.lastPosition = q.value(10).toLongLong();
    r.expectedVersion = q.value(11).isNull() ? -1 : q.value(11).toLongLong();
    r.actualVersion = q.value(12).isNull() ? -1 : q.value(12).toLongLong();
    r.timings = StageTimings::fromJson(parseObject(q.value(13).toByteArray()));
    r.recordedMs = q.value(14).toLongLong();
    return r;
}
const auto kCommandColumns = u"command_id, type, aggregate, stream, payload, metadata, outcome, reason, field_errors, "
                             "first_position, last_position, expected_version, actual_version, timings, recorded_ms"_s;
} // namespace

std::optional<CommandRecord> EventStore::command(const QString &commandId)
{
    QSqlQuery &q = prepared(u"SELECT "_s + kCommandColumns + u" FROM command_log WHERE command_id = ?"_s);
    q.bindValue(0, commandId);
    std::optional<CommandRecord> out;
    if (q.exec() && q.next())
        out = commandFromQuery(q);
    else if (!q.isActive() || endedOnError(q))
        noteReadFailure(u"look up command %1"_s.arg(commandId), q); // writes are refused from now on
    q.finish();
    if (out && m_pendingTimings.contains(commandId))
        out->timings = m_pendingTimings.value(commandId);
    return out;
}

Result<QList<CommandRecord>> EventStore::commands(qint64 afterSeq, int limit)
{
    QSqlQuery &q = prepared(u"SELECT "_s + kCommandColumns + u" FROM command_log WHERE seq > ? ORDER BY seq LIMIT ?"_s);
    q.bindValue(0, afterSeq);
    q.bindValue(1, limit);
    if (!q.exec())
        return sqlError(u"read the command log"_s, q);
    QList<CommandRecord> out;
    while (q.next()) {
        out.append(commandFromQuery(q));
        if (auto it = m_pendingTimings.constFind(out.constLast().commandId); it != m_pendingTimings.cend())
            out.last().timings = *it;
    }
    if (endedOnError(q)) // the rest of the log is there but unreadable: never a short log
        return sqlError(u"read the command log"_s, q);
    q.finish();
    return out;
}

qint64 EventStore::positionAtTime(qint64 ms)
{
    // Positions and times grow together (one writer at a time, clock from one
    // host); the time index finds the boundary without a scan.
    QSqlQuery &q = prepared(u"SELECT max(position) FROM events WHERE recorded_ms <= ?"_s);
    q.bindValue(0, ms);
    qint64 pos = 0;
    if (q.exec() && q.next())
        pos = q.value(0).toLongLong();
    else
        noteReadFailure(u"find the position at a time"_s, q);
    q.finish();
    return pos;
}

Result<VerifyReport> EventStore::verify(const std::function<bool(qint64, qint64)> &progress)
{
    VerifyReport report;
    const qint64 head = headPosition();
    QByteArray prevHash;
    qint64 expectedPosition = 1;
    bool cancelled = false;
    QHash<QString, qint64> versions;
    auto st = scan(1, [&](const RecordedEvent &e) {
        if (e.position != expectedPosition) {
            report.intact = false;
            report.firstBadPosition = expectedPosition;
            report.problem =
                u"position %1 is missing (the next stored event is at %2): events were deleted"_s.arg(expectedPosition)
                    .arg(e.position);
            return false;
        }
        const QByteArray recomputed = computeHash(prevHash, e);
        if (recomputed != e.hash) {
            report.intact = false;
            report.firstBadPosition = e.position;
            report.problem = u"event %1 (stream %2 version %3, %4) does not match its hash: stored %5, recomputed %6; "
                             "its content or an earlier link of the chain was altered"_s.arg(e.eventId, e.stream)
                                 .arg(e.version)
                                 .arg(e.type, QString::fromLatin1(e.hash), QString::fromLatin1(recomputed));
            return false;
        }
        qint64 &v = versions[e.stream];
        if (e.version != v + 1) {
            report.intact = false;
            report.firstBadPosition = e.position;
            report.problem = u"stream %1 jumps from version %2 to %3"_s.arg(e.stream).arg(v).arg(e.version);
            return false;
        }
        v = e.version;
        prevHash = e.hash;
        ++expectedPosition;
        ++report.checked;
        if (progress && (report.checked & 0x3fff) == 0 && !progress(report.checked, head)) {
            cancelled = true;
            return false;
        }
        return true;
    });
    if (!st)
        return st.error();
    if (cancelled)
        return Error::make(ErrorCode::Cancelled, u"verification cancelled"_s);
    if (progress)
        progress(report.checked, head);
    return report;
}

QString EventStore::insertEventSql()
{
    return u"INSERT INTO events(position, stream, version, type, event_id, data, metadata, recorded_ms, "
           "schema_version, correlation_id, actor, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"_s;
}

QString EventStore::insertEventsSql(int rows)
{
    QString sql = insertEventSql();
    const QString values = u",(?,?,?,?,?,?,?,?,?,?,?,?)"_s;
    sql.reserve(sql.size() + values.size() * rows);
    for (int i = 1; i < rows; ++i)
        sql += values;
    return sql;
}

void EventStore::bindEventRow(QSqlQuery &ins, const RecordedEvent &e, const QString &correlationId,
                              const QString &actor, int first)
{
    ins.bindValue(first + 0, e.position);
    ins.bindValue(first + 1, e.stream);
    ins.bindValue(first + 2, e.version);
    ins.bindValue(first + 3, e.type);
    ins.bindValue(first + 4, e.eventId);
    ins.bindValue(first + 5, QString::fromUtf8(e.data));
    ins.bindValue(first + 6, QString::fromUtf8(e.metadata));
    ins.bindValue(first + 7, e.recordedMs);
    ins.bindValue(first + 8, e.schemaVersion);
    ins.bindValue(first + 9, correlationId.isEmpty() ? QVariant() : QVariant(correlationId));
    ins.bindValue(first + 10, actor.isEmpty() ? QVariant() : QVariant(actor));
    ins.bindValue(first + 11, QString::fromLatin1(e.hash));
}

// --- In-memory scratch stores (the what-if sandbox) ---

QString EventStore::memoryUri(const QString &name)
{
    return u"file:"_s + QString::fromLatin1(QUrl::toPercentEncoding(name)) + u"?mode=memory&cache=shared"_s;
}

bool EventStore::isMemoryUri(const QString &path)
{
    return path.startsWith(u"file:"_s) && path.contains(u"mode=memory"_s);
}

Result<std::unique_ptr<EventStore>> EventStore::openInMemory(const QString &name)
{
    Options o;
    o.mode = Mode::Create;
    o.durability = Durability::Normal;
    return open(memoryUri(name), o);
}

} // namespace es
