#include "readstore.h"

#include "sqliteerror.h"
#include "storeaddress.h"
#include "storefileaccess.h"

#include <QAtomicInteger>
#include <QCryptographicHash>
#include <QDateTime>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSqlDriver>
#include <QSqlError>

#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <ctime>

Q_LOGGING_CATEGORY(lcReadStore, "eventscope.projections", QtInfoMsg)

using namespace Qt::StringLiterals;

namespace es {

namespace {

QAtomicInteger<quint64> s_readStoreCounter;

// How many invalidation notices are kept; older ones are pruned as new ones arrive.
constexpr qint64 KeptInvalidations = 10000;

const QStringList &schemaStatements()
{
    static const QStringList statements{
        u"CREATE TABLE IF NOT EXISTS es_projections("
        "name TEXT PRIMARY KEY,"
        "kind TEXT NOT NULL,"
        "shape TEXT NOT NULL,"
        "position INTEGER NOT NULL DEFAULT 0,"
        "state TEXT NOT NULL DEFAULT 'running',"
        "last_error TEXT,"
        "error_position INTEGER,"
        "error_event_id TEXT,"
        "error_event_type TEXT,"
        "delay_ms INTEGER,"
        "generation INTEGER NOT NULL DEFAULT 0,"
        "updated_ms INTEGER NOT NULL) WITHOUT ROWID"_s,
        u"CREATE TABLE IF NOT EXISTS es_projection_skips("
        "seq INTEGER PRIMARY KEY,"
        "projection TEXT NOT NULL,"
        "position INTEGER NOT NULL,"
        "event_id TEXT,"
        "event_type TEXT,"
        "stream TEXT,"
        "error TEXT,"
        "actor TEXT,"
        "reason TEXT,"
        "recorded_ms INTEGER NOT NULL)"_s,
        u"CREATE INDEX IF NOT EXISTS es_projection_skips_by_projection ON es_projection_skips(projection, position)"_s,
        u"CREATE TABLE IF NOT EXISTS es_page_invalidations("
        "seq INTEGER PRIMARY KEY,"
        "projection TEXT NOT NULL,"
        "position INTEGER NOT NULL,"
        "paths TEXT NOT NULL,"
        "recorded_ms INTEGER NOT NULL)"_s,
    };
    return statements;
}

// The same tables on PostgreSQL. Text keys and names use the "C" collation:
// byte order, as SQLite's BINARY, so that listings, keyset cursors and the
// rebuild diff (compareKeys) agree with the SQLite store.
const QStringList &pgSchemaStatements()
{
    static const QStringList statements{
        u"CREATE TABLE IF NOT EXISTS es_projections("
        "name TEXT COLLATE \"C\" PRIMARY KEY,"
        "kind TEXT NOT NULL,"
        "shape TEXT NOT NULL,"
        "position BIGINT NOT NULL DEFAULT 0,"
        "state TEXT NOT NULL DEFAULT 'running',"
        "last_error TEXT,"
        "error_position BIGINT,"
        "error_event_id TEXT,"
        "error_event_type TEXT,"
        "delay_ms INTEGER,"
        "generation BIGINT NOT NULL DEFAULT 0,"
        "updated_ms BIGINT NOT NULL)"_s,
        u"CREATE TABLE IF NOT EXISTS es_projection_skips("
        "seq BIGSERIAL PRIMARY KEY,"
        "projection TEXT NOT NULL,"
        "position BIGINT NOT NULL,"
        "event_id TEXT,"
        "event_type TEXT,"
        "stream TEXT,"
        "error TEXT,"
        "actor TEXT,"
        "reason TEXT,"
        "recorded_ms BIGINT NOT NULL)"_s,
        u"CREATE INDEX IF NOT EXISTS es_projection_skips_by_projection ON es_projection_skips(projection, position)"_s,
        u"CREATE TABLE IF NOT EXISTS es_page_invalidations("
        "seq BIGSERIAL PRIMARY KEY,"
        "projection TEXT NOT NULL,"
        "position BIGINT NOT NULL,"
        "paths TEXT NOT NULL,"
        "recorded_ms BIGINT NOT NULL)"_s,
    };
    return statements;
}

// Read-store writers on PostgreSQL take turns under this advisory lock ("ESRM"),
// as SQLite's BEGIN IMMEDIATE makes them: a runner that gets the lock then reads
// checkpoints no other runner is changing, which exactly-once relies on.
constexpr qint64 ReadStoreLockKey = 0x4553524d;

// A declared column on PostgreSQL. SQLite's INTEGER affinity keeps a fraction
// as REAL, so integer columns are NUMERIC here (BIGINT would refuse 1.5).
// Text that is not a number cannot go into a numeric column on PostgreSQL
// (SQLite keeps it as text): the handler's event fails with PostgreSQL's reason.
QString pgColumnType(const ColumnSpec &c)
{
    switch (c.type) {
    case ColumnSpec::Type::Text:
        return u"TEXT COLLATE \"C\""_s;
    case ColumnSpec::Type::Integer:
        return u"NUMERIC"_s;
    case ColumnSpec::Type::Real:
        return u"DOUBLE PRECISION"_s;
    }
    return u"TEXT"_s;
}

// Folds a letter with diacritics to its base letter ("é" -> "e"), as FTS5's
// remove_diacritics does; PostgreSQL's 'simple' configuration does not, and
// the unaccent extension may not be installed (nor is it immutable).
QString foldDiacritics(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        if (c.unicode() < 0x80) {
            out += c;
            continue;
        }
        const QString d = QString(c).normalized(QString::NormalizationForm_D);
        bool marksOnly = d.size() > 1;
        for (qsizetype i = 1; marksOnly && i < d.size(); ++i)
            marksOnly = d.at(i).isMark();
        out += marksOnly ? d.at(0) : c;
    }
    return out;
}

// The two arguments of translate() that fold the Latin letters with diacritics
// in the index, computed once from Unicode's decompositions.
const std::pair<QString, QString> &pgFoldTable()
{
    static const std::pair<QString, QString> table = [] {
        QString from, to;
        for (char16_t u = 0xC0; u <= 0x24F; ++u) {
            const QString folded = foldDiacritics(QString(QChar(u)));
            if (folded != QString(QChar(u))) {
                from += QChar(u);
                to += folded;
            }
        }
        return std::pair{from, to};
    }();
    return table;
}

// An FTS5 word as a tsquery operand: a quoted lexeme (so operators and quotes
// in it are text), folded like the index, ":*" for a prefix.
QString tsLexeme(QString word, bool prefix)
{
    word = foldDiacritics(word);
    word.replace(u'\\', u"\\\\"_s).replace(u'\'', u"''"_s);
    return u'\'' + word + u'\'' + (prefix ? u":*"_s : QString());
}

// Plain words to a tsquery: every word must match; "mug*" is a prefix.
std::optional<QString> plainToTsQuery(const QString &text)
{
    QStringList terms;
    for (QString w : text.split(QRegularExpression(u"\\s+"_s), Qt::SkipEmptyParts)) {
        const bool prefix = w.endsWith(u'*') && w.size() > 1;
        if (prefix)
            w.chop(1);
        if (w.isEmpty() || w == u"*")
            continue;
        terms << tsLexeme(w, prefix);
    }
    if (terms.isEmpty())
        return std::nullopt;
    return terms.join(u" & "_s);
}

// FTS5's query syntax (words, "phrases", prefix*, AND, OR, NOT, parentheses;
// adjacent terms must all match) as a tsquery. Malformed input is an error
// here, before it reaches the server: on PostgreSQL a failed statement would
// also abort the transaction around it.
Result<QString> ftsToTsQuery(const QString &text)
{
    QString out;
    bool expectOperand = true; // at the start, after an operator or "("
    int depth = 0;
    auto syntax = [&text](const QString &why) {
        return Error::make(ErrorCode::Invalid, u"search '%1': fts5: syntax error: %2"_s.arg(text, why));
    };
    auto operand = [&](const QString &term) {
        if (!expectOperand)
            out += u" & "_s; // implicit AND, as FTS5
        out += term;
        expectOperand = false;
    };
    qsizetype i = 0;
    while (i < text.size()) {
        const QChar c = text.at(i);
        if (c.isSpace()) {
            ++i;
        } else if (c == u'(') {
            if (!expectOperand)
                out += u" & "_s;
            out += u'(';
            ++depth;
            expectOperand = true;
            ++i;
        } else if (c == u')') {
            if (expectOperand || depth == 0)
                return syntax(u"unexpected ')'"_s);
            out += u')';
            --depth;
            ++i;
        } else if (c == u'"') {
            const qsizetype end = text.indexOf(u'"', i + 1);
            if (end < 0)
                return syntax(u"unterminated string"_s);
            QStringList words = text.mid(i + 1, end - i - 1).split(QRegularExpression(u"\\s+"_s), Qt::SkipEmptyParts);
            i = end + 1;
            const bool prefix = i < text.size() && text.at(i) == u'*';
            if (prefix)
                ++i;
            if (words.isEmpty())
                return syntax(u"empty phrase"_s);
            QStringList lexemes;
            for (qsizetype w = 0; w < words.size(); ++w)
                lexemes << tsLexeme(words.at(w), prefix && w == words.size() - 1);
            operand(u'(' + lexemes.join(u" <-> "_s) + u')');
        } else {
            qsizetype end = i;
            while (end < text.size() && !text.at(end).isSpace() && text.at(end) != u'(' && text.at(end) != u')' &&
                   text.at(end) != u'"')
                ++end;
            QString word = text.mid(i, end - i);
            i = end;
            if (word == u"AND" || word == u"OR" || word == u"NOT") {
                if (expectOperand)
                    return syntax(u"near \"%1\""_s.arg(word));
                out += word == u"AND" ? u" & "_s : word == u"OR" ? u" | "_s : u" & !"_s;
                expectOperand = true;
                continue;
            }
            const bool prefix = word.endsWith(u'*') && word.size() > 1;
            if (prefix)
                word.chop(1);
            operand(tsLexeme(word, prefix));
        }
    }
    if (expectOperand || depth != 0)
        return syntax(out.isEmpty() ? u"empty query"_s : u"incomplete query"_s);
    return out;
}

QByteArray compact(const QJsonValue &v)
{
    if (v.isObject())
        return QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact);
    if (v.isArray())
        return QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact);
    // A scalar: wrap it so QJsonDocument can write it, then unwrap.
    QByteArray text = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return text.mid(1, text.size() - 2);
}

