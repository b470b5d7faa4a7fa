#include "commandpipeline.h"

#include "eventstore.h"
#include "ids.h"
#include "validator.h"

#include <QElapsedTimer>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcPipeline, "eventscope.pipeline", QtInfoMsg)

using namespace Qt::StringLiterals;

namespace es {


CommandPipeline::CommandPipeline(EventStore *store, Domain *domain, QObject *parent)
    : CommandPipeline(store, domain, Options{}, parent)
{
}

CommandPipeline::CommandPipeline(EventStore *store, Domain *domain, const Options &options, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_domain(domain)
    , m_options(options)
    , m_repository(store, domain)
{
}

CommandResult CommandPipeline::finish(CommandResult result, bool log)
{
    if (log) {
        if (auto st = m_store->logCommand(result.record); !st) {
            qCWarning(lcPipeline) << "could not log command" << result.record.commandId << st.error().message;
            if (result.error.code == ErrorCode::None)
                result.error = st.error();
        }
    }
    Q_EMIT commandExecuted(result);
    return result;
}

CommandResult CommandPipeline::execute(const Command &command)
{
    CommandResult result = executeOne(command);
    if (m_options.runReactions && result.accepted() && !result.repeated && !m_domain->info().reactions.isEmpty())
        runReactions(result);
    return result;
}

void CommandPipeline::runReactions(CommandResult &root)
{
    // Breadth-first over the events each accepted command produced. A chain is
    // the path of (reaction, stream, event type) steps that led to a command:
    // the same step twice in one chain, or a chain longer than the limit, is a loop.
    struct Pending {
        Command command;
        QStringList chain;
    };
    QList<Pending> queue;
    auto enqueue = [this, &root, &queue](const EventList &events, const QStringList &chain) {
        for (const RecordedEvent &e : events) {
            for (const ReactionSpec &r : m_domain->info().reactions) {
                if (r.eventType != e.type)
                    continue;
                DecisionContext ctx;
                ctx.stream = e.stream;
                ctx.actor = u"reaction:"_s + r.name;
                ctx.nowMs = QDateTime::currentMSecsSinceEpoch();
                ctx.commandId = e.eventId;
                for (int i = 0; i < 8; ++i)
                    ctx.ids << newId();
                auto issued = m_domain->react(r.name, e, ctx);
                if (!issued) {
                    root.reactionError = issued.error().message;
                    qCWarning(lcPipeline) << "reaction failed:" << issued.error().message;
                    continue;
                }
                const QJsonObject md = e.metadataObject();
                const QString step = u"%1(%2 on %3)"_s.arg(r.name, e.type, e.stream);
                for (const ReactionCommand &rc : *issued) {
                    Pending p;
                    p.command.type = rc.command;
                    p.command.stream = rc.stream;
                    p.command.payload = rc.data;
                    p.command.metadata = QJsonObject{
                        {meta::Actor, ctx.actor},
                        {meta::CorrelationId, md.value(meta::CorrelationId).toString(e.eventId)},
                        {meta::CausationId, e.eventId},
                        {u"reaction"_s, r.name},
                    };
                    p.chain = chain;
                    p.chain << step;
                    queue.append(p);
                }
            }
        }
    };
    enqueue(root.events, {root.record.type});
    int executed = 0;
    while (!queue.isEmpty()) {
        Pending p = queue.takeFirst();
        const QString last = p.chain.constLast();
        const bool cycle = p.chain.indexOf(last) != p.chain.size() - 1;
        if (cycle || p.chain.size() - 1 > m_options.maxReactionDepth || executed >= MaxReactionsPerCommand) {
            root.reactionError = u"reaction loop detected and stopped: %1"_s.arg(p.chain.join(u" → "_s));
            CommandResult stopped;
            stopped.record.commandId = newId();
            stopped.record.type = p.command.type;
            stopped.record.stream = p.command.stream;
            stopped.record.payload = p.command.payload;
            stopped.record.metadata = p.command.metadata;
            stopped.record.outcome = CommandOutcome::Failed;
            stopped.record.reason = root.reactionError;
            stopped.record.aggregate = m_domain->info().command(p.command.type)
                ? m_domain->info().command(p.command.type)->aggregate
                : QString();
            stopped.record.recordedMs = QDateTime::currentMSecsSinceEpoch();
            finish(stopped, true);
            root.reactions.append(stopped.record);
            qCWarning(lcPipeline) << root.reactionError;
            break;
        }
        CommandResult child = executeOne(p.command);
        ++executed;
        root.reactions.append(child.record);
        if (child.accepted())
            enqueue(child.events, p.chain);
    }
}

CommandResult CommandPipeline::executeOne(const Command &command)
{
    CommandResult result;
    result.command = command;
    CommandRecord &rec = result.record;
    rec.commandId = command.commandId.isEmpty() ? newId() : command.commandId;
    rec.type = command.type;
    rec.stream = command.stream;
    rec.payload = command.payload;
    rec.metadata = command.metadata;
    rec.recordedMs = QDateTime::currentMSecsSinceEpoch();
    if (!rec.metadata.contains(meta::CorrelationId))
        rec.metadata.insert(meta::CorrelationId, rec.commandId);
    if (rec.expectedVersion < 0 && command.expectedVersion)
        rec.expectedVersion = *command.expectedVersion;

    if (m_store->isReadOnly()) {
        rec.outcome = CommandOutcome::Failed;
        rec.reason = u"the store is open read-only"_s;
        result.error = Error::make(ErrorCode::ReadOnly, u"%1 is open read-only: commands cannot be sent"_s.arg(
                                                            m_store->path()));
        return finish(result, false);
    }

    // A command id is executed once: a retry gets the first outcome back.
    if (!command.commandId.isEmpty()) {
        if (auto logged = m_store->command(command.commandId)) {
            result.record = *logged;
            result.repeated = true;
            if (logged->firstPosition > 0) {
                EventQuery q;
                q.fromPosition = logged->firstPosition;
                q.toPosition = logged->lastPosition;
                q.limit = -1;
                if (auto events = m_store->query(q))
                    result.events = *events;
            }
            return result;
        }
    }

    QElapsedTimer stageTimer;
    stageTimer.start();
    auto lap = [&stageTimer]() {
        const qint64 us = stageTimer.nsecsElapsed() / 1000;
        stageTimer.restart();
        return us;
    };

    // 1. Validate against the declared fields.
    QString lookupError;
    const CommandSpec *spec = m_domain->info().command(command.type, &lookupError);
    if (!spec) {
        rec.outcome = CommandOutcome::Failed;
        rec.reason = lookupError;
        result.error = Error::make(ErrorCode::NotFound, lookupError);
        rec.timings.validateUs = lap();
        Q_EMIT stageCompleted(rec.commandId, Stage::Validate, rec.timings.validateUs, false);
        return finish(result, false);
    }
    rec.type = spec->name;
    rec.aggregate = spec->aggregate;
    // Secrets (passwords, codes) are used by decide but never stored in clear.
    for (const FieldSpec &f : spec->fields)
        if (f.secret && rec.payload.contains(f.name))
            rec.payload.insert(f.name, u"•••"_s);
    if (command.stream.isEmpty()) {
        rec.outcome = CommandOutcome::Rejected;
        rec.reason = u"no stream id given"_s;
        rec.fieldErrors.insert(u"stream"_s, u"required"_s);
    } else {
        rec.fieldErrors = validatePayload(*spec, command.payload);
        if (!rec.fieldErrors.isEmpty()) {
            rec.outcome = CommandOutcome::Rejected;
            QStringList parts;
            for (auto it = rec.fieldErrors.constBegin(); it != rec.fieldErrors.constEnd(); ++it)
                parts << it.key() + u": "_s + it.value().toString();
            rec.reason = u"invalid command: "_s + parts.join(u"; "_s);
        }
    }
    rec.timings.validateUs = lap();
    Q_EMIT stageCompleted(rec.commandId, Stage::Validate, rec.timings.validateUs, rec.fieldErrors.isEmpty());
    if (!rec.fieldErrors.isEmpty())
        return finish(result, true);

    // 2. Load the aggregate.
    auto loaded = m_repository.load(spec->aggregate, command.stream);
    rec.timings.loadUs = lap();
    if (!loaded) {
        const bool wrongType = loaded.error().code == ErrorCode::Invalid;
        rec.outcome = wrongType ? CommandOutcome::Rejected : CommandOutcome::Failed;
        rec.reason = loaded.error().message;
        if (!wrongType)
            result.error = loaded.error();
        Q_EMIT stageCompleted(rec.commandId, Stage::Load, rec.timings.loadUs, false);
        return finish(result, true);
    }
    Q_EMIT stageCompleted(rec.commandId, Stage::Load, rec.timings.loadUs, true);
    if (command.expectedVersion && *command.expectedVersion != loaded->version) {
        rec.outcome = CommandOutcome::Conflict;
        rec.expectedVersion = *command.expectedVersion;
        rec.actualVersion = loaded->version;
        rec.reason = u"concurrency conflict on stream %1: expected version %2, but the stream is at version %3"_s
                         .arg(command.stream)
                         .arg(*command.expectedVersion)
                         .arg(loaded->version);
        return finish(result, true);
    }

    // 3. Decide.
    DecisionContext ctx;
    ctx.commandId = rec.commandId;
    ctx.stream = command.stream;
    ctx.actor = rec.metadata.value(meta::Actor).toString();
    ctx.nowMs = rec.recordedMs;
    for (int i = 0; i < 8; ++i)
        ctx.ids << newId();
    auto decision = m_domain->decide(spec->aggregate, loaded->state, spec->name, command.payload, ctx);
    rec.timings.decideUs = lap();
    if (!decision) {
        rec.outcome = CommandOutcome::Failed;
        rec.reason = decision.error().message;
        result.error = decision.error();
        Q_EMIT stageCompleted(rec.commandId, Stage::Decide, rec.timings.decideUs, false);
        return finish(result, true);
    }
    if (!decision->accepted) {
        rec.outcome = CommandOutcome::Rejected;
        rec.reason = decision->reason;
        rec.fieldErrors = decision->fieldErrors;
        Q_EMIT stageCompleted(rec.commandId, Stage::Decide, rec.timings.decideUs, false);
        return finish(result, true);
    }
    Q_EMIT stageCompleted(rec.commandId, Stage::Decide, rec.timings.decideUs, true);

    // 4. Append, with the version we decided on as the expectation.
    AppendRequest req;
    req.stream = command.stream;
    req.streamType = spec->aggregate;
    req.expected = loaded->exists ? ExpectedVersion::exact(loaded->version) : ExpectedVersion::noStream();
    req.publish = false;
    QJsonObject eventMeta = rec.metadata;
    eventMeta.insert(meta::CommandId, rec.commandId);
    if (!eventMeta.contains(meta::CausationId))
        eventMeta.insert(meta::CausationId, rec.commandId);
    eventMeta.insert(u"decidedAtMs"_s, ctx.nowMs);
    if (!decision->usedIds.isEmpty())
        eventMeta.insert(u"ids"_s, QJsonArray::fromStringList(decision->usedIds));
    for (const DecidedEvent &d : decision->events) {
        NewEvent e;
        e.type = d.type;
        e.data = d.data;
        e.metadata = eventMeta;
        e.schemaVersion = m_domain->schemaVersion(d.type);
        req.events.append(e);
    }
    rec.outcome = CommandOutcome::Accepted;
    req.command = rec; // logged in the same transaction as the events
    if (req.events.isEmpty()) {
        rec.timings.appendUs = lap();
        return finish(result, true);
    }
    auto appended = m_store->append(req);
    rec.timings.appendUs = lap();
    if (!appended) {
        const Error &e = appended.error();
        if (e.code == ErrorCode::Conflict) {
            rec.outcome = CommandOutcome::Conflict;
            rec.expectedVersion = e.expectedVersion;
            rec.actualVersion = e.actualVersion;
            rec.reason = e.message;
            m_repository.forget(command.stream);
        } else {
            rec.outcome = CommandOutcome::Failed;
            rec.reason = e.message;
            result.error = e;
        }
        Q_EMIT stageCompleted(rec.commandId, Stage::Append, rec.timings.appendUs, false);
        return finish(result, e.code == ErrorCode::Conflict);
    }
    result.events = appended->events;
    rec.firstPosition = appended->firstPosition();
    rec.lastPosition = appended->lastPosition();
    Q_EMIT stageCompleted(rec.commandId, Stage::Append, rec.timings.appendUs, true);

    // 5. Publish after commit, then keep the new state (and a snapshot every N events).
    m_store->publish(result.events);
    rec.timings.publishUs = lap();
    m_store->recordPublishTiming(rec.commandId, rec.timings);
    Q_EMIT stageCompleted(rec.commandId, Stage::Publish, rec.timings.publishUs, true);

    auto advanced = m_repository.advance(*loaded, result.events);
    if (advanced && m_options.snapshotEvery > 0 &&
        loaded->version / m_options.snapshotEvery != advanced->version / m_options.snapshotEvery) {
        const DomainInfo &di = m_domain->info();
        if (auto st = m_store->saveSnapshot({command.stream, advanced->version, advanced->state, di.version,
                                             di.contentHash});
            !st)
            qCWarning(lcPipeline) << "snapshot failed" << st.error().message;
    }
    return finish(result, false);
}

} // namespace es
