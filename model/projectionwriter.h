#pragma once

#include "domain.h"
#include "projectiontypes.h"
#include "readstore.h"

#include <QHash>
#include <QSet>

struct sqlite3;
struct sqlite3_stmt;

namespace es {

class FlatJsonReader;

// Applies events to one projection's tables (live, shadow, or a scratch
// store's) through the domain's handlers, with a write-back cache: each key is
// read at most once and written at most once per batch.
//
// An event is atomic: when a handler fails on one of its keys, the event's
// changes to the other keys are undone, so the batch can still commit every
// event before it. The caller owns the transaction:
//
//     store->begin(); for each event: apply(); flush(); save checkpoint; store->commit();
//     then committed() (or discard() after a rollback).
class ProjectionWriter {
public:
    ProjectionWriter(ReadStore *store, ProjectionSchema schema, ReadStore::Tables tables);
    ~ProjectionWriter();
    ProjectionWriter(const ProjectionWriter &) = delete;
    ProjectionWriter &operator=(const ProjectionWriter &) = delete;

    const ProjectionSchema &schema() const { return m_schema; }
    ReadStore::Tables tables() const { return m_tables; }

    // The tables were created empty by this writer's owner: a key it has not
    // written is known to be absent without a read (the rebuild's fast path).
    void setFresh(bool fresh);

    // Error{Script} when a handler (or key()) failed or returned something unusable;
    // Error{Io} when the read store failed.
    Status apply(Domain *domain, const RecordedEvent &event);
    // Applies the events whose type is in types (empty: all) among events[0..count), in order, in batches
    // when the domain can (table projections), else one by one as apply() does.
    // Returns the number of events applied before the first one that failed: then
    // *failure is that event's Error{Script} (as apply() reports it), and nothing
    // of it was applied. Other errors (the read store) are the Result's error.
    Result<qsizetype> applyEvents(Domain *domain, const RecordedEvent *events, qsizetype count,
                                  const QSet<QString> &types, Error *failure);
    // Writes the touched rows; returns the keys (paths, for pages) whose value changed.
    Result<QStringList> flush();
    // After the transaction committed: the cache is kept (clean) for the next batch.
    void committed();
    // After a rollback: nothing written is known any more.
    void discard();

    bool hasPendingWrites() const { return !m_dirty.isEmpty() || !m_written.isEmpty(); }

private:
    struct Entry {
        QJsonValue value = QJsonValue::Null; // null: absent (or a deleted page)
        bool stored = false;   // a row exists in the table (a page tombstone counts)
        qint64 rowid = 0;      // search: the document's rowid (joins the FTS index)
        qint64 version = 0;    // page: writes so far, tombstones included
        qint64 position = 0;   // the event that last changed it
        QByteArray encoded;    // search: the document; page: its data, as compact JSON
    };

    Result<Entry *> entry(const QString &key);
    // The current value of a key (null: absent), without caching it.
    Result<QJsonValue> currentValue(const QString &key);
    // One batched round over events[0..count): the number applied (a prefix), or -1
    // when the domain's batch call itself failed (then nothing was applied).
    Result<qsizetype> applyBatch(Domain *domain, const RecordedEvent *events, qsizetype count);
    Result<QJsonValue> normalise(const QJsonValue &next, const RecordedEvent &event, const QString &key,
                                 QByteArray *encoded) const;
    Error handlerError(const RecordedEvent &event, const QString &key, const QString &message) const;
    Status writeEntry(const QString &key, Entry &e);
    // Writes the rows a batch changed (ProjectionBatchResult::changes) at once.
    Status writeChanges(const QByteArray &changes);
    Status writeRow(const QByteArray &key, qint64 position, FlatJsonReader *values, bool present);
    // Forgets which rows the domain holds: the next batch starts a new session.
    void resetSlots();

    ReadStore *m_store;
    ProjectionSchema m_schema;
    ReadStore::Tables m_tables;
    QString m_table;
    QString m_fts;
    QString m_select;
    QString m_upsert;
    QString m_delete;
    QString m_insertDoc;
    QString m_updateDoc;
    QString m_insertFts;
    QString m_deleteFts;

    QJsonArray m_batchColumns; // table: [[name, type], ...] for Domain::projectBatch
    QHash<QString, Entry> m_cache;
    QSet<QString> m_dirty;
    bool m_fresh = false;
    QSet<QString> m_known; // fresh mode: the keys that have a row

    // Batches: the domain keeps the rows between batches, by slot (an index the
    // writer assigns to each key). The batch's changed rows are written at once
    // (in the caller's transaction); m_written keeps their keys for flush().
    QHash<QByteArray, qint32> m_slotOf; // UTF-8 key -> slot
    QList<QByteArray> m_slotKeys;       // slot -> UTF-8 key
    quint64 m_session = 0;
    bool m_resetSlots = true;
    Domain *m_batchDomain = nullptr;
    QSet<QString> m_written;
    // QSQLITE: the driver's own handle and statements kept prepared (binding a
    // QVariant per value through QtSql cost more than the rest of a write).
    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_nativeUpsert = nullptr;
    sqlite3_stmt *m_nativeDelete = nullptr;
    bool m_nativeTried = false;
};

} // namespace es