QJsonValue parseValue(const QByteArray &text)
{
    if (text.isEmpty())
        return QJsonValue::Null;
    const QJsonDocument doc = QJsonDocument::fromJson(text);
    if (doc.isObject())
        return doc.object();
    if (doc.isArray())
        return doc.array();
    const QJsonArray wrapped = QJsonDocument::fromJson("[" + text + "]").array();
    return wrapped.isEmpty() ? QJsonValue(QJsonValue::Null) : wrapped.first();
}

QString numberText(double d)
{
    if (d == std::floor(d) && std::fabs(d) < 9.0e15)
        return QString::number(qint64(d));
    return QString::number(d, 'g', QLocale::FloatingPointShortest);
}

// Numbers that are whole and fit stay integers, as SQLite's INTEGER affinity keeps them.
QVariant integerOrReal(double d)
{
    if (d == std::floor(d) && std::fabs(d) < 9.2e18)
        return QVariant(qint64(d));
    return QVariant(d);
}

// A compact opaque cursor: base64url of [sortValue, key] or [key].
QString encodeCursor(const QJsonArray &parts)
{
    return QString::fromLatin1(QJsonDocument(parts)
                                   .toJson(QJsonDocument::Compact)
                                   .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

std::optional<QJsonArray> decodeCursor(const QString &cursor)
{
    const auto decoded = QByteArray::fromBase64Encoding(cursor.toLatin1(), QByteArray::Base64UrlEncoding |
                                                                               QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    const QJsonDocument doc = QJsonDocument::fromJson(*decoded);
    if (!doc.isArray() || doc.array().isEmpty())
        return std::nullopt;
    return doc.array();
}

QVariant jsonToBind(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QVariant();
    case QJsonValue::Bool:
        return QVariant(qint64(v.toBool() ? 1 : 0));
    case QJsonValue::Double:
        return integerOrReal(v.toDouble());
    case QJsonValue::String:
        return v.toString();
    case QJsonValue::Array:
    case QJsonValue::Object:
        return QString::fromUtf8(compact(v));
    }
    return QVariant();
}

QString escapeHtml(QStringView text)
{
    QString out;
    out.reserve(text.size() + 16);
    for (QChar c : text) {
        switch (c.unicode()) {
        case u'<':
            out += u"&lt;"_s;
            break;
        case u'>':
            out += u"&gt;"_s;
            break;
        case u'&':
            out += u"&amp;"_s;
            break;
        case u'"':
            out += u"&quot;"_s;
            break;
        case 0x02:
            out += u"<mark>"_s;
            break;
        case 0x03:
            out += u"</mark>"_s;
            break;
        default:
            out += c;
        }
    }
    return out;
}

// The hits of a search query (key, position, document, rank, snippet). On
// PostgreSQL '<' and '>' came through ts_headline as char(4)/char(5).
QList<SearchHit> hitsFromQuery(QSqlQuery &q, bool restoreAngles)
{
    QList<SearchHit> hits;
    while (q.next()) {
        SearchHit h;
        h.key = q.value(0).toString();
        h.position = q.value(1).toLongLong();
        h.document = QJsonDocument::fromJson(q.value(2).toByteArray()).object();
        h.rank = q.value(3).toDouble();
        QString snippet = q.value(4).toString();
        if (restoreAngles)
            snippet.replace(QChar(4), u'<').replace(QChar(5), u'>');
        h.snippet = escapeHtml(snippet);
        hits.append(h);
    }
    if (endedOnError(q)) // the caller reports it: never a short list of hits
        return hits;
    q.finish();
    return hits;
}

// Plain words to an FTS5 query: every word must match, each quoted so that
// punctuation and operators in user input are just text; "mug*" is a prefix.
std::optional<QString> plainToFts(const QString &text)
{
    const QStringList words = text.split(QRegularExpression(u"\\s+"_s), Qt::SkipEmptyParts);
    QStringList terms;
    for (QString w : words) {
        const bool prefix = w.endsWith(u'*') && w.size() > 1;
        if (prefix)
            w.chop(1);
        w.replace(u'"', u"\"\""_s);
        if (w.isEmpty() || w == u"*")
            continue;
        terms << u'"' + w + u'"' + (prefix ? u"*"_s : QString());
    }
    if (terms.isEmpty())
        return std::nullopt;
    return terms.join(u' ');
}

int compareKeys(const QByteArray &a, const QByteArray &b)
{
    // SQLite's BINARY collation: memcmp over the UTF-8 bytes, then length.
    const int n = std::memcmp(a.constData(), b.constData(), size_t(qMin(a.size(), b.size())));
    if (n != 0)
        return n;
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

// SQLite's own busy handler sleeps longer and longer (up to 100 ms a try)
// while another connection holds the write lock; against a writer that
// commits back to back, the projections would starve. Short, even sleeps take
// the lock in the writer's gaps. The budget stays the 10 s of the store.
int fairBusyHandler(void *, int attempt)
{
    constexpr int ShortTries = 200;          // 0.25 ms each: the first 50 ms
    constexpr int Tries = ShortTries + 9950; // then 1 ms each, ~10 s in all
    if (attempt >= Tries)
        return 0;
    if (attempt < ShortTries) {
        struct timespec ts {
            0, 250000
        };
        nanosleep(&ts, nullptr);
    } else {
        sqlite3_sleep(1);
    }
    return 1;
}

void installFairBusyHandler(const QSqlDatabase &db)
{
    if (!db.driver())
        return;
    const QVariant handle = db.driver()->handle();
    if (!handle.isValid() || std::strcmp(handle.typeName(), "sqlite3*") != 0)
        return;
    if (sqlite3 *h = *static_cast<sqlite3 *const *>(handle.constData()))
        sqlite3_busy_handler(h, fairBusyHandler, nullptr);
}

} // namespace

Result<std::unique_ptr<ReadStore>> ReadStore::attach(const QSqlDatabase &db, bool readOnly)
{
    if (!db.isOpen())
        return Error::make(ErrorCode::Io, u"the read store's connection is not open"_s);
    std::unique_ptr<ReadStore> store(new ReadStore);
    store->m_db = db;
    store->m_pg = backendOf(db) == Backend::PostgreSQL;
    if (auto st = store->initialise(readOnly); !st)
        return st.error();
    return store;
}

Result<std::unique_ptr<ReadStore>> ReadStore::open(const QString &path, bool readOnly)
{
    if (StoreAddress::isPostgresUrl(path)) {
        auto address = StoreAddress::parse(path);
        if (!address)
            return address.error();
        std::unique_ptr<ReadStore> store(new ReadStore);
        store->m_connectionName = u"eventscope-readstore-%1"_s.arg(s_readStoreCounter.fetchAndAddRelaxed(1));
        auto db = address->openPostgres(store->m_connectionName, readOnly);
        if (!db)
            return db.error();
        store->m_db = *db;
        store->m_pg = true;
        store->m_label = address->displayName();
        if (auto st = store->initialise(readOnly); !st)
            return st.error();
        return store;
    }
    const bool memory = path == u":memory:";
    bool snapshot = false;
    if (!memory) {
        // stat(2)/access(2) only, never an open(2) of the file outside SQLite (GROUND.md).
        const StoreFileAccess access = StoreFileAccess::probe(path);
        if (readOnly && !access.exists)
            return Error::make(ErrorCode::NotFound, u"%1: no such read store"_s.arg(path));
        if (access.isDirectory)
            return Error::make(ErrorCode::Io, u"%1 is a directory, not a read store"_s.arg(path));
        // As EventStore: no -wal/-shm with a read-only mode beside a file we cannot write.
        snapshot = readOnly && access.exists && !access.writable && !access.walHasContent;
    }
    std::unique_ptr<ReadStore> store(new ReadStore);
    store->m_connectionName = u"eventscope-readstore-%1"_s.arg(s_readStoreCounter.fetchAndAddRelaxed(1));
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, store->m_connectionName);
    db.setDatabaseName(snapshot ? immutableSqliteUri(path) : path);
    db.setConnectOptions(snapshot   ? u"QSQLITE_OPEN_READONLY;QSQLITE_OPEN_URI"_s
                         : readOnly ? u"QSQLITE_BUSY_TIMEOUT=10000;QSQLITE_OPEN_READONLY"_s
                                    : u"QSQLITE_BUSY_TIMEOUT=10000"_s);
    if (!db.open())
        return Error::make(ErrorCode::Io, u"%1: cannot open the read store: %2"_s.arg(path, db.lastError().text()));
    store->m_db = db;
    if (!readOnly) {
        QSqlQuery q(db);
        if (!memory && !q.exec(u"PRAGMA journal_mode=WAL"_s))
            return Error::make(ErrorCode::Io, u"%1: cannot open the read store: %2"_s.arg(path, q.lastError().text()));
        // A checkpoint commits with its rows: NORMAL keeps that atomic, it only
        // gives up durability of the last commits on power loss (they are replayed).
        q.exec(u"PRAGMA synchronous=NORMAL"_s);
    }
    if (auto st = store->initialise(readOnly); !st)
        return st.error();
    return store;
}

ReadStore::~ReadStore()
{
    if (m_inTransaction)
        rollback();
    m_statements.clear();
    if (!m_connectionName.isEmpty()) {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

Status ReadStore::initialise(bool readOnly)
{
    m_readOnly = readOnly;
    if (!readOnly)
        installFairBusyHandler(m_db);
    if (readOnly)
        return {};
    // A failed look is not a missing schema: nothing is created over a damaged file.
    Error looked;
    if (tableExists(u"es_projections"_s, &looked))
        return {};
    if (looked.code != ErrorCode::None)
        return looked;
    if (auto st = begin(); !st)
        return st;
    const bool madeMeanwhile = tableExists(u"es_projections"_s, &looked);
    if (madeMeanwhile || looked.code != ErrorCode::None) { // another process made it while we waited for the lock
        rollback();
        if (looked.code != ErrorCode::None)
            return looked;
        return {};
    }
    QSqlQuery q(m_db);
    for (const QString &sql : m_pg ? pgSchemaStatements() : schemaStatements()) {
        if (!q.exec(sql)) {
            const Error e = sqlError(u"create the read-store tables"_s, q);
            rollback();
            return e;
        }
    }
    return commit();
}

bool ReadStore::hasSchema()
{
    return tableExists(u"es_projections"_s);
}

bool ReadStore::tableExists(const QString &name, Error *error)
{
    QSqlQuery &q = prepared(m_pg ? u"SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND "
                                   "tablename = ?"_s
                                 : u"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"_s);
    q.bindValue(0, name);
    if (!q.exec()) {
        if (error)
            *error = sqlError(u"look for table %1"_s.arg(name), q);
        return false;
    }
    const bool found = q.next();
    if (!found && endedOnError(q) && error)
        *error = sqlError(u"look for table %1"_s.arg(name), q);
    q.finish();
    return found;
}

QString ReadStore::tableName(const QString &projection, Tables tables)
{
    return (tables == Tables::Live ? u"rm_"_s : u"rmn_"_s) + projection;
}

QString ReadStore::ftsTableName(const QString &projection, Tables tables)
{
    return (tables == Tables::Live ? u"rmf_"_s : u"rmnf_"_s) + projection;
}

QSqlQuery &ReadStore::prepared(const QString &sql)
{
    auto it = m_statements.find(sql);
    if (it == m_statements.end()) {
        QSqlQuery q(m_db);
        q.setForwardOnly(true);
        if (!q.prepare(sql))
            qCDebug(lcReadStore) << "prepare failed" << sql << q.lastError().text();
        it = m_statements.insert(sql, q);
    }
    return it.value();
}

Error ReadStore::sqlError(const QString &what, const QSqlQuery &q) const
{
    const QSqlError e = q.lastError().isValid() ? q.lastError() : m_db.lastError();
    if (!m_pg) // in the user's terms (a damaged file says so), without the driver's noise
        return storeError(u"read store %1"_s.arg(displayName()), what, e);
    QString text = e.text();
    ErrorCode code = ErrorCode::Io;
    if (text.contains(u"readonly"_s) || text.contains(u"read-only"_s))
        code = ErrorCode::ReadOnly;
    if (text.contains(u"full"_s))
        text += u" (the disk is full: nothing was written)"_s;
    return Error::make(code, u"read store %1: cannot %2: %3"_s.arg(displayName(), what, text));
}

Status ReadStore::begin()
{
    if (m_readOnly)
        return Error::make(ErrorCode::ReadOnly, u"read store %1 is open read-only"_s.arg(displayName()));
    if (m_pg) {
        // QPSQL cannot prepare BEGIN/COMMIT: the driver's own transaction calls.
        if (!m_db.transaction())
            return Error::make(ErrorCode::Io, u"read store %1: cannot start a write transaction: %2"_s.arg(
                                                  displayName(), m_db.lastError().text()));
        m_inTransaction = true;
        QSqlQuery &q = prepared(u"SELECT pg_advisory_xact_lock(?)"_s);
        q.bindValue(0, ReadStoreLockKey);
        if (!q.exec()) {
            const Error e = sqlError(u"take the read store's write lock"_s, q);
            rollback();
            return e;
        }
        q.finish();
        return {};
    }
    QSqlQuery &q = prepared(u"BEGIN IMMEDIATE"_s);
    if (!q.exec())
        return sqlError(u"start a write transaction"_s, q);
    q.finish();
    m_inTransaction = true;
    return {};
}

Status ReadStore::recover()
{
    if (!m_pg)
        return {};
    if (m_inTransaction)
        rollback();
    m_statements.clear();
    if (m_connectionName.isEmpty())
        return {};
    if (m_db.isOpen()) {
        QSqlQuery probe(m_db);
        if (probe.exec(u"SELECT 1"_s))
            return {};
    }
    m_db.close();
    if (!m_db.open())
        return Error::make(ErrorCode::Io, u"read store %1: cannot reconnect: %2"_s.arg(
                                              displayName(), m_db.lastError().text().trimmed()));
    // The session settings of StoreAddress::openPostgres.
    QSqlQuery q(m_db);
    q.exec(u"SET client_min_messages = warning"_s);
    if (m_readOnly)
        q.exec(u"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"_s);
    return {};
}

Status ReadStore::commit()
{
    if (m_pg) {
        if (!m_db.commit()) {
            const Error e = Error::make(
                ErrorCode::Io, u"read store %1: cannot commit: %2"_s.arg(displayName(), m_db.lastError().text()));
            rollback();
            return e;
        }
        m_inTransaction = false;
        return {};
    }
    QSqlQuery &q = prepared(u"COMMIT"_s);
    if (!q.exec()) {
        const Error e = sqlError(u"commit"_s, q);
        rollback();
        return e;
    }
    q.finish();
    m_inTransaction = false;
    return {};
}

void ReadStore::rollback()
{
    if (m_pg) {
        m_db.rollback();
        m_inTransaction = false;
        return;
    }
    QSqlQuery &q = prepared(u"ROLLBACK"_s);
    q.exec();
    q.finish();
    m_inTransaction = false;
}

// --- checkpoints --------------------------------------------------------------

namespace {
const auto CheckpointColumns = u"name, kind, shape, position, state, last_error, error_position, error_event_id, "
                               "error_event_type, delay_ms, generation, updated_ms"_s;

ProjectionCheckpoint checkpointFromQuery(const QSqlQuery &q)
{
    ProjectionCheckpoint c;
    c.name = q.value(0).toString();
    const QString kind = q.value(1).toString();
    c.kind = kind == u"search" ? ProjectionKind::Search
             : kind == u"page" ? ProjectionKind::Page
                               : ProjectionKind::Table;
    c.shape = QJsonDocument::fromJson(q.value(2).toByteArray()).object();
    c.position = q.value(3).toLongLong();
    c.state = projectionStateFromName(q.value(4).toString()).value_or(ProjectionState::Running);
    c.lastError = q.value(5).toString();
    c.errorPosition = q.value(6).toLongLong();
    c.errorEventId = q.value(7).toString();
    c.errorEventType = q.value(8).toString();
    c.delayMs = q.value(9).isNull() ? -1 : q.value(9).toInt();
    c.generation = q.value(10).toLongLong();
    c.updatedMs = q.value(11).toLongLong();
    return c;
}
} // namespace

Result<std::optional<ProjectionCheckpoint>> ReadStore::checkpoint(const QString &projection)
{
    // A failed look (a dropped connection) is an error, not "no checkpoint": the
    // runner would otherwise start that projection over.
    Error error;
    if (!tableExists(u"es_projections"_s, &error)) {
        if (error.code != ErrorCode::None)
            return error;
        return std::optional<ProjectionCheckpoint>();
    }
    QSqlQuery &q = prepared(u"SELECT "_s + CheckpointColumns + u" FROM es_projections WHERE name = ?"_s);
    q.bindValue(0, projection);
    if (!q.exec())
        return sqlError(u"read the checkpoint of %1"_s.arg(projection), q);
    std::optional<ProjectionCheckpoint> out;
    if (q.next())
        out = checkpointFromQuery(q);
    else if (endedOnError(q))
        return sqlError(u"read the checkpoint of %1"_s.arg(projection), q);
    q.finish();
    return out;
}

Result<QList<ProjectionCheckpoint>> ReadStore::checkpoints()
{
    QList<ProjectionCheckpoint> out;
    if (!hasSchema())
        return out;
    QSqlQuery &q = prepared(u"SELECT "_s + CheckpointColumns + u" FROM es_projections ORDER BY name"_s);
    if (!q.exec())
        return sqlError(u"read the checkpoints"_s, q);
    while (q.next())
        out.append(checkpointFromQuery(q));
    if (endedOnError(q))
        return sqlError(u"read the checkpoints"_s, q);
    q.finish();
    return out;
}

Status ReadStore::saveCheckpoint(const ProjectionCheckpoint &c)
{
    QSqlQuery &q = prepared(u"INSERT INTO es_projections("_s + CheckpointColumns +
                            u") VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, "
                            "shape = excluded.shape, position = excluded.position, state = excluded.state, "
                            "last_error = excluded.last_error, error_position = excluded.error_position, "
                            "error_event_id = excluded.error_event_id, error_event_type = excluded.error_event_type, "
                            "delay_ms = excluded.delay_ms, generation = excluded.generation, "
                            "updated_ms = excluded.updated_ms"_s);
    const bool failed = !c.lastError.isEmpty();
    q.bindValue(0, c.name);
    q.bindValue(1, projectionKindName(c.kind));
    q.bindValue(2, QString::fromUtf8(QJsonDocument(c.shape).toJson(QJsonDocument::Compact)));
    q.bindValue(3, c.position);
    // Rebuilding is a runtime state: the stored one is what a restart resumes in.
    q.bindValue(4, projectionStateName(c.state == ProjectionState::Rebuilding ? ProjectionState::Running : c.state));
    q.bindValue(5, failed ? QVariant(c.lastError) : QVariant());
    q.bindValue(6, failed && c.errorPosition > 0 ? QVariant(c.errorPosition) : QVariant());
    q.bindValue(7, failed && !c.errorEventId.isEmpty() ? QVariant(c.errorEventId) : QVariant());
    q.bindValue(8, failed && !c.errorEventType.isEmpty() ? QVariant(c.errorEventType) : QVariant());
    q.bindValue(9, c.delayMs >= 0 ? QVariant(c.delayMs) : QVariant());
    q.bindValue(10, c.generation);
    q.bindValue(11, QDateTime::currentMSecsSinceEpoch());
    if (!q.exec())
        return sqlError(u"save the checkpoint of %1"_s.arg(c.name), q);
    q.finish();
    return {};
}

Status ReadStore::recordSkip(SkipRecord r)
{
    QSqlQuery &q = prepared(u"INSERT INTO es_projection_skips(projection, position, event_id, event_type, stream, "
                            "error, actor, reason, recorded_ms) VALUES (?,?,?,?,?,?,?,?,?)"_s);
    q.bindValue(0, r.projection);
    q.bindValue(1, r.position);
    q.bindValue(2, r.eventId);
    q.bindValue(3, r.eventType);
    q.bindValue(4, r.stream);
    q.bindValue(5, r.error);
    q.bindValue(6, r.actor);
    q.bindValue(7, r.reason);
    q.bindValue(8, r.recordedMs > 0 ? r.recordedMs : QDateTime::currentMSecsSinceEpoch());
    if (!q.exec())
        return sqlError(u"record the skip of event %1 in %2"_s.arg(r.position).arg(r.projection), q);
    q.finish();
    return {};
}

Result<QList<SkipRecord>> ReadStore::skips(const QString &projection)
{
    QList<SkipRecord> out;
    if (!hasSchema())
        return out;
    // Two statements rather than "? = '' OR ...": PostgreSQL types parameters when it prepares.
    const QString columns = u"SELECT seq, projection, position, event_id, event_type, stream, error, actor, reason, "
                            "recorded_ms FROM es_projection_skips"_s;
    QSqlQuery &q = prepared(projection.isEmpty() ? columns + u" ORDER BY seq"_s
                                                 : columns + u" WHERE projection = ? ORDER BY seq"_s);
    if (!projection.isEmpty())
        q.bindValue(0, projection);
    if (!q.exec())
        return sqlError(u"read the skipped events"_s, q);
    while (q.next()) {
        SkipRecord r;
        r.seq = q.value(0).toLongLong();
        r.projection = q.value(1).toString();
        r.position = q.value(2).toLongLong();
        r.eventId = q.value(3).toString();
        r.eventType = q.value(4).toString();
        r.stream = q.value(5).toString();
        r.error = q.value(6).toString();
        r.actor = q.value(7).toString();
        r.reason = q.value(8).toString();
        r.recordedMs = q.value(9).toLongLong();
        out.append(r);
    }
    if (endedOnError(q))
        return sqlError(u"read the skipped events"_s, q);
    q.finish();
    return out;
}

Status ReadStore::recordInvalidation(const QString &projection, qint64 position, const QStringList &paths)
{
    if (paths.isEmpty())
        return {};
    // QPSQL's lastInsertId() is an OID, not the row's seq: RETURNING gives it.
    QSqlQuery &q = prepared(u"INSERT INTO es_page_invalidations(projection, position, paths, recorded_ms) "
                            "VALUES (?,?,?,?)"_s +
                            (m_pg ? u" RETURNING seq"_s : QString()));
    q.bindValue(0, projection);
    q.bindValue(1, position);
    q.bindValue(2, QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(paths)).toJson(QJsonDocument::Compact)));
    q.bindValue(3, QDateTime::currentMSecsSinceEpoch());
    if (!q.exec())
        return sqlError(u"record the page invalidation of %1"_s.arg(projection), q);
    const qint64 seq = m_pg ? (q.next() ? q.value(0).toLongLong() : 0) : q.lastInsertId().toLongLong();
    q.finish();
    if (seq > 0 && seq % 1000 == 0) {
        QSqlQuery &prune = prepared(u"DELETE FROM es_page_invalidations WHERE seq <= ?"_s);
        prune.bindValue(0, seq - KeptInvalidations);
        if (!prune.exec())
            return sqlError(u"prune old page invalidations"_s, prune);
        prune.finish();
    }
    return {};
}

Result<QList<PageInvalidation>> ReadStore::invalidations(qint64 afterSeq, int limit)
{
    QList<PageInvalidation> out;
    if (!hasSchema())
        return out;
    QSqlQuery &q = prepared(u"SELECT seq, projection, position, paths, recorded_ms FROM es_page_invalidations "
                            "WHERE seq > ? ORDER BY seq LIMIT ?"_s);
    q.bindValue(0, afterSeq);
    q.bindValue(1, limit);
    if (!q.exec())
        return sqlError(u"read the page invalidations"_s, q);
    while (q.next()) {
        PageInvalidation n;
        n.seq = q.value(0).toLongLong();
        n.projection = q.value(1).toString();
        n.position = q.value(2).toLongLong();
        const QJsonArray paths = QJsonDocument::fromJson(q.value(3).toByteArray()).array();
        for (const QJsonValue &p : paths)
            n.paths << p.toString();
        n.recordedMs = q.value(4).toLongLong();
        out.append(n);
    }
    if (endedOnError(q))
        return sqlError(u"read the page invalidations"_s, q);
    q.finish();
    return out;
}

// --- tables ---------------------------------------------------------------------

QStringList ReadStore::valueColumns(const ProjectionSchema &schema)
{
    switch (schema.kind) {
    case ProjectionKind::Table: {
        QStringList cols;
        for (const ColumnSpec &c : schema.columns)
            cols << quoted(c.name);
        return cols;
    }
    case ProjectionKind::Search:
        return {u"doc"_s};
    case ProjectionKind::Page:
        return {u"title"_s, u"html"_s, u"data"_s, u"version"_s, u"etag"_s, u"deleted"_s};
    }
    return {};
}

Status ReadStore::createTables(const ProjectionSchema &schema, Tables tables)
{
    if (!ProjectionSchema::isIdentifier(schema.name))
        return Error::make(ErrorCode::Invalid, u"'%1' is not a valid projection name"_s.arg(schema.name));
    const QString table = quoted(tableName(schema.name, tables));
    QStringList ddl;
    if (m_pg) {
        // Same tables; the search index is a table of the indexed fields with a
        // generated tsvector (folded like FTS5's remove_diacritics) and a GIN
        // index (named after its table: swapShadow() renames it with the table;
        // the implicit ones PostgreSQL names itself, avoiding collisions).
        const QString keyColumn = u"_key TEXT COLLATE \"C\" PRIMARY KEY NOT NULL, _position BIGINT NOT NULL"_s;
        switch (schema.kind) {
        case ProjectionKind::Table: {
            QString sql = u"CREATE TABLE IF NOT EXISTS "_s + table + u'(' + keyColumn;
            for (const ColumnSpec &c : schema.columns)
                sql += u", "_s + quoted(c.name) + u' ' + pgColumnType(c);
            ddl << sql + u')';
            break;
        }
        case ProjectionKind::Search: {
            const QString fts = quoted(ftsTableName(schema.name, tables));
            ddl << u"CREATE TABLE IF NOT EXISTS "_s + table +
                       u"(_rowid BIGSERIAL PRIMARY KEY, _key TEXT COLLATE \"C\" NOT NULL UNIQUE, "
                       "_position BIGINT NOT NULL, doc TEXT NOT NULL)"_s;
            QStringList cols, text;
            for (const QString &f : schema.fields) {
                cols << quoted(f) + u" TEXT"_s;
                text << u"coalesce("_s + quoted(f) + u", '')"_s;
            }
            const auto &fold = pgFoldTable();
            ddl << u"CREATE TABLE IF NOT EXISTS "_s + fts + u"(rowid BIGINT PRIMARY KEY, "_s + cols.join(u", "_s) +
                       u", _tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, translate("_s +
                       (text.isEmpty() ? u"''"_s : text.join(u" || ' ' || "_s)) + u", '"_s + fold.first + u"', '"_s +
                       fold.second + u"'))) STORED)"_s;
            ddl << u"CREATE INDEX IF NOT EXISTS "_s + quoted(ftsTableName(schema.name, tables) + u"_tsv"_s) +
                       u" ON "_s + fts + u" USING GIN (_tsv)"_s;
            break;
        }
        case ProjectionKind::Page:
            ddl << u"CREATE TABLE IF NOT EXISTS "_s + table + u'(' + keyColumn +
                       u", title TEXT COLLATE \"C\", html TEXT COLLATE \"C\", data TEXT, version BIGINT NOT NULL, "
                       "etag TEXT COLLATE \"C\" NOT NULL, deleted INTEGER NOT NULL DEFAULT 0)"_s;
            break;
        }
    } else {
        switch (schema.kind) {
        case ProjectionKind::Table: {
            QString sql = u"CREATE TABLE IF NOT EXISTS "_s + table +
                          u"(_key TEXT PRIMARY KEY NOT NULL, "
                          "_position INTEGER NOT NULL"_s;
            for (const ColumnSpec &c : schema.columns)
                sql += u", "_s + quoted(c.name) + u' ' + c.sqlType();
            sql += u") WITHOUT ROWID"_s;
            ddl << sql;
            break;
        }
        case ProjectionKind::Search: {
            ddl << u"CREATE TABLE IF NOT EXISTS "_s + table +
                       u"(_rowid INTEGER PRIMARY KEY, _key TEXT NOT NULL UNIQUE, _position INTEGER NOT NULL, "
                       "doc TEXT NOT NULL)"_s;
            QStringList cols;
            for (const QString &f : schema.fields)
                cols << quoted(f);
            ddl << u"CREATE VIRTUAL TABLE IF NOT EXISTS "_s + quoted(ftsTableName(schema.name, tables)) +
                       u" USING fts5("_s + cols.join(u", "_s) + u", tokenize = 'unicode61 remove_diacritics 2')"_s;
            break;
        }
        case ProjectionKind::Page:
            // Deleted pages stay as tombstones so that versions never go back.
            ddl << u"CREATE TABLE IF NOT EXISTS "_s + table +
                       u"(_key TEXT PRIMARY KEY NOT NULL, _position INTEGER NOT NULL, title TEXT, html TEXT, data "
                       u"TEXT, "
                       "version INTEGER NOT NULL, etag TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID"_s;
            break;
        }
    }
    QSqlQuery q(m_db);
    for (const QString &sql : std::as_const(ddl)) {
        if (!q.exec(sql))
            return sqlError(u"create the tables of projection %1"_s.arg(schema.name), q);
    }
    return {};
}

Status ReadStore::dropTables(const QString &projection, Tables tables)
{
    if (!ProjectionSchema::isIdentifier(projection))
        return Error::make(ErrorCode::Invalid, u"'%1' is not a valid projection name"_s.arg(projection));
    const QString table = quoted(tableName(projection, tables));
    const QString fts = quoted(ftsTableName(projection, tables));
    // Statements still holding the tables would make DROP fail with "table is locked".
    for (auto it = m_statements.begin(); it != m_statements.end();) {
        if (it.key().contains(table) || it.key().contains(fts))
            it = m_statements.erase(it);
        else
            ++it;
    }
    QSqlQuery q(m_db);
    if (!q.exec(u"DROP TABLE IF EXISTS "_s + fts) || !q.exec(u"DROP TABLE IF EXISTS "_s + table))
        return sqlError(u"drop the tables of projection %1"_s.arg(projection), q);
    return {};
}

bool ReadStore::hasTables(const QString &projection, Tables tables)
{
    return tableExists(tableName(projection, tables));
}

Status ReadStore::swapShadow(const QString &projection)
{
    if (!hasTables(projection, Tables::Shadow))
        return Error::make(ErrorCode::NotFound,
                           u"projection %1 has no rebuilt (shadow) tables to swap in"_s.arg(projection));
    if (auto st = dropTables(projection, Tables::Live); !st)
        return st;
    const QString shadowFts = ftsTableName(projection, Tables::Shadow);
    for (auto it = m_statements.begin(); it != m_statements.end();) {
        if (it.key().contains(quoted(tableName(projection, Tables::Shadow))) || it.key().contains(quoted(shadowFts)))
            it = m_statements.erase(it);
        else
            ++it;
    }
    QSqlQuery q(m_db);
    if (!q.exec(u"ALTER TABLE "_s + quoted(tableName(projection, Tables::Shadow)) + u" RENAME TO "_s +
                quoted(tableName(projection, Tables::Live))))
        return sqlError(u"swap in the rebuilt tables of %1"_s.arg(projection), q);
    if (tableExists(shadowFts)) {
        if (!q.exec(u"ALTER TABLE "_s + quoted(shadowFts) + u" RENAME TO "_s +
                    quoted(ftsTableName(projection, Tables::Live))))
            return sqlError(u"swap in the rebuilt search index of %1"_s.arg(projection), q);
        // The GIN index keeps its name through the table's rename: the next rebuild would collide with it.
        if (m_pg && !q.exec(u"ALTER INDEX IF EXISTS "_s + quoted(shadowFts + u"_tsv"_s) + u" RENAME TO "_s +
                            quoted(ftsTableName(projection, Tables::Live) + u"_tsv"_s)))
            return sqlError(u"swap in the rebuilt search index of %1"_s.arg(projection), q);
    }
    return {};
}

// --- row codec -----------------------------------------------------------------

QVariant ReadStore::toSql(const ColumnSpec &column, const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QVariant();
    case QJsonValue::Bool:
        switch (column.type) {
        case ColumnSpec::Type::Integer:
            return QVariant(qint64(v.toBool() ? 1 : 0));
        case ColumnSpec::Type::Real:
            return QVariant(v.toBool() ? 1.0 : 0.0);
        case ColumnSpec::Type::Text:
            return v.toBool() ? u"true"_s : u"false"_s;
        }
        break;
    case QJsonValue::Double:
        switch (column.type) {
        case ColumnSpec::Type::Integer:
            return integerOrReal(v.toDouble());
        case ColumnSpec::Type::Real:
            return QVariant(v.toDouble());
        case ColumnSpec::Type::Text:
            return numberText(v.toDouble());
        }
        break;
    case QJsonValue::String: {
        // SQLite's numeric affinity turns numeric text into a number; do it here
        // so that the value a handler sees next is the one a read returns.
        const QString s = v.toString();
        if (column.type != ColumnSpec::Type::Text && !s.isEmpty() && !s.front().isSpace() && !s.back().isSpace()) {
            bool ok = false;
            const double d = s.toDouble(&ok);
            if (ok && std::isfinite(d))
                return column.type == ColumnSpec::Type::Integer ? integerOrReal(d) : QVariant(d);
        }
        return s;
    }
    case QJsonValue::Array:
    case QJsonValue::Object:
        return QString::fromUtf8(compact(v));
    }
    return QVariant();
}

