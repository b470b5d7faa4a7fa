#include "projectionwriter.h"

#include "flatjsonreader.h"
#include "sqliteerror.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDriver>

#include <sqlite3.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <optional>

using namespace Qt::StringLiterals;

namespace es {

namespace {

// Clean rows kept between batches; beyond this the cache starts over.
constexpr qsizetype MaxCachedRows = 50000;
// Fresh mode remembers every key it wrote; past this it falls back to reads.
constexpr qsizetype MaxKnownKeys = 4'000'000;
// A runaway key() returning thousands of keys per event is a pack bug.
constexpr qsizetype MaxKeysPerEvent = 10000;

// Batch sessions: unique across writers, so that the domain never mistakes one
// writer's rows (live, shadow, a scratch store) for another's.
std::atomic<quint64> nextSession{1};

QString describe(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return u"null"_s;
    case QJsonValue::Undefined:
        return u"undefined"_s;
    case QJsonValue::Bool:
        return u"a boolean"_s;
    case QJsonValue::Double:
        return u"a number"_s;
    case QJsonValue::String:
        return u"a string"_s;
    case QJsonValue::Array:
        return u"an array"_s;
    case QJsonValue::Object:
        return u"an object"_s;
    }
    return u"a value"_s;
}

QByteArray compact(const QJsonValue &v)
{
    if (v.isObject())
        return QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact);
    if (v.isArray())
        return QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact);
    if (v.isNull() || v.isUndefined())
        return {};
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

// Why a value cannot go into a number column (empty when it can): text that is
// not a number, an object or an array would be stored as text in a column
// declared integer or real (SQLite keeps whatever it is given).
QString columnMismatch(const ColumnSpec &c, const QJsonValue &v)
{
    if (c.type == ColumnSpec::Type::Text)
        return {};
    if (v.isString()) {
        // Numeric text is taken as its number, as SQLite's column affinity would.
        const QString s = v.toString();
        bool ok = false;
        const double d = s.isEmpty() || s.front().isSpace() || s.back().isSpace() ? 0 : s.toDouble(&ok);
        if (ok && std::isfinite(d))
            return {};
        QString shown = s.left(60);
        if (shown.size() < s.size())
            shown += u"…"_s;
        return u"column %1 is declared %2, but the handler gave it the text \"%3\""_s.arg(c.name, c.typeName(), shown);
    }
    if (v.isObject() || v.isArray())
        return u"column %1 is declared %2, but the handler gave it %3"_s.arg(c.name, c.typeName(), describe(v));
    return {};
}

// The text FTS5 indexes for a document field.
QVariant ftsText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QVariant();
    case QJsonValue::String:
        return v.toString();
    case QJsonValue::Bool:
        return v.toBool() ? u"true"_s : u"false"_s;
    case QJsonValue::Double: {
        const double d = v.toDouble();
        if (d == std::floor(d) && std::fabs(d) < 9.0e15)
            return QString::number(qint64(d));
        return QString::number(d, 'g', QLocale::FloatingPointShortest);
    }
    case QJsonValue::Array: {
        QStringList parts;
        for (const QJsonValue &e : v.toArray()) {
            const QVariant t = ftsText(e);
            if (!t.isNull())
                parts << t.toString();
        }
        return parts.join(u' ');
    }
    case QJsonValue::Object:
        return QString::fromUtf8(compact(v));
    }
    return QVariant();
}

} // namespace

