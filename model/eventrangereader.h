#pragma once

#include "result.h"
#include "types.h"

#include <QSqlDatabase>

struct sqlite3;
struct sqlite3_stmt;

namespace es {

// Reads ranges of the global log for the projection runner through the SQLite
// handle of a connection, skipping QtSql's UTF-16 round trip of every column
// (the JSON payloads are kept as the UTF-8 bytes SQLite stores). Falls back to
// nothing: isValid() is false for a connection that is not QSQLITE.
//
// The connection must outlive the reader; like it, the reader belongs to one thread.
class EventRangeReader {
public:
    explicit EventRangeReader(const QSqlDatabase &db);
    ~EventRangeReader();
    EventRangeReader(const EventRangeReader &) = delete;
    EventRangeReader &operator=(const EventRangeReader &) = delete;

    bool isValid() const { return m_statement != nullptr; }
    // Events with from <= position <= to, in order, at most limit.
    Result<EventList> read(qint64 from, qint64 to, int limit);

private:
    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_statement = nullptr;
    QString m_path;
};

} // namespace es