QJsonValue ReadStore::fromSql(const QVariant &v)
{
    if (v.isNull())
        return QJsonValue::Null;
    switch (v.typeId()) {
    case QMetaType::LongLong:
    case QMetaType::Int:
    case QMetaType::ULongLong:
    case QMetaType::UInt:
        return QJsonValue(v.toLongLong());
    case QMetaType::Double:
        return QJsonValue(v.toDouble());
    case QMetaType::QByteArray:
        return QString::fromUtf8(v.toByteArray());
    default:
        return v.toString();
    }
}

QJsonValue ReadStore::decodeValue(const ProjectionSchema &schema, const QSqlQuery &q, int first)
{
    switch (schema.kind) {
    case ProjectionKind::Table: {
        QJsonObject o;
        for (int i = 0; i < schema.columns.size(); ++i)
            o.insert(schema.columns.at(i).name, fromSql(q.value(first + i)));
        return o;
    }
    case ProjectionKind::Search:
        return QJsonDocument::fromJson(q.value(first).toByteArray()).object();
    case ProjectionKind::Page:
        if (q.value(first + 5).toInt() != 0)
            return QJsonValue::Null;
        return QJsonObject{{u"title"_s, q.value(first).toString()},
                           {u"html"_s, q.value(first + 1).toString()},
                           {u"data"_s, parseValue(q.value(first + 2).toByteArray())}};
    }
    return QJsonValue::Null;
}