ProjectionWriter::ProjectionWriter(ReadStore *store, ProjectionSchema schema, ReadStore::Tables tables)
    : m_store(store)
    , m_schema(std::move(schema))
    , m_tables(tables)
{
    for (const ColumnSpec &c : std::as_const(m_schema.columns)) {
        QString type;
        switch (c.type) {
        case ColumnSpec::Type::Text:
            type = u"text"_s;
            break;
        case ColumnSpec::Type::Integer:
            type = u"integer"_s;
            break;
        case ColumnSpec::Type::Real:
            type = u"real"_s;
            break;
        }
        m_batchColumns.append(QJsonArray{c.name, type});
    }
    m_table = ReadStore::quoted(ReadStore::tableName(m_schema.name, tables));
    m_fts = ReadStore::quoted(ReadStore::ftsTableName(m_schema.name, tables));
    const QStringList values = ReadStore::valueColumns(m_schema);
    switch (m_schema.kind) {
    case ProjectionKind::Table: {
        m_select = u"SELECT _key, _position, "_s + (values.isEmpty() ? u"NULL"_s : values.join(u", "_s)) +
                   u" FROM "_s + m_table + u" WHERE _key = ?"_s;
        QString cols = u"_key, _position"_s;
        QString marks = u"?, ?"_s;
        QString updates = u"_position = excluded._position"_s;
        for (const QString &c : values) {
            cols += u", "_s + c;
            marks += u", ?"_s;
            updates += u", "_s + c + u" = excluded."_s + c;
        }
        m_upsert = u"INSERT INTO "_s + m_table + u"("_s + cols + u") VALUES ("_s + marks + u") ON CONFLICT(_key) DO "
                                                                                             "UPDATE SET "_s +
                   updates;
        m_delete = u"DELETE FROM "_s + m_table + u" WHERE _key = ?"_s;
        break;
    }
    case ProjectionKind::Search: {
        m_select = u"SELECT _key, _position, doc, _rowid FROM "_s + m_table + u" WHERE _key = ?"_s;
        m_insertDoc = u"INSERT INTO "_s + m_table + u"(_key, _position, doc) VALUES (?, ?, ?)"_s;
        // QPSQL's lastInsertId() is an OID, not the BIGSERIAL: RETURNING gives it.
        if (m_store->isPostgres())
            m_insertDoc += u" RETURNING _rowid"_s;
        m_updateDoc = u"UPDATE "_s + m_table + u" SET _position = ?, doc = ? WHERE _rowid = ?"_s;
        m_delete = u"DELETE FROM "_s + m_table + u" WHERE _rowid = ?"_s;
        QString cols = u"rowid"_s;
        QString marks = u"?"_s;
        for (const QString &f : std::as_const(m_schema.fields)) {
            cols += u", "_s + ReadStore::quoted(f);
            marks += u", ?"_s;
        }
        m_insertFts = u"INSERT INTO "_s + m_fts + u"("_s + cols + u") VALUES ("_s + marks + u")"_s;
        m_deleteFts = u"DELETE FROM "_s + m_fts + u" WHERE rowid = ?"_s;
        break;
    }
    case ProjectionKind::Page:
        m_select = u"SELECT _key, _position, "_s + values.join(u", "_s) + u" FROM "_s + m_table + u" WHERE _key = ?"_s;
        m_upsert = u"INSERT INTO "_s + m_table + u"(_key, _position, title, html, data, version, etag, deleted) "
                                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(_key) DO UPDATE SET "
                                                 "_position = excluded._position, title = excluded.title, "
                                                 "html = excluded.html, data = excluded.data, version = "
                                                 "excluded.version, etag = excluded.etag, deleted = excluded.deleted"_s;
        break;
    }
}

ProjectionWriter::~ProjectionWriter()
{
    if (m_nativeUpsert)
        sqlite3_finalize(m_nativeUpsert);
    if (m_nativeDelete)
        sqlite3_finalize(m_nativeDelete);
}

void ProjectionWriter::setFresh(bool fresh)
{
    m_fresh = fresh;
    m_known.clear();
}

