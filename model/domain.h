#pragma once

#include "result.h"
#include "types.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QHash>
#include <QString>
#include <QStringList>

#include <optional>

namespace es {

// A declared command field. Drives validation and (later) the GUI's forms.
struct FieldSpec {
    QString name;
    // string, number, integer, boolean, enum, datetime, object, array
    QString type = QStringLiteral("string");
    bool required = false;
    std::optional<double> min;       // number/integer
    std::optional<double> max;
    std::optional<int> minLength;    // string/array length
    std::optional<int> maxLength;
    QString pattern;                 // regular expression for strings (whole match)
    QStringList values;              // enum values
    QString description;
    QJsonArray examples; // sample values (the workload generator and the GUI's forms use them)
    bool secret = false; // never stored in clear: the command log redacts it
    QJsonObject toJson() const;
};

struct CommandSpec {
    QString name;
    QString aggregate;
    QString description;
    QList<FieldSpec> fields;
    QJsonObject toJson() const;
};

struct AggregateSpec {
    QString name;
    QString description;
    QList<CommandSpec> commands;
    QStringList eventTypes; // the types its evolve handles
    // How new stream ids look: {n} a counter, {word}/{WORD} a word, {id} a short random id.
    // Used by the workload generator and the GUI's "new id" button.
    QString streamTemplate;
    QString newStreamId(qint64 n, quint32 random) const;
};

struct ProjectionSpec {
    QString name;
    QString kind; // table, search, page
    QStringList eventTypes;
    QJsonObject definition; // the declarative part (columns, key, fields...) as JSON
};

struct ReactionSpec {
    QString name;
    QString eventType;
};

struct DomainInfo {
    QString name;
    QString version;
    QString contentHash; // hex SHA-256 of the pack's source
    QString sourcePath;
    QString description;
    QList<AggregateSpec> aggregates;
    QList<ProjectionSpec> projections;
    QList<ReactionSpec> reactions;
    // Events that record a failure or a warning although their command was
    // accepted (a wrong password records LoginFailed). From the pack's optional
    // `events: { LoginFailed: { outcome: "failure" }, AccountLocked: { outcome: "warning" } }`:
    // event type -> "failure" or "warning"; types not listed are plain successes.
    QHash<QString, QString> eventOutcomes;

