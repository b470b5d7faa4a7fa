#pragma once

#include "commandpipeline.h"
#include "domain.h"
#include "types.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace es {

// One box of the pipeline diagram, in the order a command meets them.
// Projection and reaction nodes are one per projection/reaction of the pack.
enum class PipelineNode {
    Client,
    Command,
    Validation,
    Repository,
    Aggregate,
    EventStore,
    EventBus,
    Projection,
    Reaction,
    ReadStore
};

QString pipelineNodeTitle(PipelineNode node); // "Event store" (translated)
// A stable key for a node: "validation", "projection:Balances".
QString pipelineNodeKey(PipelineNode node, const QString &name = {});

// A node of the diagram: its kind and, for projections and reactions, its name.
struct PipelineNodeRef {
    PipelineNode node = PipelineNode::Client;
    QString name;
    QString key() const { return pipelineNodeKey(node, name); }
    friend bool operator==(const PipelineNodeRef &a, const PipelineNodeRef &b) = default;
};

// One place a command's token stops at, with the time the engine spent there.
struct PipelineStep {
    PipelineNodeRef at;
    qint64 micros = 0; // the stage's real duration (0 for client/command and the read side)
    bool ran = true;   // false: the token passes a stage the engine skipped (a conflict found before decide)
};

// Where the events of an accepted command go after the bus.
struct PipelineFanOut {
    qint64 position = 0;
    QString eventId;
    QString eventType;
    QStringList projections; // whose handlers take this event type
    QStringList reactions;   // subscribed to this event type
};

// A command's way through the pipeline, derived from its command-log record:
// the stages it passed with their timings, where it stopped when it did not
// get through, and where its events fan out to. Plain values: no widget, no
// store, so the derivation is testable on its own.
struct PipelineTrace {
    QString commandId;
    QString command;
    QString aggregate;
    QString stream;
    CommandOutcome outcome = CommandOutcome::Accepted;
    QString reason;
    StageTimings timings;
    qint64 firstPosition = 0;
    qint64 lastPosition = 0;
    qint64 recordedMs = 0;

    // Issued by a reaction: its name and the id of the event that caused it.
    QString reaction;
    QString causationId;
    qint64 causationPosition = 0; // when known
    QString causationType;

    QList<PipelineStep> steps;    // Client (or the reaction) ... the last node the token reaches on the write side
    QList<PipelineFanOut> fanOut; // accepted commands: per event

    bool accepted() const { return outcome == CommandOutcome::Accepted; }
    bool issuedByReaction() const { return !reaction.isEmpty(); }
    // The node the command stopped at: the stage that rejected it (or failed,
    // or found the conflict); for an accepted command the last write-side node.
    PipelineNodeRef stop() const { return steps.isEmpty() ? PipelineNodeRef{} : steps.constLast().at; }
    qint64 totalMicros() const;
    // The projections and reactions any event of this command reaches, in pack order.
    QStringList projectionsReached() const;
    QStringList reactionsReached() const;

    // The write-side stage that rejected (or failed, or conflicted) a command, read
    // from its record the way CommandPipeline fills it:
    //  - conflict: the event store (its optimistic concurrency check, at load for an
    //    expected version, at append for a concurrent writer);
    //  - rejected: the aggregate when decide ran; the repository when only the load
    //    ran (a stream of another aggregate type); validation otherwise (field errors,
    //    no stream);
    //  - failed: the last stage that ran (unknown command: validation; a script error:
    //    the aggregate; nothing ran, e.g. a read-only store or a stopped reaction loop: the command);
    //  - accepted: the bus when events were published, the aggregate when decide returned none.
    static PipelineNode stopStage(const CommandRecord &record);

    // events: the events the command wrote (empty when it wrote none); info: the pack,
    // for the fan-out (null: no fan-out).
    static PipelineTrace fromRecord(const CommandRecord &record, const EventList &events, const DomainInfo *info);
    static PipelineTrace fromResult(const CommandResult &result, const DomainInfo *info);

    // The flows of one executed command: the command itself, then one per reaction
    // command it caused (result.reactions, in order), each linked to the event that
    // caused it. loadEvents(first, last) reads a reaction command's events (for its
    // own fan-out and for the reactions it causes in turn); without it only the
    // root's events are known.
    using EventLoader = std::function<EventList(qint64 firstPosition, qint64 lastPosition)>;
    static QList<PipelineTrace> flows(const CommandResult &result, const DomainInfo *info,
                                      const EventLoader &loadEvents = {});
};

} // namespace es

Q_DECLARE_METATYPE(es::PipelineNode)