Result<ProjectionWriter::Entry *> ProjectionWriter::entry(const QString &key)
{
    auto it = m_cache.find(key);
    if (it != m_cache.end())
        return &it.value();
    Entry e;
    if (!m_fresh || m_known.contains(key)) {
        QSqlQuery &q = m_store->prepared(m_select);
        q.bindValue(0, key);
        if (!q.exec())
            return m_store->sqlError(u"read %1 of projection %2"_s.arg(key, m_schema.name), q);
        if (q.next()) {
            e.stored = true;
            e.position = q.value(1).toLongLong();
            e.value = ReadStore::decodeValue(m_schema, q, 2);
            if (m_schema.kind == ProjectionKind::Search) {
                e.rowid = q.value(3).toLongLong();
                e.encoded = q.value(2).toByteArray();
            } else if (m_schema.kind == ProjectionKind::Page) {
                e.version = q.value(5).toLongLong();
                e.encoded = q.value(4).toByteArray();
            }
        } else if (endedOnError(q)) { // not a new row: a failed read
            return m_store->sqlError(u"read %1 of projection %2"_s.arg(key, m_schema.name), q);
        }
        q.finish();
    }
    return &m_cache.insert(key, e).value();
}

Result<QJsonValue> ProjectionWriter::currentValue(const QString &key)
{
    auto it = m_cache.constFind(key);
    if (it != m_cache.cend())
        return it->value;
    if (m_fresh && !m_known.contains(key))
        return QJsonValue(QJsonValue::Null);
    QSqlQuery &q = m_store->prepared(m_select);
    q.bindValue(0, key);
    if (!q.exec())
        return m_store->sqlError(u"read %1 of projection %2"_s.arg(key, m_schema.name), q);
    QJsonValue value = QJsonValue::Null;
    if (q.next())
        value = ReadStore::decodeValue(m_schema, q, 2);
    else if (endedOnError(q))
        return m_store->sqlError(u"read %1 of projection %2"_s.arg(key, m_schema.name), q);
    q.finish();
    return value;
}

Error ProjectionWriter::handlerError(const RecordedEvent &event, const QString &key, const QString &message) const
{
    QString where = u"projection %1, event %2 at position %3 (stream %4)"_s.arg(m_schema.name, event.type)
                        .arg(event.position)
                        .arg(event.stream);
    if (!key.isNull())
        where += u", key '%1'"_s.arg(key);
    return Error::make(ErrorCode::Script, where + u": "_s + message);
}

Result<QJsonValue> ProjectionWriter::normalise(const QJsonValue &next, const RecordedEvent &event, const QString &key,
                                               QByteArray *encoded) const
{
    if (next.isNull() || next.isUndefined())
        return QJsonValue(QJsonValue::Null);
    switch (m_schema.kind) {
    case ProjectionKind::Table: {
        if (!next.isObject())
            return handlerError(event, key, u"the handler returned %1: a table handler returns the row (an object) "
                                            "or null to delete it"_s.arg(describe(next)));
        // Only the declared columns, as SQL will give them back: the value a
        // handler sees next must not depend on whether the row was re-read.
        const QJsonObject in = next.toObject();
        // The usual case: exactly the declared columns, each already of its
        // column's type. Building a new object costs more than the handler.
        if (in.size() == m_schema.columns.size()) {
            bool canonical = true;
            for (const ColumnSpec &c : m_schema.columns) {
                const QJsonValue v = in.value(c.name);
                switch (v.type()) {
                case QJsonValue::Null:
                    break;
                case QJsonValue::String:
                    canonical = c.type == ColumnSpec::Type::Text;
                    break;
                case QJsonValue::Double:
                    canonical = c.type == ColumnSpec::Type::Real ||
                        (c.type == ColumnSpec::Type::Integer && v.toDouble() == std::floor(v.toDouble()) &&
                         std::fabs(v.toDouble()) < 9.0e15);
                    break;
                default:
                    canonical = false;
                }
                if (!canonical)
                    break;
            }
            if (canonical)
                return next;
        }
        QJsonObject row;
        for (const ColumnSpec &c : m_schema.columns) {
            const QJsonValue v = in.value(c.name);
            if (const QString why = columnMismatch(c, v); !why.isEmpty())
                return handlerError(event, key, why);
            row.insert(c.name, ReadStore::fromSql(ReadStore::toSql(c, v)));
        }
        return QJsonValue(row);
    }
    case ProjectionKind::Search: {
        if (!next.isObject())
            return handlerError(event, key, u"the handler returned %1: a search handler returns the document (an "
                                            "object) or null to remove it"_s.arg(describe(next)));
        // Stored as JSON text and read back by the next batch: JSON values
        // round-trip exactly, so the handler sees the same document either way.
        *encoded = compact(next);
        return next;
    }
    case ProjectionKind::Page: {
        if (!next.isObject())
            return handlerError(event, key, u"the handler returned %1: a page handler returns { title, html, data } "
                                            "or null to delete the page"_s.arg(describe(next)));
        const QJsonObject in = next.toObject();
        const QJsonValue html = in.value(u"html"_s);
        if (!html.isString())
            return handlerError(event, key, u"the page has no html (a string): it is %1"_s.arg(describe(html)));
        const QJsonValue title = in.value(u"title"_s);
        if (!title.isUndefined() && !title.isNull() && !title.isString())
            return handlerError(event, key, u"the page title is %1, not a string"_s.arg(describe(title)));
        *encoded = compact(in.value(u"data"_s));
        return QJsonValue(
            QJsonObject{{u"title"_s, title.toString()}, {u"html"_s, html}, {u"data"_s, parseValue(*encoded)}});
    }
    }
    return QJsonValue(QJsonValue::Null);
}