QString ReadStore::pageEtag(qint64 version, const QString &title, const QString &html, const QByteArray &data)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(title.toUtf8());
    h.addData(QByteArrayView("\0", 1));
    h.addData(html.toUtf8());
    h.addData(QByteArrayView("\0", 1));
    h.addData(data);
    return u"\"%1-%2\""_s.arg(version).arg(QString::fromLatin1(h.result().toHex().left(16)));
}

// --- queries -------------------------------------------------------------------

Result<ProjectionSchema> ReadStore::schema(const QString &projection)
{
    auto cp = checkpoint(projection);
    if (!cp)
        return cp.error();
    if (!*cp)
        return Error::make(ErrorCode::NotFound,
                           u"projection %1 has not been built in %2 yet (run `eventscope-cli project`)"_s.arg(
                               projection, displayName()));
    return ProjectionSchema::fromStored(projection, (*cp)->shape);
}

namespace {
ReadRow rowFromQuery(const ProjectionSchema &schema, const QSqlQuery &q)
{
    ReadRow r;
    r.key = q.value(0).toString();
    r.position = q.value(1).toLongLong();
    const QJsonValue v = ReadStore::decodeValue(schema, q, 2);
    r.value = v.toObject();
    if (schema.kind == ProjectionKind::Page) {
        r.value.insert(u"version"_s, q.value(5).toLongLong());
        r.value.insert(u"etag"_s, q.value(6).toString());
    }
    return r;
}

QString selectRow(const ProjectionSchema &schema, const QString &table)
{
    return u"SELECT _key, _position, "_s + ReadStore::valueColumns(schema).join(u", "_s) + u" FROM "_s + table;
}
} // namespace

