#include "projectionhost.h"

#include "eventstore.h"
#include "projectionworker.h"
#include "readstore.h"
#include "session.h"
#include "storeaddress.h"

#include <QDateTime>
#include <QThread>

using namespace Qt::StringLiterals;

namespace es {

ProjectionHost::ProjectionHost(Session *session)
    : QObject(nullptr)
    , m_session(session)
{
    qRegisterMetaType<es::ProjectionStatus>();
    qRegisterMetaType<QList<es::ProjectionStatus>>();
    qRegisterMetaType<QList<es::ProjectionSchema>>();
    qRegisterMetaType<es::ProjectionDiff>();
    qRegisterMetaType<es::EventList>();
    m_observeTimer.setInterval(m_snapshotIntervalMs);
    connect(&m_observeTimer, &QTimer::timeout, this, &ProjectionHost::observe);
    // The browsing connection (PostgreSQL) died with the session's: reopen it in
    // place, since the views hold this ReadStore.
    if (session) {
        connect(session, &Session::connectionChanged, this, [this](bool connected) {
            if (connected && m_readStore)
                m_readStore->recover();
        });
    }
}

ProjectionHost::~ProjectionHost()
{
    stop();
}

QStringList ProjectionHost::projections() const
{
    return m_order;
}

QList<ProjectionStatus> ProjectionHost::statuses() const
{
    QList<ProjectionStatus> out;
    for (const QString &name : m_order) {
        if (auto it = m_statuses.constFind(name); it != m_statuses.constEnd())
            out.append(*it);
    }
    return out;
}

std::optional<ProjectionStatus> ProjectionHost::status(const QString &name) const
{
    if (auto it = m_statuses.constFind(name); it != m_statuses.constEnd())
        return *it;
    return std::nullopt;
}

std::optional<ProjectionSchema> ProjectionHost::schema(const QString &name) const
{
    if (auto it = m_schemas.constFind(name); it != m_schemas.constEnd())
        return *it;
    return std::nullopt;
}

QList<ProjectionHost::Sample> ProjectionHost::history(const QString &name) const
{
    return m_history.value(name);
}

ReadStore *ProjectionHost::readStore()
{
    if (m_readStore || !m_session)
        return m_readStore.get();
    if (m_session->storePath() == u":memory:"_s) {
        auto rs = ReadStore::attach(m_session->store()->database(), true);
        if (rs)
            m_readStore = std::move(*rs);
    } else {
        auto rs = ReadStore::open(m_session->storePath(), true);
        if (rs)
            m_readStore = std::move(*rs);
    }
    return m_readStore.get();
}

void ProjectionHost::setMode(Mode mode, const QString &note)
{
    if (mode == m_mode && note == m_note)
        return;
    m_mode = mode;
    m_note = note;
    Q_EMIT modeChanged();
}

void ProjectionHost::start()
{
    stop();
    if (!m_session)
        return;
    ++m_generation;
    const Session *s = m_session;
    const bool hasProjections = s->domain() && !s->domain()->info().projections.isEmpty();
    if (s->isReadOnly() || !hasProjections) {
        setMode(Mode::Observing,
                s->isReadOnly() ? tr("read-only store: showing the stored checkpoints, nothing is applied here")
                                : tr("no pack with projections is loaded: showing the stored checkpoints"));
        observe();
        m_observeTimer.start(m_snapshotIntervalMs);
        return;
    }

    ProjectionWorker::Config config;
    config.storePath = s->storePath();
    config.packPath = s->packPath();
    config.snapshotIntervalMs = m_snapshotIntervalMs;
    const bool memory = config.storePath == u":memory:"_s;
    if (memory)
        config.sharedStore = s->store();
    m_worker = new ProjectionWorker(config);
    if (!memory) {
        m_thread = new QThread;
        m_thread->setObjectName(u"projections"_s);
        m_worker->moveToThread(m_thread);
        // Same-process appends wake the runner at once (it also polls for other processes').
        connect(m_session, &Session::eventsAppended, m_worker, &ProjectionWorker::notifyAppended);
    }
    const int gen = m_generation;
    auto current = [this, gen] { return gen == m_generation; };
    connect(m_worker, &ProjectionWorker::started, this, [this, current](const auto &schemas, const auto &statuses) {
        if (current())
            onStarted(schemas, statuses);
    }, Qt::QueuedConnection);
    connect(m_worker, &ProjectionWorker::startFailed, this, [this, current](const QString &message) {
        if (current())
            onStartFailed(message);
    }, Qt::QueuedConnection);
    connect(m_worker, &ProjectionWorker::statusChanged, this, [this, current](const ProjectionStatus &status) {
        if (current())
            onStatus(status);
    }, Qt::QueuedConnection);
    connect(m_worker, &ProjectionWorker::snapshot, this, [this, current](const QList<ProjectionStatus> &statuses) {
        if (current())
            onSnapshot(statuses);
    }, Qt::QueuedConnection);
    connect(m_worker, &ProjectionWorker::packReloaded, this, [this, current](const QList<ProjectionSchema> &schemas) {
        if (current()) {
            setSchemas(schemas);
            Q_EMIT projectionsChanged();
        }
    }, Qt::QueuedConnection);
    connect(m_worker, &ProjectionWorker::rowsChanged, this, [this, current](const QString &p, const QStringList &keys) {
        if (current())
            Q_EMIT rowsChanged(p, keys);
    }, Qt::QueuedConnection);
    connect(m_worker, &ProjectionWorker::pagesInvalidated, this,
            [this, current](const QString &p, const QStringList &paths, qint64 position) {
                if (current())
                    Q_EMIT pagesInvalidated(p, paths, position);
            }, Qt::QueuedConnection);
    connect(m_worker, &ProjectionWorker::projectionReset, this, [this, current](const QString &p) {
        if (current())
            Q_EMIT projectionReset(p);
    }, Qt::QueuedConnection);
    connect(m_worker, &ProjectionWorker::rebuildProgress, this,
            [this, current](const QString &p, qint64 done, qint64 total) {
                if (current())
                    Q_EMIT rebuildProgress(p, done, total);
            }, Qt::QueuedConnection);
    connect(m_worker, &ProjectionWorker::rebuildReady, this, [this, current](const QString &p, const ProjectionDiff &d) {
        if (current())
            Q_EMIT rebuildReady(p, d);
    }, Qt::QueuedConnection);
    connect(m_worker, &ProjectionWorker::rebuildFinished, this,
            [this, current](const QString &p, bool swapped, const QString &error) {
                if (!current())
                    return;
                m_rebuilding.remove(p);
                Q_EMIT rebuildFinished(p, swapped, error);
            }, Qt::QueuedConnection);
    connect(m_worker, &ProjectionWorker::operationFailed, this, [this, current](const QString &p, const QString &m) {
        if (current())
            Q_EMIT operationFailed(p, m);
    }, Qt::QueuedConnection);
    setMode(Mode::Running, tr("starting…"));
    if (m_thread)
        m_thread->start();
    QMetaObject::invokeMethod(m_worker, &ProjectionWorker::startup, Qt::QueuedConnection);
}

void ProjectionHost::stop()
{
    m_observeTimer.stop();
    ++m_generation;
    if (m_worker) {
        if (m_thread) {
            // Waits for the batch in progress (bounded by the batch size), then
            // the runner, its connection and its domain go in their own thread.
            QThread *home = thread();
            ProjectionWorker *worker = m_worker;
            QMetaObject::invokeMethod(m_worker, [worker, home] { worker->shutdown(home); },
                                      Qt::BlockingQueuedConnection);
            m_thread->quit();
            m_thread->wait();
            delete m_thread;
            m_thread = nullptr;
        } else {
            m_worker->shutdown(nullptr);
        }
        delete m_worker;
        m_worker = nullptr;
    }
    // The browsing read store stays: views hold it, and a restart (pack reload,
    // a failed start) must not leave them a dangling pointer. It goes with the host.
    const bool had = !m_order.isEmpty();
    m_order.clear();
    m_schemas.clear();
    m_statuses.clear();
    m_history.clear();
    m_lastPosition.clear();
    m_lastSampleMs = 0;
    m_rebuilding.clear();
    setMode(Mode::Off, QString());
    if (had)
        Q_EMIT projectionsChanged();
}

void ProjectionHost::reloadPack()
{
    if (m_worker && m_mode == Mode::Running)
        QMetaObject::invokeMethod(m_worker, &ProjectionWorker::reloadPack, Qt::QueuedConnection);
    else
        start(); // the pack may declare projections now
}

void ProjectionHost::setSchemas(const QList<ProjectionSchema> &schemas)
{
    m_order.clear();
    m_schemas.clear();
    for (const ProjectionSchema &s : schemas) {
        m_order.append(s.name);
        m_schemas.insert(s.name, s);
    }
    // Projections the pack no longer declares.
    for (auto it = m_statuses.begin(); it != m_statuses.end();) {
        if (!m_schemas.contains(it.key()))
            it = m_statuses.erase(it);
        else
            ++it;
    }
}

void ProjectionHost::onStarted(const QList<ProjectionSchema> &schemas, const QList<ProjectionStatus> &statuses)
{
    setSchemas(schemas);
    for (const ProjectionStatus &s : statuses)
        m_statuses.insert(s.name, s);
    record(statuses);
    setMode(Mode::Running, QString());
    Q_EMIT projectionsChanged();
}

void ProjectionHost::onStartFailed(const QString &message)
{
    // Keep showing what the store holds.
    const bool connectionLost = StoreAddress::isConnectionLoss(message);
    const QString note = connectionLost
        ? tr("projections are not running: %1 (trying again in a few seconds)").arg(message)
        : tr("projections are not running: %1").arg(message);
    stop();
    ++m_generation;
    setMode(Mode::Observing, note);
    observe();
    m_observeTimer.start(m_snapshotIntervalMs);
    Q_EMIT operationFailed(QString(), note);
    if (connectionLost) {
        // The server dropped the worker's connection as it started: start again
        // once it may be back (the worker resumes from the checkpoints).
        const int generation = m_generation;
        QTimer::singleShot(3000, this, [this, generation] {
            if (generation == m_generation && m_mode == Mode::Observing)
                start();
        });
    }
}

void ProjectionHost::onStatus(const ProjectionStatus &status)
{
    if (!m_schemas.contains(status.name))
        return;
    m_statuses.insert(status.name, status);
    Q_EMIT statusChanged(status);
}

void ProjectionHost::onSnapshot(const QList<ProjectionStatus> &statuses)
{
    for (const ProjectionStatus &s : statuses) {
        if (m_schemas.contains(s.name)) {
            m_statuses.insert(s.name, s);
            Q_EMIT statusChanged(s);
        }
    }
    record(statuses);
}

void ProjectionHost::record(const QList<ProjectionStatus> &statuses)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const double seconds = m_lastSampleMs > 0 ? double(qMax<qint64>(1, now - m_lastSampleMs)) / 1000.0 : 0;
    for (const ProjectionStatus &s : statuses) {
        Sample sample;
        sample.msSinceEpoch = now;
        sample.lagEvents = s.lagEvents;
        auto last = m_lastPosition.constFind(s.name);
        if (seconds > 0 && last != m_lastPosition.constEnd())
            sample.eventsPerSecond = double(qMax<qint64>(0, s.position - *last)) / seconds;
        else
            sample.eventsPerSecond = s.eventsPerSecond;
        m_lastPosition.insert(s.name, s.position);
        QList<Sample> &h = m_history[s.name];
        h.append(sample);
        while (!h.isEmpty() && h.constFirst().msSinceEpoch < now - HistorySeconds * 1000)
            h.removeFirst();
    }
    m_lastSampleMs = now;
    Q_EMIT historyAppended();
}