Status ProjectionWriter::apply(Domain *domain, const RecordedEvent &event)
{

    auto keys = domain->projectionKeys(m_schema.name, event);
    if (!keys)
        return handlerError(event, QString(), u"key(): "_s + keys.error().message);
    if (keys->isEmpty())
        return {};
    if (keys->size() > MaxKeysPerEvent)
        return handlerError(event, QString(), u"key() returned %1 keys (at most %2 per event)"_s.arg(keys->size())
                                                  .arg(MaxKeysPerEvent));

    // The undo log of this event: the entries as they were before it.
    struct Saved {
        QString key;
        std::optional<Entry> entry;
        bool dirty;
    };
    QList<Saved> undo;
    auto restore = [this, &undo] {
        for (auto it = undo.crbegin(); it != undo.crend(); ++it) {
            if (it->entry)
                m_cache.insert(it->key, *it->entry);
            else
                m_cache.remove(it->key);
            if (it->dirty)
                m_dirty.insert(it->key);
            else
                m_dirty.remove(it->key);
        }
    };

    for (const QString &key : std::as_const(*keys)) {
        if (key.isEmpty()) {
            restore();
            return handlerError(event, key, u"key() returned an empty key"_s);
        }
        // The domain's copy of this row (batches) is about to be out of date.
        if (!m_slotOf.isEmpty())
            m_slotOf.remove(key.toUtf8());
        const bool seen = std::any_of(undo.cbegin(), undo.cend(), [&key](const Saved &s) { return s.key == key; });
        if (!seen) {
            auto cached = m_cache.constFind(key);
            undo.append({key, cached == m_cache.cend() ? std::nullopt : std::optional<Entry>(*cached),
                         m_dirty.contains(key)});
        }
        auto e = entry(key);
        if (!e) {
            restore();
            return e.error();
        }
        auto next = domain->project(m_schema.name, (*e)->value, event, key);
        if (!next) {
            restore();
            return handlerError(event, key, next.error().message);
        }
        QByteArray encoded;
        auto value = normalise(*next, event, key, &encoded);
        if (!value) {
            restore();
            return value.error();
        }
        Entry &entry = **e;
        if (*value == entry.value)
            continue; // the handler kept the row as it was: nothing to write
        entry.value = *value;
        entry.encoded = encoded;
        entry.position = event.position;
        if (m_schema.kind == ProjectionKind::Page)
            ++entry.version; // every change, deletion included: the version (and ETag) never repeats
        m_dirty.insert(key);
    }
    return {};
}

