#pragma once

#include "domain.h"
#include "result.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

// Value types of the read side: what a projection is (validated), its status,
// and what queries return. Plain values, safe to copy across threads and signals.

namespace es {

enum class ProjectionKind { Table, Search, Page };
QString projectionKindName(ProjectionKind kind);

enum class ProjectionState {
    Running,    // applies events as they arrive
    Paused,     // stopped by the user
    Rebuilding, // running, with a rebuild into shadow tables in progress (not persisted)
    Failed,     // stopped at an event its handler could not apply, or at a shape change
};
QString projectionStateName(ProjectionState state);
std::optional<ProjectionState> projectionStateFromName(const QString &name);

struct ColumnSpec {
    enum class Type { Text, Integer, Real };
    QString name;
    Type type = Type::Text;
    QString sqlType() const;
    QString typeName() const; // as the pack spells it: text, integer, real
};

// A projection as the read store handles it: names checked, since they become
// SQL identifiers, and the declarative part of the pack parsed.
struct ProjectionSchema {
    QString name;
    ProjectionKind kind = ProjectionKind::Table;
    QList<ColumnSpec> columns; // table: the declared columns, in declaration order
    QStringList fields;        // search: the indexed fields
    QStringList eventTypes;    // the types its handlers take
    QString description;
    int delayMs = 0; // the pack's default artificial delay (0: none)

    // ^[A-Za-z_][A-Za-z0-9_]*$: the only names that reach SQL unquoted by a parameter.
    static bool isIdentifier(const QString &name);
    static Result<ProjectionSchema> fromSpec(const ProjectionSpec &spec);
    // The shape stored with the read tables (kind, columns, fields), read back by queries.
    static Result<ProjectionSchema> fromStored(const QString &name, const QJsonObject &shape);
    QJsonObject shape() const;
    bool sameShape(const ProjectionSchema &other) const { return shape() == other.shape(); }
    const ColumnSpec *column(const QString &name) const;
};

// Where a projection stands, for views, the CLI and signals.
struct ProjectionStatus {
    QString name;
    ProjectionKind kind = ProjectionKind::Table;
    ProjectionState state = ProjectionState::Running;
    qint64 position = 0;     // the checkpoint: last event applied (or skipped)
    qint64 head = 0;         // the store's last position, as last seen
    qint64 lagEvents = 0;    // head - position
    double lagSeconds = 0;   // age of the oldest event not applied yet (0 when caught up)
    double eventsPerSecond = 0; // recent throughput (events of the log per second)
    QString lastError;
    qint64 errorPosition = 0; // the event that caused lastError (0: not an event's fault)
    QString errorEventId;
    QString errorEventType;
    int delayMs = 0;
    qint64 rebuildPosition = -1; // shadow progress while rebuilding, -1 otherwise
    bool shadowReady = false;    // the shadow caught up and waits for a swap
    QString rebuildError;        // why the last rebuild stopped
    qint64 generation = 0;       // swaps so far
    qint64 skipped = 0;          // events skipped by the user (audited)

    QJsonObject toJson() const;
};

// One row of a table projection, one document of a search projection, or one page.
struct ReadRow {
    QString key;
    qint64 position = 0; // the event that last wrote it
    QJsonObject value;   // the columns (table), the document (search), {title, html, data, version, etag} (page)
    QJsonObject toJson() const;
};

struct RowFilter {
    enum class Op { Eq, Ne, Lt, Le, Gt, Ge, Contains, Prefix, IsNull, NotNull };
    QString column;
    Op op = Op::Eq;
    QJsonValue value;
    // "status=paid", "total>=10", "name~mug" (contains), "sku^MUG" (prefix), "carrier=" (null)
    // and "carrier!=" (not null). A value that parses as a JSON number is a number.
    static Result<RowFilter> parse(const QString &expression);
};

struct ListQuery {
    QList<RowFilter> filters; // all must hold
    QString sortBy;           // a column; empty: the key
    bool descending = false;
    int limit = 100;
    QString after; // the nextCursor of the previous page (keyset paging, never OFFSET)
};

struct RowPage {
    QList<ReadRow> rows;
    QString nextCursor; // empty on the last page
};

struct SearchHit {
    QString key;
    double rank = 0;  // bm25: lower is more relevant
    QString snippet;  // HTML: the text escaped, the matches in <mark>...</mark>
    QJsonObject document;
    qint64 position = 0;
    QJsonObject toJson() const;
};

struct Page {
    QString path;
    QString title;
    QString html;
    QJsonValue data;
    qint64 version = 0; // bumped by each write that changes the page
    QString etag;       // quoted: "<version>-<content hash>"
    qint64 position = 0;
    QJsonObject toJson() const;
};

// A durable cache-invalidation notice: the pages a batch (or a swap) changed.
struct PageInvalidation {
    qint64 seq = 0;
    QString projection;
    qint64 position = 0;
    QStringList paths;
    qint64 recordedMs = 0;
    QJsonObject toJson() const;
};

// The audit record of an event the user chose to skip in one projection.
struct SkipRecord {
    qint64 seq = 0;
    QString projection;
    qint64 position = 0;
    QString eventId;
    QString eventType;
    QString stream;
    QString error;  // what its handler said
    QString actor;  // who skipped it
    QString reason; // why
    qint64 recordedMs = 0;
    QJsonObject toJson() const;
};

struct RowChange {
    enum class Kind { Added, Removed, Changed };
    Kind kind = Kind::Changed;
    QString key;
    QJsonObject before; // empty when added
    QJsonObject after;  // empty when removed
};

// A rebuilt (shadow) read model against the live one, before the swap.
struct ProjectionDiff {
    QString projection;
    qint64 livePosition = 0;
    qint64 shadowPosition = 0;
    qint64 added = 0;
    qint64 removed = 0;
    qint64 changed = 0;
    qint64 unchanged = 0;
    QList<RowChange> samples; // up to the requested limit, added, then removed, then changed
    bool isEmpty() const { return added == 0 && removed == 0 && changed == 0; }
    QJsonObject toJson() const;
};

} // namespace es

Q_DECLARE_METATYPE(es::ProjectionStatus)
