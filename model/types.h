#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

namespace es {

// Metadata keys the engine fills and indexes.
namespace meta {
inline constexpr QLatin1StringView Actor{"actor"};
inline constexpr QLatin1StringView CorrelationId{"correlationId"};
inline constexpr QLatin1StringView CausationId{"causationId"};
inline constexpr QLatin1StringView CommandId{"commandId"};
} // namespace meta

// An event about to be appended. The store assigns position, version, time and hash.
struct NewEvent {
    QString eventId; // UUID (without braces); generated when empty
    QString type;
    QJsonObject data;
    QJsonObject metadata;
    int schemaVersion = 1;
    // Only honoured by import (exact round trip); 0 = now.
    qint64 recordedMs = 0;
};

// A stored event. data/metadata are kept as the stored compact JSON text so a
// scan over millions of rows does not parse them; parse on demand.
struct RecordedEvent {
    qint64 position = 0;
    QString stream;
    qint64 version = 0;
    QString type;
    QString eventId;
    QByteArray data;
    QByteArray metadata;
    qint64 recordedMs = 0; // UTC, milliseconds since the epoch
    int schemaVersion = 1;
    QByteArray hash; // hex SHA-256

    QJsonObject dataObject() const;
    QJsonObject metadataObject() const;
    QDateTime recorded() const { return QDateTime::fromMSecsSinceEpoch(recordedMs, Qt::UTC); }
    QString recordedIso() const;
    QJsonObject toJson() const; // the export / --json shape
};
using EventList = QList<RecordedEvent>;

// Optimistic concurrency expectation for an append.
struct ExpectedVersion {
    enum Kind { Any, NoStream, Exact };
    Kind kind = Any;
    qint64 version = 0;

    static ExpectedVersion any() { return {Any, 0}; }
    static ExpectedVersion noStream() { return {NoStream, 0}; }
    static ExpectedVersion exact(qint64 v) { return {Exact, v}; }
    QString toString() const;
};

struct AppendResult {
    EventList events;          // the stored events (the originals when idempotent)
    qint64 streamVersion = 0;  // the stream's version after the append
    bool idempotent = false;   // true when nothing was written because the events were already there
    qint64 firstPosition() const { return events.isEmpty() ? 0 : events.constFirst().position; }
    qint64 lastPosition() const { return events.isEmpty() ? 0 : events.constLast().position; }
};

struct StreamInfo {
    QString stream;
    QString type; // aggregate type
    qint64 version = 0;
    qint64 firstMs = 0;
    qint64 lastMs = 0;
};

struct Snapshot {
    QString stream;
    qint64 version = 0;
    QJsonObject state;
    QString domainVersion;
    QString domainHash;
};

// Durations of each pipeline stage in microseconds.
struct StageTimings {
    qint64 validateUs = 0;
    qint64 loadUs = 0;
    qint64 decideUs = 0;
    qint64 appendUs = 0;
    qint64 publishUs = 0;
    QJsonObject toJson() const;
    static StageTimings fromJson(const QJsonObject &o);
};

enum class CommandOutcome { Accepted, Rejected, Conflict, Failed };
QString outcomeName(CommandOutcome o);

// One row of the command log.
struct CommandRecord {
    QString commandId;
    QString type;       // command name
    QString aggregate;  // aggregate type
    QString stream;
    QJsonObject payload;
    QJsonObject metadata;
    CommandOutcome outcome = CommandOutcome::Accepted;
    QString reason;
    QJsonObject fieldErrors; // field -> message
    qint64 firstPosition = 0;
    qint64 lastPosition = 0;
    qint64 expectedVersion = -1; // for conflicts
    qint64 actualVersion = -1;
    StageTimings timings;
    qint64 recordedMs = 0;
    QJsonObject toJson() const;
};

} // namespace es

Q_DECLARE_METATYPE(es::RecordedEvent)
Q_DECLARE_METATYPE(es::EventList)
Q_DECLARE_METATYPE(es::CommandRecord)