void ProjectionHost::observe()
{
    if (!m_session)
        return;
    ReadStore *rs = readStore();
    if (!rs || !rs->hasSchema()) {
        if (!m_order.isEmpty()) {
            m_order.clear();
            m_schemas.clear();
            m_statuses.clear();
            Q_EMIT projectionsChanged();
        }
        return;
    }
    auto checkpoints = rs->checkpoints();
    if (!checkpoints) {
        rs->recover(); // a dropped PostgreSQL connection: reopened for the next look
        return;
    }
    QList<ProjectionSchema> schemas;
    QList<ProjectionStatus> statuses;
    const qint64 head = m_session->head();
    for (const ProjectionCheckpoint &cp : *checkpoints) {
        auto schema = ProjectionSchema::fromStored(cp.name, cp.shape);
        if (!schema)
            continue;
        schemas.append(*schema);
        ProjectionStatus s;
        s.name = cp.name;
        s.kind = cp.kind;
        s.state = cp.state;
        s.position = cp.position;
        s.head = head;
        s.lagEvents = qMax<qint64>(0, head - cp.position);
        s.lastError = cp.lastError;
        s.errorPosition = cp.errorPosition;
        s.errorEventId = cp.errorEventId;
        s.errorEventType = cp.errorEventType;
        s.delayMs = qMax(0, cp.delayMs);
        s.generation = cp.generation;
        if (s.lagEvents > 0) {
            auto next = m_session->store()->readForward(cp.position + 1, 1);
            if (next && !next->isEmpty())
                s.lagSeconds = qMax<double>(0, double(QDateTime::currentMSecsSinceEpoch() -
                                                      next->constFirst().recordedMs) / 1000.0);
        }
        statuses.append(s);
    }
    QStringList names;
    for (const ProjectionSchema &s : schemas)
        names.append(s.name);
    const bool listChanged = names != m_order;
    if (listChanged)
        setSchemas(schemas);
    for (const ProjectionStatus &s : statuses) {
        const auto previous = m_statuses.constFind(s.name);
        const bool same = previous != m_statuses.constEnd() && previous->position == s.position &&
            previous->state == s.state && previous->head == s.head && previous->lastError == s.lastError;
        m_statuses.insert(s.name, s);
        if (!same && !listChanged)
            Q_EMIT statusChanged(s);
    }
    record(statuses);
    if (listChanged)
        Q_EMIT projectionsChanged();
}

