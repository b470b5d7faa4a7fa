#pragma once

#include "projectiontypes.h"
#include "result.h"

#include <QHash>
#include <QJsonArray>
#include <QSqlDatabase>
#include <QSqlQuery>

#include <functional>
#include <memory>
#include <optional>

namespace es {

// A projection's checkpoint row (es_projections): where it is, its state, and
// the shape its live tables were created with.
struct ProjectionCheckpoint {
    QString name;
    ProjectionKind kind = ProjectionKind::Table;
    QJsonObject shape; // ProjectionSchema::shape() of the live tables
    qint64 position = 0;
    ProjectionState state = ProjectionState::Running; // Running, Paused or Failed
    QString lastError;
    qint64 errorPosition = 0;
    QString errorEventId;
    QString errorEventType;
    int delayMs = -1; // -1: the pack's default
    qint64 generation = 0;
    qint64 updatedMs = 0;
};

// The read side's storage: the checkpoint and audit tables, one set of tables
// per projection, and the query API. It lives in the event store's own file
// (separate tables, never the event tables) or in a file of its own; a scratch
// store lives in memory.
//
// Tables (names are validated identifiers, always quoted):
//   es_projections          checkpoints, states, errors, stored shapes
//   es_projection_skips     audit of skipped events
//   es_page_invalidations   durable cache-invalidation notices of page projections
//   rm_NAME                 live rows: table rows, search documents, pages (key column _key)
//   rmf_NAME                live FTS5 index of a search projection
//   rmn_NAME, rmnf_NAME     the shadow copies a rebuild writes before the swap
//
// Like a QSqlDatabase connection, one instance belongs to the thread that opened it.
class ReadStore {
public:
    enum class Tables { Live, Shadow };

    // Uses a connection opened elsewhere (the event store's): it is not closed here.
    // A writable read store replaces the connection's busy handler by one that
    // retries every 0.25-1 ms (same 10 s budget), so that batches are not
    // starved by a writer that commits back to back.
    static Result<std::unique_ptr<ReadStore>> attach(const QSqlDatabase &db, bool readOnly = false);
    // Opens a separate read-store file (created when missing unless readOnly), ":memory:", or a
    // PostgreSQL database (a postgresql:// URL, see StoreAddress).
    static Result<std::unique_ptr<ReadStore>> open(const QString &path, bool readOnly = false);
    ~ReadStore();
    ReadStore(const ReadStore &) = delete;
    ReadStore &operator=(const ReadStore &) = delete;

    QSqlDatabase database() const { return m_db; }
    QString path() const { return m_db.databaseName(); }
    // The file, or the PostgreSQL URL without its password: for messages.
    QString displayName() const { return m_label.isEmpty() ? m_db.databaseName() : m_label; }
    bool isPostgres() const { return m_pg; }
    bool isReadOnly() const { return m_readOnly; }
    // False when no projection ever ran here (no es_projections table).
    bool hasSchema();

    static QString tableName(const QString &projection, Tables tables = Tables::Live);
    static QString ftsTableName(const QString &projection, Tables tables = Tables::Live);
    static QString quoted(const QString &identifier) { return u'"' + identifier + u'"'; }

    // Write transactions: BEGIN IMMEDIATE on SQLite; on PostgreSQL a transaction
    // holding the read store's advisory lock, so that read-store writers take
    // turns as SQLite's single writer does.
    Status begin();
    Status commit();
    void rollback();
    bool inTransaction() const { return m_inTransaction; }
    // PostgreSQL, after a query failed: forgets the prepared statements and the
    // transaction if the server's session died with them, and reopens the
    // connection when this read store opened it itself and it no longer answers.
    // An attached connection is reopened by its owner (EventStore::reconnect):
    // call this before that (the statements are freed on the dead session) and
    // after it. Returns false while the own connection cannot be reopened. No-op on SQLite.
    Status recover();

    // --- checkpoints and audit (call inside a transaction to write) ---
    Result<std::optional<ProjectionCheckpoint>> checkpoint(const QString &projection);
    Result<QList<ProjectionCheckpoint>> checkpoints();
    Status saveCheckpoint(const ProjectionCheckpoint &checkpoint);
    Status recordSkip(SkipRecord record);
    Result<QList<SkipRecord>> skips(const QString &projection = {});
    Status recordInvalidation(const QString &projection, qint64 position, const QStringList &paths);
    Result<QList<PageInvalidation>> invalidations(qint64 afterSeq = 0, int limit = 1000);

    // --- tables ---
    Status createTables(const ProjectionSchema &schema, Tables tables);
    Status dropTables(const QString &projection, Tables tables);
    bool hasTables(const QString &projection, Tables tables);
    // Replaces the live tables by the shadow ones; the caller holds the transaction.
    Status swapShadow(const QString &projection);
    // Walks the live and shadow rows in key order and reports each difference;
    // the live rows are decoded with the live shape, the shadow ones with the new one.
    Result<ProjectionDiff> diff(const ProjectionSchema &live, const ProjectionSchema &shadow, int sampleLimit,
                                const std::function<void(const RowChange &)> &each = {});

    // --- queries (live tables; the shape comes from es_projections) ---
    Result<ProjectionSchema> schema(const QString &projection);
    Result<std::optional<ReadRow>> byKey(const QString &projection, const QString &key);
    Result<RowPage> list(const QString &projection, const ListQuery &query);
    // Full text: plain words (all must match; a trailing * makes a prefix), or FTS5 syntax with rawSyntax
    // (on PostgreSQL its subset of words, "phrases", prefix*, AND, OR, NOT and parentheses).
    Result<QList<SearchHit>> search(const QString &projection, const QString &text, int limit = 20,
                                    bool rawSyntax = false);
    Result<std::optional<Page>> page(const QString &projection, const QString &path);
    // Every row in key order, with its position (and version/etag for pages): for tests and exports.
    Result<QJsonArray> dump(const QString &projection, Tables tables = Tables::Live);

    // --- row codec shared with ProjectionWriter ---
    // The SQL columns holding a row's value, after _key and _position.
    static QStringList valueColumns(const ProjectionSchema &schema);
    // The value handlers see, decoded from the value columns starting at `first`.
    static QJsonValue decodeValue(const ProjectionSchema &schema, const QSqlQuery &q, int first);
    // The SQL value a declared column stores for a JSON value (what SQLite itself would keep).
    static QVariant toSql(const ColumnSpec &column, const QJsonValue &value);
    static QJsonValue fromSql(const QVariant &value);
    static QString pageEtag(qint64 version, const QString &title, const QString &html, const QByteArray &data);

    QSqlQuery &prepared(const QString &sql);
    Error sqlError(const QString &what, const QSqlQuery &q) const;

private:
    ReadStore() = default;
    Status initialise(bool readOnly);
    QString fieldExpression(const ProjectionSchema &schema, const QString &column, QString *error,
                            bool *jsonField = nullptr) const;
    // False also when the query fails (then *error says why, if given).
    bool tableExists(const QString &name, Error *error = nullptr);
    Result<QList<SearchHit>> searchPostgres(const QString &projection, const ProjectionSchema &schema,
                                            const QString &text, int limit, bool rawSyntax);

    QSqlDatabase m_db;
    QString m_connectionName; // set when this instance opened the connection
    QString m_label;
    bool m_pg = false;
    bool m_readOnly = false;
    bool m_inTransaction = false;
    QHash<QString, QSqlQuery> m_statements;
};

} // namespace es
