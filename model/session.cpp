#include "session.h"

#include "projectionhost.h"
#include "storewatcher.h"

#include <QElapsedTimer>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace es {

Session::Session(const Options &options)
    : m_options(options)
{
}

Session::~Session()
{
    m_watcher.reset();
    // The runner (and, for an in-memory store, its use of our connection) goes first.
    m_projections.reset();
    m_pipeline.reset();
    m_domain.reset();
    m_store.reset();
}

Result<std::unique_ptr<Session>> Session::open(const Options &options)
{
    std::unique_ptr<Session> s(new Session(options));
    EventStore::Options so;
    so.mode = options.readOnly ? EventStore::Mode::ReadOnly
                               : (options.create ? EventStore::Mode::Create : EventStore::Mode::ReadWrite);
    auto store = EventStore::open(options.storePath, so);
    if (!store)
        return store.error();
    s->m_store = std::move(*store);
    if (!options.packPath.isEmpty()) {
        if (auto st = s->loadPack(options.packPath); !st)
            return st.error();
    }
    s->m_head = s->m_store->headPosition();
    connect(s->m_store.get(), &EventStore::eventsAppended, s.get(), &Session::onLocalAppend);
    if (options.storePath != u":memory:"_s) {
        StoreWatcher::Options wo;
        wo.pollIntervalMs = options.pollIntervalMs;
        wo.safetyPollMs = options.safetyPollMs;
        s->m_watcher = std::make_unique<StoreWatcher>(s->m_store.get(), wo);
        Session *raw = s.get();
        connect(s->m_watcher.get(), &StoreWatcher::changed, raw, &Session::catchUp);
        connect(s->m_watcher.get(), &StoreWatcher::connectionLost, raw,
                [raw](const QString &why) { Q_EMIT raw->connectionChanged(false, why); });
        connect(s->m_watcher.get(), &StoreWatcher::reconnected, raw, [raw] {
            Q_EMIT raw->connectionChanged(true, u"reconnected to %1"_s.arg(raw->m_store->displayName()));
        });
        s->m_watcher->start();
    }
    s->m_projections = std::make_unique<ProjectionHost>(s.get());
    if (options.runProjections)
        s->m_projections->start();
    return s;
}

Status Session::loadPack(const QString &packPath)
{
    auto domain = JsDomain::load(packPath);
    if (!domain)
        return domain.error();
    m_pipeline.reset();
    m_domain = std::move(*domain);
    m_options.packPath = packPath;
    m_pipeline = std::make_unique<CommandPipeline>(m_store.get(), m_domain.get());
    connect(m_pipeline.get(), &CommandPipeline::commandExecuted, this, &Session::commandExecuted);
    if (m_projections && m_options.runProjections)
        m_projections->start(); // another pack: other projections
    Q_EMIT packChanged();
    return {};
}

Result<QString> Session::reloadPack()
{
    if (!m_domain)
        return Error::make(ErrorCode::NotFound, u"no domain pack is loaded"_s);
    auto changes = m_domain->reload();
    if (!changes)
        return changes.error();
    // States cached under the old code may not be what the new code builds.
    m_pipeline->repository().clearCache();
    if (m_projections && m_options.runProjections)
        m_projections->reloadPack();
    Q_EMIT packChanged();
    return *changes;
}

CommandResult Session::execute(const Command &command)
{
    if (!m_pipeline) {
        CommandResult r;
        r.record.outcome = CommandOutcome::Failed;
        r.error = Error::make(ErrorCode::NotFound, u"load a domain pack to send commands"_s);
        r.record.reason = r.error.message;
        return r;
    }
    return m_pipeline->execute(command);
}

QList<ProjectionStatus> Session::projectionStatuses() const
{
    return m_projections ? m_projections->statuses() : QList<ProjectionStatus>();
}

void Session::setProjectionDelay(const QString &name, int delayMs)
{
    if (m_projections)
        m_projections->setDelay(name, delayMs);
}

void Session::onLocalAppend(const EventList &events)
{
    if (events.isEmpty() || events.constLast().position <= m_head)
        return;
    EventList fresh;
    for (const RecordedEvent &e : events)
        if (e.position > m_head)
            fresh.append(e);
    m_head = events.constLast().position;
    Q_EMIT eventsAppended(fresh);
    Q_EMIT headChanged(m_head);
}

bool Session::isConnected() const
{
    return !m_watcher || m_watcher->isConnected();
}

void Session::catchUp()
{
    // Read what others appended, a page at a time, and give the event loop a
    // turn every ~20 ms: a burst (or a server across a network) stays responsive.
    QElapsedTimer turn;
    turn.start();
    while (turn.elapsed() < 20) {
        auto events = m_store->readForward(m_head + 1, 500);
        if (!events) {
            if (m_watcher)
                m_watcher->checkNow(); // a dropped connection: reconnect, then catch up
            return;
        }
        if (events->isEmpty())
            return;
        onLocalAppend(*events);
    }
    QTimer::singleShot(0, this, &Session::catchUp); // more is left: let the event loop breathe first
}

} // namespace es
