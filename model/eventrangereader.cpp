#include "eventrangereader.h"

#include <QSqlDriver>
#include <QVariant>

#include <sqlite3.h>

#include <cstring>

using namespace Qt::StringLiterals;

namespace es {

namespace {

QString textColumn(sqlite3_stmt *s, int column)
{
    const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(s, column));
    return QString::fromUtf8(text, sqlite3_column_bytes(s, column));
}

QByteArray bytesColumn(sqlite3_stmt *s, int column)
{
    const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(s, column));
    return QByteArray(text, sqlite3_column_bytes(s, column));
}

} // namespace

EventRangeReader::EventRangeReader(const QSqlDatabase &db)
{
    m_path = db.databaseName();
    if (!db.driver())
        return;
    const QVariant handle = db.driver()->handle();
    if (!handle.isValid() || std::strcmp(handle.typeName(), "sqlite3*") != 0)
        return;
    m_db = *static_cast<sqlite3 *const *>(handle.constData());
    if (!m_db)
        return;
    const char *sql = "SELECT position, stream, version, type, event_id, data, metadata, recorded_ms, schema_version "
                      "FROM events WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?";
    if (sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &m_statement, nullptr) != SQLITE_OK) {
        sqlite3_finalize(m_statement);
        m_statement = nullptr;
    }
}

EventRangeReader::~EventRangeReader()
{
    if (m_statement)
        sqlite3_finalize(m_statement);
}

Result<EventList> EventRangeReader::read(qint64 from, qint64 to, int limit)
{
    if (!m_statement)
        return Error::make(ErrorCode::Io, u"%1: no SQLite handle to read events with"_s.arg(m_path));
    sqlite3_bind_int64(m_statement, 1, from);
    sqlite3_bind_int64(m_statement, 2, to);
    sqlite3_bind_int(m_statement, 3, limit);
    EventList out;
    out.reserve(qMin(limit, 100000));
    int rc;
    while ((rc = sqlite3_step(m_statement)) == SQLITE_ROW) {
        RecordedEvent e;
        e.position = sqlite3_column_int64(m_statement, 0);
        e.stream = textColumn(m_statement, 1);
        e.version = sqlite3_column_int64(m_statement, 2);
        e.type = textColumn(m_statement, 3);
        e.eventId = textColumn(m_statement, 4);
        e.data = bytesColumn(m_statement, 5);
        e.metadata = bytesColumn(m_statement, 6);
        e.recordedMs = sqlite3_column_int64(m_statement, 7);
        e.schemaVersion = sqlite3_column_int(m_statement, 8);
        out.append(std::move(e));
    }
    const bool ok = rc == SQLITE_DONE;
    const QString why = ok ? QString() : QString::fromUtf8(sqlite3_errmsg(m_db));
    sqlite3_reset(m_statement);
    if (!ok)
        return Error::make(ErrorCode::Io, u"%1: cannot read events %2..%3: %4"_s.arg(m_path).arg(from).arg(to).arg(why));
    return out;
}

} // namespace es