    const AggregateSpec *aggregate(const QString &name) const;
    // Finds a command by "Command" (when unique) or "Aggregate.Command".
    const CommandSpec *command(const QString &name, QString *error = nullptr) const;
    QJsonObject toJson() const;
};

// What the engine hands to decide: time, ids and actor come from here so that
// domain code stays deterministic and replayable.
struct DecisionContext {
    QString commandId;
    QString stream;
    QString actor;
    qint64 nowMs = 0;
    // Ids the domain may use, handed out in order by ctx.newId().
    QStringList ids;
};

struct DecidedEvent {
    QString type;
    QJsonObject data;
};

struct Decision {
    bool accepted = false;
    QList<DecidedEvent> events; // when accepted (may be empty: a no-op)
    QString reason;             // when rejected
    QJsonObject fieldErrors;    // optional per-field reasons of a rejection
    QStringList usedIds;        // ids handed out by ctx.newId()
};

// A command a reaction (process manager) asks the engine to send.
struct ReactionCommand {
    QString command;
    QString stream;
    QJsonObject data;
};

// The read side's batch protocol (Domain::projectionKeysBatch, then Domain::projectBatch).
struct ProjectionKeyBatch {
    // The keys of each event of the batch the projection handles, in event order,
    // flattened (UTF-8; a key repeats when several events touch it), up to
    // stoppedAt (excluded) when stoppedAt >= 0: that event's keys could not be
    // computed in the batch (key() threw or gave too many keys, an upcaster
    // failed...): the per-event calls say why. The batch is then the events before it.
    QList<QByteArray> keys;
    qsizetype stoppedAt = -1;
};

struct ProjectionBatchResult {
    // The events applied, a prefix of the batch. When it is shorter than the
    // batch, the next event needs the per-event calls (a handler failed, or
    // returned a row that needs normalising); nothing of it was applied.
    qsizetype done = 0;
    // The rows whose value changed, as one flat JSON array (UTF-8): for each row
    // its slot, the position of the event that last changed it, then 1 and the
    // values of the declared columns in declaration order (each null or of its
    // column's type), or 0 when the row was deleted.
    QByteArray changes;
};

// The pipeline's view of a domain. Implementations: JsDomain (a domain pack).
// Calls are made from the thread that owns the domain object.
class Domain {
public:
    virtual ~Domain() = default;
    virtual const DomainInfo &info() const = 0;
    virtual Result<QJsonObject> initialState(const QString &aggregate) = 0;
    // Errors (a script error, a timeout) are Error{Script}; a rejection is a Decision.
    virtual Result<Decision> decide(const QString &aggregate, const QJsonObject &state, const QString &command,
                                    const QJsonObject &payload, const DecisionContext &ctx) = 0;
    virtual Result<QJsonObject> evolve(const QString &aggregate, const QJsonObject &state,
                                       const RecordedEvent &event) = 0;
    // Folds many events; implementations keep the state inside the engine between events.
    virtual Result<QJsonObject> fold(const QString &aggregate, const QJsonObject &state, const EventList &events);
    // The commands a reaction issues in answer to an event (empty: none).
    virtual Result<QList<ReactionCommand>> react(const QString &reaction, const RecordedEvent &event,
                                                 const DecisionContext &ctx)
    {
        Q_UNUSED(reaction);
        Q_UNUSED(event);
        Q_UNUSED(ctx);
        return QList<ReactionCommand>{};
    }
    // Read side. The keys (rows, documents, page paths) an event touches in a projection;
    // empty when the projection ignores the event.
    virtual Result<QStringList> projectionKeys(const QString &projection, const RecordedEvent &event)
    {
        Q_UNUSED(projection);
        Q_UNUSED(event);
        return QStringList{};
    }
    // The next value of one row/document/page given its current value (null when absent);
    // a null result deletes it. Events are upcast first, as for evolve.
    virtual Result<QJsonValue> project(const QString &projection, const QJsonValue &current,
                                       const RecordedEvent &event, const QString &key)
    {
        Q_UNUSED(projection);
        Q_UNUSED(event);
        Q_UNUSED(key);
        return current;
    }
    // Batched read side, for table projections (the hot path of rebuilds and live
    // following): projectionKeysBatch computes the keys of many events in one call
    // and keeps the events; projectBatch then applies them and returns the rows
    // that changed. Each event is applied as by the per-event calls (the same
    // handler arguments, a handler sees the row as the previous event left it); an
    // event is atomic, and the batch stops before the first event that throws or
    // returns anything but null or a plain object of exactly the declared columns,
    // each null or of its column's type (columns: [[name, "text"|"integer"|"real"],
    // ...]). The caller applies that event with project() (which normalises, or
    // reports the error) and goes on.
    //
    // Rows are addressed by slots the caller assigns (slotIds: one int32 per key of
    // the keys batch, in its order) and kept by the domain between the batches of
    // one session: rows ([[slot, row], ...] as JSON text, or empty) brings the
    // rows the domain does not hold yet that exist; any other slot it does not hold
    // is an absent row. A new session id, or reset, drops what the domain held.
    // holdsBatchRows says whether the domain still holds the rows of a session (it
    // holds one session per projection).
    // Implementations that do not batch return false from canProjectBatch().
    virtual bool canProjectBatch() const { return false; }
    virtual Result<ProjectionKeyBatch> projectionKeysBatch(const QString &projection, const RecordedEvent *events,
                                                           qsizetype count, qsizetype maxKeysPerEvent)
    {
        Q_UNUSED(projection);
        Q_UNUSED(events);
        Q_UNUSED(count);
        Q_UNUSED(maxKeysPerEvent);
        return Error::make(ErrorCode::Invalid, QStringLiteral("this domain does not batch projections"));
    }
    virtual Result<ProjectionBatchResult> projectBatch(const QString &projection, const QByteArray &slotIds,
                                                       const QByteArray &rows, const QJsonArray &columns,
                                                       quint64 session, bool reset)
    {
        Q_UNUSED(projection);
        Q_UNUSED(slotIds);
        Q_UNUSED(rows);
        Q_UNUSED(columns);
        Q_UNUSED(session);
        Q_UNUSED(reset);
        return Error::make(ErrorCode::Invalid, QStringLiteral("this domain does not batch projections"));
    }
    virtual bool holdsBatchRows(const QString &projection, quint64 session) const
    {
        Q_UNUSED(projection);
        Q_UNUSED(session);
        return false;
    }
    // The schema version new events of this type are stored with (one past the highest upcaster).
    virtual int schemaVersion(const QString &eventType) const
    {
        Q_UNUSED(eventType);
        return 1;
    }
};

} // namespace es