void ProjectionHost::pause(const QString &name)
{
    if (m_worker)
        QMetaObject::invokeMethod(m_worker, [w = m_worker, name] { w->pause(name); }, Qt::QueuedConnection);
}

void ProjectionHost::resume(const QString &name)
{
    if (m_worker)
        QMetaObject::invokeMethod(m_worker, [w = m_worker, name] { w->resume(name); }, Qt::QueuedConnection);
}

void ProjectionHost::skip(const QString &name, const QString &reason)
{
    if (!m_worker)
        return;
    const QString actor = qEnvironmentVariable("USER", qEnvironmentVariable("USERNAME", u"workbench"_s));
    QMetaObject::invokeMethod(m_worker, [w = m_worker, name, reason, actor] { w->skip(name, reason, actor); },
                              Qt::QueuedConnection);
}

void ProjectionHost::setDelay(const QString &name, int delayMs)
{
    if (m_worker)
        QMetaObject::invokeMethod(m_worker, [w = m_worker, name, delayMs] { w->setDelay(name, delayMs); },
                                  Qt::QueuedConnection);
}

void ProjectionHost::startRebuild(const QString &name)
{
    if (!m_worker)
        return;
    m_rebuilding.insert(name);
    QMetaObject::invokeMethod(m_worker, [w = m_worker, name] { w->startRebuild(name); }, Qt::QueuedConnection);
}

void ProjectionHost::cancelRebuild(const QString &name)
{
    if (m_worker)
        QMetaObject::invokeMethod(m_worker, [w = m_worker, name] { w->cancelRebuild(name); }, Qt::QueuedConnection);
}

void ProjectionHost::swapRebuild(const QString &name)
{
    if (m_worker)
        QMetaObject::invokeMethod(m_worker, [w = m_worker, name] { w->swapRebuild(name); }, Qt::QueuedConnection);
}

} // namespace es
