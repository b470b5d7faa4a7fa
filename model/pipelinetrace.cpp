#include "pipelinetrace.h"

#include <QCoreApplication>
#include <QHash>

using namespace Qt::StringLiterals;

namespace es {

QString pipelineNodeTitle(PipelineNode node)
{
    switch (node) {
    case PipelineNode::Client:
        return QCoreApplication::translate("es::PipelineTrace", "Client");
    case PipelineNode::Command:
        return QCoreApplication::translate("es::PipelineTrace", "Command");
    case PipelineNode::Validation:
        return QCoreApplication::translate("es::PipelineTrace", "Validation");
    case PipelineNode::Repository:
        return QCoreApplication::translate("es::PipelineTrace", "Repository");
    case PipelineNode::Aggregate:
        return QCoreApplication::translate("es::PipelineTrace", "Aggregate");
    case PipelineNode::EventStore:
        return QCoreApplication::translate("es::PipelineTrace", "Event store");
    case PipelineNode::EventBus:
        return QCoreApplication::translate("es::PipelineTrace", "Event bus");
    case PipelineNode::Projection:
        return QCoreApplication::translate("es::PipelineTrace", "Projection");
    case PipelineNode::Reaction:
        return QCoreApplication::translate("es::PipelineTrace", "Reaction");
    case PipelineNode::ReadStore:
        return QCoreApplication::translate("es::PipelineTrace", "Read store");
    }
    return {};
}

QString pipelineNodeKey(PipelineNode node, const QString &name)
{
    switch (node) {
    case PipelineNode::Client:
        return u"client"_s;
    case PipelineNode::Command:
        return u"command"_s;
    case PipelineNode::Validation:
        return u"validation"_s;
    case PipelineNode::Repository:
        return u"repository"_s;
    case PipelineNode::Aggregate:
        return u"aggregate"_s;
    case PipelineNode::EventStore:
        return u"eventStore"_s;
    case PipelineNode::EventBus:
        return u"eventBus"_s;
    case PipelineNode::Projection:
        return u"projection:"_s + name;
    case PipelineNode::Reaction:
        return u"reaction:"_s + name;
    case PipelineNode::ReadStore:
        return u"readStore"_s;
    }
    return {};
}

qint64 PipelineTrace::totalMicros() const
{
    qint64 sum = 0;
    for (const PipelineStep &s : steps)
        sum += qMax<qint64>(0, s.micros);
    return sum;
}

QStringList PipelineTrace::projectionsReached() const
{
    QStringList out;
    for (const PipelineFanOut &f : fanOut)
        for (const QString &p : f.projections)
            if (!out.contains(p))
                out << p;
    return out;
}

QStringList PipelineTrace::reactionsReached() const
{
    QStringList out;
    for (const PipelineFanOut &f : fanOut)
        for (const QString &r : f.reactions)
            if (!out.contains(r))
                out << r;
    return out;
}

PipelineNode PipelineTrace::stopStage(const CommandRecord &record)
{
    const StageTimings &t = record.timings;
    switch (record.outcome) {
    case CommandOutcome::Accepted:
        // A decide that returned no events appends nothing and publishes nothing.
        return record.firstPosition > 0 ? PipelineNode::EventBus : PipelineNode::Aggregate;
    case CommandOutcome::Conflict:
        return PipelineNode::EventStore;
    case CommandOutcome::Rejected:
        // decide always takes some microseconds (a script call); a validation
        // rejection returns before the load, a wrong stream type right after it.
        if (t.decideUs > 0)
            return PipelineNode::Aggregate;
        if (t.loadUs > 0 && record.fieldErrors.isEmpty())
            return PipelineNode::Repository;
        return PipelineNode::Validation;
    case CommandOutcome::Failed:
        if (t.publishUs > 0)
            return PipelineNode::EventBus;
        if (t.appendUs > 0)
            return PipelineNode::EventStore;
        if (t.decideUs > 0)
            return PipelineNode::Aggregate;
        if (t.loadUs > 0)
            return PipelineNode::Repository;
        if (t.validateUs > 0)
            return PipelineNode::Validation;
        return PipelineNode::Command;
    }
    return PipelineNode::Command;
}

PipelineTrace PipelineTrace::fromRecord(const CommandRecord &record, const EventList &events, const DomainInfo *info)
{
    PipelineTrace t;
    t.commandId = record.commandId;
    t.command = record.type;
    t.aggregate = record.aggregate;
    t.stream = record.stream;
    t.outcome = record.outcome;
    t.reason = record.reason;
    t.timings = record.timings;
    t.firstPosition = record.firstPosition;
    t.lastPosition = record.lastPosition;
    t.recordedMs = record.recordedMs;
    t.reaction = record.metadata.value(u"reaction"_s).toString();
    if (!t.reaction.isEmpty())
        t.causationId = record.metadata.value(meta::CausationId).toString();

    const PipelineNode stop = stopStage(record);
    const StageTimings &tm = record.timings;
    if (t.issuedByReaction())
        t.steps.append({{PipelineNode::Reaction, t.reaction}, 0, true});
    else
        t.steps.append({{PipelineNode::Client, {}}, 0, true});
    struct Stage {
        PipelineNode node;
        qint64 us;
    };
    const Stage stages[] = {{PipelineNode::Command, 0},
                            {PipelineNode::Validation, tm.validateUs},
                            {PipelineNode::Repository, tm.loadUs},
                            {PipelineNode::Aggregate, tm.decideUs},
                            {PipelineNode::EventStore, tm.appendUs},
                            {PipelineNode::EventBus, tm.publishUs}};
    for (const Stage &s : stages) {
        PipelineStep step{{s.node, {}}, s.us, true};
        // A conflict on the expected version is found before decide: the token passes the aggregate.
        if (s.node == PipelineNode::Aggregate && stop == PipelineNode::EventStore && s.us == 0)
            step.ran = false;
        t.steps.append(step);
        if (s.node == stop)
            break;
    }

    if (t.accepted() && info) {
        for (const RecordedEvent &e : events) {
            PipelineFanOut f;
            f.position = e.position;
            f.eventId = e.eventId;
            f.eventType = e.type;
            for (const ProjectionSpec &p : info->projections)
                if (p.eventTypes.contains(e.type))
                    f.projections << p.name;
            for (const ReactionSpec &r : info->reactions)
                if (r.eventType == e.type)
                    f.reactions << r.name;
            t.fanOut.append(f);
        }
    }
    return t;
}

PipelineTrace PipelineTrace::fromResult(const CommandResult &result, const DomainInfo *info)
{
    return fromRecord(result.record, result.events, info);
}

QList<PipelineTrace> PipelineTrace::flows(const CommandResult &result, const DomainInfo *info,
                                          const EventLoader &loadEvents)
{
    QList<PipelineTrace> out;
    struct Cause {
        qint64 position;
        QString type;
    };
    QHash<QString, Cause> events; // event id -> where it is
    auto remember = [&events](const PipelineTrace &t) {
        for (const PipelineFanOut &f : t.fanOut)
            events.insert(f.eventId, {f.position, f.eventType});
    };
    out.append(fromResult(result, info));
    remember(out.constLast());
    for (const CommandRecord &r : result.reactions) {
        EventList written;
        if (loadEvents && r.outcome == CommandOutcome::Accepted && r.firstPosition > 0)
            written = loadEvents(r.firstPosition, r.lastPosition);
        PipelineTrace t = fromRecord(r, written, info);
        if (const auto it = events.constFind(t.causationId); it != events.constEnd()) {
            t.causationPosition = it->position;
            t.causationType = it->type;
        }
        remember(t);
        out.append(t);
    }
    return out;
}

} // namespace es