Result<std::optional<ReadRow>> ReadStore::byKey(const QString &projection, const QString &key)
{
    auto s = schema(projection);
    if (!s)
        return s.error();
    QString sql = selectRow(*s, quoted(tableName(projection))) + u" WHERE _key = ?"_s;
    if (s->kind == ProjectionKind::Page)
        sql += u" AND deleted = 0"_s;
    QSqlQuery &q = prepared(sql);
    q.bindValue(0, key);
    if (!q.exec())
        return sqlError(u"read %1 of %2"_s.arg(key, projection), q);
    std::optional<ReadRow> out;
    if (q.next())
        out = rowFromQuery(*s, q);
    else if (endedOnError(q))
        return sqlError(u"read %1 of %2"_s.arg(key, projection), q);
    q.finish();
    return out;
}

Result<std::optional<Page>> ReadStore::page(const QString &projection, const QString &path)
{
    auto s = schema(projection);
    if (!s)
        return s.error();
    if (s->kind != ProjectionKind::Page)
        return Error::make(ErrorCode::Invalid, u"projection %1 is a %2 projection, not a page projection"_s.arg(
                                                   projection, projectionKindName(s->kind)));
    auto row = byKey(projection, path);
    if (!row)
        return row.error();
    if (!*row)
        return std::optional<Page>();
    Page p;
    p.path = (*row)->key;
    p.position = (*row)->position;
    const QJsonObject &v = (*row)->value;
    p.title = v.value(u"title"_s).toString();
    p.html = v.value(u"html"_s).toString();
    p.data = v.value(u"data"_s);
    p.version = v.value(u"version"_s).toInteger();
    p.etag = v.value(u"etag"_s).toString();
    return std::optional<Page>(p);
}