void ProjectionWriter::resetSlots()
{
    m_slotOf.clear();
    m_slotKeys.clear();
    m_session = nextSession++;
    m_resetSlots = true;
}

Result<qsizetype> ProjectionWriter::applyBatch(Domain *domain, const RecordedEvent *events, qsizetype count)
{
    auto keys = domain->projectionKeysBatch(m_schema.name, events, count, MaxKeysPerEvent);
    if (!keys)
        return qsizetype(-1);
    const qsizetype usable = keys->stoppedAt >= 0 ? qMin(keys->stoppedAt, count) : count;
    if (usable == 0)
        return qsizetype(0);
    if (domain != m_batchDomain || m_session == 0 || !domain->holdsBatchRows(m_schema.name, m_session))
        resetSlots();
    // A slot for each key; the rows of new slotIds that exist go along.
    QByteArray slotIds(keys->keys.size() * qsizetype(sizeof(qint32)), Qt::Uninitialized);
    auto *slotAt = reinterpret_cast<qint32 *>(slotIds.data());
    QByteArray rows;
    for (qsizetype i = 0; i < keys->keys.size(); ++i) {
        const QByteArray &key = keys->keys.at(i);
        auto it = m_slotOf.constFind(key);
        if (it != m_slotOf.cend()) {
            slotAt[i] = *it;
            continue;
        }
        const qint32 slot = qint32(m_slotKeys.size());
        m_slotKeys.append(key);
        m_slotOf.insert(key, slot);
        slotAt[i] = slot;
        auto value = currentValue(QString::fromUtf8(key));
        if (!value)
            return value.error();
        if (value->isObject()) {
            rows += rows.isEmpty() ? "[[" : ",[";
            rows += QByteArray::number(slot) + ',' + QJsonDocument(value->toObject()).toJson(QJsonDocument::Compact) +
                ']';
        }
    }
    if (!rows.isEmpty())
        rows += ']';
    auto result = domain->projectBatch(m_schema.name, slotIds, rows, m_batchColumns, m_session, m_resetSlots);
    if (!result) {
        resetSlots();
        return qsizetype(-1);
    }
    m_resetSlots = false;
    m_batchDomain = domain;
    if (auto st = writeChanges(result->changes); !st) {
        resetSlots();
        return st.error();
    }
    return qBound<qsizetype>(0, result->done, usable);
}

Status ProjectionWriter::writeChanges(const QByteArray &changes)
{
    FlatJsonReader r(changes);
    const auto unreadable = [this] {
        return Error::make(ErrorCode::Script, u"internal error: the rows a batch changed in projection %1 are "
                                              "unreadable"_s.arg(m_schema.name));
    };
    if (!r.next())
        return unreadable(); // the number of events done, read by the domain
    while (r.next()) {
        const qsizetype slot = qsizetype(r.number());
        if (slot < 0 || slot >= m_slotKeys.size() || !r.next())
            return unreadable();
        const qint64 position = qint64(r.number());
        if (!r.next())
            return unreadable();
        const bool present = r.number() != 0;
        const QByteArray &keyUtf8 = m_slotKeys.at(slot);
        const QString key = QString::fromUtf8(keyUtf8);
        // The row's value now lives in SQL (and in the domain): any older copy here goes.
        m_cache.remove(key);
        m_dirty.remove(key);
        if (present || !m_fresh || m_known.contains(key)) {
            if (auto st = writeRow(keyUtf8, position, &r, present); !st)
                return st;
        }
        if (r.failed())
            return unreadable();
        if (m_fresh) {
            if (present)
                m_known.insert(key);
            else
                m_known.remove(key);
        }
        m_written.insert(key);
    }
    if (r.failed())
        return unreadable();
    return {};
}

