#include "commandpipeline.h"

#include "eventstore.h"
#include "identifiers.h"
#include "ids.h"
#include "validator.h"

#include <QElapsedTimer>
#include <QLocale>
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
    // the same step twice in one chain is a loop; a chain longer than the depth
    // limit, or more reaction commands than the cap in one correlation, is stopped too.
    struct Pending {
        Command command;
        QStringList chain;
        QString reaction;
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
                    if (const QString p = identifiers::problem(identifiers::Kind::StreamId, rc.stream); !p.isEmpty()) {
                        root.reactionError = u"reaction %1 on %2 (position %3) issued %4 for a bad stream: %5; the "
                                             "command was not sent"_s.arg(r.name, e.type)
                                                 .arg(e.position)
                                                 .arg(rc.command, p);
                        qCWarning(lcPipeline) << root.reactionError;
                        continue;
                    }
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
                    p.reaction = r.name;
                    queue.append(p);
                }
            }
        }
    };
    enqueue(root.events, {root.record.type});
    const QLocale english(QLocale::English);
    int executed = 0;
    while (!queue.isEmpty()) {
        Pending p = queue.takeFirst();
        const QString last = p.chain.constLast();
        const QString path = p.chain.join(u" → "_s);
        QString stop;
        if (p.chain.indexOf(last) != p.chain.size() - 1) {
            stop = u"reaction loop detected and stopped: %1"_s.arg(path);
        } else if (p.chain.size() - 1 > m_options.maxReactionDepth) {
            stop = u"reaction chain stopped at depth %1 (the limit of reactions upon reactions): %2"_s
                       .arg(m_options.maxReactionDepth)
                       .arg(path);
        } else if (executed >= m_options.maxReactionsPerCommand) {
            stop = u"stopped after %1 reaction commands in one correlation (the limit per command): raise the limit "
                   "(eventscope-cli exec --max-reactions N) if this is expected, or check the reaction %2, which was "
                   "about to send %3 to %4 (%5)"_s.arg(english.toString(executed), p.reaction, p.command.type,
                                                       p.command.stream, path);
        }
        if (!stop.isEmpty()) {
            root.reactionError = stop;
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

    QElapsedTimer stageTimer;
    stageTimer.start();
    // Identifiers the log would have to store as given: refused before anything
    // is looked up or written, and not logged (the log would keep the bad text).
    auto refuseIdentifier = [&](const QString &field, const QString &problem) {
        rec.outcome = CommandOutcome::Rejected;
        rec.reason = u"invalid command: "_s + problem;
        rec.fieldErrors = QJsonObject{{field, problem}};
        rec.timings.validateUs = stageTimer.nsecsElapsed() / 1000;
        Q_EMIT stageCompleted(rec.commandId, Stage::Validate, rec.timings.validateUs, false);
        return finish(result, false);
    };
    if (!command.commandId.isEmpty()) {
        if (const QString p = identifiers::problem(identifiers::Kind::CommandId, command.commandId); !p.isEmpty())
            return refuseIdentifier(u"commandId"_s, p);
    }

    // A command id is executed once: a retry gets the first final outcome back.
    // A conflict or a failure is not final: the command runs again (and its
    // new outcome replaces the old one in the log).
    if (!command.commandId.isEmpty()) {
        if (auto logged = m_store->command(command.commandId);
            logged && (logged->outcome == CommandOutcome::Accepted || logged->outcome == CommandOutcome::Rejected)) {
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

    // 1. Validate against the declared fields.
    QString lookupError;
    const CommandSpec *spec = m_domain->info().command(command.type, &lookupError);
    if (!spec) {
        rec.outcome = CommandOutcome::Failed;
        rec.reason = lookupError;
        result.error = Error::make(ErrorCode::NotFound, lookupError);
        rec.timings.validateUs = stageTimer.nsecsElapsed() / 1000;
        Q_EMIT stageCompleted(rec.commandId, Stage::Validate, rec.timings.validateUs, false);
        return finish(result, false);
    }
    rec.type = spec->name;
    rec.aggregate = spec->aggregate;
    // Secrets (passwords, codes) are used by decide but never stored in clear.
    for (const FieldSpec &f : spec->fields)
        if (f.secret && rec.payload.contains(f.name))
            rec.payload.insert(f.name, u"•••"_s);
    if (const QString p = identifiers::problem(identifiers::Kind::StreamId, command.stream); !p.isEmpty())
        return refuseIdentifier(u"stream"_s, p);
    rec.fieldErrors = validatePayload(*spec, command.payload);
    if (!rec.fieldErrors.isEmpty()) {
        rec.outcome = CommandOutcome::Rejected;
        QStringList parts;
        for (auto it = rec.fieldErrors.constBegin(); it != rec.fieldErrors.constEnd(); ++it)
            parts << it.key() + u": "_s + it.value().toString();
        rec.reason = u"invalid command: "_s + parts.join(u"; "_s);
    }
    rec.timings.validateUs = stageTimer.nsecsElapsed() / 1000;
    Q_EMIT stageCompleted(rec.commandId, Stage::Validate, rec.timings.validateUs, rec.fieldErrors.isEmpty());
    if (!rec.fieldErrors.isEmpty())
        return finish(result, true);

    // 2-4. Load, decide, append. A caller that gave no expected version asked
    // for no version check: when another writer appended between our load and
    // our append, the stream is loaded again and decide runs again.
    const int attempts = qMax(1, m_options.maxAttempts);
    LoadedAggregate loaded;
    Attempt end = Attempt::Retry;
    for (int n = 1; end == Attempt::Retry; ++n) {
        end = attempt(result, *spec, !command.expectedVersion && n < attempts, &loaded);
        if (end == Attempt::Retry)
            qCDebug(lcPipeline) << "command" << rec.commandId << "lost a race on" << command.stream << "- attempt" << n;
    }
    if (rec.outcome == CommandOutcome::Conflict && !command.expectedVersion && attempts > 1) {
        rec.reason = u"concurrency conflict on stream %1: other writers appended to it during each of %2 attempts "
                     "(no expected version was given, so each attempt reloaded the stream and decided again); "
                     "send the command again"_s.arg(command.stream)
                         .arg(attempts);
    }
    if (end == Attempt::DoneUnlogged)
        return finish(result, false);
    if (rec.outcome != CommandOutcome::Accepted || result.events.isEmpty())
        return finish(result, true);

    // 5. Publish after commit (the command was logged with the events), then
    // keep the new state (and a snapshot every N events).
    stageTimer.restart();
    m_store->publish(result.events);
    rec.timings.publishUs = stageTimer.nsecsElapsed() / 1000;
    m_store->recordPublishTiming(rec.commandId, rec.timings);
    Q_EMIT stageCompleted(rec.commandId, Stage::Publish, rec.timings.publishUs, true);

    auto advanced = m_repository.advance(loaded, result.events);
    if (advanced && m_options.snapshotEvery > 0 &&
        loaded.version / m_options.snapshotEvery != advanced->version / m_options.snapshotEvery) {
        const DomainInfo &di = m_domain->info();
        if (auto st = m_store->saveSnapshot({command.stream, advanced->version, advanced->state, di.version,
                                             di.contentHash});
            !st)
            qCWarning(lcPipeline) << "snapshot failed" << st.error().message;
    }
    return finish(result, false);
}

CommandPipeline::Attempt CommandPipeline::attempt(CommandResult &result, const CommandSpec &spec, bool mayRetry,
                                                  LoadedAggregate *loadedOut)
{
    const Command &command = result.command;
    CommandRecord &rec = result.record;
    QElapsedTimer stageTimer;
    stageTimer.start();
    auto lap = [&stageTimer]() {
        const qint64 us = stageTimer.nsecsElapsed() / 1000;
        stageTimer.restart();
        return us;
    };

    // 2. Load the aggregate.
    auto loaded = m_repository.load(spec.aggregate, command.stream);
    const qint64 loadUs = lap();
    rec.timings.loadUs += loadUs;
    if (!loaded) {
        const bool wrongType = loaded.error().code == ErrorCode::Invalid;
        rec.outcome = wrongType ? CommandOutcome::Rejected : CommandOutcome::Failed;
        rec.reason = loaded.error().message;
        if (!wrongType)
            result.error = loaded.error();
        Q_EMIT stageCompleted(rec.commandId, Stage::Load, loadUs, false);
        return Attempt::Done;
    }
    Q_EMIT stageCompleted(rec.commandId, Stage::Load, loadUs, true);
    if (command.expectedVersion && *command.expectedVersion != loaded->version) {
        rec.outcome = CommandOutcome::Conflict;
        rec.expectedVersion = *command.expectedVersion;
        rec.actualVersion = loaded->version;
        rec.reason = u"concurrency conflict on stream %1: expected version %2, but the stream is at version %3"_s
                         .arg(command.stream)
                         .arg(*command.expectedVersion)
                         .arg(loaded->version);
        return Attempt::Done;
    }

    // 3. Decide.
    DecisionContext ctx;
    ctx.commandId = rec.commandId;
    ctx.stream = command.stream;
    ctx.actor = rec.metadata.value(meta::Actor).toString();
    ctx.nowMs = rec.recordedMs;
    for (int i = 0; i < 8; ++i)
        ctx.ids << newId();
    auto decision = m_domain->decide(spec.aggregate, loaded->state, spec.name, command.payload, ctx);
    const qint64 decideUs = lap();
    rec.timings.decideUs += decideUs;
    if (decision && decision->accepted) {
        // The pack names the event types: they are stored, so they must be identifiers.
        for (const DecidedEvent &d : decision->events) {
            if (const QString p = identifiers::problem(identifiers::Kind::EventType, d.type); !p.isEmpty()) {
                decision = Error::make(
                    ErrorCode::Script,
                    u"the pack's decide for %1 returned an event whose %2; nothing was written"_s.arg(spec.name, p));
                break;
            }
        }
    }
    if (!decision) {
        rec.outcome = CommandOutcome::Failed;
        rec.reason = decision.error().message;
        result.error = decision.error();
        Q_EMIT stageCompleted(rec.commandId, Stage::Decide, decideUs, false);
        return Attempt::Done;
    }
    if (!decision->accepted) {
        rec.outcome = CommandOutcome::Rejected;
        rec.reason = decision->reason;
        rec.fieldErrors = decision->fieldErrors;
        Q_EMIT stageCompleted(rec.commandId, Stage::Decide, decideUs, false);
        return Attempt::Done;
    }
    Q_EMIT stageCompleted(rec.commandId, Stage::Decide, decideUs, true);

    // 4. Append, with the version we decided on as the expectation.
    AppendRequest req;
    req.stream = command.stream;
    req.streamType = spec.aggregate;
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
    rec.reason.clear();
    rec.expectedVersion = command.expectedVersion ? *command.expectedVersion : -1;
    rec.actualVersion = -1;
    if (req.events.isEmpty()) {
        rec.timings.appendUs += lap();
        return Attempt::Done; // a no-op: logged by the caller
    }
    req.command = rec; // logged in the same transaction as the events
    auto appended = m_store->append(req);
    const qint64 appendUs = lap();
    rec.timings.appendUs += appendUs;
    if (!appended) {
        const Error &e = appended.error();
        Q_EMIT stageCompleted(rec.commandId, Stage::Append, appendUs, false);
        if (e.code == ErrorCode::Conflict) {
            rec.outcome = CommandOutcome::Conflict;
            rec.expectedVersion = e.expectedVersion;
            rec.actualVersion = e.actualVersion;
            rec.reason = e.message;
            m_repository.forget(command.stream);
            return mayRetry ? Attempt::Retry : Attempt::Done;
        }
        // Not logged: the store just failed to write (or the command id was
        // logged concurrently by another writer).
        rec.outcome = CommandOutcome::Failed;
        rec.reason = e.message;
        result.error = e;
        return Attempt::DoneUnlogged;
    }
    result.events = appended->events;
    rec.firstPosition = appended->firstPosition();
    rec.lastPosition = appended->lastPosition();
    Q_EMIT stageCompleted(rec.commandId, Stage::Append, appendUs, true);
    *loadedOut = *loaded;
    return Attempt::Done;
}

} // namespace es