QString ReadStore::fieldExpression(const ProjectionSchema &schema, const QString &column, QString *error,
                                   bool *jsonField) const
{
    if (jsonField)
        *jsonField = false;
    if (column.isEmpty() || column == u"_key")
        return u"_key"_s;
    if (column == u"_position")
        return u"_position"_s;
    switch (schema.kind) {
    case ProjectionKind::Table:
        if (schema.column(column))
            return quoted(column);
        if (column == u"key")
            return u"_key"_s;
        break;
    case ProjectionKind::Search:
        if (column == u"key")
            return u"_key"_s;
        if (ProjectionSchema::isIdentifier(column) && m_pg) {
            // A jsonb value: numbers compare as numbers and sort before strings, as
            // json_extract's do in SQLite; JSON null is SQL NULL there too.
            if (jsonField)
                *jsonField = true;
            return u"NULLIF(doc::jsonb -> '"_s + column + u"', 'null'::jsonb)"_s;
        }
        if (ProjectionSchema::isIdentifier(column))
            return u"json_extract(doc, '$."_s + column + u"')"_s;
        break;
    case ProjectionKind::Page:
        if (column == u"path" || column == u"key")
            return u"_key"_s;
        if (column == u"title" || column == u"version" || column == u"etag" || column == u"html")
            return column;
        break;
    }
    QStringList known{u"_key"_s, u"_position"_s};
    if (schema.kind == ProjectionKind::Table) {
        for (const ColumnSpec &c : schema.columns)
            known << c.name;
    } else if (schema.kind == ProjectionKind::Page) {
        known << u"path"_s << u"title"_s << u"version"_s << u"etag"_s << u"html"_s;
    }
    *error = u"projection %1 has no column '%2' (columns: %3)"_s.arg(schema.name, column, known.join(u", "_s));
    return {};
}