Status ProjectionWriter::writeRow(const QByteArray &key, qint64 position, FlatJsonReader *values, bool present)
{
    const qsizetype columns = m_schema.columns.size();
    if (!m_nativeTried) {
        m_nativeTried = true;
        const QVariant handle = m_store->database().driver() ? m_store->database().driver()->handle() : QVariant();
        if (handle.isValid() && std::strcmp(handle.typeName(), "sqlite3*") == 0) {
            sqlite3 *db = *static_cast<sqlite3 *const *>(handle.constData());
            const QByteArray upsert = m_upsert.toUtf8();
            const QByteArray remove = m_delete.toUtf8();
            if (db && sqlite3_prepare_v3(db, upsert.constData(), -1, SQLITE_PREPARE_PERSISTENT, &m_nativeUpsert,
                                         nullptr) == SQLITE_OK &&
                sqlite3_prepare_v3(db, remove.constData(), -1, SQLITE_PREPARE_PERSISTENT, &m_nativeDelete, nullptr) ==
                    SQLITE_OK) {
                m_db = db;
            } else {
                sqlite3_finalize(m_nativeUpsert);
                sqlite3_finalize(m_nativeDelete);
                m_nativeUpsert = m_nativeDelete = nullptr;
            }
        }
    }
    const auto what = [&] {
        return (present ? u"write %1 of projection %2"_s : u"delete %1 from projection %2"_s)
            .arg(QString::fromUtf8(key), m_schema.name);
    };
    if (m_db) {
        sqlite3_stmt *s = present ? m_nativeUpsert : m_nativeDelete;
        sqlite3_bind_text(s, 1, key.constData(), int(key.size()), SQLITE_TRANSIENT);
        if (present) {
            sqlite3_bind_int64(s, 2, position);
            for (qsizetype i = 0; i < columns; ++i) {
                if (!values->next())
                    return {}; // the caller reports the unreadable text
                const int at = int(3 + i);
                switch (values->kind()) {
                case FlatJsonReader::Kind::Null:
                    sqlite3_bind_null(s, at);
                    break;
                case FlatJsonReader::Kind::String:
                    sqlite3_bind_text(s, at, values->string().data(), int(values->string().size()),
                                      SQLITE_TRANSIENT);
                    break;
                case FlatJsonReader::Kind::Number:
                case FlatJsonReader::Kind::Bool: {
                    const double d = values->kind() == FlatJsonReader::Kind::Bool ? double(values->boolean())
                                                                                   : values->number();
                    // As ReadStore::toSql binds a canonical value of the column's type.
                    if (m_schema.columns.at(i).type == ColumnSpec::Type::Integer && d == std::floor(d) &&
                        std::fabs(d) < 9.0e15)
                        sqlite3_bind_int64(s, at, qint64(d));
                    else
                        sqlite3_bind_double(s, at, d);
                    break;
                }
                }
            }
        }
        const int rc = sqlite3_step(s);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_DONE) {
            const QString message = QString::fromUtf8(sqlite3_errmsg(m_db));
            return Error::make(message.contains(u"readonly"_s) ? ErrorCode::ReadOnly : ErrorCode::Io,
                               what() + u": "_s + message);
        }
        return {};
    }
    // Another driver: the prepared statements of the per-event path.
    QSqlQuery &q = m_store->prepared(present ? m_upsert : m_delete);
    q.bindValue(0, QString::fromUtf8(key));
    if (present) {
        q.bindValue(1, position);
        for (qsizetype i = 0; i < columns; ++i) {
            if (!values->next())
                return {};
            QVariant v;
            switch (values->kind()) {
            case FlatJsonReader::Kind::Null:
                break;
            case FlatJsonReader::Kind::String:
                v = QString::fromUtf8(values->string());
                break;
            case FlatJsonReader::Kind::Number:
            case FlatJsonReader::Kind::Bool:
                v = ReadStore::toSql(m_schema.columns.at(i),
                                     values->kind() == FlatJsonReader::Kind::Bool ? QJsonValue(values->boolean())
                                                                                  : QJsonValue(values->number()));
                break;
            }
            q.bindValue(int(2 + i), v);
        }
    }
    if (!q.exec())
        return m_store->sqlError(what(), q);
    q.finish();
    return {};
}

