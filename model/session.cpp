#include "session.h"

#include "projectionhost.h"
#include "sqliteerror.h"
#include "storeaddress.h"
#include "storecheckjob.h"
#include "storewatcher.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace es {

Session::Session(const Options &options)
    : m_options(options)
{
}

Session::~Session()
{
    m_check.reset(); // stops a check still running
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
    // stat(2) only: is there a file with something in it to check?
    const bool fileStore = options.storePath != u":memory:"_s && !EventStore::isMemoryUri(options.storePath) &&
                           !StoreAddress::isPostgresUrl(options.storePath);
    const QFileInfo before(options.storePath);
    const bool hadContent = fileStore && before.exists() && before.size() > 0;
    s->m_storeBytes = hadContent ? before.size() : 0;
    auto store = EventStore::open(options.storePath, so);
    if (!store)
        return store.error();
    s->m_store = std::move(*store);
    {
        Session *raw = s.get();
        // The store refuses writes at once; the session reacts after the call
        // that found the damage has returned.
        connect(s->m_store.get(), &EventStore::damageDetected, raw, [raw](const Error &e) {
            const QString message = e.message + u". "_s + damagedStoreAdvice(raw->m_store->displayName());
            QMetaObject::invokeMethod(
                raw, [raw, message] { raw->onDamage(message); }, Qt::QueuedConnection);
        });
    }
    if (hadContent)
        s->startCheck();
    else
        s->m_healthText = fileStore ? u"new store"_s
                                    : (StoreAddress::isPostgresUrl(options.storePath)
                                           ? u"not checked: the PostgreSQL server checks its own pages"_s
                                           : u"in-memory store"_s);
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
        s->startProjections();
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
        startProjections(); // another pack: other projections
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
    if (m_health == Health::Checking && !isReadOnly()) {
        // Nothing is written before the verdict. A small store's check takes a
        // moment: wait for it; a large one's is announced in the status bar.
        if (m_storeBytes <= StoreCheck::SynchronousLimit) {
            waitForHealth();
        } else {
            CommandResult r;
            r.command = command;
            r.record.outcome = CommandOutcome::Failed;
            r.error = Error::make(ErrorCode::Io,
                                  u"%1 is still being checked before its first write (it is %2 MB): send the command "
                                  "again once the status bar shows the verdict"_s.arg(m_store->displayName())
                                      .arg(m_storeBytes / (1024 * 1024)));
            r.record.reason = r.error.message;
            return r;
        }
    }
    if (!readOnlyReason().isEmpty()) {
        CommandResult r;
        r.command = command;
        r.record.outcome = CommandOutcome::Failed;
        r.error = m_health == Health::Damaged
                      ? Error::make(ErrorCode::Damaged, m_healthText)
                      : Error::make(ErrorCode::ReadOnly, readOnlyReason() + u": the command was not sent"_s);
        r.record.reason = r.error.message;
        return r;
    }
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

bool Session::isReadOnly() const
{
    return m_options.readOnly || (m_store && m_store->isReadOnly());
}

QString Session::readOnlyReason() const
{
    return m_store ? m_store->readOnlyReason() : QString();
}

void Session::startCheck()
{
    m_health = Health::Checking;
    m_healthText = u"checking the store…"_s;
    m_check = std::make_unique<StoreCheckJob>(m_options.storePath);
    connect(m_check.get(), &StoreCheckJob::finished, this, &Session::onVerdict);
    m_check->start();
}

void Session::waitForHealth()
{
    if (m_check && !m_check->isFinished())
        m_check->wait(); // delivers the verdict (onVerdict) before returning
}

void Session::onVerdict(const StoreVerdict &verdict)
{
    switch (verdict.state) {
    case StoreVerdict::State::Sound:
        m_health = Health::Sound;
        m_healthText = verdict.summary;
        break;
    case StoreVerdict::State::Damaged:
    case StoreVerdict::State::NotSqlite:
        onDamage(verdict.error(m_store->displayName(), u"it is open read-only, nothing is written"_s).message);
        break;
    case StoreVerdict::State::NotChecked:
    case StoreVerdict::State::Failed:
        m_health = Health::NotChecked;
        m_healthText = verdict.summary;
        break;
    }
    if (m_health != Health::Damaged)
        Q_EMIT healthChanged();
    if (m_projectionsDeferred)
        startProjections();
}

void Session::onDamage(const QString &message)
{
    if (m_health == Health::Damaged)
        return;
    m_health = Health::Damaged;
    m_healthText = message;
    const bool wasWritable = !isReadOnly();
    m_store->switchToReadOnly(message);
    Q_EMIT healthChanged();
    if (wasWritable) {
        Q_EMIT readOnlyChanged();
        // Running projections write to the file: they only observe from now on.
        if (m_projections && m_options.runProjections && !m_projectionsDeferred &&
            m_projections->mode() == ProjectionHost::Mode::Running)
            m_projections->start();
    }
}

void Session::startProjections()
{
    if (!m_projections)
        return;
    if (m_health == Health::Checking && !isReadOnly()) {
        m_projectionsDeferred = true; // they write (checkpoints, read models): after the verdict
        return;
    }
    m_projectionsDeferred = false;
    m_projections->start();
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