Result<RowPage> ReadStore::list(const QString &projection, const ListQuery &query)
{
    auto s = schema(projection);
    if (!s)
        return s.error();
    if (query.limit < 1)
        return Error::make(ErrorCode::Invalid, u"the page size must be at least 1"_s);
    QString error;
    QStringList where;
    QVariantList binds;
    if (s->kind == ProjectionKind::Page)
        where << u"deleted = 0"_s;
    // On PostgreSQL a search document's field is jsonb: its parameters are JSON text cast to jsonb.
    const auto bindFor = [this](const QJsonValue &v, bool json) {
        return json && m_pg && !v.isNull() ? QVariant(QString::fromUtf8(compact(v))) : jsonToBind(v);
    };
    const auto mark = [](bool json) { return json ? u"CAST(? AS jsonb)"_s : u"?"_s; };
    for (const RowFilter &f : query.filters) {
        bool json = false;
        const QString e = fieldExpression(*s, f.column, &error, &json);
        if (e.isEmpty())
            return Error::make(ErrorCode::Invalid, error);
        switch (f.op) {
        case RowFilter::Op::Eq:
            where << e + u" = "_s + mark(json);
            break;
        case RowFilter::Op::Ne:
            where << u"("_s + e + u" IS NULL OR "_s + e + u" != "_s + mark(json) + u")"_s;
            break;
        case RowFilter::Op::Lt:
            where << e + u" < "_s + mark(json);
            break;
        case RowFilter::Op::Le:
            where << e + u" <= "_s + mark(json);
            break;
        case RowFilter::Op::Gt:
            where << e + u" > "_s + mark(json);
            break;
        case RowFilter::Op::Ge:
            where << e + u" >= "_s + mark(json);
            break;
        case RowFilter::Op::Contains:
        case RowFilter::Op::Prefix: {
            QString pattern = f.value.isString() ? f.value.toString() : QString::fromUtf8(compact(f.value));
            pattern.replace(u'\\', u"\\\\"_s).replace(u'%', u"\\%"_s).replace(u'_', u"\\_"_s);
            // SQLite's LIKE reads a number as its text and ignores ASCII case; on
            // PostgreSQL that is a cast and ILIKE (ASCII-only folding under "C", as SQLite's).
            const QString text = !m_pg  ? e
                                 : json ? u"(doc::jsonb ->> '"_s + f.column + u"')"_s
                                        : u"CAST("_s + e + u" AS TEXT)"_s;
            where << text + (m_pg ? u" ILIKE ? ESCAPE '\\'"_s : u" LIKE ? ESCAPE '\\'"_s);
            binds << (f.op == RowFilter::Op::Contains ? QString(u"%"_s + pattern + u"%"_s) : QString(pattern + u"%"_s));
            continue;
        }
        case RowFilter::Op::IsNull:
            where << e + u" IS NULL"_s;
            continue;
        case RowFilter::Op::NotNull:
            where << e + u" IS NOT NULL"_s;
            continue;
        }
        binds << bindFor(f.value, json);
    }

    bool jsonSort = false;
    const QString sort = fieldExpression(*s, query.sortBy, &error, &jsonSort);
    if (sort.isEmpty())
        return Error::make(ErrorCode::Invalid, error);
    const bool byKeyOnly = sort == u"_key";
    const QString cmp = query.descending ? u" < "_s : u" > "_s;
    if (!query.after.isEmpty()) {
        const auto cursor = decodeCursor(query.after);
        if (!cursor || (byKeyOnly ? cursor->size() != 1 : cursor->size() != 2))
            return Error::make(
                ErrorCode::Invalid,
                u"the cursor '%1' is not one this query returned (same sort order needed)"_s.arg(query.after));
        if (byKeyOnly) {
            where << u"_key"_s + cmp + u"?"_s;
            binds << cursor->at(0).toString();
        } else if (cursor->at(0).isNull()) {
            where << u"("_s + sort + u" IS NULL AND _key"_s + cmp + u"?)"_s;
            binds << cursor->at(1).toString();
        } else {
            // Nulls sort last in both directions.
            where << u"("_s + sort + u" IS NULL OR "_s + sort + cmp + mark(jsonSort) + u" OR ("_s + sort + u" = "_s +
                         mark(jsonSort) + u" AND _key"_s + cmp + u"?))"_s;
            binds << bindFor(cursor->at(0), jsonSort) << bindFor(cursor->at(0), jsonSort) << cursor->at(1).toString();
        }
    }
    QString sql = selectRow(*s, quoted(tableName(projection)));
    if (!byKeyOnly)
        sql.replace(u"SELECT _key, _position, "_s, u"SELECT _key, _position, "_s + sort + u" AS _sort, "_s);
    if (!where.isEmpty())
        sql += u" WHERE "_s + where.join(u" AND "_s);
    const QString dir = query.descending ? u" DESC"_s : QString();
    if (byKeyOnly)
        sql += u" ORDER BY _key"_s + dir;
    else
        sql += u" ORDER BY ("_s + sort + u" IS NULL), "_s + sort + dir + u", _key"_s + dir;
    sql += u" LIMIT ?"_s;
    binds << query.limit + 1;

    QSqlQuery &q = prepared(sql);
    for (int i = 0; i < binds.size(); ++i)
        q.bindValue(i, binds.at(i));
    if (!q.exec())
        return sqlError(u"list %1"_s.arg(projection), q);
    RowPage page;
    QJsonValue lastSort;
    bool more = false;
    while (q.next()) {
        if (page.rows.size() == query.limit) {
            more = true;
            break;
        }
        if (byKeyOnly) {
            page.rows.append(rowFromQuery(*s, q));
        } else {
            // Shift past the extra sort column: decode from a view without it.
            ReadRow r;
            r.key = q.value(0).toString();
            r.position = q.value(1).toLongLong();
            lastSort = jsonSort && m_pg ? parseValue(q.value(2).toByteArray()) : fromSql(q.value(2));
            QJsonValue v = decodeValue(*s, q, 3);
            r.value = v.toObject();
            if (s->kind == ProjectionKind::Page) {
                r.value.insert(u"version"_s, q.value(6).toLongLong());
                r.value.insert(u"etag"_s, q.value(7).toString());
            }
            page.rows.append(r);
        }
    }
    if (endedOnError(q))
        return sqlError(u"list %1"_s.arg(projection), q);
    q.finish();
    if (more && !page.rows.isEmpty()) {
        page.nextCursor = byKeyOnly ? encodeCursor(QJsonArray{page.rows.constLast().key})
                                    : encodeCursor(QJsonArray{lastSort, page.rows.constLast().key});
    }
    return page;
}

Result<QList<SearchHit>> ReadStore::search(const QString &projection, const QString &text, int limit, bool rawSyntax)
{
    auto s = schema(projection);
    if (!s)
        return s.error();
    if (s->kind != ProjectionKind::Search)
        return Error::make(ErrorCode::Invalid, u"projection %1 is a %2 projection: full-text search needs a search "
                                               "projection"_s.arg(projection, projectionKindName(s->kind)));
    if (m_pg)
        return searchPostgres(projection, *s, text, limit, rawSyntax);
    QString match = text;
    if (!rawSyntax) {
        const auto fts = plainToFts(text);
        if (!fts)
            return Error::make(ErrorCode::Invalid, u"nothing to search for: give at least one word"_s);
        match = *fts;
    }
    const QString fts = quoted(ftsTableName(projection));
    // char(2)/char(3) mark the matches; the text is escaped before they become <mark>.
    const QString sql = u"SELECT d._key, d._position, d.doc, bm25("_s + fts + u"), snippet("_s + fts +
                        u", -1, char(2), char(3), '…', 16) FROM "_s + fts + u" JOIN "_s +
                        quoted(tableName(projection)) + u" d ON d._rowid = "_s + fts + u".rowid WHERE "_s + fts +
                        u" MATCH ? ORDER BY bm25("_s + fts + u"), d._key LIMIT ?"_s;
    QSqlQuery &q = prepared(sql);
    q.bindValue(0, match);
    q.bindValue(1, qMax(1, limit));
    if (!q.exec()) {
        const QString why = q.lastError().text();
        if (why.contains(u"fts5"_s) || why.contains(u"syntax"_s) || why.contains(u"no such column"_s))
            return Error::make(ErrorCode::Invalid, u"search '%1': %2"_s.arg(text, why));
        return sqlError(u"search %1"_s.arg(projection), q);
    }
    auto hits = hitsFromQuery(q, false);
    if (endedOnError(q))
        return sqlError(u"search %1"_s.arg(projection), q);
    return hits;
}