Result<qsizetype> ProjectionWriter::applyEvents(Domain *domain, const RecordedEvent *events, qsizetype count,
                                                const QSet<QString> &types, Error *failure)
{
    const auto handles = [&types](const RecordedEvent &e) { return types.isEmpty() || types.contains(e.type); };
    // A batch stops before an event that needs the per-event path; after a few of
    // those in one call, the rest goes event by event (a pack whose rows always
    // need normalising gains nothing from batches).
    constexpr int MaxBatchStops = 8;
    int stops = 0;
    bool batch = m_schema.kind == ProjectionKind::Table && domain->canProjectBatch();
    qsizetype i = 0;
    while (i < count) {
        if (batch) {
            // Events it does not handle cost nothing in the batch either: skip them.
            while (i < count && !handles(events[i]))
                ++i;
            if (i >= count)
                break;
            auto done = applyBatch(domain, events + i, count - i);
            if (!done)
                return done.error();
            if (*done < 0) {
                batch = false;
            } else {
                i += *done;
                if (i >= count)
                    break;
                if (++stops >= MaxBatchStops)
                    batch = false;
            }
        }
        const RecordedEvent &e = events[i];
        if (handles(e)) {
            if (auto st = apply(domain, e); !st) {
                if (st.error().code != ErrorCode::Script)
                    return st.error();
                *failure = st.error();
                return i;
            }
        }
        ++i;
    }
    return count;
}