Result<QList<SearchHit>> ReadStore::searchPostgres(const QString &projection, const ProjectionSchema &schema,
                                                   const QString &text, int limit, bool rawSyntax)
{
    QString match;
    if (rawSyntax) {
        auto translated = ftsToTsQuery(text);
        if (!translated)
            return translated.error();
        match = *translated;
    } else {
        const auto plain = plainToTsQuery(text);
        if (!plain)
            return Error::make(ErrorCode::Invalid, u"nothing to search for: give at least one word"_s);
        match = *plain;
    }
    const QString fts = quoted(ftsTableName(projection));
    QStringList fields;
    for (const QString &f : schema.fields)
        fields << u"coalesce(f."_s + quoted(f) + u", '')"_s;
    // ts_rank grows with relevance, bm25 shrinks: negated, lower is better on both backends.
    // ts_headline drops what its parser takes for HTML tags: '<' and '>' travel as
    // char(4)/char(5) through it and come back before escapeHtml(); char(2)/char(3)
    // mark the matches as on SQLite. MaxWords 16 as FTS5's snippet.
    const QString sql =
        u"SELECT d._key, d._position, d.doc, -ts_rank(f._tsv, q), ts_headline('simple', replace(replace("_s +
        (fields.isEmpty() ? u"''"_s : fields.join(u" || ' ' || "_s)) +
        u", '<', chr(4)), '>', chr(5)), q, 'StartSel=' || chr(2) || ', StopSel=' || chr(3) || "
        "', MaxWords=16, MinWords=12') FROM to_tsquery('simple', ?) q, "_s +
        fts + u" f JOIN "_s + quoted(tableName(projection)) +
        u" d ON d._rowid = f.rowid WHERE f._tsv @@ q ORDER BY 4, d._key LIMIT ?"_s;
    QSqlQuery &q = prepared(sql);
    q.bindValue(0, match);
    q.bindValue(1, qMax(1, limit));
    if (!q.exec()) {
        const QString why = q.lastError().text();
        if (why.contains(u"tsquery"_s) || why.contains(u"syntax"_s))
            return Error::make(ErrorCode::Invalid, u"search '%1': %2"_s.arg(text, why));
        return sqlError(u"search %1"_s.arg(projection), q);
    }
    auto hits = hitsFromQuery(q, true);
    if (endedOnError(q))
        return sqlError(u"search %1"_s.arg(projection), q);
    return hits;
}

Result<QJsonArray> ReadStore::dump(const QString &projection, Tables tables)
{
    ProjectionSchema s;
    if (tables == Tables::Live) {
        auto found = schema(projection);
        if (!found)
            return found.error();
        s = *found;
    } else {
        return Error::make(ErrorCode::Invalid, u"dump reads live tables only"_s);
    }
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    if (!q.exec(selectRow(s, quoted(tableName(projection, tables))) + u" ORDER BY _key"_s))
        return sqlError(u"read %1"_s.arg(projection), q);
    QJsonArray out;
    while (q.next()) {
        QJsonObject row{{u"key"_s, q.value(0).toString()}, {u"position"_s, q.value(1).toLongLong()}};
        if (s.kind == ProjectionKind::Page) {
            row.insert(u"value"_s, QJsonObject{{u"title"_s, q.value(2).toString()},
                                               {u"html"_s, q.value(3).toString()},
                                               {u"data"_s, parseValue(q.value(4).toByteArray())},
                                               {u"version"_s, q.value(5).toLongLong()},
                                               {u"etag"_s, q.value(6).toString()},
                                               {u"deleted"_s, q.value(7).toInt() != 0}});
        } else {
            row.insert(u"value"_s, decodeValue(s, q, 2));
        }
        out.append(row);
    }
    if (endedOnError(q))
        return sqlError(u"read %1"_s.arg(projection), q);
    return out;
}

Result<ProjectionDiff> ReadStore::diff(const ProjectionSchema &live, const ProjectionSchema &shadow, int sampleLimit,
                                       const std::function<void(const RowChange &)> &each)
{
    ProjectionDiff d;
    d.projection = shadow.name;
    auto open = [this](const ProjectionSchema &s, Tables t, QSqlQuery &q) -> Status {
        q = QSqlQuery(m_db);
        // QPSQL streams a forward-only result row by row and loses it when the
        // connection runs another query: the two walked side by side here are fetched whole.
        q.setForwardOnly(!m_pg);
        QString sql = selectRow(s, quoted(tableName(s.name, t)));
        if (s.kind == ProjectionKind::Page)
            sql += u" WHERE deleted = 0"_s;
        sql += u" ORDER BY _key"_s;
        if (!q.exec(sql))
            return sqlError(u"compare the rebuilt %1 with the live one"_s.arg(s.name), q);
        return {};
    };
    QSqlQuery a, b;
    const bool liveExists = hasTables(live.name, Tables::Live);
    if (liveExists) {
        if (auto st = open(live, Tables::Live, a); !st)
            return st.error();
    }
    if (auto st = open(shadow, Tables::Shadow, b); !st)
        return st.error();
    const bool sameShape = live.shape() == shadow.shape();
    // Pages: title, html and data; version and ETag differ between builds by design.
    const int compared = shadow.kind == ProjectionKind::Page ? 3 : int(valueColumns(shadow).size());
    bool hasA = liveExists && a.next();
    bool hasB = b.next();
    QByteArray keyA = hasA ? a.value(0).toString().toUtf8() : QByteArray();
    QByteArray keyB = hasB ? b.value(0).toString().toUtf8() : QByteArray();
    auto report = [&](RowChange &&c) {
        if (each)
            each(c);
        if (d.samples.size() < sampleLimit)
            d.samples.append(std::move(c));
    };
    // Rows are decoded only when someone looks at them.
    const auto wanted = [&] { return bool(each) || d.samples.size() < sampleLimit; };
    while (hasA || hasB) {
        const int order = !hasA ? 1 : !hasB ? -1 : compareKeys(keyA, keyB);
        if (order < 0) {
            ++d.removed;
            if (wanted())
                report(RowChange{
                    RowChange::Kind::Removed, QString::fromUtf8(keyA), decodeValue(live, a, 2).toObject(), {}});
        } else if (order > 0) {
            ++d.added;
            if (wanted())
                report(RowChange{
                    RowChange::Kind::Added, QString::fromUtf8(keyB), {}, decodeValue(shadow, b, 2).toObject()});
        } else {
            // Same shape: equal SQL values are equal rows, without decoding them.
            bool same = sameShape;
            for (int i = 0; same && i < compared; ++i)
                same = a.value(2 + i) == b.value(2 + i);
            const QJsonObject before = same ? QJsonObject() : decodeValue(live, a, 2).toObject();
            const QJsonObject after = same ? QJsonObject() : decodeValue(shadow, b, 2).toObject();
            if (same || before == after) {
                ++d.unchanged;
            } else {
                ++d.changed;
                report(RowChange{RowChange::Kind::Changed, QString::fromUtf8(keyA), before, after});
            }
        }
        if (order <= 0) {
            hasA = a.next();
            keyA = hasA ? a.value(0).toString().toUtf8() : QByteArray();
        }
        if (order >= 0) {
            hasB = b.next();
            keyB = hasB ? b.value(0).toString().toUtf8() : QByteArray();
        }
    }
    // A read error ends a loop like the last row: never report a partial difference.
    if (endedOnError(a))
        return sqlError(u"compare the rebuilt %1 with the live one"_s.arg(shadow.name), a);
    if (endedOnError(b))
        return sqlError(u"compare the rebuilt %1 with the live one"_s.arg(shadow.name), b);
    return d;
}

} // namespace es