Status ProjectionWriter::writeEntry(const QString &key, Entry &e)
{
    const bool present = !e.value.isNull();
    switch (m_schema.kind) {
    case ProjectionKind::Table: {
        if (!present) {
            if (!e.stored)
                return {};
            QSqlQuery &q = m_store->prepared(m_delete);
            q.bindValue(0, key);
            if (!q.exec())
                return m_store->sqlError(u"delete %1 from projection %2"_s.arg(key, m_schema.name), q);
            q.finish();
            e.stored = false;
            return {};
        }
        QSqlQuery &q = m_store->prepared(m_upsert);
        q.bindValue(0, key);
        q.bindValue(1, e.position);
        const QJsonObject row = e.value.toObject();
        for (int i = 0; i < m_schema.columns.size(); ++i) {
            const ColumnSpec &c = m_schema.columns.at(i);
            q.bindValue(2 + i, ReadStore::toSql(c, row.value(c.name)));
        }
        if (!q.exec())
            return m_store->sqlError(u"write %1 of projection %2"_s.arg(key, m_schema.name), q);
        q.finish();
        e.stored = true;
        return {};
    }
    case ProjectionKind::Search: {
        if (e.stored) {
            QSqlQuery &del = m_store->prepared(m_deleteFts);
            del.bindValue(0, e.rowid);
            if (!del.exec())
                return m_store->sqlError(u"unindex %1 of projection %2"_s.arg(key, m_schema.name), del);
            del.finish();
        }
        if (!present) {
            if (!e.stored)
                return {};
            QSqlQuery &q = m_store->prepared(m_delete);
            q.bindValue(0, e.rowid);
            if (!q.exec())
                return m_store->sqlError(u"delete %1 from projection %2"_s.arg(key, m_schema.name), q);
            q.finish();
            e.stored = false;
            e.rowid = 0;
            return {};
        }
        if (e.stored) {
            QSqlQuery &q = m_store->prepared(m_updateDoc);
            q.bindValue(0, e.position);
            q.bindValue(1, QString::fromUtf8(e.encoded));
            q.bindValue(2, e.rowid);
            if (!q.exec())
                return m_store->sqlError(u"write %1 of projection %2"_s.arg(key, m_schema.name), q);
            q.finish();
        } else {
            QSqlQuery &q = m_store->prepared(m_insertDoc);
            q.bindValue(0, key);
            q.bindValue(1, e.position);
            q.bindValue(2, QString::fromUtf8(e.encoded));
            if (!q.exec())
                return m_store->sqlError(u"write %1 of projection %2"_s.arg(key, m_schema.name), q);
            e.rowid = m_store->isPostgres() ? (q.next() ? q.value(0).toLongLong() : 0) : q.lastInsertId().toLongLong();
            q.finish();
            e.stored = true;
        }
        QSqlQuery &ins = m_store->prepared(m_insertFts);
        ins.bindValue(0, e.rowid);
        const QJsonObject doc = e.value.toObject();
        for (int i = 0; i < m_schema.fields.size(); ++i)
            ins.bindValue(1 + i, ftsText(doc.value(m_schema.fields.at(i))));
        if (!ins.exec())
            return m_store->sqlError(u"index %1 of projection %2"_s.arg(key, m_schema.name), ins);
        ins.finish();
        return {};
    }
    case ProjectionKind::Page: {
        // A deletion always leaves a tombstone, even for a page created within this
        // batch: its version must not depend on where batches happen to end.
        QSqlQuery &q = m_store->prepared(m_upsert);
        const QJsonObject page = e.value.toObject();
        const QString title = page.value(u"title"_s).toString();
        const QString html = page.value(u"html"_s).toString();
        q.bindValue(0, key);
        q.bindValue(1, e.position);
        q.bindValue(2, present ? QVariant(title) : QVariant());
        q.bindValue(3, present ? QVariant(html) : QVariant());
        q.bindValue(4, present && !e.encoded.isEmpty() ? QVariant(QString::fromUtf8(e.encoded)) : QVariant());
        q.bindValue(5, e.version);
        q.bindValue(6, ReadStore::pageEtag(e.version, title, html, present ? e.encoded : QByteArray()));
        q.bindValue(7, present ? 0 : 1);
        if (!q.exec())
            return m_store->sqlError(u"write page %1 of projection %2"_s.arg(key, m_schema.name), q);
        q.finish();
        e.stored = true;
        return {};
    }
    }
    return {};
}

Result<QStringList> ProjectionWriter::flush()
{
    QStringList changed;
    changed.reserve(m_dirty.size());
    // Key order: deterministic writes (and rowids) whatever the hash order.
    QStringList keys(m_dirty.cbegin(), m_dirty.cend());
    std::sort(keys.begin(), keys.end());
    for (const QString &key : std::as_const(keys)) {
        Entry &e = m_cache[key];
        if (auto st = writeEntry(key, e); !st)
            return st.error();
        if (m_fresh) {
            if (e.stored)
                m_known.insert(key);
            else
                m_known.remove(key);
        }
        changed << key;
        m_written.remove(key);
    }
    // Rows the batches wrote already.
    for (const QString &key : std::as_const(m_written))
        changed << key;
    return changed;
}

void ProjectionWriter::committed()
{
    m_dirty.clear();
    m_written.clear();
    if (m_cache.size() > MaxCachedRows)
        m_cache.clear();
    if (m_slotKeys.size() > MaxCachedRows)
        resetSlots();
    if (m_fresh && m_known.size() > MaxKnownKeys) {
        m_fresh = false;
        m_known.clear();
    }
}

void ProjectionWriter::discard()
{
    m_dirty.clear();
    m_written.clear();
    m_cache.clear();
    resetSlots(); // the domain holds rows the rollback undid
    if (m_fresh) {
        // What the rollback undid is unknown: read from now on.
        m_fresh = false;
        m_known.clear();
    }
}

} // namespace es
